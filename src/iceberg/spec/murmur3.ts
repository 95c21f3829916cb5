/**
 * 32-bit Murmur3 (x86 variant, seed 0) and the per-type hashing of the Iceberg spec's
 * "Appendix B: 32-bit Hash Requirements", used by the bucket transform.
 */

import { FloeError } from "../../errors.js";
import { bigintToMinBytes, int64ToLE, utf8Encode, uuidToBytes } from "./bytes.js";
import { type PrimitiveType, primitiveKind } from "./types.js";
import { checkValue, floorDiv, type PrimitiveValue } from "./values.js";

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function mixK(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/** Murmur3 x86 32-bit hash of `bytes`, as a signed 32-bit integer (what Java returns). */
export function murmur3Hash32(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const len = bytes.length;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    h ^= mixK(k);
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    h ^= mixK(k);
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** int (and date) values hash as their long value, so int -> long promotion keeps buckets. */
export function hashInt(v: number): number {
  return hashLong(BigInt(v));
}

export function hashLong(v: bigint): number {
  return murmur3Hash32(int64ToLE(v));
}

/** Hash of a decimal's unscaled value (minimum-length two's-complement big-endian bytes). */
export function hashDecimal(unscaled: bigint): number {
  return murmur3Hash32(bigintToMinBytes(unscaled));
}

export function hashString(s: string): number {
  return murmur3Hash32(utf8Encode(s));
}

export function hashUuid(uuid: string): number {
  return murmur3Hash32(uuidToBytes(uuid));
}

export function hashBytes(bytes: Uint8Array): number {
  return murmur3Hash32(bytes);
}

/** Not used by bucketing today; defined by the spec as hashInt(0 or 1). */
export function hashBoolean(v: boolean): number {
  return hashInt(v ? 1 : 0);
}

/** Not used by bucketing today; hashLong(doubleToLongBits(v)) with NaN and -0.0 canonicalised. */
export function hashDouble(v: number): number {
  if (Number.isNaN(v)) return hashLong(0x7ff8000000000000n);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v === 0 ? 0 : v);
  return hashLong(view.getBigInt64(0));
}

/**
 * The Appendix B hash of a value of `type` (JS representation as in values.ts). Nanosecond timestamps
 * are floored to microseconds first so they hash like their microsecond counterparts.
 */
export function hashValue(type: PrimitiveType, value: PrimitiveValue): number {
  const v = checkValue(type, value);
  switch (primitiveKind(type)) {
    case "int":
    case "date":
      return hashInt(v as number);
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      return hashLong(v as bigint);
    case "timestamp_ns":
    case "timestamptz_ns":
      return hashLong(floorDiv(v as bigint, 1000n));
    case "decimal":
      return hashDecimal(v as bigint);
    case "string":
      return hashString(v as string);
    case "uuid":
      return hashUuid(v as string);
    case "fixed":
    case "binary":
      return hashBytes(v as Uint8Array);
    case "boolean":
      return hashBoolean(v as boolean);
    case "float":
    case "double":
      return hashDouble(v as number);
    case "unknown":
    case "variant":
      throw new FloeError("UNSUPPORTED", `no hash is defined for ${type}`, { context: { type } });
  }
}
