/**
 * The physical variants other engines write, converted to the one Arrow layout our writer expects for
 * each Iceberg type (see iceberg/write/arrow-types.ts). Used by arrow-read.ts, column by column, once
 * the column was matched to its Iceberg field by id; nothing else converts types.
 *
 * What arrives (parquet-wasm reads what the file says, and follows the ARROW:schema hint pyarrow and
 * arrow-rs writers leave):
 *   layout      large_string / large_binary / large_list (PyIceberg, pyarrow), string_view /
 *               binary_view (polars), dictionary<...> (pyarrow categoricals, pandas)
 *   int         Int8 / Int16 / UInt8 / UInt16 (Parquet INT(8|16) annotations: Spark byte/short)
 *   long        any of those, Int32, UInt32; UInt64 when every value fits
 *   double      Float32 (Iceberg's float -> double promotion)
 *   decimal     Decimal 32 / 64 / 128 / 256 bits (Parquet INT32 / INT64 / FIXED_LEN_BYTE_ARRAY all
 *               arrive as Decimal128); scale must match, precision may be narrower
 *   date        Date32 or Date64 (milliseconds)
 *   time        seconds, milliseconds, microseconds or nanoseconds
 *   timestamp   seconds, milliseconds, microseconds or nanoseconds (INT96 from Spark or Impala arrives
 *               as nanoseconds without a time zone), with or without a zone: Iceberg's type decides
 *               whether the value is UTC-adjusted, the stored number is the same either way
 *   string      Utf8, or Binary (BYTE_ARRAY without the STRING annotation, as old Hive/Impala wrote)
 *   binary      Binary, or Utf8
 *   any type    a column of Arrow's Null type (every value null; arrow-read.ts fills it)
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import type { WritePrimitiveType } from "../iceberg/write/index.js";

const INT32_MAX = 0x7fffffff;

type NumArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export function unsupported(path: string, message: string): FloeError {
  return new FloeError("UNSUPPORTED", `column ${path}: ${message}`, { context: { column: path } });
}

/** Rebuilt data of another type; offset, length and validity stay those of `data`. */
function retyped<T extends arrow.DataType>(
  data: arrow.Data,
  type: T,
  parts: { data?: NumArray; valueOffsets?: Int32Array; children?: arrow.Data[] },
): arrow.Data<T> {
  return new arrow.Data(
    type,
    data.offset,
    data.length,
    data.nullCount,
    {
      [arrow.BufferType.OFFSET]: parts.valueOffsets,
      [arrow.BufferType.DATA]: parts.data,
      [arrow.BufferType.VALIDITY]: data.nullBitmap,
    } as never,
    parts.children ?? [],
  ) as arrow.Data<T>;
}

/** 64-bit offsets (large_string, large_binary, large_list) as 32-bit ones, positions unchanged. */
function smallOffsets(data: arrow.Data, path: string): Int32Array {
  const large = data.valueOffsets as unknown as BigInt64Array;
  const end = data.offset + data.length;
  if (Number(large[end] ?? 0n) > INT32_MAX) {
    throw unsupported(path, `${data.length} values hold more than 2 GiB in one batch`);
  }
  const out = new Int32Array(end + 1);
  for (let i = data.offset; i <= end; i++) out[i] = Number(large[i] ?? 0n);
  return out;
}

/** Utf8 or Binary data built from per-row byte strings (null where the row is null). */
function variableWidth(
  type: arrow.Utf8 | arrow.Binary,
  length: number,
  valid: (i: number) => boolean,
  bytesAt: (i: number) => Uint8Array,
): arrow.Data {
  const offsets = new Int32Array(length + 1);
  const parts: Uint8Array[] = [];
  const bitmap = new Uint8Array((length + 7) >> 3);
  let total = 0;
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (valid(i)) {
      bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
      const b = bytesAt(i);
      parts.push(b);
      total += b.byteLength;
    } else nulls++;
    offsets[i + 1] = total;
  }
  const values = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    values.set(p, at);
    at += p.byteLength;
  }
  return arrow.makeData({
    type,
    length,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? null : bitmap,
    valueOffsets: offsets,
    data: values,
  } as never);
}

