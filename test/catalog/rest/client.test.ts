import { describe, expect, it } from "vitest";
import { RestCatalog } from "../../../src/catalog/rest/index.js";
import { parseJson, type TableUpdate } from "../../../src/iceberg/spec/index.js";
import { fakeServer, json, loadResult, metadataJson } from "./fake.js";

const URI = "http://catalog.test:8181";
const BIG = 9007199254740993n; // 2^53 + 1: not representable as a double

describe("RestCatalog config and paths", () => {
  it("sends the warehouse to /v1/config and uses the server's prefix override", async () => {
    const server = fakeServer(
      {
        "GET /v1/cat%201/namespaces": () => json(200, { namespaces: [["a"]] }),
      },
      { defaults: { prefix: "ignored" }, overrides: { prefix: "cat%201" } },
    );
    const catalog = new RestCatalog({
      uri: `${URI}/`,
      warehouse: "s3://w/x",
      prefix: "mine",
      fetch: server.fetch,
    });
    expect(await catalog.listNamespaces()).toEqual([["a"]]);
    const config = server.calls[0];
    expect(config?.url.pathname).toBe("/v1/config");
    expect(config?.url.searchParams.get("warehouse")).toBe("s3://w/x");
    expect((await catalog.config()).properties).toMatchObject({ prefix: "cat%201", warehouse: "s3://w/x" });
    expect(server.calls.filter((c) => c.url.pathname === "/v1/config")).toHaveLength(1);
  });

  it("lets the client prefix beat a server default", async () => {
    const server = fakeServer(
      { "GET /v1/mine/namespaces/db": () => json(200, { namespace: ["db"], properties: { owner: "x" } }) },
      { defaults: { prefix: "theirs" }, overrides: {} },
    );
    const catalog = new RestCatalog({ uri: URI, prefix: "/mine/", fetch: server.fetch });
    expect(await catalog.loadNamespaceProperties(["db"])).toEqual({ owner: "x" });
  });

  it("joins multi-level namespaces with %1F in paths and the parent parameter", async () => {
    const server = fakeServer({
      "GET /v1/namespaces": () => json(200, { namespaces: [["a", "b", "c"]], "next-page-token": null }),
      "GET /v1/namespaces/a%1Fb%20c/tables/t%201": () => loadResult(metadataJson()),
    });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    expect(await catalog.listNamespaces(["a", "b"])).toEqual([["a", "b", "c"]]);
    const list = server.catalogCalls()[0];
    expect(list?.url.search).toBe("?parent=a%1Fb");
    await catalog.loadTable({ namespace: ["a", "b c"], name: "t 1" });
    expect(server.catalogCalls()[1]?.url.pathname).toBe("/v1/namespaces/a%1Fb%20c/tables/t%201");
  });

  it("uses a namespace-separator from the config", async () => {
    const server = fakeServer(
      { "GET /v1/namespaces/a.b/tables": () => json(200, { identifiers: [] }) },
      { defaults: {}, overrides: { "namespace-separator": "%2E" } },
    );
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    expect(await catalog.listTables(["a", "b"])).toEqual([]);
    await expect(catalog.listTables(["a.x"])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("follows next-page-token until it is null", async () => {
    const tokens: (string | null)[] = [];
    const server = fakeServer({
      "GET /v1/namespaces/db/tables": (call) => {
        const token = call.url.searchParams.get("pageToken");
        tokens.push(token);
        if (token === null)
          return json(200, { identifiers: [{ namespace: ["db"], name: "a" }], "next-page-token": "p 2" });
        return json(200, { identifiers: [{ namespace: ["db"], name: "b" }], "next-page-token": null });
      },
    });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    const tables = await catalog.listTables(["db"]);
    expect(tables.map((t) => t.name)).toEqual(["a", "b"]);
    expect(tokens).toEqual([null, "p 2"]);
  });

  it("rejects bad options and invalid names before sending anything", async () => {
    expect(() => new RestCatalog({ uri: "ftp://x" })).toThrow(/http or https/);
    expect(() => new RestCatalog({ uri: URI, token: "t", credential: "a:b" })).toThrow(/not both/);
    const server = fakeServer({});
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    await expect(catalog.loadTable({ namespace: ["db"], name: "a/b" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(catalog.createNamespace([])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(server.catalogCalls()).toHaveLength(0);
  });
});

describe("RestCatalog tables", () => {
  it("creates a table with the spec's CreateTableRequest body", async () => {
    const server = fakeServer({ "POST /v1/namespaces/db/tables": () => loadResult(metadataJson()) });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    const schema = {
      type: "struct" as const,
      "schema-id": 0,
      fields: [
        { id: 1, name: "id", required: true, type: "long" as const },
        { id: 2, name: "ts", required: false, type: "timestamptz" as const },
      ],
    };
    const spec = {
      "spec-id": 0,
      fields: [{ "source-id": 2, "field-id": 1000, name: "ts_day", transform: "day" }],
    };
    const sortOrder = {
      "order-id": 1,
      fields: [
        {
          transform: "identity",
          "source-id": 1,
          direction: "asc" as const,
          "null-order": "nulls-first" as const,
        },
      ],
    };
    const table = await catalog.createTable(["db"], {
      name: "t",
      schema,
      spec,
      sortOrder,
      location: "s3://warehouse/db/t",
      properties: { "write.format.default": "parquet" },
    });
    expect(table.metadataLocation).toBe("s3://warehouse/db/t/metadata/00001.metadata.json");
    expect(table.metadata["partition-specs"][0]?.fields[0]?.transform).toBe("day");
    const sent = JSON.parse(server.catalogCalls()[0]?.body ?? "{}");
    expect(sent).toEqual({
      name: "t",
      location: "s3://warehouse/db/t",
      schema,
      "partition-spec": spec,
      "write-order": sortOrder,
      "stage-create": false,
      properties: { "write.format.default": "parquet" },
    });
    expect(server.catalogCalls()[0]?.headers.get("content-type")).toBe("application/json");
  });

  it("commits with bigint snapshot ids as bare JSON integers and reads them back exactly", async () => {
    const server = fakeServer({
      "POST /v1/namespaces/db/tables/t": () => loadResult(metadataJson({ snapshotId: BIG })),
    });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    const updates: TableUpdate[] = [
      {
        action: "add-snapshot",
        snapshot: {
          "snapshot-id": BIG,
          "sequence-number": 1n,
          "timestamp-ms": 1700000000000,
          "manifest-list": `s3://w/t/metadata/snap-${BIG}.avro`,
          summary: { operation: "append", "floe.offsets.g": '{"t":{"0":"12"}}' },
        },
      },
      { action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": BIG, type: "branch" },
      { action: "remove-snapshots", "snapshot-ids": [BIG - 1n] },
    ];
    const table = await catalog.commitTable(
      { namespace: ["db"], name: "t" },
      [
        { type: "assert-table-uuid", uuid: "7f3c4b1e-8a52-4c0e-9a4e-2b9b3f0a1c55" },
        { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null },
      ],
      updates,
    );
    const body = server.catalogCalls()[0]?.body ?? "";
    expect(body).toContain('"snapshot-id":9007199254740993');
    expect(body).toContain('"snapshot-ids":[9007199254740992]');
    expect(body).not.toContain('"9007199254740993"');
    expect(body).toContain('{"type":"assert-ref-snapshot-id","ref":"main","snapshot-id":null}');
    const sent = parseJson(body) as Record<string, unknown>;
    expect(sent.identifier).toEqual({ namespace: ["db"], name: "t" });
    const [addSnapshot, setRef] = sent.updates as Record<string, unknown>[];
    expect(addSnapshot).toEqual({
      action: "add-snapshot",
      snapshot: {
        "snapshot-id": BIG,
        "sequence-number": 1,
        "timestamp-ms": 1700000000000,
        "manifest-list": `s3://w/t/metadata/snap-${BIG}.avro`,
        summary: { operation: "append", "floe.offsets.g": '{"t":{"0":"12"}}' },
      },
    });
    expect(setRef).toEqual({
      action: "set-snapshot-ref",
      "ref-name": "main",
      "snapshot-id": BIG,
      type: "branch",
    });
    expect(table.metadata["current-snapshot-id"]).toBe(BIG);
    expect(table.metadata.snapshots[0]?.["snapshot-id"]).toBe(BIG);
    expect(table.metadata.refs.main?.["snapshot-id"]).toBe(BIG);
  });

  it("returns the table config, overlaid by the longest matching storage credential", async () => {
    const extra = `, "config": {"s3.endpoint": "http://s3", "client.region": "eu-west-1"},
      "storage-credentials": [
        {"prefix": "s3://warehouse/", "config": {"s3.access-key-id": "short"}},
        {"prefix": "s3://warehouse/db/t", "config": {"s3.access-key-id": "long", "s3.session-token": "st"}},
        {"prefix": "s3://other/", "config": {"s3.access-key-id": "other"}}]`;
    const server = fakeServer({
      "GET /v1/namespaces/db/tables/t": () => loadResult(metadataJson(), extra),
      "POST /v1/namespaces/db/tables/t": () => loadResult(metadataJson()),
    });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    const id = { namespace: ["db"], name: "t" };
    const table = await catalog.loadTable(id);
    const expected = {
      "s3.endpoint": "http://s3",
      "client.region": "eu-west-1",
      "s3.access-key-id": "long",
      "s3.session-token": "st",
    };
    expect(table.config).toEqual(expected);
    // commit responses carry no config: the last loaded one is returned with the new metadata
    const committed = await catalog.commitTable(id, [], [{ action: "set-properties", updates: { a: "b" } }]);
    expect(committed.config).toEqual(expected);
  });

  it("uses HEAD for existence checks only when the server lists the endpoint", async () => {
    const routes = {
      "HEAD /v1/namespaces/db/tables/t": () => new Response(null, { status: 204 }),
      "HEAD /v1/namespaces/db/tables/gone": () => new Response(null, { status: 404 }),
      "GET /v1/namespaces/db/tables/gone": () =>
        json(404, { error: { message: "no", type: "NoSuchTableException", code: 404 } }),
      "GET /v1/namespaces/db": () => json(200, { namespace: ["db"], properties: {} }),
    };
    const withHead = fakeServer(routes, {
      defaults: {},
      overrides: {},
      endpoints: ["HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
    });
    const a = new RestCatalog({ uri: URI, fetch: withHead.fetch });
    expect(await a.tableExists({ namespace: ["db"], name: "t" })).toBe(true);
    expect(await a.tableExists({ namespace: ["db"], name: "gone" })).toBe(false);
    expect(withHead.catalogCalls().map((c) => c.method)).toEqual(["HEAD", "HEAD"]);

    const without = fakeServer(routes);
    const b = new RestCatalog({ uri: URI, fetch: without.fetch });
    expect(await b.tableExists({ namespace: ["db"], name: "gone" })).toBe(false);
    expect(await b.namespaceExists(["db"])).toBe(true);
    expect(without.catalogCalls().map((c) => c.method)).toEqual(["GET", "GET"]);
  });

  it("drops with purgeRequested only when asked", async () => {
    const server = fakeServer({
      "DELETE /v1/namespaces/db/tables/t": () => new Response(null, { status: 204 }),
    });
    const catalog = new RestCatalog({ uri: URI, fetch: server.fetch });
    await catalog.dropTable({ namespace: ["db"], name: "t" });
    await catalog.dropTable({ namespace: ["db"], name: "t" }, { purge: true });
    expect(server.catalogCalls().map((c) => c.url.search)).toEqual(["", "?purgeRequested=true"]);
  });

  it("sends namespace create bodies and extra headers", async () => {
    const server = fakeServer({
      "POST /v1/namespaces": () => json(200, { namespace: ["a", "b"], properties: { owner: "floe" } }),
    });
    const catalog = new RestCatalog({
      uri: URI,
      fetch: server.fetch,
      headers: { "X-Iceberg-Access-Delegation": "vended-credentials" },
    });
    await catalog.createNamespace(["a", "b"], { owner: "floe" });
    const call = server.catalogCalls()[0];
    expect(JSON.parse(call?.body ?? "")).toEqual({ namespace: ["a", "b"], properties: { owner: "floe" } });
    expect(call?.headers.get("x-iceberg-access-delegation")).toBe("vended-credentials");
    expect(call?.headers.get("authorization")).toBeNull();
  });
});
