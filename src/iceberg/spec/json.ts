/**
 * Int64-safe JSON. `JSON.parse` turns 3051729675574597004 into 3051729675574597000; Iceberg metadata is
 * full of such ids. `parseJson` keeps integer literals outside Number's safe range as bigint, and
 * `stringifyJson` writes bigint values as bare JSON integers.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

function syntaxError(message: string, text: string, pos: number): FloeError {
  return new FloeError("INVALID_ARGUMENT", `invalid JSON: ${message} at position ${pos}`, {
    context: { position: pos, near: text.slice(Math.max(0, pos - 10), pos + 10) },
  });
}

/** Recursive-descent parser over the input string; strings are decoded with JSON.parse on their slice. */
class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos !== this.text.length)
      throw syntaxError("unexpected trailing characters", this.text, this.pos);
    return value;
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): JsonValue {
    if (depth > 1000) throw syntaxError("nesting too deep", this.text, this.pos);
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.parseObject(depth);
      case "[":
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case "t":
        return this.parseLiteral("true", true);
      case "f":
        return this.parseLiteral("false", false);
      case "n":
        return this.parseLiteral("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.parseNumber();
        throw syntaxError(
          c === undefined ? "unexpected end of input" : `unexpected character '${c}'`,
          this.text,
          this.pos,
        );
    }
  }

  private parseLiteral<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw syntaxError(`expected '${word}'`, this.text, this.pos);
    this.pos += word.length;
    return value;
  }

  private parseNumber(): number | bigint {
    const t = this.text;
    const start = this.pos;
    if (t[this.pos] === "-") this.pos++;
    if (t[this.pos] === "0") {
      this.pos++;
    } else if (isDigit(t[this.pos])) {
      while (isDigit(t[this.pos])) this.pos++;
    } else {
      throw syntaxError("invalid number", t, this.pos);
    }
    let integer = true;
    if (t[this.pos] === ".") {
      integer = false;
      this.pos++;
      if (!isDigit(t[this.pos])) throw syntaxError("invalid number fraction", t, this.pos);
      while (isDigit(t[this.pos])) this.pos++;
    }
    if (t[this.pos] === "e" || t[this.pos] === "E") {
      integer = false;
      this.pos++;
      if (t[this.pos] === "+" || t[this.pos] === "-") this.pos++;
      if (!isDigit(t[this.pos])) throw syntaxError("invalid number exponent", t, this.pos);
      while (isDigit(t[this.pos])) this.pos++;
    }
    const literal = t.slice(start, this.pos);
    const n = Number(literal);
    if (integer && !Number.isSafeInteger(n)) return BigInt(literal);
    return n;
  }

  private parseString(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let escaped = false;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        const raw = t.slice(start, this.pos);
        if (!escaped) return raw.slice(1, -1);
        try {
          return JSON.parse(raw) as string;
        } catch (e) {
          throw new FloeError("INVALID_ARGUMENT", `invalid JSON string at position ${start}`, { cause: e });
        }
      }
      if (c === 0x5c) {
        escaped = true;
        this.pos += 2;
        continue;
      }
      if (c < 0x20) throw syntaxError("control character in string", t, this.pos);
      this.pos++;
    }
    throw syntaxError("unterminated string", t, start);
  }

  private parseArray(depth: number): JsonValue[] {
    this.pos++; // [
    const out: JsonValue[] = [];
    this.skipWs();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      out.push(this.parseValue(depth + 1));
      this.skipWs();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "]") return out;
      if (c !== ",") throw syntaxError("expected ',' or ']'", this.text, this.pos - 1);
    }
  }

  private parseObject(depth: number): { [key: string]: JsonValue } {
    this.pos++; // {
    const out: { [key: string]: JsonValue } = {};
    this.skipWs();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') throw syntaxError("expected a property name", this.text, this.pos);
      const key = this.parseString();
      this.skipWs();
      if (this.text[this.pos] !== ":") throw syntaxError("expected ':'", this.text, this.pos);
      this.pos++;
      this.skipWs();
      const value = this.parseValue(depth + 1);
      // defineProperty so that a "__proto__" key stays an own data property, as with JSON.parse.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const c = this.text[this.pos];
      this.pos++;
      if (c === "}") return out;
      if (c !== ",") throw syntaxError("expected ',' or '}'", this.text, this.pos - 1);
    }
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parses JSON text. Integer literals (no fraction, no exponent) that fit in a safe Number come back as
 * number; larger ones come back as bigint. Everything else matches JSON.parse.
 */
export function parseJson(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

/**
 * Serialises like JSON.stringify (same key order, same skipping of undefined/functions, toJSON honoured),
 * except that bigint values are written as bare integers. Non-finite numbers are rejected rather than
 * silently written as null.
 */
export function stringifyJson(value: unknown, indent?: number | string): string {
  const gap =
    typeof indent === "number" ? " ".repeat(Math.max(0, Math.min(10, indent))) : (indent ?? "").slice(0, 10);
  const out = write(value, "", gap, new Set());
  if (out === undefined) throw new FloeError("INVALID_ARGUMENT", "value is not serialisable as JSON");
  return out;
}

function write(value: unknown, current: string, gap: string, seen: Set<object>): string | undefined {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) {
        throw new FloeError("INVALID_ARGUMENT", `cannot write non-finite number ${value} as JSON`);
      }
      return JSON.stringify(value);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return "null";
  const obj = value as object;
  if (seen.has(obj)) throw new FloeError("INVALID_ARGUMENT", "cannot write a circular structure as JSON");
  seen.add(obj);
  const inner = current + gap;
  const open = gap ? `\n${inner}` : "";
  const sep = gap ? `,\n${inner}` : ",";
  const close = gap ? `\n${current}` : "";
  let result: string;
  if (Array.isArray(obj)) {
    if (obj.length === 0) result = "[]";
    else {
      const items = obj.map((item) => write(item, inner, gap, seen) ?? "null");
      result = `[${open}${items.join(sep)}${close}]`;
    }
  } else {
    const parts: string[] = [];
    for (const key of Object.keys(obj)) {
      const v = write((obj as Record<string, unknown>)[key], inner, gap, seen);
      if (v !== undefined) parts.push(`${JSON.stringify(key)}:${gap ? " " : ""}${v}`);
    }
    result = parts.length === 0 ? "{}" : `{${open}${parts.join(sep)}${close}}`;
  }
  seen.delete(obj);
  return result;
}

// ---- zod helpers for JSON numbers ---------------------------------------------------------------------

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * A JSON long that must stay exact (snapshot ids, sequence numbers, row ids): accepts a number (safe
 * integer) or a bigint from parseJson, and always yields bigint.
 */
export const Int64Schema = z
  .union([z.bigint(), z.number().int()])
  .transform((v) => BigInt(v))
  .refine((v) => v >= INT64_MIN && v <= INT64_MAX, { message: "value is outside the int64 range" });

/**
 * A JSON long that is fine as a number (timestamps and ages in milliseconds): accepts number or bigint
 * and yields number.
 */
export const MillisSchema = z.union([z.number().int(), z.bigint()]).transform((v) => Number(v));
