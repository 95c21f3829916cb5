/**
 * Append-only typed arrays for per-row bookkeeping (Kafka metadata, arena positions, schema indexes):
 * numbers kept outside the JS heap, doubling as they grow, so a buffer of a million rows costs the
 * garbage collector nothing to trace and nothing lands in V8's large-object space.
 */

type Numbers = Int32Array | Float64Array;

abstract class Growable<T extends Numbers> {
  length = 0;
  protected data: T;

  constructor(capacity = 256) {
    this.data = this.make(capacity);
  }

  protected abstract make(n: number): T;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** Row i's value (0 past the end). */
  at(i: number): number {
    return i < this.length ? (this.data[i] ?? 0) : 0;
  }

  /** Memory held, as allocated. */
  byteSize(): number {
    return this.data.byteLength;
  }

  /** The values pushed so far, as a view (valid until the next push). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  /** A new array of the rows `keep` lists, in that order. */
  pick(keep: readonly number[]): this {
    const next = new (this.constructor as new (capacity: number) => this)(Math.max(keep.length, 1));
    for (const i of keep) next.push(this.at(i));
    return next;
  }
}

export class Int32s extends Growable<Int32Array> {
  protected make(n: number): Int32Array {
    return new Int32Array(n);
  }
}

export class Float64s extends Growable<Float64Array> {
  protected make(n: number): Float64Array {
    return new Float64Array(n);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;

/**
 * Writes the safe integer v into slot i of a BigInt64Array through a Uint32Array view of its buffer
 * (`words`), without allocating a BigInt (the hot path of long columns filled from JSON numbers).
 */
export function setInt64(target: BigInt64Array, words: Uint32Array, i: number, v: number): void {
  if (!LITTLE_ENDIAN) {
    target[i] = BigInt(v);
    return;
  }
  const hi = Math.floor(v / TWO_32);
  words[2 * i] = v - hi * TWO_32;
  words[2 * i + 1] = hi >>> 0;
}

/** Safe integers times `scale` as a BigInt64Array (e.g. epoch milliseconds -> microseconds). */
export function int64Of(values: ArrayLike<number>, scale = 1): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) setInt64(out, words, i, (values[i] ?? 0) * scale);
  return out;
}
