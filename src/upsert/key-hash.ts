/**
 * Key hashing for upsert tables: a 64-bit hash per row of the row's key columns, computed column by
 * column over Arrow buffers (no per-row objects), so it costs a few nanoseconds per row.
 *
 * The hashed input is canonical, so the Arrow the sink builds and the Arrow read back from any
 * Parquet file of the table (after conformToSchema) hash alike: per key column, in key order, the
 * value's byte length as a 32-bit little-endian word, then the value in Iceberg's binary single-value
 * encoding (spec Appendix D) zero-padded to whole 32-bit words, with `int` widened to `long` (8 bytes),
 * so a key column promoted from int to long keeps its hashes. Decimals are their minimal two's-
 * complement big-endian bytes (precision widening keeps them too). The words go through two 32-bit
 * lanes (a murmur3_32 round and an xxHash32 round), each finished with murmur3's fmix32 and mixed into
 * the other by an invertible step; the pair is the 64-bit hash, returned as (lo, hi) words per row.
 *
 * The hash is persisted in key index checkpoints: changing anything here changes KEY_HASH_VERSION.
 * Two distinct keys share a hash with probability about n^2 / 2^65 for n keys (1e-5 at 10M keys).
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import { isPrimitiveType, type NestedField, primitiveKind, type Schema } from "../iceberg/spec/index.js";
import { fieldIdOf } from "../iceberg/write/index.js";

/** Version of the hash function, recorded in checkpoints (a different version means rebuild). */
export const KEY_HASH_VERSION = 1;

/** Iceberg primitive kinds a key column may have (float and double compare badly: -0/+0, NaN). */
const KEY_KINDS: ReadonlySet<string> = new Set([
  "boolean",
  "int",
  "long",
  "string",
  "binary",
  "uuid",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
  "decimal",
  "fixed",
]);

/**
 * The key's fields in key order, checked: non-empty, no repeats, each a top-level field of `schema`
 * of a primitive type other than float/double. CONFIG_INVALID naming the field otherwise.
 */
export function checkKeyColumns(schema: Schema, keyNames: readonly string[]): NestedField[] {
  const fail = (message: string, field?: string) =>
    new FloeError("CONFIG_INVALID", message, { context: { key: keyNames.join(","), field } });
  if (keyNames.length === 0) throw fail("an upsert key needs at least one column");
  const seen = new Set<string>();
  return keyNames.map((name) => {
    if (seen.has(name)) throw fail(`key column ${name} is listed twice`, name);
    seen.add(name);
    const field = schema.fields.find((f) => f.name === name);
    if (field === undefined) throw fail(`key column ${name} is not a top-level column of the table`, name);
    if (!isPrimitiveType(field.type)) {
      throw fail(`key column ${name} is a nested type; a key column must be a primitive`, name);
    }
    const kind = primitiveKind(field.type);
    if (!KEY_KINDS.has(kind)) {
      throw fail(
        `key column ${name} has type ${field.type}, which cannot be a key (float/double values ` +
          "have several encodings of one value); use a long, string, decimal or another exact type",
        name,
      );
    }
    return field;
  });
}

/** The columns of `table` with the given field ids, in that order (UNSUPPORTED if one is missing). */
export function keyVectors(table: arrow.Table, fieldIds: readonly number[]): arrow.Vector[] {
  return fieldIds.map((id) => {
    const i = table.schema.fields.findIndex((f) => fieldIdOf(f) === id);
    const v = i < 0 ? null : table.getChildAt(i);
    if (v === null) throw new FloeError("UNSUPPORTED", `no column with field id ${id} to hash a key from`);
    return v;
  });
}

// ---- the mixing --------------------------------------------------------------------------------------

const SEED_A = 0x5bd1e995;
const SEED_B = 0x27d4eb2f;

