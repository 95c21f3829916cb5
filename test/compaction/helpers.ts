import { createHash } from "node:crypto";
import type { Table } from "../../src/catalog/index.js";
import {
  applyDeletes,
  conformToSchema,
  DeleteIndex,
  type EqualityDeleteSet,
  equalityDeleteSet,
  parquetToArrow,
  positionsFor,
  scanSnapshot,
  unpartitionedSpecIds,
} from "../../src/compaction/index.js";
import { currentSchema, MAIN_BRANCH, snapshotById, snapshotForRef } from "../../src/iceberg/spec/index.js";

/** JSON text of a row with bigints and bytes made comparable. */
export function rowKey(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_k, v) =>
    typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
  );
}

/**
 * The rows a reader sees in a snapshot (default main's head), deletes applied, as sorted JSON texts.
 * Our own merge-on-read, for unit tests; the integration tests read with DuckDB, PyIceberg and Spark.
 */
export async function liveRows(table: Table, snapshotId?: bigint): Promise<string[]> {
  const md = table.metadata;
  const snapshot = snapshotId === undefined ? snapshotForRef(md, MAIN_BRANCH) : snapshotById(md, snapshotId);
  const files = await scanSnapshot(table.io, snapshot);
  const index = new DeleteIndex(files.deletes, unpartitionedSpecIds(md["partition-specs"]));
  const schema = currentSchema(md);
  const out: string[] = [];
  for (const d of files.data) {
    let t = conformToSchema(parquetToArrow(await table.io.read(d.file.file_path)), schema);
    const positions = new Set<number>();
    const eq: EqualityDeleteSet[] = [];
    for (const del of index.deletesFor(d)) {
      const dt = parquetToArrow(await table.io.read(del.file.file_path));
      if (del.file.content === 1) positionsFor(dt, d.file.file_path, positions);
      else eq.push(equalityDeleteSet(dt, del.file.equality_ids ?? [], schema));
    }
    t = applyDeletes(t, positions, eq).table;
    for (const row of t.toArray()) out.push(rowKey(row.toJSON() as Record<string, unknown>));
  }
  return out.sort();
}

export function hashRows(rows: readonly string[]): string {
  const h = createHash("sha256");
  for (const r of [...rows].sort()) h.update(r).update("\n");
  return h.digest("hex");
}

/** Live data files per partition (JSON of the partition tuple) of main's head. */
export async function filesPerPartition(table: Table): Promise<Map<string, number>> {
  const files = await scanSnapshot(table.io, snapshotForRef(table.metadata, MAIN_BRANCH));
  const out = new Map<string, number>();
  for (const d of files.data) {
    const key = rowKey(d.file.partition as Record<string, unknown>);
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}
