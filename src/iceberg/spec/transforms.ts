/**
 * Partition (and sort) transforms: identity, bucket[N], truncate[W], year, month, day, hour, void.
 * Values use the JS representation in values.ts; every transform maps null to null. Unknown transform
 * names are kept (readers must tolerate them) but cannot be applied.
 */

import { FloeError } from "../../errors.js";
import { bytesToBase64 } from "./bytes.js";
import { hashValue } from "./murmur3.js";
import {
  decimalParams,
  describeType,
  type IcebergType,
  type PrimitiveKind,
  type PrimitiveType,
  primitiveKind,
} from "./types.js";
import {
  checkValue,
  civilFromDays,
  floorDiv,
  formatDate,
  formatDecimal,
  formatTime,
  formatTimestamp,
  MICROS_PER_DAY,
  MICROS_PER_HOUR,
  type PrimitiveValue,
} from "./values.js";

export type Transform =
  | { type: "identity" }
  | { type: "bucket"; numBuckets: number }
  | { type: "truncate"; width: number }
  | { type: "year" }
  | { type: "month" }
  | { type: "day" }
  | { type: "hour" }
  | { type: "void" }
  | { type: "unknown"; name: string };

const PARAM_RE = /^(\w+)\[(\d+)\]$/;

/** Parses `identity`, `bucket[16]`, `truncate[10]`, `year`, ... (case-insensitive). Unknown names are kept. */
export function transformFromString(text: string): Transform {
  const s = text.trim().toLowerCase();
  const m = PARAM_RE.exec(s);
  if (m) {
    const n = Number(m[2]);
    if (m[1] === "bucket" || m[1] === "truncate") {
      if (!Number.isSafeInteger(n) || n < 1 || n > 2147483647) {
        throw new FloeError(
          "INVALID_ARGUMENT",
          `invalid ${m[1]} parameter in "${text}": must be 1..2147483647`,
          {
            context: { transform: text },
          },
        );
      }
      return m[1] === "bucket" ? { type: "bucket", numBuckets: n } : { type: "truncate", width: n };
    }
    return { type: "unknown", name: text };
  }
  switch (s) {
    case "identity":
    case "year":
    case "month":
    case "day":
    case "hour":
    case "void":
      return { type: s };
    default:
      return { type: "unknown", name: text };
  }
}

export function transformToString(t: Transform): string {
  switch (t.type) {
    case "bucket":
      return `bucket[${t.numBuckets}]`;
    case "truncate":
      return `truncate[${t.width}]`;
    case "unknown":
      return t.name;
    default:
      return t.type;
  }
}

/** Parses a transform string and throws UNSUPPORTED if it is not one Floe can apply. */
export function parseKnownTransform(text: string): Exclude<Transform, { type: "unknown" }> {
  const t = transformFromString(text);
  if (t.type === "unknown") {
    throw new FloeError("UNSUPPORTED", `unknown partition transform "${text}"`, {
      context: { transform: text },
    });
  }
  return t;
}

const BUCKET_SOURCES: ReadonlySet<PrimitiveKind> = new Set([
  "int",
  "long",
  "decimal",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
  "string",
  "uuid",
  "fixed",
  "binary",
]);
const TRUNCATE_SOURCES: ReadonlySet<PrimitiveKind> = new Set(["int", "long", "decimal", "string", "binary"]);
const TIMESTAMPS: ReadonlySet<PrimitiveKind> = new Set([
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
]);

/** Whether the transform can be applied to values of `source`. */
export function canTransform(t: Transform, source: IcebergType): boolean {
  if (typeof source !== "string") return false;
  const kind = primitiveKind(source);
  switch (t.type) {
    case "identity":
      return kind !== "variant" && kind !== "unknown";
    case "bucket":
      return BUCKET_SOURCES.has(kind);
    case "truncate":
      return TRUNCATE_SOURCES.has(kind);
    case "year":
    case "month":
    case "day":
      return kind === "date" || TIMESTAMPS.has(kind);
    case "hour":
      return TIMESTAMPS.has(kind);
    case "void":
      return true;
    case "unknown":
      return false;
  }
}

/**
 * The type of the transform's output for a source type. `day` yields `date` (as the Java and Python
 * implementations do; the values are the same ints). Unknown transforms report `string`, as Java does.
 */
export function transformResultType(t: Transform, source: IcebergType): PrimitiveType {
  if (t.type === "unknown") return "string";
  if (t.type === "void") return typeof source === "string" ? source : "int";
  if (!canTransform(t, source) || typeof source !== "string") {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `cannot apply transform ${transformToString(t)} to a ${describeType(source)} column`,
      { context: { transform: transformToString(t), sourceType: describeType(source) } },
    );
  }
  switch (t.type) {
    case "identity":
    case "truncate":
      return source;
    case "bucket":
    case "year":
    case "month":
    case "hour":
      return "int";
    case "day":
      return "date";
  }
}

/** Whether `a <= b` implies `t(a) <= t(b)`: true for identity, truncate and the time transforms. */
export function preservesOrder(t: Transform): boolean {
  switch (t.type) {
    case "identity":
    case "truncate":
    case "year":
    case "month":
    case "day":
    case "hour":
      return true;
    default:
      return false;
  }
}

/** Days from the epoch for a date or timestamp value. */
function toDays(kind: PrimitiveKind, v: PrimitiveValue): number {
  if (kind === "date") return v as number;
  const micros =
    kind === "timestamp_ns" || kind === "timestamptz_ns" ? floorDiv(v as bigint, 1000n) : (v as bigint);
  return Number(floorDiv(micros, MICROS_PER_DAY));
}

