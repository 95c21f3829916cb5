/**
 * Fast builders from column arrays to Arrow Data for the primitive write types.
 *
 * Two input shapes per column: row values (`(T | null | undefined)[]`, null = missing) or, for the
 * fixed-width numeric types, a typed array plus an optional null mask (one byte per row, non-zero =
 * null). Typed arrays are used as the Arrow buffer without copying: do not mutate them afterwards.
 * Loops write straight into typed arrays; the validity bitmap is only allocated once a null shows up.
 * Nested types (struct, list, map) and whole tables are in arrow-table.ts.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import { writeUuidBytes } from "../spec/index.js";

/** One byte per row, non-zero = null. */
export type NullMask = Uint8Array;

/** Where a builder is, for error messages, and which rows an ancestor already made null. */
export interface BuildContext {
  /** Dotted field path, e.g. `payload.items.element`. */
  readonly path: string;
  /** A required field may not hold nulls, except in rows whose parent struct is null. */
  readonly required: boolean;
  /** Non-zero where an ancestor struct is null (then a required child may be null too). */
  readonly parentNulls?: NullMask | undefined;
}

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;

/** Tracks nulls while a builder runs; allocates the Arrow validity bitmap at the first null. */
export class NullTracker {
  private bits: Uint8Array | undefined;
  count = 0;

  constructor(
    private readonly length: number,
    private readonly ctx: BuildContext,
  ) {}

  /** Marks row i null, throwing when the field is required and no ancestor is null there. */
  setNull(i: number): void {
    if (this.ctx.required && !(this.ctx.parentNulls !== undefined && this.ctx.parentNulls[i] !== 0)) {
      throw new FloeError("INVALID_ARGUMENT", `null in required field ${this.ctx.path} at row ${i}`, {
        context: { field: this.ctx.path, row: i },
      });
    }
    if (this.bits === undefined) this.bits = new Uint8Array((this.length + 7) >> 3).fill(0xff);
    this.bits[i >> 3]! &= ~(1 << (i & 7));
    this.count++;
  }

  /** The `nullBitmap` / `nullCount` props for makeData. */
  props(): { nullBitmap?: Uint8Array; nullCount: number } {
    return this.bits === undefined ? { nullCount: 0 } : { nullBitmap: this.bits, nullCount: this.count };
  }
}

/** Applies a NullMask to a tracker (for typed-array inputs). */
export function applyNullMask(mask: NullMask | undefined, length: number, nulls: NullTracker, path: string) {
  if (mask === undefined) return;
  if (mask.length !== length) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `null mask of ${path} has ${mask.length} entries, want ${length}`,
    );
  }
  for (let i = 0; i < length; i++) if (mask[i] !== 0) nulls.setNull(i);
}

function badValue(ctx: BuildContext, i: number, want: string, got: unknown): FloeError {
  const shown = typeof got === "bigint" ? `${got}n` : typeof got === "string" ? "a string" : typeof got;
  return new FloeError("INVALID_ARGUMENT", `${ctx.path} row ${i}: expected ${want}, got ${shown}`, {
    context: { field: ctx.path, row: i },
  });
}

export function boolData(rows: readonly unknown[], ctx: BuildContext): arrow.Data<arrow.Bool> {
  const n = rows.length;
  const values = new Uint8Array((n + 7) >> 3);
  const nulls = new NullTracker(n, ctx);
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (v === true) values[i >> 3]! |= 1 << (i & 7);
    else if (v === null || v === undefined) nulls.setNull(i);
    else if (v !== false) throw badValue(ctx, i, "a boolean", v);
  }
  return arrow.makeData({ type: new arrow.Bool(), length: n, data: values, ...nulls.props() });
}

/** int and date (days since epoch): int32 numbers or an Int32Array. */
export function int32Data<T extends arrow.Int32 | arrow.DateDay>(
  type: T,
  input: readonly unknown[] | Int32Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<T> {
  const n = input.length;
  const nulls = new NullTracker(n, ctx);
  let values: Int32Array;
  if (input instanceof Int32Array) {
    values = input;
    applyNullMask(mask, n, nulls, ctx.path);
  } else {
    values = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = input[i];
      if (typeof v === "number" && (v | 0) === v) values[i] = v;
      else if (v === null || v === undefined) nulls.setNull(i);
      else throw badValue(ctx, i, "an int32 number", v);
    }
  }
  // DateDay and Int32 share the Int32Array layout; makeData's overloads cannot see that through T.
  return arrow.makeData({
    type: type as arrow.Int32,
    length: n,
    data: values,
    ...nulls.props(),
  }) as arrow.Data<T>;
}

