import { describe, expect, it } from "vitest";
import type { Catalog, Namespace, TableIdentifier } from "../../../src/catalog/index.js";
import {
  type NamespacePropertiesUpdater,
  RestError,
  s3TableConfig,
  startRestCatalogServer,
  type TableRenamer,
  toRestError,
} from "../../../src/catalog/rest-server/index.js";
import { FloeError } from "../../../src/errors.js";
import { call, errorOf, memoryCatalog, SCHEMA, serve } from "./helpers.js";

describe("rest-server: error mapping", () => {
  const map = (
    code: ConstructorParameters<typeof FloeError>[0],
    scope: Parameters<typeof toRestError>[1],
    context = {},
  ) => {
    const e = toRestError(new FloeError(code, "boom", { context }), scope);
    return [e.status, e.type];
  };

  it("maps FloeError codes to REST statuses and types by scope", () => {
    expect(map("INVALID_ARGUMENT", "table")).toEqual([400, "BadRequestException"]);
    expect(map("NOT_FOUND", "namespace")).toEqual([404, "NoSuchNamespaceException"]);
    expect(map("NOT_FOUND", "table")).toEqual([404, "NoSuchTableException"]);
    expect(map("NOT_FOUND", "table", { namespace: "db" })).toEqual([404, "NoSuchNamespaceException"]);
    expect(map("NOT_FOUND", "namespace", { table: "db.t" })).toEqual([404, "NoSuchTableException"]);
    expect(map("ALREADY_EXISTS", "table")).toEqual([409, "AlreadyExistsException"]);
    expect(map("COMMIT_CONFLICT", "commit")).toEqual([409, "CommitFailedException"]);
    expect(map("PRECONDITION_FAILED", "namespace")).toEqual([409, "NamespaceNotEmptyException"]);
    expect(map("PRECONDITION_FAILED", "commit")).toEqual([409, "CommitFailedException"]);
    expect(map("UNSUPPORTED", "table")).toEqual([406, "UnsupportedOperationException"]);
    expect(map("UNAUTHORIZED", "table")).toEqual([403, "ForbiddenException"]);
    expect(map("SERVICE_UNAVAILABLE", "namespace")).toEqual([503, "ServiceUnavailableException"]);
    expect(map("COMMIT_STATE_UNKNOWN", "commit")).toEqual([500, "CommitStateUnknownException"]);
    // A commit that failed on the server side may still have landed: never report a plain failure.
    expect(map("IO_ERROR", "commit")).toEqual([500, "CommitStateUnknownException"]);
    expect(map("INTERNAL", "commit")).toEqual([500, "CommitStateUnknownException"]);
    expect(map("IO_ERROR", "table")).toEqual([500, "InternalServerError"]);
    expect(toRestError(new FloeError("IO_ERROR", "slow", { retryable: true }), "table").status).toBe(503);
  });

  it("keeps the text of unexpected errors out of responses", () => {
    const e = toRestError(new Error("/secret/path exploded"), "table");
    expect([e.status, e.type, e.message]).toEqual([500, "InternalServerError", "internal error"]);
    expect(toRestError(new TypeError("x"), "commit").type).toBe("CommitStateUnknownException");
    const own = new RestError(418, "BadRequestException", "teapot");
    expect(toRestError(own, "table")).toBe(own);
  });
});

