/**
 * How Iceberg primitive values are held in JS, and the date/time arithmetic they need.
 *
 * | Iceberg type                   | JS value                                              |
 * |--------------------------------|-------------------------------------------------------|
 * | boolean                        | boolean                                               |
 * | int                            | number (int32)                                        |
 * | long                           | bigint (int64)                                        |
 * | float, double                  | number                                                |
 * | decimal(P, S)                  | bigint: the unscaled value (scale comes from the type)|
 * | date                           | number: days from 1970-01-01                          |
 * | time                           | bigint: microseconds from midnight                    |
 * | timestamp, timestamptz         | bigint: microseconds from 1970-01-01T00:00:00 (UTC)   |
 * | timestamp_ns, timestamptz_ns   | bigint: nanoseconds from 1970-01-01T00:00:00 (UTC)    |
 * | string                         | string                                                |
 * | uuid                           | string, canonical 8-4-4-4-12 hex                      |
 * | fixed[L], binary               | Uint8Array                                            |
 */

import { FloeError } from "../../errors.js";
import { compareBytes, isUuidString } from "./bytes.js";
import { decimalParams, fixedLength, type PrimitiveType, primitiveKind } from "./types.js";

export type PrimitiveValue = boolean | number | bigint | string | Uint8Array;

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;
export const MICROS_PER_DAY = 86_400_000_000n;
export const MICROS_PER_HOUR = 3_600_000_000n;

function bad(type: PrimitiveType, value: unknown, why: string): FloeError {
  const shown =
    typeof value === "bigint" ? `${value}n` : typeof value === "string" ? `"${value}"` : String(value);
  return new FloeError("INVALID_ARGUMENT", `value ${shown} is not a valid ${type}: ${why}`, {
    context: { type },
  });
}

/** Checks that `value` uses the JS representation of `type` (table above) and is in range. */
export function checkValue(type: PrimitiveType, value: unknown): PrimitiveValue {
  const kind = primitiveKind(type);
  switch (kind) {
    case "boolean":
      if (typeof value !== "boolean") throw bad(type, value, "expected a boolean");
      return value;
    case "int":
    case "date":
      if (typeof value !== "number" || !Number.isInteger(value))
        throw bad(type, value, "expected an integer number");
      if (value < INT_MIN || value > INT_MAX) throw bad(type, value, "out of int32 range");
      return value;
    case "float":
    case "double":
      if (typeof value !== "number") throw bad(type, value, "expected a number");
      return value;
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns":
      if (typeof value !== "bigint") throw bad(type, value, "expected a bigint");
      if (value < LONG_MIN || value > LONG_MAX) throw bad(type, value, "out of int64 range");
      if (kind === "time" && (value < 0n || value >= MICROS_PER_DAY))
        throw bad(type, value, "not within a day");
      return value;
    case "decimal": {
      if (typeof value !== "bigint") throw bad(type, value, "expected the unscaled value as a bigint");
      const p = decimalParams(type);
      const digits = (value < 0n ? -value : value).toString().length;
      if (p && value !== 0n && digits > p.precision)
        throw bad(type, value, `more than ${p.precision} digits`);
      return value;
    }
    case "string":
      if (typeof value !== "string") throw bad(type, value, "expected a string");
      return value;
    case "uuid":
      if (typeof value !== "string" || !isUuidString(value)) throw bad(type, value, "expected a UUID string");
      return value;
    case "fixed":
    case "binary": {
      if (!(value instanceof Uint8Array)) throw bad(type, value, "expected a Uint8Array");
      const len = fixedLength(type);
      if (len !== undefined && value.length !== len) throw bad(type, value, `expected ${len} bytes`);
      return value;
    }
    case "unknown":
    case "variant":
      throw new FloeError("UNSUPPORTED", `${type} values have no primitive representation`, {
        context: { type },
      });
  }
}

// ---- order ------------------------------------------------------------------------------------------

