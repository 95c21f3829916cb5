import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import type { RestCatalogServer } from "../../../src/catalog/rest-server/index.js";
import { call, errorOf, SCHEMA, serve } from "./helpers.js";

const BIG_ID = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a Number

describe("rest-server: config", () => {
  let server: RestCatalogServer;
  beforeAll(async () => {
    ({ server } = await serve({
      warehouse: "floe",
      defaults: { "s3.path-style-access": "true" },
      overrides: { "s3.endpoint": "http://127.0.0.1:9000" },
    }));
  });
  afterAll(() => server.close());

  it("returns defaults, overrides and the supported endpoints", async () => {
    const res = await call(server, "GET", "/v1/config?warehouse=floe");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}$/);
    const body = res.json as { defaults: object; overrides: object; endpoints: string[] };
    expect(body.defaults).toEqual({ "s3.path-style-access": "true" });
    expect(body.overrides).toEqual({ "s3.endpoint": "http://127.0.0.1:9000" });
    expect(body.endpoints).toContain("GET /v1/{prefix}/namespaces");
    expect(body.endpoints).toContain("HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}");
    expect(body.endpoints).toContain("POST /v1/{prefix}/namespaces/{namespace}/tables/{table}");
    // The embedded catalog cannot rename tables or update namespace properties.
    expect(body.endpoints).not.toContain("POST /v1/{prefix}/tables/rename");
    expect(body.endpoints).not.toContain("POST /v1/{prefix}/namespaces/{namespace}/properties");
  });

  it("accepts a missing warehouse and rejects another warehouse's name", async () => {
    expect((await call(server, "GET", "/v1/config")).status).toBe(200);
    const res = await call(server, "GET", "/v1/config?warehouse=other");
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ type: "BadRequestException", code: 400 });
  });

  it("answers the OAuth token route with an OAuth error", async () => {
    const res = await call(server, "POST", "/v1/oauth/tokens", { rawBody: "grant_type=client_credentials" });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: "unsupported_grant_type" });
  });
});