/** long, time, timestamp, timestamptz (micros): bigint (or safe-integer numbers) or a BigInt64Array. */
export function int64Data<T extends arrow.Int64 | arrow.TimeMicrosecond | arrow.TimestampMicrosecond>(
  type: T,
  input: readonly unknown[] | BigInt64Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<T> {
  const n = input.length;
  const nulls = new NullTracker(n, ctx);
  let values: BigInt64Array;
  if (input instanceof BigInt64Array) {
    values = input;
    applyNullMask(mask, n, nulls, ctx.path);
  } else {
    values = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = input[i];
      if (typeof v === "bigint") {
        if (v < MIN_I64 || v > MAX_I64) throw badValue(ctx, i, "a 64-bit integer", v);
        values[i] = v;
      } else if (typeof v === "number" && Number.isSafeInteger(v)) values[i] = BigInt(v);
      else if (v === null || v === undefined) nulls.setNull(i);
      else throw badValue(ctx, i, "a bigint", v);
    }
  }
  return arrow.makeData({
    type: type as arrow.Int64,
    length: n,
    data: values,
    ...nulls.props(),
  }) as arrow.Data<T>;
}

/** float (Float32) or double (Float64): numbers (NaN allowed) or a matching typed array. */
export function floatData<T extends arrow.Float32 | arrow.Float64>(
  type: T,
  input: readonly unknown[] | Float32Array | Float64Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<T> {
  const n = input.length;
  const nulls = new NullTracker(n, ctx);
  const Ctor = type.precision === arrow.Precision.SINGLE ? Float32Array : Float64Array;
  let values: Float32Array | Float64Array;
  if (input instanceof Ctor) {
    values = input;
    applyNullMask(mask, n, nulls, ctx.path);
  } else if (input instanceof Float32Array || input instanceof Float64Array) {
    values = Ctor.from(input);
    applyNullMask(mask, n, nulls, ctx.path);
  } else {
    values = new Ctor(n);
    for (let i = 0; i < n; i++) {
      const v = input[i];
      if (typeof v === "number") values[i] = v;
      else if (v === null || v === undefined) nulls.setNull(i);
      else throw badValue(ctx, i, "a number", v);
    }
  }
  return arrow.makeData({
    type: type as arrow.Float64,
    length: n,
    data: values,
    ...nulls.props(),
  }) as arrow.Data<T>;
}

/** string from bytes already in Arrow's layout (n + 1 offsets into UTF-8 data); used without copying. */
export function utf8FromBytes(
  offsets: Int32Array,
  data: Uint8Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<arrow.Utf8> {
  const n = offsets.length - 1;
  const nulls = new NullTracker(n, ctx);
  applyNullMask(mask, n, nulls, ctx.path);
  return arrow.makeData({ type: new arrow.Utf8(), length: n, valueOffsets: offsets, data, ...nulls.props() });
}

/** fixed[L] / uuid from bytes already in Arrow's layout (L bytes per row); used without copying. */
export function fixedFromBytes(
  type: arrow.FixedSizeBinary,
  data: Uint8Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<arrow.FixedSizeBinary> {
  const n = Math.floor(data.length / type.byteWidth);
  const nulls = new NullTracker(n, ctx);
  applyNullMask(mask, n, nulls, ctx.path);
  return arrow.makeData({ type, length: n, data, ...nulls.props() });
}

/**
 * decimal(P,S) from unscaled values already in Arrow's layout (16-byte little-endian two's complement,
 * as 4 words per row), checked against the precision by the caller; used without copying.
 */
export function decimalFromWords(
  type: arrow.Decimal,
  words: Uint32Array,
  ctx: BuildContext,
  mask?: NullMask,
): arrow.Data<arrow.Decimal> {
  const n = words.length >> 2;
  const nulls = new NullTracker(n, ctx);
  applyNullMask(mask, n, nulls, ctx.path);
  return arrow.makeData({ type, length: n, data: words, ...nulls.props() });
}

/** string: UTF-8 bytes + int32 offsets. ASCII is copied by hand, the rest goes through Buffer.write. */
export function utf8Data(rows: readonly unknown[], ctx: BuildContext): arrow.Data<arrow.Utf8> {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  const nulls = new NullTracker(n, ctx);
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (typeof v === "string") chars += v.length;
  }
  let bytes = new Uint8Array(chars + (chars >> 4) + 64);
  let buf = Buffer.from(bytes.buffer, 0, bytes.length);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (typeof v === "string") {
      const len = v.length;
      if (pos + len * 3 > bytes.length) {
        const need = pos + Buffer.byteLength(v, "utf8");
        if (need > bytes.length) {
          const grown = new Uint8Array(Math.max(need, bytes.length * 2));
          grown.set(bytes.subarray(0, pos));
          bytes = grown;
          buf = Buffer.from(bytes.buffer, 0, bytes.length);
        }
      }
      let j = 0;
      if (len <= 64) {
        for (; j < len; j++) {
          const c = v.charCodeAt(j);
          if (c >= 0x80) break;
          bytes[pos + j] = c;
        }
      }
      pos += j === len ? len : buf.write(v, pos, "utf8");
      if (pos > 0x7fffffff)
        throw new FloeError("INVALID_ARGUMENT", `${ctx.path}: more than 2 GiB of strings`);
    } else if (v === null || v === undefined) nulls.setNull(i);
    else throw badValue(ctx, i, "a string", v);
    offsets[i + 1] = pos;
  }
  const data = bytes.length - pos > bytes.length >> 2 ? bytes.slice(0, pos) : bytes.subarray(0, pos);
  return arrow.makeData({ type: new arrow.Utf8(), length: n, valueOffsets: offsets, data, ...nulls.props() });
}

/** binary: Uint8Array values + int32 offsets. */
export function binaryData(rows: readonly unknown[], ctx: BuildContext): arrow.Data<arrow.Binary> {
  const n = rows.length;
  const offsets = new Int32Array(n + 1);
  const nulls = new NullTracker(n, ctx);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (v instanceof Uint8Array) total += v.length;
    else if (v === null || v === undefined) nulls.setNull(i);
    else throw badValue(ctx, i, "a Uint8Array", v);
    offsets[i + 1] = total;
  }
  if (total > 0x7fffffff) throw new FloeError("INVALID_ARGUMENT", `${ctx.path}: more than 2 GiB of binary`);
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (v instanceof Uint8Array) data.set(v, offsets[i]!);
  }
  return arrow.makeData({
    type: new arrow.Binary(),
    length: n,
    valueOffsets: offsets,
    data,
    ...nulls.props(),
  });
}

