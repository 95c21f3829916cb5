import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import {
  buildPartitionSpec,
  currentSchema,
  makeSchema,
  type Schema,
} from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";

// One table per partition transform. Each is read back by DuckDB and PyIceberg, and for every data
// file PyIceberg recomputes the partition tuple (its own transforms over every row) and the file
// metrics (from the Parquet footer): both must equal what Floe put in the manifest.
const schema: Schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "ts", required: false, type: "timestamptz" },
  { id: 3, name: "lts", required: false, type: "timestamp" },
  { id: 4, name: "dt", required: false, type: "date" },
  { id: 5, name: "name", required: false, type: "string" },
  { id: 6, name: "n", required: false, type: "int" },
  { id: 7, name: "amount", required: false, type: "decimal(10, 2)" },
  { id: 8, name: "u", required: false, type: "uuid" },
]);

const TRANSFORMS: [string, string][] = [
  ["name", "identity"],
  ["dt", "identity"],
  ["id", "bucket[8]"],
  ["name", "bucket[4]"],
  ["amount", "bucket[4]"],
  ["u", "bucket[4]"],
  ["name", "truncate[3]"],
  ["n", "truncate[10]"],
  ["amount", "truncate[1000]"],
  ["ts", "year"],
  ["ts", "month"],
  ["ts", "day"],
  ["ts", "hour"],
  ["lts", "day"],
  ["dt", "month"],
  ["n", "void"],
];

const HOUR = 3_600_000_000n;
const NAMES = ["alpha", "beta", "gamma", "delta", "épsilon", "a/b c", "", null];

function rows(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 48; i++) {
    const ts = (BigInt(i) - 10n) * 811n * HOUR + 123_456n; // spans 1969 to 1970s, every hour and month
    out.push({
      id: BigInt(i * 7919),
      ts: i % 11 === 5 ? null : ts,
      lts: ts * 3n,
      dt: i % 13 === 3 ? null : (i - 20) * 45,
      name: NAMES[i % NAMES.length],
      n: i % 9 === 4 ? null : (i - 24) * 3,
      amount: i % 10 === 7 ? null : BigInt((i - 24) * 12_345),
      u: i % 12 === 6 ? null : `${i.toString(16).padStart(8, "0")}-0000-4000-8000-00000000000${i % 10}`,
    });
  }
  return out;
}

describe("partitioned writes: one table per transform", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let duck: Awaited<ReturnType<typeof openDuckDB>>;
  const tables: { transform: string; table: Table }[] = [];
  const data = rows();

  beforeAll(async () => {
    wh = await freshWarehouse("s3");
    duck = await openDuckDB();
    await wh.catalog.createNamespace(["parts"]);
    for (const [source, transform] of TRANSFORMS) {
      const sourceId = schema.fields.find((f) => f.name === source)?.id ?? 0;
      const spec = buildPartitionSpec(schema, [{ source: sourceId, transform }]);
      const name = `${source}_${transform.replace(/\W+/g, "_")}`.replace(/_$/, "");
      const loaded = await wh.catalog.createTable(["parts"], { name, schema, spec });
      const table = new Table(wh.catalog, loaded, wh.io);
      await (await table.newAppend().appendRows(data)).commit();
      tables.push({ transform: `${transform}(${source})`, table });
    }
  });
  afterAll(() => duck?.close());

  it("fans rows out into one file per partition value", () => {
    const files = (t: Table) => Number(t.metadata.snapshots.at(-1)?.summary["added-data-files"]);
    const byTransform = Object.fromEntries(tables.map(({ transform, table }) => [transform, files(table)]));
    expect(byTransform["void(n)"]).toBe(1);
    expect(byTransform["identity(name)"]).toBe(NAMES.length);
    expect(byTransform["bucket[8](id)"]).toBeGreaterThan(4);
    expect(byTransform["year(ts)"]).toBeGreaterThan(2);
    expect(byTransform["hour(ts)"]).toBeGreaterThan(40);
  });

  it("DuckDB reads every table back exactly", async () => {
    for (const { transform, table } of tables) {
      const got = await query(duck.conn, `SELECT * FROM iceberg_scan('${table.metadataLocation}')`);
      expect(canonRows(currentSchema(table.metadata), got), transform).toEqual(canonRows(schema, data));
    }
  });

  it("PyIceberg reads every table back, and its partition values and metrics equal ours", async () => {
    const out = await runPython<
      { files: number; mismatches: unknown[]; partitions: unknown[][]; rows: Record<string, unknown>[] }[]
    >(
      "check_files.py",
      tables.map((t) => t.table.metadataLocation),
    );
    expect(out).toHaveLength(tables.length);
    out.forEach((result, i) => {
      const { transform, table } = tables[i] ?? { transform: "?", table: undefined };
      expect(result.files, transform).toBe(
        Number(table?.metadata.snapshots.at(-1)?.summary["total-data-files"]),
      );
      expect(result.mismatches, transform).toEqual([]);
      expect(canonRows(schema, result.rows), transform).toEqual(canonRows(schema, data));
    });
  });
});