describe("rest-server: namespaces", () => {
  let server: RestCatalogServer;
  beforeAll(async () => {
    ({ server } = await serve());
  });
  afterAll(() => server.close());

  it("creates, loads, lists, checks and drops namespaces", async () => {
    const created = await call(server, "POST", "/v1/namespaces", {
      body: { namespace: ["db"], properties: { owner: "floe" } },
    });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ namespace: ["db"], properties: { owner: "floe" } });

    const again = await call(server, "POST", "/v1/namespaces", { body: { namespace: ["db"] } });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ type: "AlreadyExistsException", code: 409 });

    const loaded = await call(server, "GET", "/v1/namespaces/db");
    expect(loaded.status).toBe(200);
    expect(loaded.json).toMatchObject({ namespace: ["db"], properties: { owner: "floe" } });

    expect((await call(server, "HEAD", "/v1/namespaces/db")).status).toBe(204);
    const missing = await call(server, "HEAD", "/v1/namespaces/nope");
    expect(missing.status).toBe(404);
    expect(missing.text).toBe("");

    const list = await call(server, "GET", "/v1/namespaces");
    expect(list.json).toEqual({ namespaces: [["db"]] });
  });

  it("handles multi-level namespaces joined by %1F", async () => {
    const created = await call(server, "POST", "/v1/namespaces", { body: { namespace: ["db", "sub"] } });
    expect(created.status).toBe(200);
    expect((await call(server, "HEAD", "/v1/namespaces/db%1Fsub")).status).toBe(204);
    expect((await call(server, "GET", "/v1/namespaces/db%1Fsub")).json).toMatchObject({
      namespace: ["db", "sub"],
    });
    expect((await call(server, "GET", "/v1/namespaces?parent=db")).json).toEqual({
      namespaces: [["db", "sub"]],
    });
    expect((await call(server, "GET", "/v1/namespaces?parent=db%1Fsub")).json).toEqual({ namespaces: [] });
    // An empty parent is treated as absent.
    expect((await call(server, "GET", "/v1/namespaces?parent=")).json).toEqual({ namespaces: [["db"]] });
    const noParent = await call(server, "GET", "/v1/namespaces?parent=ghost");
    expect(noParent.status).toBe(404);
    expect(errorOf(noParent).type).toBe("NoSuchNamespaceException");
    const orphan = await call(server, "POST", "/v1/namespaces", { body: { namespace: ["ghost", "x"] } });
    expect(orphan.status).toBe(404);
    expect(errorOf(orphan).type).toBe("NoSuchNamespaceException");
  });

  it("refuses to drop a namespace that is not empty, drops empty ones", async () => {
    const busy = await call(server, "DELETE", "/v1/namespaces/db");
    expect(busy.status).toBe(409);
    expect(errorOf(busy).type).toBe("NamespaceNotEmptyException");
    expect((await call(server, "DELETE", "/v1/namespaces/db%1Fsub")).status).toBe(204);
    const gone = await call(server, "DELETE", "/v1/namespaces/db%1Fsub");
    expect(gone.status).toBe(404);
    expect(errorOf(gone).type).toBe("NoSuchNamespaceException");
    expect((await call(server, "GET", "/v1/namespaces/db%1Fsub")).status).toBe(404);
  });

  it("answers 406 for property updates the catalog cannot make", async () => {
    const res = await call(server, "POST", "/v1/namespaces/db/properties", {
      body: { updates: { a: "b" }, removals: [] },
    });
    expect(res.status).toBe(406);
    expect(errorOf(res).type).toBe("UnsupportedOperationException");
  });

  it("rejects malformed bodies with 400", async () => {
    const cases = [
      await call(server, "POST", "/v1/namespaces", { body: { properties: {} } }),
      await call(server, "POST", "/v1/namespaces", { body: { namespace: [] } }),
      await call(server, "POST", "/v1/namespaces", { body: { namespace: ["x"], properties: { a: 1 } } }),
      await call(server, "POST", "/v1/namespaces", { rawBody: "{not json" }),
      await call(server, "POST", "/v1/namespaces", { rawBody: Buffer.from([0x7b, 0xff, 0x7d]) }),
      await call(server, "POST", "/v1/namespaces"),
    ];
    for (const res of cases) {
      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatchObject({ type: "BadRequestException", code: 400 });
    }
  });

  it("pages through namespaces when asked", async () => {
    for (const n of ["p1", "p2", "p3"])
      await call(server, "POST", "/v1/namespaces", { body: { namespace: [n] } });
    const seen: string[][] = [];
    let token = "";
    for (let i = 0; i < 10; i++) {
      const res = await call(
        server,
        "GET",
        `/v1/namespaces?pageSize=2&pageToken=${encodeURIComponent(token)}`,
      );
      const body = res.json as { namespaces: string[][]; "next-page-token"?: string };
      seen.push(...body.namespaces);
      if (body["next-page-token"] === undefined) break;
      token = body["next-page-token"];
    }
    expect(seen).toEqual([["db"], ["p1"], ["p2"], ["p3"]]);
    expect((await call(server, "GET", "/v1/namespaces?pageToken=&pageSize=0")).status).toBe(400);
    expect((await call(server, "GET", "/v1/namespaces?pageToken=%21%21")).status).toBe(400);
  });
});

