/**
 * Binary single-value serialization (spec, Appendix D), used for lower/upper bounds in manifests and
 * partition summaries, plus the truncation that the `truncate(N)` metrics mode applies to bounds.
 */

import { FloeError } from "../../errors.js";
import {
  bigintToMinBytes,
  bytesToUuid,
  int32ToLE,
  int64ToLE,
  minBytesToBigint,
  utf8Decode,
  utf8Encode,
  uuidToBytes,
} from "./bytes.js";
import { truncateCodePoints } from "./transforms.js";
import { type PrimitiveType, primitiveKind } from "./types.js";
import { checkValue, MICROS_PER_DAY, type PrimitiveValue } from "./values.js";

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function wrongLength(type: PrimitiveType, bytes: Uint8Array, expected: string): FloeError {
  return new FloeError("INVALID_ARGUMENT", `${type} bound must be ${expected} bytes, got ${bytes.length}`, {
    context: { type, length: bytes.length },
  });
}

/** Encodes a value (JS representation of values.ts) in Iceberg's binary single-value form. */
export function encodeSingleValue(type: PrimitiveType, value: PrimitiveValue): Uint8Array {
  const v = checkValue(type, value);
  switch (primitiveKind(type)) {
    case "boolean":
      return Uint8Array.of(v ? 1 : 0);
    case "int":
    case "date":
      return int32ToLE(v as number);
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns":
      return int64ToLE(v as bigint);
    case "float": {
      const out = new Uint8Array(4);
      view(out).setFloat32(0, v as number, true);
      return out;
    }
    case "double": {
      const out = new Uint8Array(8);
      view(out).setFloat64(0, v as number, true);
      return out;
    }
    case "decimal":
      return bigintToMinBytes(v as bigint);
    case "string":
      return utf8Encode(v as string);
    case "uuid":
      return uuidToBytes(v as string);
    case "fixed":
    case "binary":
      return (v as Uint8Array).slice();
    case "unknown":
    case "variant":
      throw new FloeError("UNSUPPORTED", `no single-value serialization for ${type}`, { context: { type } });
  }
}

/**
 * Decodes a binary single value of `type`. Bounds written before a type promotion are accepted as the
 * spec requires: 4 bytes for a long (written as int), a double (float) or a timestamp (date).
 */
export function decodeSingleValue(type: PrimitiveType, bytes: Uint8Array): PrimitiveValue {
  const kind = primitiveKind(type);
  switch (kind) {
    case "boolean":
      if (bytes.length !== 1) throw wrongLength(type, bytes, "1");
      return bytes[0] !== 0;
    case "int":
    case "date":
      if (bytes.length !== 4) throw wrongLength(type, bytes, "4");
      return view(bytes).getInt32(0, true);
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns": {
      if (bytes.length === 8) return view(bytes).getBigInt64(0, true);
      if (bytes.length === 4 && kind === "long") return BigInt(view(bytes).getInt32(0, true));
      if (bytes.length === 4 && kind !== "time") {
        // promoted from date: days -> micros (or nanos)
        const micros = BigInt(view(bytes).getInt32(0, true)) * MICROS_PER_DAY;
        return kind.endsWith("_ns") ? micros * 1000n : micros;
      }
      throw wrongLength(type, bytes, "8");
    }
    case "float":
      if (bytes.length !== 4) throw wrongLength(type, bytes, "4");
      return view(bytes).getFloat32(0, true);
    case "double":
      if (bytes.length === 4) return view(bytes).getFloat32(0, true);
      if (bytes.length !== 8) throw wrongLength(type, bytes, "8");
      return view(bytes).getFloat64(0, true);
    case "decimal":
      return minBytesToBigint(bytes);
    case "string":
      return utf8Decode(bytes);
    case "uuid":
      return bytesToUuid(bytes);
    case "fixed":
    case "binary":
      return bytes.slice();
    case "unknown":
    case "variant":
      throw new FloeError("UNSUPPORTED", `no single-value serialization for ${type}`, { context: { type } });
  }
}

// ---- bound truncation (metrics mode truncate(N)) -----------------------------------------------------

/** A lower bound for strings starting with `s`: its first `n` code points. */
export function truncateLowerBoundString(s: string, n: number): string {
  return truncateCodePoints(s, n);
}

/**
 * An upper bound for strings starting with `s`, at most `n` code points: `s` itself if short enough,
 * otherwise the first `n` code points with the last one incremented (carrying to earlier code points
 * when it is U+10FFFF; surrogates are skipped). Undefined when no such bound exists.
 */
export function truncateUpperBoundString(s: string, n: number): string | undefined {
  const prefix = truncateCodePoints(s, n);
  if (prefix.length === s.length) return s;
  const cps = Array.from(prefix, (c) => c.codePointAt(0) as number);
  for (let i = cps.length - 1; i >= 0; i--) {
    let next = (cps[i] as number) + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return String.fromCodePoint(...cps.slice(0, i), next);
  }
  return undefined;
}

/** A lower bound for byte strings starting with `b`: its first `n` bytes. */
export function truncateLowerBoundBinary(b: Uint8Array, n: number): Uint8Array {
  return b.length <= n ? b : b.slice(0, n);
}

/**
 * An upper bound for byte strings starting with `b`, at most `n` bytes: `b` itself if short enough,
 * otherwise the first `n` bytes with the last byte below 0xff incremented and everything after it dropped.
 * Undefined when all of the first `n` bytes are 0xff.
 */
export function truncateUpperBoundBinary(b: Uint8Array, n: number): Uint8Array | undefined {
  if (b.length <= n) return b;
  for (let i = n - 1; i >= 0; i--) {
    const byte = b[i] as number;
    if (byte !== 0xff) {
      const out = b.slice(0, i + 1);
      out[i] = byte + 1;
      return out;
    }
  }
  return undefined;
}

/**
 * The encoded lower bound of a column whose minimum is `value`, truncated to `truncateLength` code points
 * (string) or bytes (binary) when given. Other types are never truncated.
 */
export function encodeLowerBound(
  type: PrimitiveType,
  value: PrimitiveValue,
  truncateLength?: number,
): Uint8Array {
  if (truncateLength !== undefined) {
    const kind = primitiveKind(type);
    if (kind === "string")
      return encodeSingleValue(type, truncateLowerBoundString(value as string, truncateLength));
    if (kind === "binary")
      return encodeSingleValue(type, truncateLowerBoundBinary(value as Uint8Array, truncateLength));
  }
  return encodeSingleValue(type, value);
}

/** The encoded upper bound for a maximum `value`, or undefined when truncation leaves no valid bound. */
export function encodeUpperBound(
  type: PrimitiveType,
  value: PrimitiveValue,
  truncateLength?: number,
): Uint8Array | undefined {
  if (truncateLength !== undefined) {
    const kind = primitiveKind(type);
    if (kind === "string") {
      const bound = truncateUpperBoundString(checkValue(type, value) as string, truncateLength);
      return bound === undefined ? undefined : encodeSingleValue(type, bound);
    }
    if (kind === "binary") {
      const bound = truncateUpperBoundBinary(checkValue(type, value) as Uint8Array, truncateLength);
      return bound === undefined ? undefined : encodeSingleValue(type, bound);
    }
  }
  return encodeSingleValue(type, value);
}