describe("rest-server: backend failures over HTTP", () => {
  /** The embedded catalog with one method replaced. */
  function failing(method: keyof Catalog, error: unknown): Catalog {
    const { catalog } = memoryCatalog();
    return new Proxy(catalog, {
      get(target, prop, receiver) {
        if (prop === method) return async () => Promise.reject(error);
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }

  it("answers 500 CommitStateUnknownException when a commit's outcome is unknown", async () => {
    const catalog = failing("commitTable", new FloeError("COMMIT_STATE_UNKNOWN", "timed out after sending"));
    await catalog.createNamespace(["db"]);
    await catalog.createTable(["db"], { name: "t", schema: SCHEMA as never });
    const server = await startRestCatalogServer({ catalog, port: 0 });
    try {
      const res = await call(server, "POST", "/v1/namespaces/db/tables/t", {
        body: { requirements: [], updates: [{ action: "set-properties", updates: { a: "b" } }] },
      });
      expect(res.status).toBe(500);
      expect(errorOf(res)).toEqual({
        message: "timed out after sending",
        type: "CommitStateUnknownException",
        code: 500,
      });
    } finally {
      await server.close();
    }
  });

  it("answers 503 with Retry-After when the backend is unavailable, 500 for crashes", async () => {
    const down = await startRestCatalogServer({
      catalog: failing("listNamespaces", new FloeError("SERVICE_UNAVAILABLE", "S3 is throttling")),
      port: 0,
    });
    const crash = await startRestCatalogServer({
      catalog: failing("listNamespaces", new Error("kaput")),
      port: 0,
    });
    try {
      const res = await call(down, "GET", "/v1/namespaces");
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(errorOf(res).type).toBe("ServiceUnavailableException");
      const boom = await call(crash, "GET", "/v1/namespaces");
      expect(boom.status).toBe(500);
      expect(errorOf(boom)).toEqual({ message: "internal error", type: "InternalServerError", code: 500 });
    } finally {
      await down.close();
      await crash.close();
    }
  });
});

describe("rest-server: optional catalog capabilities", () => {
  it("serves namespace property updates and renames when the catalog has them", async () => {
    const { catalog } = memoryCatalog();
    const renames: string[] = [];
    const props: Record<string, string> = { keep: "1", drop: "2" };
    const extended: Catalog & NamespacePropertiesUpdater & TableRenamer = Object.assign(
      Object.create(catalog),
      {
        async updateNamespaceProperties(
          _ns: Namespace,
          updates: Record<string, string>,
          removals: readonly string[],
        ) {
          const removed = removals.filter((k) => k in props);
          for (const k of removed) delete props[k];
          Object.assign(props, updates);
          return {
            updated: Object.keys(updates),
            removed,
            missing: removals.filter((k) => !removed.includes(k)),
          };
        },
        async renameTable(from: TableIdentifier, to: TableIdentifier) {
          renames.push(`${from.name}->${to.name}`);
        },
      },
    );
    const server = await startRestCatalogServer({ catalog: extended, port: 0 });
    try {
      const config = await call(server, "GET", "/v1/config");
      const endpoints = (config.json as { endpoints: string[] }).endpoints;
      expect(endpoints).toContain("POST /v1/{prefix}/tables/rename");
      expect(endpoints).toContain("POST /v1/{prefix}/namespaces/{namespace}/properties");
      const res = await call(server, "POST", "/v1/namespaces/db/properties", {
        body: { updates: { add: "3" }, removals: ["drop", "ghost"] },
      });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ updated: ["add"], removed: ["drop"], missing: ["ghost"] });
      expect(props).toEqual({ keep: "1", add: "3" });
      const both = await call(server, "POST", "/v1/namespaces/db/properties", {
        body: { updates: { a: "1" }, removals: ["a"] },
      });
      expect(both.status).toBe(422);
      const renamed = await call(server, "POST", "/v1/tables/rename", {
        body: { source: { namespace: ["db"], name: "a" }, destination: { namespace: ["db"], name: "b" } },
      });
      expect(renamed.status).toBe(204);
      expect(renames).toEqual(["a->b"]);
      const bad = await call(server, "POST", "/v1/tables/rename", {
        body: { source: { namespace: ["db"], name: ".." }, destination: { namespace: ["db"], name: "b" } },
      });
      expect(bad.status).toBe(400);
    } finally {
      await server.close();
    }
  });
});

describe("rest-server: concurrency and lifecycle", () => {
  it("lets exactly one of two commits on the same base win", async () => {
    const { server, catalog } = await serve();
    try {
      await catalog.createNamespace(["db"]);
      await catalog.createTable(["db"], { name: "t", schema: SCHEMA as never });
      const commit = (id: bigint) =>
        call(server, "POST", "/v1/namespaces/db/tables/t", {
          body: {
            requirements: [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null }],
            updates: [
              {
                action: "add-snapshot",
                snapshot: {
                  "snapshot-id": id,
                  "sequence-number": 1,
                  "timestamp-ms": 1_700_000_000_000,
                  "manifest-list": `memory://wh/db/t/metadata/snap-${id}.avro`,
                  summary: { operation: "append" },
                  "schema-id": 0,
                },
              },
              { action: "set-snapshot-ref", "ref-name": "main", type: "branch", "snapshot-id": id },
              { action: "set-properties", updates: { writer: String(id) } },
            ],
          },
        });
      const results = await Promise.all([commit(11n), commit(22n)]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = results.find((r) => r.status === 409);
      expect(loser && errorOf(loser).type).toBe("CommitFailedException");
      const md = (await catalog.loadTable({ namespace: ["db"], name: "t" })).metadata;
      expect(md.properties.writer).toBe(String(md["current-snapshot-id"]));
    } finally {
      await server.close();
    }
  });

  it("close() lets in-flight requests finish, then refuses connections", async () => {
    const { catalog } = memoryCatalog();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: Catalog = Object.assign(Object.create(catalog), {
      async listNamespaces() {
        await gate;
        return [["late"]];
      },
    });
    const server = await startRestCatalogServer({ catalog: slow, port: 0 });
    const pending = call(server, "GET", "/v1/namespaces");
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    await new Promise((r) => setTimeout(r, 50));
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ namespaces: [["late"]] });
    await closing;
    await expect(call(server, "GET", "/v1/config")).rejects.toThrow(/ECONNREFUSED/);
    await server.close(); // idempotent
  });

  it("close() cuts requests that outlive the deadline", async () => {
    const { catalog } = memoryCatalog();
    const stuck: Catalog = Object.assign(Object.create(catalog), {
      listNamespaces: () => new Promise(() => {}),
    });
    const server = await startRestCatalogServer({ catalog: stuck, port: 0, closeTimeoutMs: 100 });
    const pending = call(server, "GET", "/v1/namespaces");
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(pending).rejects.toThrow();
  });

  it("refuses a port that is taken", async () => {
    const { server } = await serve();
    try {
      await expect(serve({ port: server.port })).rejects.toThrow(/cannot listen/);
    } finally {
      await server.close();
    }
  });
});