describe("rest-server: tables", () => {
  let server: RestCatalogServer;
  let catalog: EmbeddedCatalog;
  beforeAll(async () => {
    ({ server, catalog } = await serve());
    await catalog.createNamespace(["db"]);
  });
  afterAll(() => server.close());

  it("creates a table and returns its metadata, location and config", async () => {
    const res = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: {
        name: "events",
        schema: SCHEMA,
        "partition-spec": { "spec-id": 0, fields: [] },
        "write-order": { "order-id": 0, fields: [] },
        "stage-create": false,
        properties: { "write.format.default": "parquet" },
      },
    });
    expect(res.status).toBe(200);
    const body = res.json as {
      "metadata-location": string;
      metadata: Record<string, unknown>;
      config: object;
    };
    expect(body["metadata-location"]).toBe("memory://wh/db/events/metadata/v1.metadata.json");
    expect(body.metadata["format-version"]).toBe(2);
    expect(body.metadata.location).toBe("memory://wh/db/events");
    expect(body.metadata.properties).toEqual({ "write.format.default": "parquet" });
    expect(body.config).toEqual({});

    const dup = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "events", schema: SCHEMA },
    });
    expect(dup.status).toBe(409);
    expect(errorOf(dup).type).toBe("AlreadyExistsException");
  });

  it("maps create errors: missing namespace 404, stage-create 406, custom location 403, bad schema 400", async () => {
    const noNs = await call(server, "POST", "/v1/namespaces/nope/tables", {
      body: { name: "t", schema: SCHEMA },
    });
    expect(noNs.status).toBe(404);
    expect(errorOf(noNs).type).toBe("NoSuchNamespaceException");
    const staged = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "t", schema: SCHEMA, "stage-create": true },
    });
    expect(staged.status).toBe(406);
    const located = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "t", schema: SCHEMA, location: "memory://wh" },
    });
    expect(located.status).toBe(403);
    expect(errorOf(located).type).toBe("ForbiddenException");
    const badSchema = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "t", schema: { type: "struct", fields: [{ id: 1, name: "x", type: "nope" }] } },
    });
    expect(badSchema.status).toBe(400);
    const badName = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "a/b", schema: SCHEMA },
    });
    expect(badName.status).toBe(400);
    const v1 = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "t", schema: SCHEMA, properties: { "format-version": "1" } },
    });
    expect(v1.status).toBe(400);
  });

  it("creates a v3 table when format-version 3 is asked for, without storing the property", async () => {
    const res = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: "v3", schema: SCHEMA, properties: { "format-version": "3" } },
    });
    expect(res.status).toBe(200);
    const md = (res.json as { metadata: Record<string, unknown> }).metadata;
    expect(md["format-version"]).toBe(3);
    expect(md.properties).toEqual({});
  });

  it("lists, loads (with ETag) and checks tables", async () => {
    const list = await call(server, "GET", "/v1/namespaces/db/tables");
    expect(list.json).toEqual({
      identifiers: [
        { namespace: ["db"], name: "events" },
        { namespace: ["db"], name: "v3" },
      ],
    });
    expect((await call(server, "GET", "/v1/namespaces/nope/tables")).status).toBe(404);

    const loaded = await call(server, "GET", "/v1/namespaces/db/tables/events");
    expect(loaded.status).toBe(200);
    const etag = loaded.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await call(server, "GET", "/v1/namespaces/db/tables/events", {
      headers: { "If-None-Match": etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect((await call(server, "GET", "/v1/namespaces/db/tables/events?snapshots=refs")).status).toBe(200);
    expect((await call(server, "GET", "/v1/namespaces/db/tables/events?snapshots=some")).status).toBe(400);

    expect((await call(server, "HEAD", "/v1/namespaces/db/tables/events")).status).toBe(204);
    expect((await call(server, "HEAD", "/v1/namespaces/db/tables/ghost")).status).toBe(404);
    const ghost = await call(server, "GET", "/v1/namespaces/db/tables/ghost");
    expect(ghost.status).toBe(404);
    expect(errorOf(ghost)).toMatchObject({ type: "NoSuchTableException", code: 404 });
  });

  it("commits updates with exact bigint snapshot ids and reports conflicts as 409", async () => {
    const snapshot = {
      "snapshot-id": BIG_ID,
      "sequence-number": 1,
      "timestamp-ms": 1_700_000_000_000,
      "manifest-list": "memory://wh/db/events/metadata/snap-1.avro",
      summary: { operation: "append" },
      "schema-id": 0,
    };
    const commit = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: {
        identifier: { namespace: ["db"], name: "events" },
        requirements: [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null }],
        updates: [
          { action: "add-snapshot", snapshot },
          { action: "set-snapshot-ref", "ref-name": "main", type: "branch", "snapshot-id": BIG_ID },
        ],
      },
    });
    expect(commit.status).toBe(200);
    expect(commit.text).toContain('"current-snapshot-id":9007199254740993');
    const body = commit.json as { "metadata-location": string; metadata: Record<string, unknown> };
    expect(body["metadata-location"]).toBe("memory://wh/db/events/metadata/v2.metadata.json");
    expect(body.metadata["current-snapshot-id"]).toBe(BIG_ID);
    expect(
      (await catalog.loadTable({ namespace: ["db"], name: "events" })).metadata["current-snapshot-id"],
    ).toBe(BIG_ID);
    const loaded = await call(server, "GET", "/v1/namespaces/db/tables/events");
    const md = (loaded.json as { metadata: { snapshots: { "snapshot-id": bigint }[] } }).metadata;
    expect(md.snapshots[0]?.["snapshot-id"]).toBe(BIG_ID);

    const stale = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: {
        requirements: [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null }],
        updates: [{ action: "set-properties", updates: { a: "b" } }],
      },
    });
    expect(stale.status).toBe(409);
    expect(errorOf(stale)).toMatchObject({ type: "CommitFailedException", code: 409 });
  });

  it("rejects unknown updates, mismatched identifiers and set-location; 404 for missing tables", async () => {
    const unknown = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: { requirements: [], updates: [{ action: "frobnicate" }] },
    });
    expect(unknown.status).toBe(400);
    const unknownReq = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: { requirements: [{ type: "assert-mood" }], updates: [] },
    });
    expect(unknownReq.status).toBe(400);
    const other = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: { identifier: { namespace: ["db"], name: "v3" }, requirements: [], updates: [] },
    });
    expect(other.status).toBe(400);
    const dotted = await call(server, "POST", "/v1/namespaces/db%1Fa/tables/b", {
      body: { identifier: { namespace: ["db"], name: "a.b" }, requirements: [], updates: [] },
    });
    expect(dotted.status).toBe(400);
    const moved = await call(server, "POST", "/v1/namespaces/db/tables/events", {
      body: { requirements: [], updates: [{ action: "set-location", location: "memory://elsewhere" }] },
    });
    expect(moved.status).toBe(403);
    const ghost = await call(server, "POST", "/v1/namespaces/db/tables/ghost", {
      body: { requirements: [], updates: [{ action: "set-properties", updates: { a: "b" } }] },
    });
    expect(ghost.status).toBe(404);
    expect(errorOf(ghost).type).toBe("NoSuchTableException");
  });

  it("accepts metrics reports and drops tables (purge or not)", async () => {
    const metrics = await call(server, "POST", "/v1/namespaces/db/tables/events/metrics", {
      body: { "report-type": "scan-report", "table-name": "db.events" },
    });
    expect(metrics.status).toBe(204);
    expect(
      (await call(server, "DELETE", "/v1/namespaces/db/tables/events?purgeRequested=maybe")).status,
    ).toBe(400);
    expect((await call(server, "DELETE", "/v1/namespaces/db/tables/events?purgeRequested=true")).status).toBe(
      204,
    );
    expect((await call(server, "HEAD", "/v1/namespaces/db/tables/events")).status).toBe(404);
    expect((await call(server, "DELETE", "/v1/namespaces/db/tables/v3?purgeRequested=False")).status).toBe(
      204,
    );
    const gone = await call(server, "DELETE", "/v1/namespaces/db/tables/v3");
    expect(gone.status).toBe(404);
    expect(errorOf(gone).type).toBe("NoSuchTableException");
  });

  it("answers unsupported, unknown and wrong-method routes", async () => {
    const rename = await call(server, "POST", "/v1/tables/rename", {
      body: { source: { namespace: ["db"], name: "a" }, destination: { namespace: ["db"], name: "b" } },
    });
    expect(rename.status).toBe(406);
    expect(errorOf(rename).type).toBe("UnsupportedOperationException");
    expect(
      (await call(server, "POST", "/v1/transactions/commit", { body: { "table-changes": [] } })).status,
    ).toBe(406);
    expect((await call(server, "GET", "/v1/namespaces/db/views")).status).toBe(406);
    expect((await call(server, "POST", "/v1/namespaces/db/register", { body: {} })).status).toBe(406);
    expect((await call(server, "GET", "/v2/config")).status).toBe(404);
    expect((await call(server, "GET", "/v1/namespaces/db/things")).status).toBe(404);
    const put = await call(server, "PUT", "/v1/namespaces");
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST");
  });
});

