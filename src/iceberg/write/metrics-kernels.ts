/**
 * Per-leaf accumulators for Iceberg column metrics, one typed-array loop per Arrow type family.
 *
 * `add(data, n, state, bounds)` consumes slots 0..n-1 of one Arrow Data. `state` is null when every slot
 * belongs to a present parent (the Data's own validity decides), else one byte per slot: 0 = absent
 * (inside a null or empty list/map: not counted), 1 = null because an ancestor struct is null,
 * 2 = present (own validity decides). Arrow JS layout notes: fixed-width `values` are already sliced to
 * the Data's window, variable-width `valueOffsets` are sliced but point into unsliced bytes, and the
 * validity bitmap and Bool values are unsliced (bit index = data.offset + i).
 */
import type * as arrow from "apache-arrow";

/** Bound values: int/date number, long/time/timestamp bigint, float/double number, decimal unscaled
 * bigint, string string, binary/fixed/uuid Uint8Array, boolean boolean. */
export type BoundValue = boolean | number | bigint | string | Uint8Array;

export abstract class LeafAccumulator {
  values = 0;
  nulls = 0;
  nans = 0;
  abstract add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void;
  abstract lower(): BoundValue | undefined;
  abstract upper(): BoundValue | undefined;
}

function bitmapOf(data: arrow.Data): Uint8Array | null {
  return data.nullCount > 0 ? data.nullBitmap : null;
}

/** Counts the slots a Data contributes (values) and how many of them are null. */
function countSlots(acc: LeafAccumulator, data: arrow.Data, n: number, state: Uint8Array | null): void {
  const bm = bitmapOf(data);
  const off = data.offset;
  if (state === null && bm === null) {
    acc.values += n;
    return;
  }
  let values = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const s = state === null ? 2 : state[i]!;
    if (s === 0) continue;
    values++;
    if (s === 1) nulls++;
    else if (bm !== null) {
      const b = off + i;
      if ((bm[b >> 3]! & (1 << (b & 7))) === 0) nulls++;
    }
  }
  acc.values += values;
  acc.nulls += nulls;
}

/** True when slot i holds a non-null value (pure, so V8 inlines it into every kernel loop). */
function live(state: Uint8Array | null, bm: Uint8Array | null, off: number, i: number): boolean {
  if (state !== null && state[i] !== 2) return false;
  if (bm === null) return true;
  const b = off + i;
  return (bm[b >> 3]! & (1 << (b & 7))) !== 0;
}

/** int and date: Int32Array values. */
export class Int32Accumulator extends LeafAccumulator {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const vals = data.values as Int32Array;
    const bm = bitmapOf(data);
    const off = data.offset;
    let min = this.min;
    let max = this.max;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const v = vals[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.min = min;
    this.max = max;
  }
  lower() {
    return this.min === Number.POSITIVE_INFINITY ? undefined : this.min;
  }
  upper() {
    return this.max === Number.NEGATIVE_INFINITY ? undefined : this.max;
  }
}

/** long, time, timestamp: BigInt64Array values compared as (signed hi, unsigned lo) int32 pairs. */
export class Int64Accumulator extends LeafAccumulator {
  private minHi = Number.POSITIVE_INFINITY;
  private minLo = 0;
  private maxHi = Number.NEGATIVE_INFINITY;
  private maxLo = 0;
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const vals = data.values as BigInt64Array;
    const w = new Int32Array(vals.buffer, vals.byteOffset, vals.length * 2);
    const bm = bitmapOf(data);
    const off = data.offset;
    let { minHi, minLo, maxHi, maxLo } = this;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const lo = w[2 * i]! >>> 0;
      const hi = w[2 * i + 1]!;
      if (hi < minHi || (hi === minHi && lo < minLo)) {
        minHi = hi;
        minLo = lo;
      }
      if (hi > maxHi || (hi === maxHi && lo > maxLo)) {
        maxHi = hi;
        maxLo = lo;
      }
    }
    Object.assign(this, { minHi, minLo, maxHi, maxLo });
  }
  lower() {
    return this.minHi === Number.POSITIVE_INFINITY
      ? undefined
      : (BigInt(this.minHi) << 32n) | BigInt(this.minLo);
  }
  upper() {
    return this.maxHi === Number.NEGATIVE_INFINITY
      ? undefined
      : (BigInt(this.maxHi) << 32n) | BigInt(this.maxLo);
  }
}

