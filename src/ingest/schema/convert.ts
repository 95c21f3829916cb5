/**
 * Conversion of one primitive value into the JS representation of an Iceberg primitive type
 * (iceberg/spec/values.ts). Two modes:
 *
 * - `row`: the value is already in the representation of the record's own type (a decoded Avro value,
 *   a strictly converted JSON row). A bigint is a long, an unscaled decimal or micros, as the type says.
 * - `json`: the value came straight from JSON text. A bigint is just a large JSON integer (so for a
 *   timestamp it is epoch millis and for a decimal it is the integer value), and a string column accepts
 *   any JSON value (non-strings are kept as their JSON text).
 *
 * Strings are parsed where the type asks (ISO-8601 timestamps/dates/times, decimal text, UUIDs, base64
 * for binary in json mode); numbers are epoch millis for timestamps. Decimals are exact: a value with
 * more fraction digits than the scale is refused, never rounded.
 */

import { FloeError } from "../../errors.js";
import {
  bytesToUuid,
  decimalParams,
  fixedLength,
  isUuidString,
  MICROS_PER_DAY,
  type PrimitiveType,
  parseDate,
  parseTime,
  parseTimestamp,
  primitiveKind,
  stringifyJson,
} from "../../iceberg/spec/index.js";

export type ConvertMode = "row" | "json";