describe("rest-server: prefix", () => {
  let server: RestCatalogServer;
  beforeAll(async () => {
    ({ server } = await serve({ prefix: "lake" }));
  });
  afterAll(() => server.close());

  it("announces the prefix and serves catalog routes only under it", async () => {
    const config = await call(server, "GET", "/v1/config");
    expect((config.json as { overrides: object }).overrides).toEqual({ prefix: "lake" });
    expect((await call(server, "POST", "/v1/lake/namespaces", { body: { namespace: ["db"] } })).status).toBe(
      200,
    );
    expect((await call(server, "GET", "/v1/lake/namespaces")).json).toEqual({ namespaces: [["db"]] });
    expect((await call(server, "GET", "/v1/namespaces")).status).toBe(404);
    expect((await call(server, "GET", "/v1/other/namespaces")).status).toBe(404);
    expect((await call(server, "HEAD", "/v1/lake/namespaces/db")).status).toBe(204);
  });

  it("refuses invalid prefixes at start", async () => {
    await expect(serve({ prefix: "a/b" })).rejects.toThrow(/prefix/);
    await expect(serve({ prefix: ".." })).rejects.toThrow(/prefix/);
  });
});

describe("rest-server: bearer auth", () => {
  const TOKEN = "s3cr3t-token-0123456789";
  let server: RestCatalogServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const { createLogger } = await import("../../../src/log.js");
    ({ server } = await serve({
      token: TOKEN,
      logger: createLogger({ level: "debug", write: (l) => lines.push(l) }),
    }));
  });
  afterAll(() => server.close());

  it("requires the token on every route, config included", async () => {
    const none = await call(server, "GET", "/v1/config");
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="floe"');
    expect(errorOf(none)).toMatchObject({ type: "NotAuthorizedException", code: 401 });

    const wrong = await call(server, "GET", "/v1/namespaces", { token: "not-the-token-at-all" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toContain('error="invalid_token"');
    const prefixOnly = await call(server, "GET", "/v1/namespaces", { token: TOKEN.slice(0, -1) });
    expect(prefixOnly.status).toBe(401);
    const basic = await call(server, "GET", "/v1/namespaces", {
      headers: { Authorization: `Basic ${TOKEN}` },
    });
    expect(basic.status).toBe(401);

    expect((await call(server, "GET", "/v1/config", { token: TOKEN })).status).toBe(200);
    expect((await call(server, "GET", "/v1/namespaces", { token: TOKEN })).status).toBe(200);
    expect(
      (await call(server, "GET", "/v1/namespaces", { headers: { Authorization: `bearer  ${TOKEN}` } }))
        .status,
    ).toBe(200);
  });

  it("logs each request without the token", () => {
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).not.toContain(TOKEN);
    const entry = JSON.parse(lines.find((l) => l.includes('"status":200')) ?? "{}");
    expect(entry).toMatchObject({ msg: "rest catalog request", method: "GET", status: 200 });
  });

  it("refuses weak tokens at start", async () => {
    await expect(serve({ token: "short" })).rejects.toThrow(/token/);
    await expect(serve({ token: "has a space in the middle" })).rejects.toThrow(/token/);
  });
});