/** fixed[L] and uuid: Uint8Array of exactly L bytes; uuid also takes the canonical string form. */
export function fixedData(
  type: arrow.FixedSizeBinary,
  rows: readonly unknown[],
  ctx: BuildContext,
  acceptUuidStrings = false,
): arrow.Data<arrow.FixedSizeBinary> {
  const n = rows.length;
  const width = type.byteWidth;
  const data = new Uint8Array(n * width);
  const nulls = new NullTracker(n, ctx);
  for (let i = 0; i < n; i++) {
    const v = rows[i];
    if (v instanceof Uint8Array && v.length === width) data.set(v, i * width);
    else if (acceptUuidStrings && typeof v === "string") {
      if (!writeUuidBytes(v, data, i * width)) throw badValue(ctx, i, "a UUID string", v);
    } else if (v === null || v === undefined) nulls.setNull(i);
    else throw badValue(ctx, i, `${width} bytes`, v);
  }
  return arrow.makeData({ type, length: n, data, ...nulls.props() });
}

/** decimal(P,S): unscaled bigint (or safe-integer number) values, checked against the precision. */
export function decimalData(
  type: arrow.Decimal,
  rows: readonly unknown[],
  ctx: BuildContext,
): arrow.Data<arrow.Decimal> {
  const n = rows.length;
  const words = new BigUint64Array(n * 2);
  const nulls = new NullTracker(n, ctx);
  const limit = 10n ** BigInt(type.precision);
  for (let i = 0; i < n; i++) {
    const raw = rows[i];
    if (raw === null || raw === undefined) {
      nulls.setNull(i);
      continue;
    }
    let v: bigint;
    if (typeof raw === "bigint") v = raw;
    else if (typeof raw === "number" && Number.isSafeInteger(raw)) v = BigInt(raw);
    else throw badValue(ctx, i, "an unscaled bigint", raw);
    if (v >= limit || v <= -limit) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `${ctx.path} row ${i}: unscaled ${v} does not fit decimal(${type.precision},${type.scale})`,
        { context: { field: ctx.path, row: i } },
      );
    }
    // Little-endian two's complement: low 64 bits first.
    words[2 * i] = BigInt.asUintN(64, v);
    words[2 * i + 1] = BigInt.asUintN(64, v >> 64n);
  }
  const data = new Uint32Array(words.buffer, 0, n * 4);
  return arrow.makeData({ type, length: n, data, ...nulls.props() });
}