/** Converts a non-null value; throws DECODE_FAILED naming `path`. */
export type ValueConverter = (value: unknown) => unknown;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/** A short, bounded rendering of a value for error messages. */
export function showValue(value: unknown): string {
  if (typeof value === "string") {
    const cut = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof Map) return "a map";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** The DECODE_FAILED error for a value at `path` that cannot become `type`. */
export function conversionError(path: string, type: string, value: unknown, why?: string): FloeError {
  return new FloeError(
    "DECODE_FAILED",
    `field "${path}": cannot convert ${showValue(value)} to ${type}${why ? `: ${why}` : ""}`,
    { context: { field: path, type } },
  );
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * The unscaled value of decimal text (`-12.5`, `1.25e3`, `7`) at `scale`, exactly; returns a reason string
 * when the text is not a number or has non-zero digits beyond the scale.
 */
export function decimalFromText(text: string, scale: number): bigint | string {
  const m = DECIMAL_TEXT.exec(text.trim());
  const int = m?.[2] ?? "";
  const frac = m?.[3] ?? "";
  if (!m || (int === "" && frac === "")) return "not a decimal number";
  const exp = Number(m[4] ?? "0");
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return "exponent out of range";
  const digits = (int + frac).replace(/^0+(?=\d)/, "");
  const shift = exp - frac.length + scale; // unscaled = digits * 10^shift
  let unscaled: bigint;
  if (shift >= 0) {
    unscaled = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const drop = -shift;
    const kept = digits.length > drop ? digits.slice(0, digits.length - drop) : "0";
    const dropped = digits.length > drop ? digits.slice(digits.length - drop) : digits;
    if (/[1-9]/.test(dropped)) return `more than ${scale} fraction digits`;
    unscaled = BigInt(kept);
  }
  return m[1] === "-" ? -unscaled : unscaled;
}

function digitCount(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** Standard or URL-safe base64, padded or not. */
function base64ToBytes(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(text, text.includes("-") || text.includes("_") ? "base64url" : "base64"));
}

/** Parses an ISO-8601 date or timestamp to nanoseconds from the epoch; returns a reason on failure. */
function nanosFromText(text: string): bigint | string {
  const s = text.trim();
  try {
    if (/^[+-]?\d{4,}-\d{2}-\d{2}$/.test(s)) return BigInt(parseDate(s)) * MICROS_PER_DAY * 1000n;
    return parseTimestamp(s, "nanos");
  } catch {
    return "not an ISO-8601 timestamp";
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * Builds the converter for one primitive type (values reaching it are never null or undefined). With
 * `numbers`, long and timestamp values that are safe integers stay numbers instead of becoming
 * bigint (for column builders, which store both alike, so that no BigInt is made per value).
 */
export function primitiveConverter(
  type: PrimitiveType,
  mode: ConvertMode,
  path: string,
  numbers = false,
): ValueConverter {
  const fail = (value: unknown, why?: string): never => {
    throw conversionError(path, type, value, why);
  };
  const checkLong = (v: bigint, value: unknown): bigint =>
    v < LONG_MIN || v > LONG_MAX ? fail(value, "out of the 64-bit range") : v;
  const kind = primitiveKind(type);
  switch (kind) {
    case "boolean":
      return (v) => (typeof v === "boolean" ? v : fail(v));
    case "int":
      return (v) => {
        const n = typeof v === "bigint" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n)) return fail(v, "not an integer");
        return n < INT_MIN || n > INT_MAX ? fail(v, "out of the 32-bit range") : n;
      };
    case "long":
      return (v) => {
        if (typeof v === "bigint") return checkLong(v, v);
        if (typeof v !== "number" || !Number.isInteger(v)) return fail(v, "not an integer");
        if (!Number.isSafeInteger(v)) return fail(v, "not exactly representable");
        return numbers ? v : BigInt(v);
      };
    case "float":
    case "double":
      return (v) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : fail(v));
    case "decimal": {
      const { precision, scale } = decimalParams(type) ?? { precision: 38, scale: 0 };
      const pow = 10n ** BigInt(scale);
      return (v) => {
        let unscaled: bigint | string;
        if (typeof v === "bigint") unscaled = mode === "row" ? v : v * pow;
        else if (typeof v === "number")
          unscaled = Number.isFinite(v) ? decimalFromText(String(v), scale) : "not finite";
        else if (typeof v === "string") unscaled = decimalFromText(v, scale);
        else unscaled = "not a number";
        if (typeof unscaled === "string") return fail(v, unscaled);
        return digitCount(unscaled) > precision ? fail(v, `more than ${precision} digits`) : unscaled;
      };
    }
    case "date":
      return (v) => {
        if (typeof v === "number" && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX) return v;
        if (typeof v !== "string") return fail(v);
        try {
          return parseDate(v.trim());
        } catch {
          return fail(v, "expected YYYY-MM-DD");
        }
      };
    case "time":
      return (v) => {
        let micros: bigint;
        if (typeof v === "bigint") micros = v;
        else if (typeof v === "string") {
          try {
            micros = parseTime(v.trim());
          } catch {
            return fail(v, "expected HH:MM:SS[.ffffff]");
          }
        } else return fail(v);
        return micros < 0n || micros >= MICROS_PER_DAY ? fail(v, "not within a day") : micros;
      };
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns": {
      const nanos = kind.endsWith("_ns");
      const perMilli = nanos ? 1_000_000n : 1000n;
      const unitsPerMilli = Number(perMilli);
      return (v) => {
        let out: bigint;
        if (typeof v === "bigint") out = mode === "row" ? v : v * perMilli;
        else if (typeof v === "number") {
          if (!Number.isFinite(v)) return fail(v);
          const scaled = v * unitsPerMilli;
          // Exact in a double below 2^53 (every timestamp within ~285 years of 1970 in micros): one BigInt.
          if (Number.isSafeInteger(scaled) && Number.isInteger(v)) return numbers ? scaled : BigInt(scaled);
          out = Number.isInteger(v) ? BigInt(v) * perMilli : BigInt(Math.round(scaled));
        } else if (typeof v === "string") {
          const ns = nanosFromText(v);
          if (typeof ns === "string") return fail(v, ns);
          out = nanos ? ns : floorDiv(ns, 1000n);
        } else return fail(v);
        return checkLong(out, v);
      };
    }
    case "string":
      return (v) => {
        if (typeof v === "string") return v;
        return mode === "json" ? stringifyJson(v) : fail(v, "not a string");
      };
    case "uuid":
      return (v) => {
        if (typeof v === "string") return isUuidString(v) ? v.toLowerCase() : fail(v, "not a UUID");
        if (v instanceof Uint8Array && v.length === 16) return bytesToUuid(v);
        return fail(v);
      };
    case "binary":
    case "fixed": {
      const length = fixedLength(type);
      return (v) => {
        let bytes = v instanceof Uint8Array ? v : undefined;
        if (bytes === undefined && mode === "json" && typeof v === "string") {
          bytes = base64ToBytes(v) ?? fail(v, "not base64");
        }
        if (bytes === undefined) return fail(v, "not bytes");
        return length !== undefined && bytes.length !== length ? fail(v, `expected ${length} bytes`) : bytes;
      };
    }
    case "unknown":
      return () => null;
    case "variant":
      return (v) => fail(v, "variant columns are not supported");
  }
}