/** One word into lane A (murmur3_32's block step). */
function mixA(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** One word into lane B (xxHash32's round). */
function mixB(h: number, w: number): number {
  h = (h + Math.imul(w, 0x85ebca77)) | 0;
  h = (h << 13) | (h >>> 19);
  return Math.imul(h, 0x9e3779b1);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Per-row lane states while columns are absorbed. */
interface State {
  readonly a: Int32Array;
  readonly b: Int32Array;
}

/** Absorbs `len` bytes of `bytes` from `start` (length word, then zero-padded LE words) into row `row`. */
function absorbBytes(s: State, row: number, bytes: Uint8Array, start: number, len: number): void {
  let a = mixA(s.a[row] as number, len);
  let b = mixB(s.b[row] as number, len);
  const end = start + len;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    const w =
      (bytes[p] as number) |
      ((bytes[p + 1] as number) << 8) |
      ((bytes[p + 2] as number) << 16) |
      ((bytes[p + 3] as number) << 24);
    a = mixA(a, w);
    b = mixB(b, w);
  }
  if (p < end) {
    let w = 0;
    for (let shift = 0; p < end; p++, shift += 8) w |= (bytes[p] as number) << shift;
    a = mixA(a, w);
    b = mixB(b, w);
  }
  s.a[row] = a;
  s.b[row] = b;
}

/** Absorbs a length-8 value given as two LE words. */
function absorb64(s: State, row: number, lo: number, hi: number): void {
  s.a[row] = mixA(mixA(mixA(s.a[row] as number, 8), lo), hi);
  s.b[row] = mixB(mixB(mixB(s.b[row] as number, 8), lo), hi);
}

/** Absorbs a value of 1..4 bytes held in one word. */
function absorb32(s: State, row: number, len: number, w: number): void {
  s.a[row] = mixA(mixA(s.a[row] as number, len), w);
  s.b[row] = mixB(mixB(s.b[row] as number, len), w);
}

// ---- columns -----------------------------------------------------------------------------------------

function firstNull(data: arrow.Data): number {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return -1;
  for (let i = 0; i < data.length; i++) {
    const bit = data.offset + i;
    if (((bitmap[bit >> 3] as number) & (1 << (bit & 7))) === 0) return i;
  }
  return -1;
}

const DECIMAL_BYTES = new Uint8Array(16);

/** Absorbs a 128-bit decimal (four LE words from `w`) as its minimal big-endian two's complement. */
function absorbDecimal(s: State, row: number, w: Uint32Array, at: number): void {
  for (let k = 0; k < 4; k++) {
    const word = w[at + k] as number;
    for (let j = 0; j < 4; j++) DECIMAL_BYTES[15 - (k * 4 + j)] = (word >>> (j * 8)) & 0xff;
  }
  const sign = (DECIMAL_BYTES[0] as number) & 0x80 ? 0xff : 0;
  let start = 0;
  while (
    start < 15 &&
    DECIMAL_BYTES[start] === sign &&
    ((DECIMAL_BYTES[start + 1] as number) & 0x80) === (sign & 0x80)
  ) {
    start++;
  }
  absorbBytes(s, row, DECIMAL_BYTES, start, 16 - start);
}

function unsupportedKey(name: string, type: arrow.DataType): FloeError {
  return new FloeError(
    "KEY_INVALID",
    `key column ${name} has Arrow type ${type}, which cannot be hashed as a key`,
    {
      context: { column: name },
    },
  );
}

/**
 * Absorbs one chunk of a key column into rows base.. of the state. Arrow JS slices value and offset
 * buffers with the data (index them from 0); only bit buffers (validity, booleans) use `offset`.
 */
function absorbData(s: State, data: arrow.Data, base: number, name: string): void {
  const type = data.type as arrow.DataType;
  const n = data.length;
  const off = data.offset;
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 64) {
      const v = data.values as BigInt64Array;
      const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
      for (let i = 0; i < n; i++) absorb64(s, base + i, w[2 * i] as number, w[2 * i + 1] as number);
    } else {
      const v = data.values as Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;
      // int widened to long: the high word is the sign (0 for unsigned types).
      const signed = type.isSigned;
      for (let i = 0; i < n; i++) {
        const x = v[i] as number;
        absorb64(s, base + i, x | 0, signed ? x >> 31 : 0);
      }
    }
    return;
  }
  if (arrow.DataType.isTimestamp(type) || (arrow.DataType.isTime(type) && type.bitWidth === 64)) {
    const v = data.values as BigInt64Array;
    const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    for (let i = 0; i < n; i++) absorb64(s, base + i, w[2 * i] as number, w[2 * i + 1] as number);
    return;
  }
  if (arrow.DataType.isDate(type) && type.unit === arrow.DateUnit.DAY) {
    const v = data.values as Int32Array;
    for (let i = 0; i < n; i++) absorb32(s, base + i, 4, v[i] as number);
    return;
  }
  if (arrow.DataType.isBool(type)) {
    const v = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const bit = off + i;
      absorb32(s, base + i, 1, ((v[bit >> 3] as number) >> (bit & 7)) & 1);
    }
    return;
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const start = offsets[i] as number;
      absorbBytes(s, base + i, bytes, start, (offsets[i + 1] as number) - start);
    }
    return;
  }
  if (arrow.DataType.isFixedSizeBinary(type)) {
    const bytes = data.values as Uint8Array;
    const width = type.byteWidth;
    for (let i = 0; i < n; i++) absorbBytes(s, base + i, bytes, i * width, width);
    return;
  }
  if (arrow.DataType.isDecimal(type) && type.bitWidth === 128) {
    const v = data.values as Uint32Array;
    for (let i = 0; i < n; i++) absorbDecimal(s, base + i, v, i * 4);
    return;
  }
  throw unsupportedKey(name, type);
}

