import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { makeSchema } from "../../../src/iceberg/spec/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";

// 100 appends make 100 snapshots; time travel to an early one returns only the rows it held.
const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "batch", required: true, type: "int" },
]);
const SNAPSHOTS = 100;
const ROWS_PER_APPEND = 3;

describe("100 snapshots and time travel", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let table: Table;
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    duck = await openDuckDB();
    await wh.catalog.createNamespace(["db"]);
    table = new Table(wh.catalog, await wh.catalog.createTable(["db"], { name: "history", schema }), wh.io);
    for (let b = 0; b < SNAPSHOTS; b++) {
      const rows = Array.from({ length: ROWS_PER_APPEND }, (_, i) => ({
        id: BigInt(b * ROWS_PER_APPEND + i),
        batch: b,
      }));
      await (await table.newAppend().appendRows(rows)).commit({ summary: { "floe.batch": String(b) } });
    }
  }, 300_000);
  afterAll(() => duck?.close());

  it("keeps every snapshot in order with parent links, summaries and totals", () => {
    const snaps = table.metadata.snapshots;
    expect(snaps).toHaveLength(SNAPSHOTS);
    expect(table.metadata["snapshot-log"]).toHaveLength(SNAPSHOTS);
    snaps.forEach((s, i) => {
      expect(s["sequence-number"]).toBe(BigInt(i + 1));
      expect(s["parent-snapshot-id"]).toBe(i === 0 ? undefined : snaps[i - 1]?.["snapshot-id"]);
      expect(s.summary["floe.batch"]).toBe(String(i));
      expect(s.summary["total-records"]).toBe(String((i + 1) * ROWS_PER_APPEND));
    });
    expect(table.metadataLocation).toMatch(/v101\.metadata\.json$/);
  });

  it("DuckDB reads the latest and an early snapshot", async () => {
    const latest = await query(
      duck.conn,
      `SELECT count(*) AS n FROM iceberg_scan('${table.metadataLocation}')`,
    );
    expect(latest[0]?.n).toBe(BigInt(SNAPSHOTS * ROWS_PER_APPEND));
    const fifth = table.metadata.snapshots[4]?.["snapshot-id"];
    const early = await query(
      duck.conn,
      `SELECT max(batch) AS b, count(*) AS n FROM iceberg_scan('${table.metadataLocation}', snapshot_from_id => ${fifth})`,
    );
    expect(early[0]).toEqual({ b: 4, n: 15n });
  });

  it("DuckDB reads the table straight from its directory (version-hint.text holds the bare number)", async () => {
    const location = table.metadata.location;
    const hint = new TextDecoder().decode(await wh.io.read(`${location}/metadata/version-hint.text`));
    expect(hint).toBe(String(SNAPSHOTS + 1));
    const dir = new URL(location).pathname; // DuckDB takes a plain path for local tables
    const out = await query(duck.conn, `SELECT count(*) AS n FROM iceberg_scan('${dir}')`);
    expect(out[0]?.n).toBe(BigInt(SNAPSHOTS * ROWS_PER_APPEND));
  });

  it("DuckDB reads an S3 table of the embedded catalog from its directory", async () => {
    const s3 = await freshWarehouse("s3");
    await s3.catalog.createNamespace(["db"]);
    const t = new Table(s3.catalog, await s3.catalog.createTable(["db"], { name: "dir", schema }), s3.io);
    await (await t.newAppend().appendRows([{ id: 1n, batch: 0 }])).commit();
    await (await t.newAppend().appendRows([{ id: 2n, batch: 1 }])).commit();
    const out = await query(
      duck.conn,
      `SELECT count(*) AS n, max(batch) AS b FROM iceberg_scan('${t.metadata.location}')`,
    );
    expect(out[0]).toEqual({ n: 2n, b: 1 });
  });

  it("PyIceberg time-travels to the fifth snapshot", async () => {
    const fifth = String(table.metadata.snapshots[4]?.["snapshot-id"]);
    const out = await runPython<{ rows: { id: string; batch: string }[] }>("read_pyiceberg.py", [
      table.metadataLocation,
      fifth,
    ]);
    expect(out.rows.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 15 }, (_, i) => i),
    );
  });

  it("Spark time-travels to the fifth and the fiftieth snapshot", async () => {
    const id = (i: number) => String(table.metadata.snapshots[i]?.["snapshot-id"]);
    const out = await runPython<{ results: { rows: Record<string, string>[] }[] }>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT count(*) AS n, max(batch) AS b FROM local.db.history VERSION AS OF ${id(4)}` },
          { sql: `SELECT count(*) AS n, max(batch) AS b FROM local.db.history VERSION AS OF ${id(49)}` },
          { sql: "SELECT count(*) AS n FROM local.db.history" },
        ]),
      ],
      { env: { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse } },
    );
    expect(out.results.map((r) => r.rows[0])).toEqual([
      { n: "15", b: "4" },
      { n: "150", b: "49" },
      { n: "300" },
    ]);
  });
});
