import { describe, expect, it } from "vitest";
import { RestCatalog } from "../../../src/catalog/rest/index.js";
import { failure } from "../../support/failure.js";
import { fakeServer, type Handler, hang, json, loadResult, metadataJson, restError } from "./fake.js";

const URI = "http://catalog.test:8181";
const ID = { namespace: ["db"], name: "t" };
const TOKEN = "tok-Ultra-Secret-123";

function catalogWith(routes: Record<string, Handler>, extra: { timeoutMs?: number } = {}) {
  const server = fakeServer(routes);
  const catalog = new RestCatalog({
    uri: URI,
    token: TOKEN,
    fetch: server.fetch,
    retryBaseDelayMs: 1,
    ...extra,
  });
  return { server, catalog };
}

const commit = (c: RestCatalog) => c.commitTable(ID, [], [{ action: "set-properties", updates: { k: "v" } }]);

describe("REST error mapping", () => {
  const cases: [string, number, string, string][] = [
    // operation, status, error type, expected code
    ["commit", 400, "BadRequestException", "INVALID_ARGUMENT"],
    ["commit", 401, "NotAuthorizedException", "UNAUTHORIZED"],
    ["commit", 403, "ForbiddenException", "UNAUTHORIZED"],
    ["commit", 404, "NoSuchTableException", "NOT_FOUND"],
    ["commit", 409, "CommitFailedException", "COMMIT_CONFLICT"],
    ["commit", 419, "AuthenticationTimeoutException", "UNAUTHORIZED"],
    ["commit", 500, "CommitStateUnknownException", "COMMIT_STATE_UNKNOWN"],
    ["commit", 502, "CommitStateUnknownException", "COMMIT_STATE_UNKNOWN"],
    ["commit", 503, "ServiceUnavailableException", "COMMIT_STATE_UNKNOWN"],
    ["commit", 504, "CommitStateUnknownException", "COMMIT_STATE_UNKNOWN"],
    ["createTable", 409, "AlreadyExistsException", "ALREADY_EXISTS"],
    ["createTable", 404, "NoSuchNamespaceException", "NOT_FOUND"],
    ["createNamespace", 409, "AlreadyExistsException", "ALREADY_EXISTS"],
    ["dropNamespace", 409, "NamespaceNotEmptyException", "PRECONDITION_FAILED"],
    ["dropTable", 404, "NoSuchTableException", "NOT_FOUND"],
    ["dropTable", 500, "ServerError", "SERVICE_UNAVAILABLE"],
    ["dropTable", 503, "ServiceUnavailableException", "SERVICE_UNAVAILABLE"],
    ["dropTable", 406, "UnsupportedOperationException", "UNSUPPORTED"],
  ];

  const run: Record<string, { route: string; call: (c: RestCatalog) => Promise<unknown> }> = {
    commit: { route: "POST /v1/namespaces/db/tables/t", call: commit },
    createTable: {
      route: "POST /v1/namespaces/db/tables",
      call: (c) =>
        c.createTable(["db"], {
          name: "t",
          schema: {
            type: "struct",
            "schema-id": 0,
            fields: [{ id: 1, name: "a", required: false, type: "int" }],
          },
        }),
    },
    createNamespace: { route: "POST /v1/namespaces", call: (c) => c.createNamespace(["db"]) },
    dropNamespace: { route: "DELETE /v1/namespaces/db", call: (c) => c.dropNamespace(["db"]) },
    dropTable: { route: "DELETE /v1/namespaces/db/tables/t", call: (c) => c.dropTable(ID) },
  };

  it.each(cases)("%s HTTP %i (%s) -> %s", async (op, status, type, code) => {
    const target = run[op];
    if (target === undefined) throw new Error(`no runner for ${op}`);
    const { server, catalog } = catalogWith({ [target.route]: () => restError(status, type, "went wrong") });
    const err = await failure(target.call(catalog));
    expect(err.code).toBe(code);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).toContain(type);
    expect(err.message).not.toContain("Secret.internal"); // the server's stack stays out
    expect(err.context.status).toBe(status);
    // POSTs and DELETEs are never retried (a 401 is retried only after a token refresh)
    expect(server.catalogCalls()).toHaveLength(1);
  });

  it("marks conflicts and unknown outcomes retryable, client errors not", async () => {
    const conflict = await failure(
      commit(
        catalogWith({ "POST /v1/namespaces/db/tables/t": () => restError(409, "CommitFailedException", "x") })
          .catalog,
      ),
    );
    const unknown = await failure(
      commit(catalogWith({ "POST /v1/namespaces/db/tables/t": () => restError(502, "Bad", "x") }).catalog),
    );
    const bad = await failure(
      commit(catalogWith({ "POST /v1/namespaces/db/tables/t": () => restError(400, "Bad", "x") }).catalog),
    );
    expect([conflict.retryable, unknown.retryable, bad.retryable]).toEqual([true, true, false]);
  });

  it("reads non-JSON error bodies from proxies", async () => {
    const { catalog } = catalogWith({
      "POST /v1/namespaces/db/tables/t": () => new Response("<html>Bad Gateway</html>", { status: 502 }),
    });
    const err = await failure(commit(catalog));
    expect(err.code).toBe("COMMIT_STATE_UNKNOWN");
    expect(err.message).toContain("bad gateway");
  });

  it("a commit that times out after sending has an unknown outcome", async () => {
    const { catalog } = catalogWith({ "POST /v1/namespaces/db/tables/t": hang() }, { timeoutMs: 50 });
    const err = await failure(commit(catalog));
    expect(err.code).toBe("COMMIT_STATE_UNKNOWN");
    expect(err.message).toMatch(/timed out after 50 ms/);
  });

  it("a commit refused before sending is SERVICE_UNAVAILABLE; a reset connection is unknown", async () => {
    const netError = (code: string) => () => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code}`), { code }) });
    };
    const refused = await failure(
      commit(catalogWith({ "POST /v1/namespaces/db/tables/t": netError("ECONNREFUSED") }).catalog),
    );
    expect(refused.code).toBe("SERVICE_UNAVAILABLE");
    const reset = await failure(
      commit(catalogWith({ "POST /v1/namespaces/db/tables/t": netError("ECONNRESET") }).catalog),
    );
    expect(reset.code).toBe("COMMIT_STATE_UNKNOWN");
    expect(reset.message).toContain("ECONNRESET");
  });

  it("retries idempotent GETs on 503 and timeouts, then succeeds or gives up", async () => {
    let n = 0;
    const flaky = catalogWith({
      "GET /v1/namespaces/db/tables/t": () =>
        ++n < 3 ? restError(503, "ServiceUnavailableException", "busy") : loadResult(metadataJson()),
    });
    const table = await flaky.catalog.loadTable(ID);
    expect(table.metadata["table-uuid"]).toBe("7f3c4b1e-8a52-4c0e-9a4e-2b9b3f0a1c55");
    expect(flaky.server.catalogCalls()).toHaveLength(3);

    const slow = catalogWith({ "GET /v1/namespaces/db/tables/t": hang() }, { timeoutMs: 30 });
    const err = await failure(slow.catalog.loadTable(ID));
    expect(err.code).toBe("SERVICE_UNAVAILABLE");
    expect(err.retryable).toBe(true);
    expect(slow.server.catalogCalls()).toHaveLength(3);
  });

  it("a GET answered 404 is NOT_FOUND and not retried", async () => {
    const { server, catalog } = catalogWith({
      "GET /v1/namespaces/db/tables/t": () =>
        restError(404, "NoSuchTableException", "Table does not exist: db.t"),
    });
    const err = await failure(catalog.loadTable(ID));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain("Table does not exist: db.t");
    expect(server.catalogCalls()).toHaveLength(1);
  });

  it("never puts tokens or secrets into messages, even when the server echoes them", async () => {
    const { catalog } = catalogWith({
      "POST /v1/namespaces/db/tables/t": (call) =>
        restError(403, "ForbiddenException", `token ${call.headers.get("authorization")} is not allowed`),
      "GET /v1/namespaces/db/tables/t": () => {
        throw new TypeError(`socket closed while sending Bearer ${TOKEN}`);
      },
    });
    const forbidden = await failure(commit(catalog));
    expect(forbidden.message).toContain("[redacted]");
    expect(forbidden.message).not.toContain(TOKEN);
    const network = await failure(catalog.loadTable(ID));
    expect(network.message).not.toContain(TOKEN);
    expect(JSON.stringify(network.context)).not.toContain(TOKEN);
  });

  it("a 200 commit whose body cannot be read is an unknown outcome, not a failure", async () => {
    const { catalog } = catalogWith({ "POST /v1/namespaces/db/tables/t": () => json(200, { nope: true }) });
    const err = await failure(commit(catalog));
    expect(err.code).toBe("COMMIT_STATE_UNKNOWN");
  });
});