/** First `n` Unicode code points of `s` (never splits a surrogate pair). */
export function truncateCodePoints(s: string, n: number): string {
  let units = 0;
  let count = 0;
  while (units < s.length && count < n) {
    const cp = s.codePointAt(units) as number;
    units += cp > 0xffff ? 2 : 1;
    count++;
  }
  return s.slice(0, units);
}

/** Applies a transform to a value of `source` type; null and undefined map to null. */
export function applyTransform(
  t: Transform,
  source: PrimitiveType,
  value: PrimitiveValue | null | undefined,
): PrimitiveValue | null {
  if (t.type === "unknown") {
    throw new FloeError("UNSUPPORTED", `cannot apply unknown transform "${t.name}"`, {
      context: { transform: t.name },
    });
  }
  transformResultType(t, source); // validates the source type
  if (value === null || value === undefined || t.type === "void") return null;
  const v = checkValue(source, value);
  const kind = primitiveKind(source);
  switch (t.type) {
    case "identity":
      return v;
    case "bucket":
      return (hashValue(source, v) & 0x7fffffff) % t.numBuckets;
    case "truncate":
      return truncateValue(kind, v, t.width);
    case "year":
      return civilFromDays(toDays(kind, v)).year - 1970;
    case "month": {
      const { year, month } = civilFromDays(toDays(kind, v));
      return (year - 1970) * 12 + month - 1;
    }
    case "day":
      return toDays(kind, v);
    case "hour": {
      const micros =
        kind === "timestamp_ns" || kind === "timestamptz_ns" ? floorDiv(v as bigint, 1000n) : (v as bigint);
      return Number(floorDiv(micros, MICROS_PER_HOUR));
    }
  }
}

function truncateValue(kind: PrimitiveKind, v: PrimitiveValue, width: number): PrimitiveValue {
  switch (kind) {
    case "int": {
      // int32 arithmetic, as Java: v - (((v % W) + W) % W)
      const n = v as number;
      const rem = (((n % width) + width) | 0) % width;
      return (n - rem) | 0;
    }
    case "long": {
      const n = v as bigint;
      const w = BigInt(width);
      return BigInt.asIntN(64, n - (((n % w) + w) % w));
    }
    case "decimal": {
      const n = v as bigint;
      const w = BigInt(width);
      return n - (((n % w) + w) % w);
    }
    case "string":
      return truncateCodePoints(v as string, width);
    case "binary": {
      const b = v as Uint8Array;
      return b.length <= width ? b : b.slice(0, width);
    }
    default:
      throw new FloeError("INVALID_ARGUMENT", `cannot truncate ${kind}`);
  }
}

/** Human text of a value of `type`, as used in partition paths (binary as base64, time types ISO-8601). */
export function valueToHumanString(type: PrimitiveType, value: PrimitiveValue | null | undefined): string {
  if (value === null || value === undefined) return "null";
  switch (primitiveKind(type)) {
    case "date":
      return formatDate(value as number);
    case "time":
      return formatTime(value as bigint);
    case "timestamp":
      return formatTimestamp(value as bigint, "micros", false);
    case "timestamptz":
      return formatTimestamp(value as bigint, "micros", true);
    case "timestamp_ns":
      return formatTimestamp(value as bigint, "nanos", false);
    case "timestamptz_ns":
      return formatTimestamp(value as bigint, "nanos", true);
    case "decimal":
      return formatDecimal(value as bigint, decimalParams(type)?.scale ?? 0);
    case "fixed":
    case "binary":
      return bytesToBase64(value as Uint8Array);
    case "float":
    case "double": {
      const n = value as number;
      return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
    }
    default:
      return String(value);
  }
}

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, "0");
const year4 = (y: number) => (y < 0 ? `-${pad(y, 4)}` : pad(y, 4));

/**
 * Human text of a transform's result: `2024` (year), `2024-01` (month), `2024-01-31` (day),
 * `2024-01-31-10` (hour), and the value itself for identity, bucket, truncate and void.
 */
export function transformResultToHumanString(
  t: Transform,
  source: IcebergType,
  result: PrimitiveValue | null | undefined,
): string {
  if (result === null || result === undefined) return "null";
  switch (t.type) {
    case "year":
      return year4(1970 + (result as number));
    case "month": {
      const m = result as number;
      const y = 1970 + Math.floor(m / 12);
      return `${year4(y)}-${pad(m - (y - 1970) * 12 + 1, 2)}`;
    }
    case "day":
      return formatDate(result as number);
    case "hour": {
      const h = result as number;
      const days = Math.floor(h / 24);
      return `${formatDate(days)}-${pad(h - days * 24, 2)}`;
    }
    default:
      return valueToHumanString(transformResultType(t, source), result);
  }
}

/** URL-encodes like Java's URLEncoder (UTF-8): keeps A-Z a-z 0-9 . - * _, space becomes +. */
export function escapePathComponent(s: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** One partition directory name, e.g. `ts_day=2024-01-31` or `id_bucket=3`. */
export function partitionPathSegment(
  name: string,
  t: Transform,
  source: IcebergType,
  result: PrimitiveValue | null | undefined,
): string {
  return `${escapePathComponent(name)}=${escapePathComponent(transformResultToHumanString(t, source, result))}`;
}