function isValid(data: arrow.Data, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const bit = data.offset + i;
  return ((data.nullBitmap[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
}

const encoder = new TextEncoder();

/** string_view / binary_view as Utf8 / Binary (copies the bytes). */
function fromView(data: arrow.Data): arrow.Data {
  const vec = arrow.makeVector(data as arrow.Data<arrow.Utf8View | arrow.BinaryView>);
  const utf8 = arrow.DataType.isUtf8View(data.type);
  return variableWidth(
    utf8 ? new arrow.Utf8() : new arrow.Binary(),
    data.length,
    (i) => isValid(data, i),
    (i) => {
      const v = vec.get(i) as string | Uint8Array;
      return typeof v === "string" ? encoder.encode(v) : v;
    },
  );
}

/** Dictionary values in one Data: the chunks of a delta dictionary are laid end to end. */
function flatDictionary(dict: arrow.Vector, path: string): arrow.Data {
  const chunks = dict.data.map((d) => plainLayout(d, `${path} (dictionary)`));
  if (chunks.length === 1) return chunks[0] as arrow.Data;
  const first = chunks[0];
  if (first === undefined) throw unsupported(path, "empty dictionary");
  const type = first.type as arrow.DataType;
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const locate = (i: number): [arrow.Data, number] => {
    for (const c of chunks) {
      if (i < c.length) return [c, i];
      i -= c.length;
    }
    throw unsupported(path, `dictionary index ${i} out of range`);
  };
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    return variableWidth(
      type,
      length,
      (i) => isValid(...locate(i)),
      (i) => bytesOf(...locate(i)),
    );
  }
  const stride = first.stride;
  const Ctor = (first.values as NumArray).constructor as new (n: number) => NumArray;
  const values = new Ctor(length * stride);
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  let at = 0;
  for (const c of chunks) {
    if (arrow.DataType.isBool(c.type)) throw unsupported(path, "dictionary-encoded booleans");
    const src = c.values as NumArray;
    values.set(src.subarray(c.offset * stride, (c.offset + c.length) * stride) as never, at * stride);
    for (let i = 0; i < c.length; i++) {
      if (isValid(c, i)) bitmap[(at + i) >> 3] = (bitmap[(at + i) >> 3] ?? 0) | (1 << ((at + i) & 7));
      else nulls++;
    }
    at += c.length;
  }
  return arrow.makeData({ type, length, nullCount: nulls, nullBitmap: bitmap, data: values } as never);
}

function bytesOf(data: arrow.Data, i: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array;
  const at = data.offset + i;
  return (data.values as Uint8Array).subarray(offsets[at] ?? 0, offsets[at + 1] ?? 0);
}

/** A dictionary-encoded column with its values looked up (a copy in the value type's own layout). */
function decodeDictionary(data: arrow.Data<arrow.Dictionary>, path: string): arrow.Data {
  if (!data.dictionary) throw unsupported(path, "dictionary-encoded column without a dictionary");
  const dict = flatDictionary(data.dictionary, path);
  const indices = data.values as ArrayLike<number | bigint>;
  const index = (i: number) => Number(indices[data.offset + i] ?? 0);
  const valid = (i: number) => isValid(data, i) && isValid(dict, index(i));
  const type = dict.type as arrow.DataType;
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    return variableWidth(type, data.length, valid, (i) => bytesOf(dict, index(i)));
  }
  if (arrow.DataType.isBool(type) || arrow.DataType.isNull(type) || type.children.length > 0) {
    throw unsupported(path, `dictionary-encoded ${type} columns are not supported`);
  }
  const stride = dict.stride;
  const src = dict.values as NumArray;
  const Ctor = src.constructor as new (n: number) => NumArray;
  const values = new Ctor(data.length * stride);
  const bitmap = new Uint8Array((data.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < data.length; i++) {
    if (!valid(i)) {
      nulls++;
      continue;
    }
    bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
    const from = (dict.offset + index(i)) * stride;
    values.set(src.subarray(from, from + stride) as never, i * stride);
  }
  return arrow.makeData({
    type,
    length: data.length,
    nullCount: nulls,
    nullBitmap: nulls === 0 ? null : bitmap,
    data: values,
  } as never);
}

/**
 * The same values in the plain layout of their logical type: dictionaries decoded, large and view
 * layouts turned into the 32-bit offset ones. Only this level; children are converted when visited.
 */
export function plainLayout(data: arrow.Data, path: string): arrow.Data {
  const s = data.type as arrow.DataType;
  if (arrow.DataType.isDictionary(s)) return decodeDictionary(data as arrow.Data<arrow.Dictionary>, path);
  if (arrow.DataType.isLargeUtf8(s)) {
    return retyped(data, new arrow.Utf8(), {
      valueOffsets: smallOffsets(data, path),
      data: data.values as Uint8Array,
    });
  }
  if (arrow.DataType.isLargeBinary(s)) {
    return retyped(data, new arrow.Binary(), {
      valueOffsets: smallOffsets(data, path),
      data: data.values as Uint8Array,
    });
  }
  if (arrow.DataType.isUtf8View(s) || arrow.DataType.isBinaryView(s)) return fromView(data);
  if (arrow.DataType.isLargeList(s)) {
    const child = s.children[0];
    if (child === undefined) throw unsupported(path, "large list without an element field");
    return retyped(data, new arrow.List(child), {
      valueOffsets: smallOffsets(data, path),
      children: data.children,
    });
  }
  return data;
}

/** Fixed-width values mapped one by one into `out` (an array of the target type's layout). */
function mapValues(
  data: arrow.Data,
  type: arrow.DataType,
  out: Int32Array | Float64Array | BigInt64Array,
  f: (v: number | bigint) => number | bigint,
): arrow.Data {
  const src = data.values as ArrayLike<number | bigint>;
  const target = out as unknown as { [i: number]: number | bigint };
  for (let i = data.offset; i < data.offset + data.length; i++) {
    if (isValid(data, i - data.offset)) target[i] = f(src[i] ?? 0);
  }
  return retyped(data, type, { data: out });
}

const floorDiv = (v: bigint, d: bigint) => {
  const q = v / d;
  return v % d !== 0n && v < 0n ? q - 1n : q;
};

/** Multiplier or divisor from a time unit to microseconds. */
function toMicros(unit: arrow.TimeUnit): (v: bigint) => bigint {
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return (v) => v * 1_000_000n;
    case arrow.TimeUnit.MILLISECOND:
      return (v) => v * 1000n;
    case arrow.TimeUnit.MICROSECOND:
      return (v) => v;
    case arrow.TimeUnit.NANOSECOND:
      return (v) => floorDiv(v, 1000n);
  }
}

/** Decimal of any width as 128-bit words (sign-extended; narrowed from 256 when the value fits). */
function decimal128(data: arrow.Data, s: arrow.Decimal, t: arrow.DataType, path: string): arrow.Data {
  const inWords = s.bitWidth / 32;
  const src = data.values as Uint32Array;
  const out = new Uint32Array((data.offset + data.length) * 4);
  for (let i = data.offset; i < data.offset + data.length; i++) {
    const words = src.subarray(i * inWords, (i + 1) * inWords);
    const fill = ((words[inWords - 1] ?? 0) & 0x80000000) !== 0 ? 0xffffffff : 0;
    for (let w = 0; w < 4; w++) out[i * 4 + w] = w < inWords ? (words[w] ?? 0) : fill;
    // 256 -> 128 bits: the dropped words must only repeat the sign, and bit 127 must keep it.
    let fits = inWords <= 4 || ((out[i * 4 + 3] ?? 0) & 0x80000000) === (fill & 0x80000000);
    for (let w = 4; fits && w < inWords; w++) fits = words[w] === fill;
    if (!fits && isValid(data, i - data.offset))
      throw unsupported(path, "decimal value does not fit 128 bits");
  }
  return retyped(data, t, { data: out });
}

/**
 * A primitive column (already in plain layout) as the Arrow type `t` that the writer uses for `target`.
 * Returns undefined when the file's type is not one Iceberg lets this field be read from.
 */
export function convertPrimitive(
  data: arrow.Data,
  target: WritePrimitiveType,
  t: arrow.DataType,
  path: string,
): arrow.Data | undefined {
  const s = data.type as arrow.DataType;
  const same = () => data.clone(t);
  switch (target.kind) {
    case "boolean":
      return arrow.DataType.isBool(s) ? same() : undefined;
    case "int":
      if (!arrow.DataType.isInt(s)) return undefined;
      if (s.bitWidth === 32 && s.isSigned) return same();
      if (s.bitWidth < 32)
        return mapValues(data, t, new Int32Array(data.offset + data.length), (v) => Number(v));
      return undefined;
    case "long": {
      if (!arrow.DataType.isInt(s)) return undefined;
      if (s.bitWidth === 64 && s.isSigned) return same();
      const out = new BigInt64Array(data.offset + data.length);
      if (s.bitWidth < 64) return mapValues(data, t, out, (v) => BigInt(v));
      return mapValues(data, t, out, (v) => {
        if (BigInt(v) > 0x7fffffffffffffffn)
          throw unsupported(path, `unsigned value ${v} does not fit a long`);
        return v;
      });
    }
    case "float":
      return arrow.DataType.isFloat(s) && s.precision === arrow.Precision.SINGLE ? same() : undefined;
    case "double":
      if (!arrow.DataType.isFloat(s)) return undefined;
      if (s.precision === arrow.Precision.DOUBLE) return same();
      if (s.precision === arrow.Precision.SINGLE)
        return mapValues(data, t, new Float64Array(data.offset + data.length), (v) => Number(v));
      return undefined;
    case "decimal":
      if (!arrow.DataType.isDecimal(s) || s.scale !== target.scale || s.precision > target.precision)
        return undefined;
      return s.bitWidth === 128 ? same() : decimal128(data, s, t, path);
    case "date":
      if (!arrow.DataType.isDate(s)) return undefined;
      if (s.unit === arrow.DateUnit.DAY) return same();
      return mapValues(data, t, new Int32Array(data.offset + data.length), (v) =>
        Number(floorDiv(BigInt(v), 86_400_000n)),
      );
    case "time": {
      if (!arrow.DataType.isTime(s)) return undefined;
      if (s.unit === arrow.TimeUnit.MICROSECOND && s.bitWidth === 64) return same();
      const f = toMicros(s.unit);
      return mapValues(data, t, new BigInt64Array(data.offset + data.length), (v) => f(BigInt(v)));
    }
    case "timestamp":
    case "timestamptz": {
      if (!arrow.DataType.isTimestamp(s)) return undefined;
      if (s.unit === arrow.TimeUnit.MICROSECOND) return same();
      const f = toMicros(s.unit);
      return mapValues(data, t, new BigInt64Array(data.offset + data.length), (v) => f(BigInt(v)));
    }
    case "string":
      return arrow.DataType.isUtf8(s) || arrow.DataType.isBinary(s) ? same() : undefined;
    case "binary":
      return arrow.DataType.isBinary(s) || arrow.DataType.isUtf8(s) ? same() : undefined;
    case "uuid":
      return arrow.DataType.isFixedSizeBinary(s) && s.byteWidth === 16 ? same() : undefined;
    case "fixed":
      return arrow.DataType.isFixedSizeBinary(s) && s.byteWidth === target.length ? same() : undefined;
  }
}
