import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { type RestCatalogServer, startRestCatalogServer } from "../../../src/catalog/rest-server/index.js";
import { LocalFileIO } from "../../../src/iceberg/io/index.js";
import { call, errorOf, SCHEMA } from "./helpers.js";

// Issue 13: the REST endpoint accepted add-schema with an empty column name (finding 1) and metadata
// readers cannot use (finding 5); names over 255 bytes gave 500 ENAMETOOLONG (9). All are 400 now, with
// a message naming the field, snapshot or name. A local-directory warehouse, where long names reach
// the file system.

let dir: string;
let server: RestCatalogServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "floe-rest-names-"));
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(dir).href, io: new LocalFileIO() });
  server = await startRestCatalogServer({ catalog, port: 0 });
  expect((await call(server, "POST", "/v1/namespaces", { body: { namespace: ["db"] } })).status).toBe(200);
  const created = await call(server, "POST", "/v1/namespaces/db/tables", {
    body: { name: "t", schema: SCHEMA },
  });
  expect(created.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function commit(updates: unknown[]) {
  return call(server, "POST", "/v1/namespaces/db/tables/t", { body: { requirements: [], updates } });
}

const withField = (field: Record<string, unknown>, fields = SCHEMA.fields) => ({
  action: "add-schema",
  schema: { type: "struct", "schema-id": 1, fields: [...fields, field] },
});

describe("rest-server: names and metadata validation (issue 13)", () => {
  it("refuses add-schema with an empty column name (400)", async () => {
    const res = await commit([withField({ id: 3, name: "", type: "long", required: false })]);
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({
      type: "BadRequestException",
      message: expect.stringMatching(/field name "" is empty/),
    });
  });

  it("refuses create-table with an empty column name (400)", async () => {
    const res = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: {
        name: "empty_col",
        schema: { type: "struct", fields: [{ id: 1, name: "", type: "long", required: false }] },
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).message).toMatch(/field name "" is empty/);
  });

  it("refuses duplicate names, long -> string, a new required column and statistics for no snapshot (400)", async () => {
    const cases: [unknown[], RegExp][] = [
      [[withField({ id: 3, name: "name", type: "long", required: false })], /duplicate field name "name"/],
      [
        [
          {
            action: "add-schema",
            schema: { type: "struct", fields: [{ id: 1, name: "id", type: "string", required: true }] },
          },
        ],
        /cannot change field id \(id 1\) from long to string/,
      ],
      [[withField({ id: 3, name: "must", type: "long", required: true })], /cannot add required field must/],
      [
        [
          {
            action: "set-statistics",
            statistics: {
              "snapshot-id": 99,
              "statistics-path": `${pathToFileURL(dir).href}/db/t/metadata/s.puffin`,
            },
          },
        ],
        /snapshot 99 does not exist/,
      ],
    ];
    for (const [updates, re] of cases) {
      const res = await commit(updates);
      expect(res.status, JSON.stringify(updates)).toBe(400);
      expect(errorOf(res).message).toMatch(re);
    }
    const ok = await commit([withField({ id: 3, name: "fine", type: "long", required: false })]);
    expect(ok.status).toBe(200);
  });

  it("answers 400, not 500, for namespace and table names over 255 bytes", async () => {
    const long = "é".repeat(200); // 200 characters, 400 bytes of UTF-8
    const ns = await call(server, "POST", "/v1/namespaces", { body: { namespace: [long] } });
    expect(ns.status).toBe(400);
    expect(errorOf(ns).message).toMatch(/400 bytes of UTF-8, more than 255/);
    const table = await call(server, "POST", "/v1/namespaces/db/tables", {
      body: { name: long, schema: SCHEMA },
    });
    expect(table.status).toBe(400);
    expect(errorOf(table).message).toMatch(/invalid table name/);
    const load = await call(server, "GET", `/v1/namespaces/db/tables/${encodeURIComponent(long)}`);
    expect(load.status).toBe(400);
  });
});