/** float and double: NaN counted, not bounded; a zero lower bound is -0.0 and a zero upper bound +0.0. */
export class FloatAccumulator extends LeafAccumulator {
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private any = false;
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    const vals = data.values as Float32Array | Float64Array;
    const bm = bitmapOf(data);
    const off = data.offset;
    let { min, max, any, nans } = this;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const v = vals[i]!;
      if (Number.isNaN(v)) {
        nans++;
        continue;
      }
      if (!bounds) continue;
      any = true;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    Object.assign(this, { min, max, any, nans });
  }
  lower() {
    return !this.any ? undefined : this.min === 0 ? -0 : this.min;
  }
  upper() {
    return !this.any ? undefined : this.max === 0 ? 0 : this.max;
  }
}

/** boolean: bit-packed values (unsliced, bit offset + i). */
export class BoolAccumulator extends LeafAccumulator {
  private sawTrue = false;
  private sawFalse = false;
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const bits = data.values as Uint8Array;
    const bm = bitmapOf(data);
    const off = data.offset;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const b = off + i;
      if ((bits[b >> 3]! & (1 << (b & 7))) !== 0) this.sawTrue = true;
      else this.sawFalse = true;
    }
  }
  lower() {
    return this.sawFalse ? false : this.sawTrue ? true : undefined;
  }
  upper() {
    return this.sawTrue ? true : this.sawFalse ? false : undefined;
  }
}

/** Unsigned lexicographic byte comparison (= Unicode code point order for UTF-8). */
export function compareBytes(
  a: Uint8Array,
  as: number,
  ae: number,
  b: Uint8Array,
  bs: number,
  be: number,
): number {
  const la = ae - as;
  const lb = be - bs;
  const len = Math.min(la, lb);
  for (let k = 0; k < len; k++) {
    const d = a[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** string and binary: int32 offsets into a byte buffer; bounds kept as bytes, strings decoded at the end. */
export class BytesAccumulator extends LeafAccumulator {
  private min: Uint8Array | undefined;
  private max: Uint8Array | undefined;
  constructor(private readonly utf8: boolean) {
    super();
  }
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const vo = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const bm = bitmapOf(data);
    const off = data.offset;
    let minS = -1;
    let minE = -1;
    let maxS = -1;
    let maxE = -1;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const s = vo[i]!;
      const e = vo[i + 1]!;
      if (minS < 0) {
        minS = maxS = s;
        minE = maxE = e;
        continue;
      }
      if (compareBytes(bytes, s, e, bytes, minS, minE) < 0) {
        minS = s;
        minE = e;
      } else if (compareBytes(bytes, s, e, bytes, maxS, maxE) > 0) {
        maxS = s;
        maxE = e;
      }
    }
    if (minS < 0) return;
    if (this.min === undefined || compareBytes(bytes, minS, minE, this.min, 0, this.min.length) < 0) {
      this.min = bytes.slice(minS, minE);
    }
    if (this.max === undefined || compareBytes(bytes, maxS, maxE, this.max, 0, this.max.length) > 0) {
      this.max = bytes.slice(maxS, maxE);
    }
  }
  private out(v: Uint8Array | undefined): BoundValue | undefined {
    if (v === undefined) return undefined;
    return this.utf8 ? new TextDecoder().decode(v) : v;
  }
  lower() {
    return this.out(this.min);
  }
  upper() {
    return this.out(this.max);
  }
}

/**
 * fixed[L] and uuid: `width` bytes per slot. For uuid, Java Iceberg before the RFC-order fix compares
 * UUIDs as two signed longs; bounds are only kept when that order and byte order agree on the extremes,
 * so no reader prunes a file that holds a matching row.
 */
export class FixedAccumulator extends LeafAccumulator {
  private min: Uint8Array | undefined;
  private max: Uint8Array | undefined;
  private sMin: Uint8Array | undefined;
  private sMax: Uint8Array | undefined;
  constructor(
    private readonly width: number,
    private readonly uuid: boolean,
  ) {
    super();
  }
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const bytes = data.values as Uint8Array;
    const w = this.width;
    const bm = bitmapOf(data);
    const off = data.offset;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      const s = i * w;
      const e = s + w;
      if (this.min === undefined || compareBytes(bytes, s, e, this.min, 0, w) < 0)
        this.min = bytes.slice(s, e);
      if (this.max === undefined || compareBytes(bytes, s, e, this.max, 0, w) > 0)
        this.max = bytes.slice(s, e);
      if (!this.uuid) continue;
      if (this.sMin === undefined || compareJavaUuid(bytes, s, this.sMin) < 0) this.sMin = bytes.slice(s, e);
      if (this.sMax === undefined || compareJavaUuid(bytes, s, this.sMax) > 0) this.sMax = bytes.slice(s, e);
    }
  }
  private agrees(): boolean {
    if (!this.uuid || this.min === undefined) return true;
    return (
      compareBytes(this.min, 0, 16, this.sMin!, 0, 16) === 0 &&
      compareBytes(this.max!, 0, 16, this.sMax!, 0, 16) === 0
    );
  }
  lower() {
    return this.agrees() ? this.min : undefined;
  }
  upper() {
    return this.agrees() ? this.max : undefined;
  }
}

