/**
 * Applying delete files to a data file being rewritten: position deletes (rows of this file by
 * position) and equality deletes (rows whose `equality_ids` columns equal a deleted row's). The
 * rewritten file gets a newer data sequence number, so deletes that applied to the old file would no
 * longer apply: they must be applied here, or rows deleted before the rewrite would come back.
 *
 * Rows are compared on raw Arrow buffer values (exact for every primitive type; timestamps are not
 * rounded to milliseconds as Vector.get would), after both sides were conformed to the same schema.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import { findFieldById, makeSchema, type Schema } from "../iceberg/spec/index.js";
import { DELETE_FILE_PATH_ID, DELETE_POS_ID, fieldIdOf } from "../iceberg/write/index.js";
import { type ConformOptions, conformToSchema } from "./arrow-read.js";
import { takeRows } from "./take-rows.js";

function isNull(data: arrow.Data, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return false;
  const bit = data.offset + i;
  return ((data.nullBitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0;
}

const hex = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** An exact text key for the value at logical index `i` of a primitive column. */
export function valueKey(data: arrow.Data, i: number): string {
  if (isNull(data, i)) return "\u0000";
  const type = data.type as arrow.DataType;
  const at = data.offset + i;
  if (arrow.DataType.isBool(type)) {
    return ((data.values as Uint8Array)[at >> 3] ?? 0) & (1 << (at & 7)) ? "t" : "f";
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const start = offsets[at] ?? 0;
    const end = offsets[at + 1] ?? start;
    return hex((data.values as Uint8Array).subarray(start, end));
  }
  const values = data.values as ArrayLike<number | bigint> & {
    subarray(a: number, b: number): ArrayLike<unknown>;
  };
  const stride = data.stride;
  if (stride === 1) return String(values[at]);
  if (values instanceof Uint8Array) return hex(values.subarray(at * stride, (at + 1) * stride));
  return Array.from(values.subarray(at * stride, (at + 1) * stride) as ArrayLike<number>).join(",");
}

/** Column data of a top-level field id in a batch, or undefined. */
function columnById(batch: arrow.RecordBatch, id: number): arrow.Data | undefined {
  const i = batch.schema.fields.findIndex((f) => fieldIdOf(f) === id);
  return i < 0 ? undefined : batch.data.children[i];
}

/** The position delete schema's two columns (a `row` column, if any, is not needed). */
const POSITION_DELETE_SCHEMA = makeSchema([
  { id: DELETE_FILE_PATH_ID, name: "file_path", required: true, type: "string" },
  { id: DELETE_POS_ID, name: "pos", required: true, type: "long" },
]);

/** Position delete files as other writers laid them out (large_string paths...) -> string, long. */
const conformedPositions = new WeakMap<arrow.Table, arrow.Table>();

function positionColumns(deletes: arrow.Table): arrow.Table {
  let t = conformedPositions.get(deletes);
  if (t === undefined) {
    const ids = new Set(deletes.schema.fields.map(fieldIdOf));
    if (!ids.has(DELETE_FILE_PATH_ID) || !ids.has(DELETE_POS_ID)) {
      throw new FloeError(
        "UNSUPPORTED",
        "position delete file lacks file_path/pos columns (field ids 2147483546/5)",
      );
    }
    t = conformToSchema(deletes, POSITION_DELETE_SCHEMA, "position delete file");
    conformedPositions.set(deletes, t);
  }
  return t;
}

/**
 * The positions of a position delete file by data file path, built once per file: a delete file
 * written at an upsert commit names many data files, and is asked about each of them.
 */
const positionIndexes = new WeakMap<arrow.Table, Map<string, number[]>>();

function positionIndex(deletes: arrow.Table): Map<string, number[]> {
  let index = positionIndexes.get(deletes);
  if (index !== undefined) return index;
  index = new Map();
  for (const batch of positionColumns(deletes).batches) {
    const paths = columnById(batch, DELETE_FILE_PATH_ID);
    const pos = columnById(batch, DELETE_POS_ID);
    if (paths === undefined || pos === undefined) {
      throw new FloeError(
        "UNSUPPORTED",
        "position delete file lacks file_path/pos columns (field ids 2147483546/5)",
      );
    }
    const pathVec = arrow.makeVector(paths as arrow.Data<arrow.Utf8>);
    const posValues = pos.values as BigInt64Array;
    // Rows are sorted by path (the spec asks writers to): decode a path only when its bytes change.
    const offsets = paths.valueOffsets as Int32Array;
    const bytes = paths.values as Uint8Array;
    let list: number[] | undefined;
    let prevStart = -1;
    let prevEnd = -1;
    for (let i = 0; i < batch.numRows; i++) {
      const at = paths.offset + i;
      const start = offsets[at] ?? 0;
      const end = offsets[at + 1] ?? start;
      if (list === undefined || !sameBytes(bytes, prevStart, prevEnd, start, end)) {
        const path = pathVec.get(i) ?? "";
        list = index.get(path);
        if (list === undefined) {
          list = [];
          index.set(path, list);
        }
        prevStart = start;
        prevEnd = end;
      }
      list.push(Number(posValues[pos.offset + i] ?? -1n));
    }
  }
  positionIndexes.set(deletes, index);
  return index;
}

function sameBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let k = e1 - s1 - 1; k >= 0; k--) if (b[s1 + k] !== b[s2 + k]) return false;
  return true;
}

/** Positions (0-based, in file order) that a position delete file removes from `dataPath`. */
export function positionsFor(deletes: arrow.Table, dataPath: string, into = new Set<number>()): Set<number> {
  for (const p of positionIndex(deletes).get(dataPath) ?? []) into.add(p);
  return into;
}

/** The data file paths a position delete file names. */
export function positionDeleteTargets(deletes: arrow.Table): Set<string> {
  return new Set(positionIndex(deletes).keys());
}

/** One equality delete file, ready to test rows against. */
export interface EqualityDeleteSet {
  readonly ids: readonly number[];
  readonly keys: ReadonlySet<string>;
}

/** The keys of an equality delete file, its columns conformed to the table schema's types. */
export function equalityDeleteSet(
  deletes: arrow.Table,
  equalityIds: readonly number[],
  schema: Schema,
  options: ConformOptions = {},
): EqualityDeleteSet {
  const fields = equalityIds.map((id) => {
    const f = findFieldById(schema, id);
    if (f === undefined || !schema.fields.includes(f)) {
      throw new FloeError(
        "UNSUPPORTED",
        `equality delete on field ${id}: only top-level columns of the current schema are supported`,
      );
    }
    return f;
  });
  const conformed = conformToSchema(deletes, makeSchema(fields), "equality delete file", options);
  const keys = new Set<string>();
  for (const batch of conformed.batches) {
    const cols = equalityIds.map((id) => columnById(batch, id)!);
    for (let i = 0; i < batch.numRows; i++) keys.add(cols.map((c) => valueKey(c, i)).join("\u0001"));
  }
  return { ids: [...equalityIds], keys };
}

/**
 * `table` without the rows at `positions` (file order) and the rows matching any equality delete set.
 * Returns the table unchanged when nothing is deleted; otherwise a copy whose batches that lost rows
 * hold only the kept rows in new buffers (so later size estimates count only those): taken column by
 * column for flat columns (take-rows.ts), else sliced around the deleted rows and re-encoded.
 */
export function applyDeletes(
  table: arrow.Table,
  positions: ReadonlySet<number>,
  equality: readonly EqualityDeleteSet[],
  /** The file position of the table's first row (when a file is read in batches). */
  firstRow = 0,
): { table: arrow.Table; deleted: number } {
  if (positions.size === 0 && equality.every((e) => e.keys.size === 0)) return { table, deleted: 0 };
  const out: arrow.RecordBatch[] = [];
  let base = firstRow;
  let deleted = 0;
  for (const batch of table.batches) {
    const eqCols = equality.map((e) => e.ids.map((id) => columnById(batch, id)));
    for (const [k, cols] of eqCols.entries()) {
      if (cols.some((c) => c === undefined)) {
        throw new FloeError(
          "UNSUPPORTED",
          `equality delete columns ${equality[k]?.ids.join(",")} are not all in the data file`,
        );
      }
    }
    const keep = new Int32Array(batch.numRows);
    let kept = 0;
    for (let i = 0; i < batch.numRows; i++) {
      let drop = positions.has(base + i);
      for (let k = 0; !drop && k < equality.length; k++) {
        const cols = eqCols[k] as arrow.Data[];
        drop = (equality[k] as EqualityDeleteSet).keys.has(cols.map((c) => valueKey(c, i)).join("\u0001"));
      }
      if (!drop) keep[kept++] = i;
    }
    base += batch.numRows;
    deleted += batch.numRows - kept;
    if (kept === batch.numRows) out.push(batch);
    else if (kept > 0) out.push(...keepRows(batch, keep.subarray(0, kept), table.schema));
  }
  if (deleted === 0) return { table, deleted: 0 };
  return { table: new arrow.Table(table.schema, out), deleted };
}

/** The rows `keep` of `batch`: taken into new buffers, or sliced in runs and re-encoded. */
function keepRows(batch: arrow.RecordBatch, keep: Int32Array, schema: arrow.Schema): arrow.RecordBatch[] {
  const taken = takeRows(batch, keep, schema);
  if (taken !== undefined) return [taken];
  const slices: arrow.RecordBatch[] = [];
  let start = 0;
  for (let j = 1; j <= keep.length; j++) {
    if (j < keep.length && keep[j] === (keep[j - 1] as number) + 1) continue;
    slices.push(batch.slice(keep[start] as number, (keep[j - 1] as number) + 1));
    start = j;
  }
  // The IPC copy's types are Arrow's base classes (Int_, not Int64), which Table's schema check tells
  // apart: the batches get the input's schema back, so they can join batches of other files.
  const copy = arrow.tableFromIPC(arrow.tableToIPC(new arrow.Table(schema, slices), "stream"));
  return copy.batches.map((b) => new arrow.RecordBatch(schema, b.data));
}
