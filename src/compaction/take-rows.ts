/**
 * Copies chosen rows of a record batch into new buffers (a "take"), for applying deletes: an upsert
 * table's files lose rows all over, and slicing around each deleted row leaves thousands of tiny
 * batches to re-encode. Handles fixed-width, boolean, utf8/binary (32-bit offsets), struct, list and
 * map columns; returns undefined for a batch with any other column (large offsets, dictionary, ...),
 * for which the caller slices instead.
 *
 * Arrow JS's buffer conventions after a slice: the validity bitmap and boolean values are addressed at
 * `offset + i`; fixed-width values and value offsets are sliced (addressed at `i`); struct children are
 * sliced with their parent; list/map children are not (the offsets point into them).
 */
import * as arrow from "apache-arrow";

type Typed = ArrayLike<number | bigint> & {
  subarray(a: number, b: number): Typed;
  set(src: ArrayLike<number | bigint>, at: number): void;
};
type TypedCtor = new (n: number) => Typed;

function bit(bytes: Uint8Array, i: number): boolean {
  return ((bytes[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

function setBit(bytes: Uint8Array, i: number): void {
  bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
}

/** The validity bitmap of the kept rows and their null count (no bitmap when none is null). */
function takeValidity(data: arrow.Data, keep: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return { nullCount: 0 };
  const out = new Uint8Array((keep.length + 7) >> 3);
  let nulls = 0;
  for (let j = 0; j < keep.length; j++) {
    if (bit(data.nullBitmap, data.offset + (keep[j] as number))) setBit(out, j);
    else nulls++;
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: out, nullCount: nulls };
}

/** Offsets of the kept rows' ranges laid end to end (n + 1 entries, the last one the total size). */
function takeOffsets(offsets: Int32Array, keep: Int32Array): Int32Array {
  const out = new Int32Array(keep.length + 1);
  let size = 0;
  for (let j = 0; j < keep.length; j++) {
    const i = keep[j] as number;
    size += (offsets[i + 1] ?? 0) - (offsets[i] ?? 0);
    out[j + 1] = size;
  }
  return out;
}

function takeColumn(data: arrow.Data, keep: Int32Array): arrow.Data | undefined {
  const type = data.type as arrow.DataType;
  const n = keep.length;
  const validity = takeValidity(data, keep);
  const base = { type, length: n, ...validity };
  if (arrow.DataType.isStruct(type)) {
    const children: arrow.Data[] = [];
    for (const c of data.children) {
      const taken = takeColumn(c, keep);
      if (taken === undefined) return undefined;
      children.push(taken);
    }
    return arrow.makeData({ ...base, children } as never);
  }
  if (arrow.DataType.isList(type) || arrow.DataType.isMap(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const outOffsets = takeOffsets(offsets, keep);
    const inner = new Int32Array(outOffsets[n] as number);
    for (let j = 0, k = 0; j < n; j++) {
      const i = keep[j] as number;
      for (let e = offsets[i] ?? 0; e < (offsets[i + 1] ?? 0); e++) inner[k++] = e;
    }
    const child = data.children[0] === undefined ? undefined : takeColumn(data.children[0], inner);
    if (child === undefined) return undefined;
    return arrow.makeData({ ...base, valueOffsets: outOffsets, child } as never);
  }
  if (arrow.DataType.isBool(type)) {
    const values = data.values as Uint8Array;
    const out = new Uint8Array((n + 7) >> 3);
    for (let j = 0; j < n; j++) if (bit(values, data.offset + (keep[j] as number))) setBit(out, j);
    return arrow.makeData({ ...base, data: out } as never);
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const outOffsets = takeOffsets(offsets, keep);
    const out = new Uint8Array(outOffsets[n] as number);
    for (let j = 0; j < n; j++) {
      const i = keep[j] as number;
      out.set(bytes.subarray(offsets[i] ?? 0, offsets[i + 1] ?? 0), outOffsets[j] as number);
    }
    return arrow.makeData({ ...base, valueOffsets: outOffsets, data: out } as never);
  }
  const fixed =
    arrow.DataType.isInt(type) ||
    arrow.DataType.isFloat(type) ||
    arrow.DataType.isDate(type) ||
    arrow.DataType.isTime(type) ||
    arrow.DataType.isTimestamp(type) ||
    arrow.DataType.isDecimal(type) ||
    arrow.DataType.isFixedSizeBinary(type);
  if (!fixed) return undefined;
  const values = data.values as unknown as Typed;
  const stride = data.stride;
  const out = new (values.constructor as TypedCtor)(n * stride);
  if (stride === 1) {
    const o = out as unknown as (number | bigint)[];
    for (let j = 0; j < n; j++) o[j] = values[keep[j] as number] as number | bigint;
  } else {
    for (let j = 0; j < n; j++) {
      const at = (keep[j] as number) * stride;
      out.set(values.subarray(at, at + stride), j * stride);
    }
  }
  return arrow.makeData({ ...base, data: out } as never);
}

/** The rows `keep` (indices into the batch, ascending) of `batch` in new buffers, or undefined. */
export function takeRows(
  batch: arrow.RecordBatch,
  keep: Int32Array,
  schema: arrow.Schema = batch.schema,
): arrow.RecordBatch | undefined {
  const children: arrow.Data[] = [];
  for (const child of batch.data.children) {
    const taken = takeColumn(child, keep);
    if (taken === undefined) return undefined;
    children.push(taken);
  }
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: keep.length, children });
  return new arrow.RecordBatch(schema, struct);
}
