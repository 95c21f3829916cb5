import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import {
  type BatchResult,
  type CompactResult,
  compactAll,
  scanSnapshot,
} from "../../../src/compaction/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { buildPartitionSpec, currentSnapshot, makeSchema } from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { seededRandom } from "../../support/random.js";
import { randomChanges, UpsertModel } from "../../support/upsert-table.js";
import { freshWarehouse } from "../../support/warehouse.js";

// An upsert table as the sink leaves it (20 row deltas: a data file per partition and position
// deletes removing the rows of keys changed again or deleted), read by DuckDB, PyIceberg and Spark as
// the model (last value per key) before and after `floe compact`, which leaves no delete file.
const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "cat", required: true, type: "string" },
  { id: 3, name: "v", required: true, type: "long" },
  { id: 4, name: "note", required: false, type: "string" },
]);
const CATS = ["alpha", "beta", "gamma"];
const COMMITS = 20;
const KEYS = 200;
const CHANGES = 120;

function digest(rows: readonly Record<string, unknown>[]) {
  const lines = canonRows(schema, rows).map((r) => JSON.stringify(r));
  const h = createHash("sha256");
  for (const l of lines) h.update(l).update("\n");
  return { count: lines.length, hash: h.digest("hex") };
}

describe("compaction of an upsert table", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let table: Table;
  let duck: Awaited<ReturnType<typeof openDuckDB>>;
  let model: ReturnType<typeof digest>;
  let before: { snapshot: bigint; location: string; data: number; deletes: number };
  let batch: BatchResult<CompactResult>;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    duck = await openDuckDB();
    await wh.catalog.createNamespace(["db"]);
    const spec = buildPartitionSpec(schema, [{ source: "cat", transform: "identity" }]);
    table = new Table(
      wh.catalog,
      await wh.catalog.createTable(["db"], { name: "upserts", schema, spec }),
      wh.io,
    );
    const upserts = new UpsertModel("id", (row) => [row.cat as string]);
    const next = randomChanges(seededRandom(17), KEYS, 0.08, (id, v) => ({
      id,
      cat: CATS[Number(id) % 3],
      v,
      note: v % 5n === 0n ? null : `change ${v}`,
    }));
    for (let c = 0; c < COMMITS; c++) await upserts.commit(table, next(CHANGES));
    model = digest(upserts.rows());
    const files = await scanSnapshot(wh.io, currentSnapshot(table.metadata));
    before = {
      snapshot: table.metadata["current-snapshot-id"] ?? 0n,
      location: table.metadataLocation,
      data: files.data.length,
      deletes: files.deletes.length,
    };
    batch = await compactAll(wh.catalog, wh.io, { tables: [table.identifier] });
    await table.refresh();
  }, 300_000);
  afterAll(() => duck?.close());

  it("compacts into one file per partition with no delete file left", async () => {
    expect(before.data).toBe(COMMITS * CATS.length);
    expect(before.deletes).toBeGreaterThanOrEqual((COMMITS - 1) * CATS.length);
    const [result] = batch.tables;
    expect(result?.status).toBe("ok");
    expect(result?.deleteFilesBefore).toBe(before.deletes);
    expect(result?.deleteFilesAfter).toBe(0);
    const after = await scanSnapshot(wh.io, currentSnapshot(table.metadata));
    expect(after.deletes).toEqual([]);
    expect(after.data).toHaveLength(CATS.length);
    expect(after.data.reduce((n, d) => n + Number(d.file.record_count), 0)).toBe(model.count);
    expect(currentSnapshot(table.metadata)?.summary).toMatchObject({
      operation: "replace",
      "total-delete-files": "0",
      "total-position-deletes": "0",
      "total-records": String(model.count),
    });
  });

  it("DuckDB reads the model before and after", async () => {
    const read = async (snapshot?: bigint) =>
      digest(
        await query(
          duck.conn,
          `SELECT * FROM iceberg_scan('${table.metadataLocation}'${snapshot === undefined ? "" : `, snapshot_from_id => ${snapshot}`})`,
        ),
      );
    expect(await read(before.snapshot)).toEqual(model);
    expect(await read()).toEqual(model);
  });

  it("PyIceberg reads the model before and after", async () => {
    const read = (location: string) =>
      runPython<{ rows: Record<string, unknown>[]; files: number }>("read_pyiceberg.py", [location]);
    const old = await read(before.location);
    expect(digest(old.rows)).toEqual(model);
    const now = await read(table.metadataLocation);
    expect(now.files).toBe(CATS.length);
    expect(digest(now.rows)).toEqual(model);
  });

  it("Spark reads the model before and after", async () => {
    const out = await runPython<{ results: { rows: Record<string, unknown>[] }[] }>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT * FROM local.db.upserts VERSION AS OF ${before.snapshot}` },
          { sql: "SELECT * FROM local.db.upserts" },
        ]),
      ],
      { env: { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse } },
    );
    expect(digest(out.results[0]?.rows ?? [])).toEqual(model);
    expect(digest(out.results[1]?.rows ?? [])).toEqual(model);
  });
});
