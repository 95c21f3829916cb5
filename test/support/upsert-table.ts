/**
 * Builds tables the way an upsert sink leaves them, through the transaction API: each commit is one
 * row delta adding a data file per partition for the commit's rows (last change per key wins) and
 * position delete files removing the rows those keys had in earlier commits (and the rows of deleted
 * keys). The model (last value per key) is what every reader must return. Its row locations are
 * those of the commits made through it: build the table first, then compact it.
 */
import type { Table } from "../../src/catalog/index.js";
import type { DataFile, PrimitiveValue } from "../../src/iceberg/spec/index.js";
import { type PositionDelete, writePositionDeletes } from "../../src/iceberg/write/index.js";

export type UpsertRow = Record<string, unknown>;

/** A change: a row to keep for its key, or the key of a row to delete. */
export type UpsertChange = { op: "upsert"; row: UpsertRow } | { op: "delete"; key: PrimitiveValue };

interface Live {
  row: UpsertRow;
  path: string;
  pos: number;
  partition: (PrimitiveValue | null)[];
}

export interface CommitCounts {
  dataFiles: number;
  deleteFiles: number;
  positionDeletes: number;
}

/** The live row per key and where it is, kept in step with the commits made through it. */
export class UpsertModel {
  private readonly live = new Map<string, Live>();

  constructor(
    readonly key: string,
    /** The partition tuple of a row (spec field order); [] for an unpartitioned table. */
    private readonly partitionOf: (row: UpsertRow) => (PrimitiveValue | null)[] = () => [],
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** The live rows (any order). */
  rows(): UpsertRow[] {
    return [...this.live.values()].map((l) => l.row);
  }

  /** The live rows of the data file `path` with their positions (before any compaction). */
  locate(path: string): { row: UpsertRow; pos: number }[] {
    return [...this.live.values()].filter((l) => l.path === path).map((l) => ({ row: l.row, pos: l.pos }));
  }

  /** Commits `changes` as one row delta (data files + position deletes + summary), updating the model. */
  async commit(
    table: Table,
    changes: readonly UpsertChange[],
    summary: Readonly<Record<string, string>> = {},
  ): Promise<CommitCounts> {
    const last = new Map<string, UpsertChange>();
    for (const c of changes) last.set(keyText(c.op === "upsert" ? c.row[this.key] : c.key), c);
    const byPartition = new Map<string, { tuple: (PrimitiveValue | null)[]; rows: UpsertRow[] }>();
    const deletes = new Map<string, { tuple: (PrimitiveValue | null)[]; positions: PositionDelete[] }>();
    const superseded = (k: string) => {
      const old = this.live.get(k);
      if (old === undefined) return;
      const pk = JSON.stringify(old.partition);
      const d = deletes.get(pk) ?? { tuple: old.partition, positions: [] };
      d.positions.push({ path: old.path, pos: BigInt(old.pos) });
      deletes.set(pk, d);
    };
    for (const [k, c] of last) {
      superseded(k);
      if (c.op === "delete") continue;
      const tuple = this.partitionOf(c.row);
      const pk = JSON.stringify(tuple);
      const p = byPartition.get(pk) ?? { tuple, rows: [] };
      p.rows.push(c.row);
      byPartition.set(pk, p);
    }
    const dataFiles: DataFile[] = [];
    const placed: [string, Live][] = [];
    const writer = table.dataFileWriter({ maxRowsPerFile: Number.MAX_SAFE_INTEGER });
    for (const { tuple, rows } of byPartition.values()) {
      const files = await writer.writeRowsIn(rows, tuple);
      if (files.length !== 1) throw new Error(`expected one data file per partition, got ${files.length}`);
      const path = (files[0] as DataFile).file_path;
      dataFiles.push(...files);
      rows.forEach((row, pos) => {
        placed.push([keyText(row[this.key]), { row, path, pos, partition: tuple }]);
      });
    }
    const deleteFiles: DataFile[] = [];
    const referenced = new Set<string>();
    for (const { tuple, positions } of deletes.values()) {
      for (const p of positions) referenced.add(p.path);
      deleteFiles.push(...(await writePositionDeletes(table.writerOptions(), positions, tuple)));
    }
    await table
      .newRowDelta()
      .addDataFiles(dataFiles)
      .addDeleteFiles(deleteFiles)
      .requireDataFiles([...referenced])
      .commit({ summary });
    for (const [k, c] of last) if (c.op === "delete") this.live.delete(k);
    for (const [k, l] of placed) this.live.set(k, l);
    return {
      dataFiles: dataFiles.length,
      deleteFiles: deleteFiles.length,
      positionDeletes: [...deletes.values()].reduce((n, d) => n + d.positions.length, 0),
    };
  }
}

/**
 * Random changes over keys [0, keys): each a delete with probability `deletes`, else an upsert of
 * `row(key, n)` (n counts the upserts made so far, across calls).
 */
export function randomChanges(
  random: () => number,
  keys: number,
  deletes: number,
  row: (key: bigint, n: bigint) => UpsertRow,
): (count: number) => UpsertChange[] {
  let n = 0n;
  return (count) =>
    Array.from({ length: count }, (): UpsertChange => {
      const key = BigInt(Math.floor(random() * keys));
      return random() < deletes ? { op: "delete", key } : { op: "upsert", row: row(key, n++) };
    });
}

function keyText(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : JSON.stringify(v);
}