/** java.util.UUID order: most then least significant 8 bytes, each as a signed big-endian long. */
function compareJavaUuid(a: Uint8Array, as: number, b: Uint8Array): number {
  for (let k = 0; k < 16; k++) {
    // The sign bit of each long flips the order of its first byte.
    const flip = k === 0 || k === 8 ? 0x80 : 0;
    const x = a[as + k]! ^ flip;
    const y = b[k]! ^ flip;
    if (x !== y) return x - y;
  }
  return 0;
}

/** decimal(P,S) as 128-bit little-endian two's complement (4 uint32 words per value). */
export class DecimalAccumulator extends LeafAccumulator {
  private min: bigint | undefined;
  private max: bigint | undefined;
  add(data: arrow.Data, n: number, state: Uint8Array | null, bounds: boolean): void {
    countSlots(this, data, n, state);
    if (!bounds) return;
    const w = data.values as Uint32Array;
    const bm = bitmapOf(data);
    const off = data.offset;
    let minI = -1;
    let maxI = -1;
    for (let i = 0; i < n; i++) {
      if (!live(state, bm, off, i)) continue;
      if (minI < 0) {
        minI = maxI = i;
        continue;
      }
      if (compareDecimal(w, i, minI) < 0) minI = i;
      else if (compareDecimal(w, i, maxI) > 0) maxI = i;
    }
    if (minI < 0) return;
    const lo = decimalAt(w, minI);
    const hi = decimalAt(w, maxI);
    if (this.min === undefined || lo < this.min) this.min = lo;
    if (this.max === undefined || hi > this.max) this.max = hi;
  }
  lower() {
    return this.min;
  }
  upper() {
    return this.max;
  }
}

function compareDecimal(w: Uint32Array, i: number, j: number): number {
  const a = 4 * i;
  const b = 4 * j;
  const ha = w[a + 3]! | 0;
  const hb = w[b + 3]! | 0;
  if (ha !== hb) return ha - hb;
  for (let k = 2; k >= 0; k--) {
    const x = w[a + k]!;
    const y = w[b + k]!;
    if (x !== y) return x - y;
  }
  return 0;
}

function decimalAt(w: Uint32Array, i: number): bigint {
  const a = 4 * i;
  const u =
    (BigInt(w[a + 3]!) << 96n) | (BigInt(w[a + 2]!) << 64n) | (BigInt(w[a + 1]!) << 32n) | BigInt(w[a]!);
  return BigInt.asIntN(128, u);
}