describe("rest-server: table config", () => {
  it("builds the S3 properties each client reads", () => {
    const creds = { accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "ST" };
    expect(
      s3TableConfig({ endpoint: "http://127.0.0.1:9000", region: "eu-west-1", credentials: creds }),
    ).toEqual({
      "s3.endpoint": "http://127.0.0.1:9000",
      "s3.region": "eu-west-1",
      "client.region": "eu-west-1",
      "s3.path-style-access": "true",
      "s3.access-key-id": "AK",
      "s3.secret-access-key": "SK",
      "s3.session-token": "ST",
    });
    expect(s3TableConfig({ region: "us-east-1", credentials: creds }, { credentials: false })).toEqual({
      "s3.region": "us-east-1",
      "client.region": "us-east-1",
    });
  });

  it("returns static, per-table and (when asked) the catalog's own config with loaded tables", async () => {
    const { catalog } = memoryCatalog();
    await catalog.createNamespace(["db"]);
    await catalog.createTable(["db"], { name: "t", schema: SCHEMA as never });
    const withConfig: Catalog = Object.assign(Object.create(catalog), {
      async loadTable(id: TableIdentifier) {
        return { ...(await catalog.loadTable(id)), config: { "from-catalog": "1", shared: "catalog" } };
      },
    });
    const perTable = await startRestCatalogServer({
      catalog: withConfig,
      port: 0,
      tableConfig: (id) => ({ table: id.name, shared: "server" }),
    });
    const forwarding = await startRestCatalogServer({
      catalog: withConfig,
      port: 0,
      forwardCatalogConfig: true,
      tableConfig: { shared: "server" },
    });
    try {
      const a = await call(perTable, "GET", "/v1/namespaces/db/tables/t");
      expect((a.json as { config: object }).config).toEqual({ table: "t", shared: "server" });
      const b = await call(forwarding, "GET", "/v1/namespaces/db/tables/t");
      expect((b.json as { config: object }).config).toEqual({ "from-catalog": "1", shared: "server" });
    } finally {
      await perTable.close();
      await forwarding.close();
    }
  });
});