describe("rest-server: hostile paths and bodies", () => {
  let server: RestCatalogServer;
  let catalog: EmbeddedCatalog;
  beforeAll(async () => {
    ({ server, catalog } = await serve({ maxBodyBytes: 2048 }));
    await catalog.createNamespace(["db"]);
  });
  afterAll(() => server.close());

  it.each([
    "/v1/namespaces/../config",
    "/v1/namespaces/db/tables/..",
    "/v1/namespaces/./db",
    "/v1/namespaces/%2E%2E/tables",
    "/v1/namespaces/db/tables/%2e%2e",
    "/v1/namespaces/db%2Ftables%2Fx",
    "/v1/namespaces/db/tables/a%2Fb",
    "/v1/namespaces/db/tables/a%5Cb",
    "/v1/namespaces/db%00",
    "/v1/namespaces/db/tables/x%0Ay",
    "/v1/namespaces/db/tables/x%7F",
    "/v1/namespaces/db%1F%1Fx",
    "/v1/namespaces/%1Fdb",
    "/v1/namespaces/db/tables/%E0%A4%A",
    "/v1//namespaces",
    "/v1/namespaces/db/",
    `/v1/namespaces/${"a".repeat(256)}`,
    `/v1/namespaces/${Array.from({ length: 17 }, (_, i) => `l${i}`).join("%1F")}`,
    "/v1/namespaces?parent=db%1F..",
    "/v1/namespaces?parent=%2E%2E",
  ])("rejects %s with 400", async (path) => {
    const res = await call(server, "GET", path);
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ type: "BadRequestException", code: 400 });
  });

  it("rejects oversized bodies with 413, declared or streamed", async () => {
    const big = { namespace: ["db2"], properties: { pad: "x".repeat(4096) } };
    const declared = await call(server, "POST", "/v1/namespaces", { body: big });
    expect(declared.status).toBe(413);
    expect(errorOf(declared)).toMatchObject({ code: 413 });
    const streamed = await call(server, "POST", "/v1/namespaces", { body: big, chunked: true });
    expect(streamed.status).toBe(413);
    expect(await catalog.namespaceExists(["db2"])).toBe(false);
    const fits = await call(server, "POST", "/v1/namespaces", {
      body: { namespace: ["db2"] },
      chunked: true,
    });
    expect(fits.status).toBe(200);
  });

  it("rejects an overlong request target", async () => {
    const res = await call(server, "GET", `/v1/namespaces?parent=${"a".repeat(9000)}`);
    expect(res.status).toBe(414);
  });
});
