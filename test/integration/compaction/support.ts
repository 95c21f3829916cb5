import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Catalog, Table } from "../../../src/catalog/index.js";
import { scanSnapshot } from "../../../src/compaction/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import {
  buildPartitionSpec,
  MAIN_BRANCH,
  makeSchema,
  snapshotForRef,
} from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";

/** A Kafka-sink-like event table, partitioned by category. Spark-safe types (no `time`). */
export const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "cat", required: true, type: "string" },
  { id: 3, name: "n", required: false, type: "int" },
  { id: 4, name: "ts", required: false, type: "timestamptz" },
  { id: 5, name: "note", required: false, type: "string" },
]);
export const CATS = ["alpha", "beta", "gamma"];

export type EventRow = { id: bigint; cat: string; n: number | null; ts: bigint | null; note: string | null };

/** Deterministic rows for ids [from, from + count). */
export function eventRows(from: number, count: number): EventRow[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return {
      id: BigInt(id),
      cat: CATS[id % CATS.length] as string,
      n: id % 7 === 0 ? null : (id * 37) % 1000,
      ts: id % 11 === 0 ? null : 1_700_000_000_000_000n + BigInt(id) * 1_000_003n,
      note: id % 5 === 0 ? null : `event ${id} ${"x".repeat(id % 13)}`,
    };
  });
}

export async function createEventsTable(
  catalog: Catalog,
  io: FileIO,
  name: string,
  properties: Record<string, string> = {},
): Promise<Table> {
  if (!(await catalog.namespaceExists(["db"]))) await catalog.createNamespace(["db"]);
  const spec = buildPartitionSpec(schema, [{ source: "cat", transform: "identity" }]);
  return new Table(catalog, await catalog.createTable(["db"], { name, schema, spec, properties }), io);
}

/** `count` appends of `rowsPer` rows each (ids continue from `from`), each carrying sink offsets. */
export async function appendMany(table: Table, count: number, rowsPer: number, from = 0): Promise<number> {
  let id = from;
  for (let a = 0; a < count; a++) {
    await (await table.newAppend().appendRows(eventRows(id, rowsPer))).commit({
      summary: { "floe.offsets.test": JSON.stringify({ events: { "0": String(id + rowsPer) } }) },
    });
    id += rowsPer;
  }
  return id;
}

/** Canonical rows as JSON lines, sorted, and their SHA-256. */
export function digest(rows: readonly unknown[]): { count: number; hash: string } {
  const lines = canonRows(schema, rows as Record<string, unknown>[]).map((r) => JSON.stringify(r));
  const h = createHash("sha256");
  for (const l of lines) h.update(l).update("\n");
  return { count: lines.length, hash: h.digest("hex") };
}

export async function duckDigest(conn: DuckDBConnection, metadataLocation: string, snapshotId?: bigint) {
  const at = snapshotId === undefined ? "" : `, snapshot_from_id => ${snapshotId}`;
  return digest(await query(conn, `SELECT * FROM iceberg_scan('${metadataLocation}'${at})`));
}

export async function pyDigest(metadataLocation: string, snapshotId?: bigint) {
  const out = await runPython<{ rows: Record<string, unknown>[]; files: number }>("read_pyiceberg.py", [
    metadataLocation,
    ...(snapshotId === undefined ? [] : [String(snapshotId)]),
  ]);
  return { ...digest(out.rows), files: out.files };
}

/** Live data file count per partition value of main's head. */
export async function filesPerPartition(
  table: Table,
): Promise<Map<string, { files: number; bytes: number }>> {
  const files = await scanSnapshot(table.io, snapshotForRef(table.metadata, MAIN_BRANCH));
  const out = new Map<string, { files: number; bytes: number }>();
  for (const d of files.data) {
    const key = String(d.file.partition.cat);
    const cur = out.get(key) ?? { files: 0, bytes: 0 };
    out.set(key, { files: cur.files + 1, bytes: cur.bytes + Number(d.file.file_size_in_bytes) });
  }
  return out;
}
