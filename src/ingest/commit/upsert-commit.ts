/**
 * An upsert table's commit in the making: each flush's changes are reduced to the last change per key
 * (a flush holds records in partition-offset order), the rows they supersede are found through the
 * table's key index and become position deletes, and the rows kept go into the open data files, their
 * places recorded in the index. At the commit the deletes are written, in the partition of the data
 * file they hit, and committed with the data files and offsets as one row-delta snapshot. Until then
 * the index holds these changes as pending: a dropped commit discards them.
 */
import type { Table } from "../../catalog/index.js";
import { liveDeletionVectors } from "../../iceberg/snapshot/index.js";
import {
  currentSnapshot,
  type DataFile,
  type PartitionSpec,
  type PrimitiveValue,
} from "../../iceberg/spec/index.js";
import {
  type ColumnSource,
  type DataFileWriter,
  type DeletionVectorInput,
  type PartitionPlacement,
  partitionKey,
  type Row,
  writeDeletionVectors,
  writeEqualityDeletes,
  writePositionDeletes,
} from "../../iceberg/write/index.js";
import { type IndexedFile, type KeyIndex, keyHashes } from "../../upsert/index.js";
import { CHANGE_DELETE, type TableBatch } from "../buffer/index.js";

type Columns = ReadonlyMap<string, ColumnSource | unknown[]>;

/** A flush reduced to the rows to write, with every row's key hash. */
export interface PlannedFlush {
  /** The columns of the rows to write, and how many. */
  readonly columns: Columns;
  readonly rows: number;
  /** Input row of each written row; undefined when every input row is written, in order. */
  readonly keep: readonly number[] | undefined;
  /** Key hashes of the input rows (two words per row). */
  readonly hashes: Uint32Array;
}

/** Per-commit upsert counts, for logs and metrics. */
export interface UpsertCounts {
  /** Rows of earlier commits (or flushes) this commit deletes. */
  deletedRows: number;
  /** Changes replaced by a later change of their key within a flush. */
  collapsed: number;
  /** Deletes of keys the table does not hold. */
  unknownDeletes: number;
  /** Keys whose changes came from two Kafka partitions within one flush. */
  crossPartition: number;
}

/**
 * Which rows of a flush hold the last change of their key: an open-addressing table of row numbers
 * keyed by the rows' 64-bit key hashes, filled from the last row back (no string or Map per row).
 * `onRepeat(i, next)`: row i's key changes again at row `next` (the next change of that key).
 */
function lastOfKeys(
  h: Uint32Array,
  n: number,
  onRepeat: (i: number, next: number) => void,
): { last: Uint8Array; distinct: number } {
  let size = 16;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const last = new Uint8Array(n);
  let distinct = 0;
  for (let i = n - 1; i >= 0; i--) {
    const lo = h[2 * i] as number;
    const hi = h[2 * i + 1] as number;
    let s = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const r = slots[s] as number;
      if (r < 0) {
        last[i] = 1;
        distinct++;
        break;
      }
      if (h[2 * r] === lo && h[2 * r + 1] === hi) {
        onRepeat(i, r);
        break;
      }
      s = (s + 1) & mask;
    }
    slots[s] = i;
  }
  return { last, distinct };
}

export class UpsertCommit {
  /** Position deletes by data file path. */
  readonly #deletes = new Map<string, { file: IndexedFile; positions: number[] }>();
  /** Data files this commit writes (its deletes into them need no check that they are live). */
  readonly #ours = new Set<string>();
  readonly counts: UpsertCounts = {
    deletedRows: 0,
    collapsed: 0,
    unknownDeletes: 0,
    crossPartition: 0,
  };

  /** Equality mode: the key of every change, by partition, for the commit's equality deletes. */
  readonly #equality: Map<string, { partition: (PrimitiveValue | null)[]; rows: Row[] }> | undefined;

  /**
   * `index`: the table's key index; with `equality` (table property floe.upsert.deletes=equality) a
   * scratch index of this commit's own rows, and rows of earlier commits are deleted by key equality.
   */
  constructor(
    readonly index: KeyIndex,
    readonly key: readonly string[],
    private readonly equality?: {
      readonly ids: readonly number[];
      readonly partitionOf: (key: Row) => (PrimitiveValue | null)[];
    },
  ) {
    if (equality !== undefined) this.#equality = new Map();
  }