/**
 * The hash of one key given as each column's canonical bytes (Iceberg single-value encoding, ints
 * widened to 8 bytes): the same (lo, hi) words keyHashes gives for a row holding those values. The
 * slow path, for single keys and checks.
 */
export function hashCanonical(values: readonly Uint8Array[]): [number, number] {
  const s: State = { a: Int32Array.of(SEED_A), b: Int32Array.of(SEED_B) };
  for (const v of values) absorbBytes(s, 0, v, 0, v.length);
  const out = new Uint32Array(2);
  finish(s, 0, values.length, out);
  return [out[0] as number, out[1] as number];
}

/** Row i's final (lo, hi) words into out[2i], out[2i + 1]. */
function finish(s: State, i: number, columns: number, out: Uint32Array): void {
  let a = fmix((s.a[i] as number) ^ columns);
  let b = fmix((s.b[i] as number) ^ columns);
  a = (a + b) | 0;
  b = (b + a) | 0;
  out[2 * i] = a;
  out[2 * i + 1] = b;
}

/**
 * Two 32-bit words per row (lo, hi) of the 64-bit hash of each row's key (see the file comment).
 * Every column must have the same length. KEY_INVALID naming the column and row when a key value is
 * null, or when a column's Arrow type is not a key type. `names` label columns in errors.
 */
export function keyHashes(columns: readonly arrow.Vector[], names?: readonly string[]): Uint32Array {
  const n = columns[0]?.length ?? 0;
  const s: State = { a: new Int32Array(n).fill(SEED_A), b: new Int32Array(n).fill(SEED_B) };
  columns.forEach((col, c) => {
    const name = names?.[c] ?? `#${c}`;
    if (col.length !== n) {
      throw new FloeError("INVALID_ARGUMENT", `key column ${name} has ${col.length} rows, expected ${n}`);
    }
    let base = 0;
    for (const data of col.data) {
      const nul = firstNull(data);
      if (nul >= 0) {
        throw new FloeError("KEY_INVALID", `key column ${name} is null at row ${base + nul}`, {
          context: { column: name, row: base + nul },
        });
      }
      absorbData(s, data, base, name);
      base += data.length;
    }
  });
  const out = new Uint32Array(2 * n);
  const k = columns.length;
  for (let i = 0; i < n; i++) finish(s, i, k, out);
  return out;
}
