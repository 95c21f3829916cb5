/**
 * Parsing of the Iceberg primitive type strings that partition fields carry ('int', 'decimal(9,2)',
 * 'fixed[16]', ...), and the two facts about them that the Avro layer needs: decimal byte widths and
 * value ordering.
 */

import { FloeError } from "../../errors.js";
import type { PartitionValue } from "../spec/index.js";
import {
  decimalParams,
  fixedLength,
  type PrimitiveType,
  parsePrimitiveType as parseSpecPrimitiveType,
  primitiveKind,
} from "../spec/index.js";

/** The primitive kinds a partition value can have (the spec's v3-only kinds are not partition types). */
export type PrimitiveKind =
  | "boolean"
  | "int"
  | "long"
  | "float"
  | "double"
  | "date"
  | "time"
  | "timestamp"
  | "timestamptz"
  | "timestamp_ns"
  | "timestamptz_ns"
  | "string"
  | "uuid"
  | "binary"
  | "fixed"
  | "decimal";

const KINDS: ReadonlySet<string> = new Set<PrimitiveKind>([
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
  "string",
  "uuid",
  "binary",
  "fixed",
  "decimal",
]);

export interface PrimitiveTypeInfo {
  kind: PrimitiveKind;
  /** fixed[L]: L. */
  length?: number;
  /** decimal(P,S): P and S. */
  precision?: number;
  scale?: number;
}

/** Parses an Iceberg primitive type string (through the spec layer); INVALID_ARGUMENT for anything else. */
export function parsePrimitiveType(type: string): PrimitiveTypeInfo {
  let parsed: PrimitiveType;
  try {
    parsed = parseSpecPrimitiveType(type.trim().toLowerCase());
  } catch (e) {
    throw new FloeError("INVALID_ARGUMENT", `not an Iceberg primitive type: ${type}`, {
      cause: e,
      context: { type },
    });
  }
  const kind = primitiveKind(parsed);
  if (!KINDS.has(kind)) {
    throw new FloeError("INVALID_ARGUMENT", `${type} cannot be a partition value type`, {
      context: { type },
    });
  }
  if (kind === "fixed") return { kind, length: fixedLength(parsed) ?? 0 };
  if (kind === "decimal") return { kind, ...(decimalParams(parsed) ?? { precision: 0, scale: 0 }) };
  return { kind: kind as PrimitiveKind };
}

/** Smallest number of bytes whose two's complement range holds every unscaled value of `precision` digits. */
export function decimalRequiredBytes(precision: number): number {
  const limit = 10n ** BigInt(precision);
  let bytes = 1;
  while (1n << BigInt(8 * bytes - 1) < limit) bytes += 1;
  return bytes;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Code-point order, which is the byte order of the UTF-8 encodings. */
function compareStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Java's Float.compare order for non-NaN values: -0.0 sorts before 0.0. */
function compareFloats(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === 0 && b === 0) {
    const na = Object.is(a, -0);
    const nb = Object.is(b, -0);
    return na === nb ? 0 : na ? -1 : 1;
  }
  return 0;
}

/** Orders two non-null, non-NaN partition values of the same Iceberg type. */
export function comparePartitionValues(
  info: PrimitiveTypeInfo,
  a: PartitionValue,
  b: PartitionValue,
): number {
  switch (info.kind) {
    case "float":
    case "double":
      return compareFloats(Number(a), Number(b));
    case "string":
      return compareStrings(String(a), String(b));
    case "binary":
    case "fixed":
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case "uuid":
      // Canonical lowercase strings order like their bytes (unsigned, big-endian).
      return compareStrings(
        typeof a === "string" ? a.toLowerCase() : uuidToString(a as Uint8Array),
        typeof b === "string" ? b.toLowerCase() : uuidToString(b as Uint8Array),
      );
    case "boolean":
      return a === b ? 0 : a ? 1 : -1;
    default: {
      const x = typeof a === "bigint" ? a : BigInt(a as number);
      const y = typeof b === "bigint" ? b : BigInt(b as number);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** 16 bytes -> canonical lowercase UUID string. */
export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new FloeError("INVALID_ARGUMENT", `a uuid has 16 bytes, got ${bytes.length}`);
  }
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Canonical (any case) UUID string or 16 bytes -> 16 bytes, big-endian as Iceberg stores them. */
export function uuidToBytes(value: string | Uint8Array): Uint8Array {
  if (typeof value !== "string") {
    if (value.length !== 16) {
      throw new FloeError("INVALID_ARGUMENT", `a uuid has 16 bytes, got ${value.length}`);
    }
    return value;
  }
  const hex = value.replaceAll("-", "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new FloeError("INVALID_ARGUMENT", `not a uuid: ${value}`);
  }
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Unscaled decimal -> big-endian two's complement in exactly `width` bytes (width 0: minimal). */
export function bigintToTwosComplement(value: bigint, width = 0): Uint8Array {
  let minimal = 1;
  while (value < -(1n << BigInt(8 * minimal - 1)) || value >= 1n << BigInt(8 * minimal - 1)) minimal += 1;
  const size = width === 0 ? minimal : width;
  if (minimal > size) {
    throw new FloeError("INVALID_ARGUMENT", `decimal value ${value} does not fit in ${size} bytes`);
  }
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(8 * size, value);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Big-endian two's complement bytes -> bigint. */
export function twosComplementToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return BigInt.asIntN(8 * bytes.length, v);
}
