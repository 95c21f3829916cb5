import { describe, expect, it } from "vitest";
import { type Catalog, RestCatalog, startRestCatalogServer, Table } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { liveEntries } from "../../../src/iceberg/snapshot/index.js";
import {
  COMMIT_MAX_RETRY_WAIT_MS,
  COMMIT_MIN_RETRY_WAIT_MS,
  COMMIT_NUM_RETRIES,
  currentSnapshot,
  makeSchema,
} from "../../../src/iceberg/spec/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse, stackFileIO } from "../../support/warehouse.js";

// 8 writers x 25 appends to one table at once, through each catalog that enforces atomic commits:
// every append lands exactly once (200 snapshots, 200 distinct rows), none is lost or duplicated.
const WRITERS = 8;
const APPENDS = 25;
const schema = makeSchema([
  { id: 1, name: "writer", required: true, type: "int" },
  { id: 2, name: "seq", required: true, type: "int" },
]);

async function hammer(catalog: Catalog, io: FileIO, namespace: string) {
  if (!(await catalog.namespaceExists([namespace]))) await catalog.createNamespace([namespace]);
  // Every append must land: the retry budget is the table's (commit.retry.*), generous and quick here.
  const properties = {
    [COMMIT_NUM_RETRIES]: "199",
    [COMMIT_MIN_RETRY_WAIT_MS]: "25",
    [COMMIT_MAX_RETRY_WAIT_MS]: "2500",
  };
  const created = await catalog.createTable([namespace], { name: "hammered", schema, properties });
  const id = created.identifier;
  const stats = { attempts: 0, conflicts: 0, unknown: 0 };
  const count = (r: { attempts: number; conflicts: number; unknownOutcomes: number }) => {
    stats.attempts += r.attempts;
    stats.conflicts += r.conflicts;
    stats.unknown += r.unknownOutcomes;
  };
  const tables = await Promise.all(
    Array.from({ length: WRITERS }, async () => new Table(catalog, await catalog.loadTable(id), io)),
  );
  // The first appends' files are written before any commit, so those 8 commits start together against
  // one base (Parquet encoding is serialised on one thread); the rest run free.
  const first = await Promise.all(tables.map((t, w) => t.newAppend().appendRows([{ writer: w, seq: 0 }])));
  for (const r of await Promise.all(first.map((op) => op.commit()))) count(r);
  await Promise.all(
    tables.map(async (table, w) => {
      for (let i = 1; i < APPENDS; i++) {
        const op = await table.newAppend().appendRows([{ writer: w, seq: i }]);
        count(await op.commit());
      }
    }),
  );
  const final = await catalog.loadTable(id);
  const entries = await liveEntries(io, currentSnapshot(final.metadata));
  return { stats, final, files: entries.length };
}

async function check(label: string, catalog: Catalog, io: FileIO, namespace: string) {
  const { stats, final, files } = await hammer(catalog, io, namespace);
  console.log(`concurrency ${label}: ${JSON.stringify({ commits: WRITERS * APPENDS, ...stats, files })}`);
  expect(final.metadata.snapshots).toHaveLength(WRITERS * APPENDS);
  expect(files).toBe(WRITERS * APPENDS);
  expect(currentSnapshot(final.metadata)?.summary["total-records"]).toBe(String(WRITERS * APPENDS));
  expect(stats.conflicts).toBeGreaterThan(0);
  expect(stats.attempts).toBe(WRITERS * APPENDS + stats.conflicts + stats.unknown);
  const duck = await openDuckDB();
  try {
    const rows = await query(
      duck.conn,
      `SELECT count(*) AS n, count(DISTINCT (writer, seq)) AS d FROM iceberg_scan('${final.metadataLocation}')`,
    );
    expect(rows[0]).toEqual({ n: 200n, d: 200n });
  } finally {
    duck.close();
  }
}

describe("8 writers x 25 appends to one table", () => {
  it("embedded catalog on local disk", async () => {
    const wh = await freshWarehouse("local");
    await check("embedded/local", wh.catalog, wh.io, "db");
  });

  it("embedded catalog on S3 (If-None-Match)", async () => {
    const wh = await freshWarehouse("s3");
    await check("embedded/s3", wh.catalog, wh.io, "db");
  });

  it("Floe's own REST catalog server (embedded catalog on S3 behind it)", async () => {
    const wh = await freshWarehouse("s3");
    const server = await startRestCatalogServer({ catalog: wh.catalog, port: 0 });
    try {
      await check("floe-rest-server", new RestCatalog({ uri: server.url }), wh.io, "db");
    } finally {
      await server.close();
    }
  });

  it("the Iceberg REST reference server", async () => {
    const catalog = new RestCatalog({ uri: stackEnv().FLOE_REST_URI });
    await check("rest-reference", catalog, stackFileIO(), uniqueName("conc"));
  });
});