  /**
   * Reduces a conformed flush to its last change per key, turns the rows those changes replace or
   * delete into position deletes, and returns the rows to write.
   */
  plan(batch: TableBatch, writer: DataFileWriter): PlannedFlush {
    const n = batch.rows;
    const columns = batch.columns();
    const ops = batch.ops();
    const hashes = keyHashes(writer.arrowVectors(columns, n, this.key));
    const { last, distinct } = lastOfKeys(hashes, n, (i, next) => {
      // A key should live in one partition: its order across two is not defined.
      if (batch.sourceOf(i) !== batch.sourceOf(next)) this.counts.crossPartition++;
    });
    const collapsed = n - distinct;
    this.counts.collapsed += collapsed;
    const keep: number[] = [];
    // A key index spilled to disk reads the flush's keys in one pass over its run (else nothing).
    this.index.prefetch(hashes);
    for (let i = 0; i < n; i++) {
      if (last[i] === 0) continue;
      const was = this.index.lookup(hashes, i);
      const deleting = ops !== undefined && ops[i] === CHANGE_DELETE;
      if (was !== undefined) this.deleteRow(was.file, was.pos);
      else if (deleting) this.counts.unknownDeletes++;
      if (deleting) this.index.remove(hashes, i);
      else keep.push(i);
      if (this.#equality !== undefined) this.equalityDelete(columns, i);
    }
    if (keep.length === n) return { columns, rows: n, keep: undefined, hashes };
    // The buffer keeps only these rows, in its own typed layouts (no value per row materialized).
    batch.retain(keep);
    return { columns: batch.columns(), rows: keep.length, keep, hashes };
  }

  /** Records where the planned flush's rows were written. */
  placed(plan: PlannedFlush, placements: readonly PartitionPlacement[], specId: number): void {
    for (const { values, rows, placed } of placements) {
      let j = 0;
      for (const piece of placed) {
        const file: IndexedFile = { path: piece.path, specId, partition: values };
        this.#ours.add(piece.path);
        for (let r = 0; r < piece.rows; r++, j++) {
          const written = rows === undefined ? j : (rows[j] ?? 0);
          const input = plan.keep === undefined ? written : (plan.keep[written] ?? 0);
          this.index.put(plan.hashes, input, file, piece.firstPos + r);
        }
      }
    }
  }

  private deleteRow(file: IndexedFile, pos: number): void {
    let d = this.#deletes.get(file.path);
    if (d === undefined) {
      d = { file, positions: [] };
      this.#deletes.set(file.path, d);
    }
    d.positions.push(pos);
    this.counts.deletedRows++;
  }

  /** Committed data files the deletes point into: they must still be live when the commit lands. */
  get referenced(): string[] {
    return [...this.#deletes.keys()].filter((p) => !this.#ours.has(p));
  }

  /** Equality mode: a delete of the key of row i for the rows of earlier commits. */
  private equalityDelete(columns: Columns, i: number): void {
    const row: Record<string, unknown> = {};
    for (const name of this.key) {
      const col = columns.get(name);
      row[name] = col === undefined ? null : Array.isArray(col) ? col[i] : (col as ColumnSource).get(i);
    }
    const partition = this.equality?.partitionOf(row) ?? [];
    const k = partitionKey(partition);
    let group = this.#equality?.get(k);
    if (group === undefined) {
      group = { partition, rows: [] };
      this.#equality?.set(k, group);
    }
    group.rows.push(row);
  }

  get hasDeletes(): boolean {
    return this.#deletes.size > 0 || (this.#equality?.size ?? 0) > 0;
  }

  /**
   * Writes the deletes: position delete files (format v2), one per partition of the data files they hit,
   * or for format v3 deletion vectors, merged with each data file's current one, which the commit must
   * remove (`replaced`).
   */
  async writeDeletes(table: Table): Promise<{ added: DataFile[]; replaced: DataFile[] }> {
    const groups = new Map<
      string,
      { spec: PartitionSpec | undefined; partition: (PrimitiveValue | null)[]; files: string[] }
    >();
    for (const [path, { file }] of this.#deletes) {
      const k = `${file.specId}\u0000${partitionKey([...file.partition])}`;
      let g = groups.get(k);
      if (g === undefined) {
        const spec = table.metadata["partition-specs"].find((s) => s["spec-id"] === file.specId);
        g = { spec, partition: [...file.partition], files: [] };
        groups.set(k, g);
      }
      g.files.push(path);
    }
    const added: DataFile[] = [];
    const replaced: DataFile[] = [];
    const vectors =
      table.metadata["format-version"] >= 3
        ? await liveDeletionVectors(table.io, currentSnapshot(table.metadata))
        : undefined;
    for (const g of groups.values()) {
      const opts = g.spec === undefined ? table.writerOptions() : { ...table.writerOptions(), spec: g.spec };
      if (vectors === undefined) {
        const deletes = g.files.flatMap((path) =>
          (this.#deletes.get(path)?.positions ?? []).map((pos) => ({ path, pos: BigInt(pos) })),
        );
        added.push(...(await writePositionDeletes(opts, deletes, g.partition)));
        continue;
      }
      const inputs = new Map<string, DeletionVectorInput>();
      for (const path of g.files) {
        const previous = vectors.get(path);
        if (previous !== undefined) replaced.push(previous);
        inputs.set(path, {
          positions: this.#deletes.get(path)?.positions ?? [],
          partition: g.partition,
          ...(previous === undefined ? {} : { previous }),
        });
      }
      added.push(...(await writeDeletionVectors(opts, inputs)));
    }
    for (const { partition, rows } of this.#equality?.values() ?? []) {
      added.push(
        ...(await writeEqualityDeletes(table.writerOptions(), this.equality?.ids ?? [], rows, partition)),
      );
    }
    return { added, replaced };
  }
}
