import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import { type CompactResult, compactTable } from "../../../src/compaction/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { openDuckDB } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { appendMany, createEventsTable, digest, duckDigest, filesPerPartition, pyDigest } from "./support.js";

// 300 appends of 10 rows (3 partitions -> 900 files of a few rows), compacted with a 128 KiB target:
// every partition ends within the first-fit-decreasing bound, and DuckDB, PyIceberg and Spark read
// exactly the same rows before and after.
const APPENDS = 300;
const ROWS = 10;
const TARGET = 128 * 1024;

describe("compaction of 300 small appends", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let table: Table;
  let duck: Awaited<ReturnType<typeof openDuckDB>>;
  let beforeSnapshot: bigint;
  let beforeLocation: string;
  let before: { count: number; hash: string };
  let partitionsBefore: Map<string, { files: number; bytes: number }>;
  let result: CompactResult;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    duck = await openDuckDB();
    table = await createEventsTable(wh.catalog, wh.io, "events");
    await appendMany(table, APPENDS, ROWS);
    beforeSnapshot = table.metadata["current-snapshot-id"] ?? 0n;
    beforeLocation = table.metadataLocation;
    before = await duckDigest(duck.conn, beforeLocation);
    partitionsBefore = await filesPerPartition(table);
    result = await compactTable(table, { targetFileSizeBytes: TARGET });
  }, 900_000);
  afterAll(() => duck?.close());

  it("rewrites every small file into files within the bin-pack bound per partition", async () => {
    expect(before.count).toBe(APPENDS * ROWS);
    expect([...partitionsBefore.values()].map((p) => p.files)).toEqual([APPENDS, APPENDS, APPENDS]);
    expect(result.status).toBe("ok");
    expect(result.plan?.candidateFiles).toBe(3 * APPENDS);
    expect(result.rewrite?.groupsFailed).toBe(0);
    expect(result.rewrite?.filesRewritten).toBe(3 * APPENDS);
    const after = await filesPerPartition(table);
    expect([...after.keys()].sort()).toEqual([...partitionsBefore.keys()].sort());
    for (const [cat, p] of after) {
      const input = partitionsBefore.get(cat)?.bytes ?? 0;
      const groups = result.plan?.groups.filter((g) => g.partition.cat === cat).length ?? 0;
      // One output file per group, and first fit decreasing uses fewer than 2 * total / capacity + 1 bins.
      expect(p.files).toBe(groups);
      expect(p.files).toBeLessThan((2 * input) / TARGET + 1);
      expect(p.files).toBeGreaterThanOrEqual(Math.ceil(input / TARGET));
    }
    expect(result.filesAfter).toBe([...after.values()].reduce((n, p) => n + p.files, 0));
    const head = table.metadata.snapshots.at(-1);
    expect(head?.summary.operation).toBe("replace");
    expect(head?.summary["total-records"]).toBe(String(APPENDS * ROWS));
  });

  it("DuckDB reads the same rows before and after", async () => {
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(before);
    // The old snapshot still time-travels to the same rows (its files are not expired yet).
    expect(await duckDigest(duck.conn, table.metadataLocation, beforeSnapshot)).toEqual(before);
  });

  it("PyIceberg reads the same rows before and after; partition values and metrics match its own", async () => {
    const old = await pyDigest(beforeLocation);
    expect(old.files).toBe(3 * APPENDS);
    expect({ count: old.count, hash: old.hash }).toEqual(before);
    const [checked] = await runPython<
      { files: number; mismatches: unknown[]; rows: Record<string, unknown>[] }[]
    >("check_files.py", [table.metadataLocation]);
    expect(checked?.mismatches).toEqual([]);
    expect(checked?.files).toBe(result.filesAfter);
    expect(digest(checked?.rows ?? [])).toEqual(before);
  });

  it("Spark reads the same rows before and after", async () => {
    const out = await runPython<{ results: { rows: Record<string, unknown>[] }[] }>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT * FROM local.db.events VERSION AS OF ${beforeSnapshot}` },
          { sql: "SELECT * FROM local.db.events", metrics: true },
        ]),
      ],
      { env: { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse } },
    );
    expect(digest(out.results[0]?.rows ?? [])).toEqual(before);
    expect(digest(out.results[1]?.rows ?? [])).toEqual(before);
  });
});