/** Code-point order, which is the order of the UTF-8 encodings. */
function compareCodePoints(a: string, b: string): number {
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

/** Java's Float.compare for non-NaN values: -0.0 sorts before 0.0. */
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

/**
 * Iceberg's order of two non-null, non-NaN values of `type` (-1, 0 or 1), the order bounds are kept in:
 * floats as Java compares them (-0.0 before 0.0), strings by code point, uuids, fixed and binary by
 * unsigned bytes, false before true, integers (number or bigint) by value.
 */
export function compareValues(type: PrimitiveType, a: PrimitiveValue, b: PrimitiveValue): number {
  switch (primitiveKind(type)) {
    case "float":
    case "double":
      return compareFloats(Number(a), Number(b));
    case "string":
      return compareCodePoints(String(a), String(b));
    case "uuid": // canonical lowercase strings order like their bytes (unsigned, big-endian)
      return compareCodePoints(String(a).toLowerCase(), String(b).toLowerCase());
    case "binary":
    case "fixed":
      return Math.sign(compareBytes(a as Uint8Array, b as Uint8Array));
    case "boolean":
      return a === b ? 0 : a ? 1 : -1;
    default: {
      const x = typeof a === "bigint" ? a : BigInt(a as number);
      const y = typeof b === "bigint" ? b : BigInt(b as number);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

// ---- calendar arithmetic (proleptic Gregorian, no time zones) ----------------------------------------

/** Days from 1970-01-01 to the given civil date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day count from 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

const pad = (n: number | bigint, width: number) => {
  const s = (n < 0 ? -n : n).toString().padStart(width, "0");
  return n < 0 ? `-${s}` : s;
};

/** `2017-11-16` from days. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * Time of day from nanoseconds since midnight, the way java.time prints it: `22:31`, `22:31:08`,
 * `22:31:08.100`, `22:31:08.000001`, `22:31:08.000000001`.
 */
function formatNanosOfDay(nanos: bigint): string {
  const h = nanos / 3_600_000_000_000n;
  const m = (nanos / 60_000_000_000n) % 60n;
  const s = (nanos / 1_000_000_000n) % 60n;
  const frac = nanos % 1_000_000_000n;
  let out = `${pad(h, 2)}:${pad(m, 2)}`;
  if (s > 0n || frac > 0n) out += `:${pad(s, 2)}`;
  if (frac > 0n) {
    if (frac % 1_000_000n === 0n) out += `.${pad(frac / 1_000_000n, 3)}`;
    else if (frac % 1000n === 0n) out += `.${pad(frac / 1000n, 6)}`;
    else out += `.${pad(frac, 9)}`;
  }
  return out;
}

/** `22:31:08` from microseconds since midnight. */
export function formatTime(micros: bigint): string {
  return formatNanosOfDay(micros * 1000n);
}

/** `2017-11-16T22:31:08` from a timestamp; `unit` is the value's precision, `zone` appends `Z` (UTC). */
export function formatTimestamp(value: bigint, unit: "micros" | "nanos" = "micros", zone = false): string {
  const perDay = unit === "micros" ? MICROS_PER_DAY : MICROS_PER_DAY * 1000n;
  const days = floorDiv(value, perDay);
  const rem = value - days * perDay;
  const text = `${formatDate(Number(days))}T${formatNanosOfDay(unit === "micros" ? rem * 1000n : rem)}`;
  return zone ? `${text}Z` : text;
}

const DATE_RE = /^([+-]?\d{4,})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

function invalid(what: string, text: string): FloeError {
  return new FloeError("INVALID_ARGUMENT", `invalid ISO-8601 ${what}: "${text}"`, {
    context: { value: text },
  });
}

/** Days from 1970-01-01 for `YYYY-MM-DD`. */
export function parseDate(text: string): number {
  const m = DATE_RE.exec(text);
  if (!m) throw invalid("date", text);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = daysFromCivil(year, month, day);
  const back = civilFromDays(days);
  if (back.month !== month || back.day !== day) throw invalid("date", text);
  return days;
}

function parseNanosOfDay(text: string, what: string): bigint {
  const m = TIME_RE.exec(text);
  if (!m) throw invalid(what, text);
  const h = BigInt(m[1] ?? "0");
  const min = BigInt(m[2] ?? "0");
  const s = BigInt(m[3] ?? "0");
  if (h > 23n || min > 59n || s > 59n) throw invalid(what, text);
  const frac = BigInt((m[4] ?? "").padEnd(9, "0"));
  return ((h * 60n + min) * 60n + s) * 1_000_000_000n + frac;
}

/** Microseconds from midnight for `HH:MM[:SS[.ffffff]]` (digits beyond micros must be zero). */
export function parseTime(text: string): bigint {
  const nanos = parseNanosOfDay(text, "time");
  if (nanos % 1000n !== 0n) throw invalid("time (sub-microsecond)", text);
  return nanos / 1000n;
}

/**
 * A timestamp `YYYY-MM-DDTHH:MM[:SS[.fffffffff]]` with an optional zone (`Z`, `+hh:mm`, `-hh:mm`),
 * as microseconds (default) or nanoseconds from the epoch in UTC. A space may replace the `T`.
 */
export function parseTimestamp(text: string, unit: "micros" | "nanos" = "micros"): bigint {
  const m = /^(.+?)[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) throw invalid("timestamp", text);
  const days = BigInt(parseDate(m[1] ?? ""));
  let nanos = days * MICROS_PER_DAY * 1000n + parseNanosOfDay(m[2] ?? "", "timestamp");
  const zone = m[3];
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone.startsWith("-") ? -1n : 1n;
    const digits = zone.slice(1).replace(":", "");
    const offsetMinutes = BigInt(digits.slice(0, 2)) * 60n + BigInt(digits.slice(2));
    nanos -= sign * offsetMinutes * 60_000_000_000n;
  }
  if (unit === "nanos") return nanos;
  if (nanos % 1000n !== 0n) throw invalid("timestamp (sub-microsecond)", text);
  return nanos / 1000n;
}

/** The unscaled decimal value written with its scale: 1420n, 2 -> "14.20"; -5n, 2 -> "-0.05". */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? "-" : "") + digits + "0".repeat(-scale);
  const padded = digits.padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/** Parses a plain decimal string to its unscaled value at `scale`; more fraction digits than `scale` is an error. */
export function parseDecimal(text: string, scale: number): bigint {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) throw invalid("decimal", text);
  const frac = m[3] ?? "";
  if (frac.replace(/0+$/, "").length > scale) {
    throw new FloeError("INVALID_ARGUMENT", `decimal "${text}" has more than ${scale} fraction digits`, {
      context: { value: text, scale },
    });
  }
  const unscaled = BigInt((m[2] || "0") + frac.padEnd(scale, "0").slice(0, scale));
  return m[1] === "-" ? -unscaled : unscaled;
}
