/**
 * Issue 13, findings 2 and 3 at the REST endpoint: commits naming a statistics file, a partition
 * statistics file or a manifest list outside the table's location are refused with 400, unless the
 * server allows foreign paths.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Table } from "../../../src/catalog/index.js";
import { checkUpdatePaths, updatePaths } from "../../../src/catalog/rest-server/foreign-paths.js";
import type { RestCatalogServer } from "../../../src/catalog/rest-server/index.js";
import { makeSchema } from "../../../src/iceberg/spec/index.js";
import { call, serve } from "./helpers.js";

const schema = makeSchema([{ id: 1, name: "id", required: true, type: "long" }]);
let server: RestCatalogServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(allowForeignPaths?: boolean) {
  const s = await serve(allowForeignPaths === undefined ? {} : { allowForeignPaths });
  server = s.server;
  await s.catalog.createNamespace(["db"]);
  const a = new Table(s.catalog, await s.catalog.createTable(["db"], { name: "a", schema }), s.io);
  const b = new Table(s.catalog, await s.catalog.createTable(["db"], { name: "b", schema }), s.io);
  await (await a.newAppend().appendRows([{ id: 1n }])).commit();
  await (await b.newAppend().appendRows([{ id: 2n }])).commit();
  return { ...s, a, b };
}

const stats = (snapshotId: bigint, path: string) => ({
  action: "set-statistics",
  statistics: {
    "snapshot-id": snapshotId,
    "statistics-path": path,
    "file-size-in-bytes": 8,
    "file-footer-size-in-bytes": 0,
    "blob-metadata": [],
  },
});

const addSnapshot = (manifestList: string) => ({
  action: "add-snapshot",
  snapshot: {
    "snapshot-id": 4242n,
    "parent-snapshot-id": null,
    "sequence-number": 5n,
    "timestamp-ms": 1_800_000_000_000,
    "manifest-list": manifestList,
    summary: { operation: "append" },
  },
});

const commit = (s: RestCatalogServer, updates: unknown[]) =>
  call(s, "POST", "/v1/namespaces/db/tables/a", { body: { requirements: [], updates } });

describe("REST endpoint: paths outside the table's location", () => {
  it("refuses set-statistics with a statistics-path elsewhere (400)", async () => {
    const { server: s, a, catalog } = await setup();
    const snap = a.metadata["current-snapshot-id"] ?? 0n;
    for (const path of [
      "file:///elsewhere/x.puffin",
      "memory://wh/db/b/metadata/x.puffin",
      "memory://wh/db/a/metadata/../../b/metadata/x.puffin",
      "memory://wh/db/a2/metadata/x.puffin",
    ]) {
      const r = await commit(s, [stats(snap, path)]);
      expect(r.status, path).toBe(400);
      expect(r.json).toMatchObject({
        error: { type: "BadRequestException", message: expect.stringContaining("--allow-foreign-paths") },
      });
    }
    expect((await catalog.loadTable({ namespace: ["db"], name: "a" })).metadata.statistics).toEqual([]);
    const ok = await commit(s, [stats(snap, `${a.metadata.location}/metadata/own.puffin`)]);
    expect(ok.status).toBe(200);
  });

  it("refuses set-partition-statistics with a path elsewhere (400)", async () => {
    const { server: s, a } = await setup();
    // The update parser does not know this action yet; the path check already covers it.
    const update = {
      action: "set-partition-statistics",
      "partition-statistics": { "snapshot-id": 1n, "statistics-path": "file:///elsewhere/p.parquet" },
    } as never;
    expect(updatePaths(update)).toEqual([["partition statistics-path", "file:///elsewhere/p.parquet"]]);
    const loaded = await a.catalog.loadTable(a.identifier);
    expect(() => checkUpdatePaths(loaded, [update])).toThrow(/not a file of table db\.a/);
    const r = await commit(s, [
      {
        action: "set-partition-statistics",
        "partition-statistics": {
          "snapshot-id": a.metadata["current-snapshot-id"],
          "statistics-path": "file:///elsewhere/p.parquet",
          "file-size-in-bytes": 8,
        },
      },
    ]);
    expect(r.status).toBe(400);
  });

  it("refuses add-snapshot whose manifest list is another table's (400)", async () => {
    const { server: s, b, catalog } = await setup();
    const bList = b.metadata.snapshots.at(-1)?.["manifest-list"] ?? "";
    const r = await commit(s, [addSnapshot(bList)]);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { message: expect.stringContaining(bList) } });
    const a = await catalog.loadTable({ namespace: ["db"], name: "a" });
    expect(a.metadata.snapshots.some((x) => x["snapshot-id"] === 4242n)).toBe(false);
  });

  it("accepts foreign paths when the server allows them", async () => {
    const { server: s, b, catalog } = await setup(true);
    const bList = b.metadata.snapshots.at(-1)?.["manifest-list"] ?? "";
    expect((await commit(s, [addSnapshot(bList)])).status).toBe(200);
    expect((await commit(s, [stats(4242n, "file:///elsewhere/x.puffin")])).status).toBe(200);
    const a = await catalog.loadTable({ namespace: ["db"], name: "a" });
    expect(a.metadata.statistics.map((x) => x["statistics-path"])).toEqual(["file:///elsewhere/x.puffin"]);
  });
});
