/**
 * Byte encodings shared by hashing (Appendix B) and single-value serialization (Appendix D): fixed-width
 * little-endian integers, minimal two's-complement big-endian integers, UUID bytes, UTF-8, hex and base64.
 */

import { FloeError } from "../../errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8Encode(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes UTF-8, throwing INVALID_ARGUMENT on malformed input. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new FloeError("INVALID_ARGUMENT", "bytes are not valid UTF-8", { cause: e });
  }
}

export function int32ToLE(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, v, true);
  return out;
}

export function int64ToLE(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, v), true);
  return out;
}

/** Whether `v` fits in `bytes` bytes of two's complement. */
function fitsInBytes(v: bigint, bytes: number): boolean {
  const half = 1n << BigInt(8 * bytes - 1);
  return v >= -half && v < half;
}

/**
 * The minimal two's-complement big-endian bytes of an integer, like Java's BigInteger.toByteArray():
 * 0 -> [00], 127 -> [7f], 128 -> [00 80], -1 -> [ff], -128 -> [80], -129 -> [ff 7f].
 */
export function bigintToMinBytes(v: bigint): Uint8Array {
  let n = 1;
  while (!fitsInBytes(v, n)) n++;
  return bigintToFixedBytes(v, n);
}

/**
 * The two's-complement big-endian bytes of an integer in exactly `width` bytes (sign-extended), as
 * Avro and Parquet store a decimal in a fixed of decimalRequiredBytes(P). INVALID_ARGUMENT when it
 * does not fit.
 */
export function bigintToFixedBytes(v: bigint, width: number): Uint8Array {
  if (!fitsInBytes(v, width)) {
    throw new FloeError("INVALID_ARGUMENT", `integer ${v} does not fit in ${width} bytes`);
  }
  const out = new Uint8Array(width);
  let u = BigInt.asUintN(8 * width, v);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

/** The fewest bytes whose two's complement holds every unscaled value of a decimal of `precision` digits. */
export function decimalRequiredBytes(precision: number): number {
  const limit = 10n ** BigInt(precision);
  let bytes = 1;
  while (1n << BigInt(8 * bytes - 1) < limit) bytes += 1;
  return bytes;
}

/** Reads a two's-complement big-endian integer of any length (an empty array reads as 0). */
export function minBytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let u = 0n;
  for (const b of bytes) u = (u << 8n) | BigInt(b);
  return BigInt.asIntN(8 * bytes.length, u);
}

/** Whether `s` is a UUID in the 8-4-4-4-12 hex form (either case); a loop, as it runs per record. */
export function isUuidString(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false; // -
    } else if (!((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102))) {
      return false; // not 0-9, a-f, A-F
    }
  }
  return true;
}

/** Hex digit values by char code (-1 for anything else). */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

/**
 * Writes the 16 big-endian bytes of a UUID string in the 8-4-4-4-12 hex form (either case) to `out` at
 * `at`, without allocating (column builders call it per value). False, with `out` partly written, when
 * `s` is not such a string.
 */
export function writeUuidBytes(s: string, out: Uint8Array, at: number): boolean {
  if (s.length !== 36) return false;
  let k = at;
  for (let c = 0; c < 36; c += 2) {
    if (c === 8 || c === 13 || c === 18 || c === 23) {
      if (s.charCodeAt(c) !== 45) return false; // -
      c++;
    }
    const hi = HEX[s.charCodeAt(c)] ?? -1;
    const lo = HEX[s.charCodeAt(c + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[k++] = (hi << 4) | lo;
  }
  return true;
}

/** The 16 big-endian bytes of a canonical UUID string. */
export function uuidToBytes(uuid: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!writeUuidBytes(uuid, out, 0)) {
    throw new FloeError("INVALID_ARGUMENT", `not a UUID: "${uuid}"`, { context: { value: uuid } });
  }
  return out;
}

/** Canonical lower-case UUID string from 16 bytes. */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new FloeError("INVALID_ARGUMENT", `a UUID has 16 bytes, got ${bytes.length}`, {
      context: { length: bytes.length },
    });
  }
  const h = bytesToHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new FloeError("INVALID_ARGUMENT", `not a hex string: "${hex}"`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Unsigned lexicographic comparison, the order Iceberg uses for binary bounds. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
