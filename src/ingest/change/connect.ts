/**
 * Kafka Connect's JsonConverter with `schemas.enable=true`: a value `{"schema": ..., "payload": ...}`
 * whose `schema` describes the payload. The schema becomes an Iceberg struct (local ids 1..n) and the
 * payload a row in the Iceberg JS representation (iceberg/spec/values.ts).
 *
 * Types: int8/int16/int32 -> int, int64 -> long, float32 -> float, float64 -> double, boolean, string,
 * bytes (base64 in JSON) -> binary, array -> list, map -> map (a JSON object, or an array of [key, value]
 * pairs for non-string keys), struct -> struct; `optional: false` -> a required field.
 * Logical names (`name`):
 * - org.apache.kafka.connect.data.Decimal (base64 two's complement, `scale` parameter, precision from
 *   `connect.decimal.precision`, else 38) -> decimal(P, S); .Date -> date; .Time -> time;
 *   .Timestamp -> timestamptz (as the AvroConverter's timestamp-millis, which the Avro decoder reads so).
 * - io.debezium.time.Date -> date; Time (ms), MicroTime, NanoTime -> time; Timestamp (ms),
 *   MicroTimestamp -> timestamp; NanoTimestamp -> timestamp_ns (local date-times, no zone);
 *   ZonedTimestamp (ISO-8601 text with offset) -> timestamptz; io.debezium.data.Uuid -> uuid;
 *   io.debezium.data.VariableScaleDecimal ({scale, value}) -> string (the exact decimal text).
 * Other names (Enum, Json, ZonedTime, Year, Bits, geometry...) keep their underlying type.
 * Compiled schemas are interned by their JSON text, so records of one schema share one StructType.
 */

import { FloeError } from "../../errors.js";
import {
  decimalType,
  formatDecimal,
  type IcebergType,
  isUuidString,
  MAX_DECIMAL_PRECISION,
  minBytesToBigint,
  type NestedField,
  parseTimestamp,
  type StructType,
} from "../../iceberg/spec/index.js";
import type { DecodedRecord } from "../decode/index.js";
import { numberFields, setOwn } from "../schema/index.js";

type Obj = Record<string, unknown>;
type Convert = (v: unknown) => unknown;

interface Node {
  type: IcebergType;
  optional: boolean;
  convert: Convert;
}

export interface CompiledConnectSchema {
  struct: StructType;
  /** Payload (parsed JSON, or a row the JSON decoder conformed) -> row. */
  toRow: (payload: unknown) => Record<string, unknown>;
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function bad(path: string, v: unknown, what: string): FloeError {
  const shown = typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : String(v);
  return new FloeError("DECODE_FAILED", `field "${path || "<root>"}": ${shown} is not ${what}`, {
    context: { field: path },
  });
}

function incompatible(path: string, why: string): FloeError {
  return new FloeError("SCHEMA_INCOMPATIBLE", `field "${path || "<root>"}": ${why}`, {
    context: { field: path },
  });
}

const toInt =
  (path: string): Convert =>
  (v) => {
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) throw bad(path, v, "an integer");
    return n;
  };

const toLong =
  (path: string): Convert =>
  (v) => {
    if (typeof v === "bigint") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
    throw bad(path, v, "an exact integer");
  };

const scaled = (path: string, factor: bigint, divisor = 1n): Convert => {
  const long = toLong(path);
  return (v) => ((long(v) as bigint) * factor) / divisor;
};

const toNumber =
  (path: string): Convert =>
  (v) => {
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    throw bad(path, v, "a number");
  };

const typed =
  (path: string, kind: "string" | "boolean"): Convert =>
  (v) => {
    if (typeof v !== kind) throw bad(path, v, `a ${kind}`);
    return v;
  };

function base64(path: string): (v: unknown) => Uint8Array {
  return (v) => {
    if (v instanceof Uint8Array) return v;
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw bad(path, v, "base64 bytes");
    return new Uint8Array(Buffer.from(v, "base64"));
  };
}

const param = (schema: Obj, name: string): string | undefined => {
  const p = schema.parameters;
  if (!isObj(p)) return undefined;
  const v = p[name];
  return v === undefined || v === null ? undefined : String(v);
};

/** A Connect schema node -> Iceberg type and value converter. */
function node(schema: unknown, path: string): Node {
  if (!isObj(schema) || typeof schema.type !== "string") {
    throw new FloeError("DECODE_FAILED", `Connect schema at "${path || "<root>"}" has no type`);
  }
  const optional = schema.optional === true;
  const name = typeof schema.name === "string" ? schema.name : "";
  const leaf = (type: IcebergType, convert: Convert): Node => ({ type, optional, convert });
  switch (name) {
    case "org.apache.kafka.connect.data.Decimal": {
      const scale = Number(param(schema, "scale") ?? "0");
      const precision = Number(param(schema, "connect.decimal.precision") ?? MAX_DECIMAL_PRECISION);
      if (precision > MAX_DECIMAL_PRECISION) {
        throw incompatible(path, `decimal precision ${precision} is above ${MAX_DECIMAL_PRECISION}`);
      }
      const bytes = base64(path);
      return leaf(decimalType(precision, scale), (v) => minBytesToBigint(bytes(v)));
    }
    case "org.apache.kafka.connect.data.Date":
    case "io.debezium.time.Date":
      return leaf("date", toInt(path));
    case "org.apache.kafka.connect.data.Time":
    case "io.debezium.time.Time":
      return leaf("time", scaled(path, 1000n));
    case "io.debezium.time.MicroTime":
      return leaf("time", toLong(path));
    case "io.debezium.time.NanoTime":
      return leaf("time", scaled(path, 1n, 1000n));
    case "org.apache.kafka.connect.data.Timestamp":
      return leaf("timestamptz", scaled(path, 1000n));
    case "io.debezium.time.Timestamp":
      return leaf("timestamp", scaled(path, 1000n));
    case "io.debezium.time.MicroTimestamp":
      return leaf("timestamp", toLong(path));
    case "io.debezium.time.NanoTimestamp":
      return leaf("timestamp_ns", toLong(path));
    case "io.debezium.time.ZonedTimestamp":
      return leaf("timestamptz", (v) => {
        if (typeof v !== "string") throw bad(path, v, "an ISO-8601 timestamp");
        try {
          return parseTimestamp(v, "nanos") / 1000n;
        } catch {
          throw bad(path, v, "an ISO-8601 timestamp");
        }
      });
    case "io.debezium.data.Uuid":
      return leaf("uuid", (v) => {
        if (typeof v !== "string" || !isUuidString(v)) throw bad(path, v, "a UUID");
        return v.toLowerCase();
      });
    case "io.debezium.data.VariableScaleDecimal": {
      const bytes = base64(`${path}.value`);
      return leaf("string", (v) => {
        if (!isObj(v)) throw bad(path, v, "a {scale, value} struct");
        return formatDecimal(minBytesToBigint(bytes(v.value)), Number(v.scale ?? 0));
      });
    }
  }
  switch (schema.type) {
    case "int8":
    case "int16":
    case "int32":
      return leaf("int", toInt(path));
    case "int64":
      return leaf("long", toLong(path));
    case "float32":
      return leaf("float", toNumber(path));
    case "float64":
      return leaf("double", toNumber(path));
    case "boolean":
      return leaf("boolean", typed(path, "boolean"));
    case "string":
      return leaf("string", typed(path, "string"));
    case "bytes":
      return leaf("binary", base64(path));
    case "array":
      return array(schema, optional, path);
    case "map":
      return map(schema, optional, path);
    case "struct":
      return struct(schema, optional, path);
  }
  throw incompatible(path, `Connect type ${String(schema.type)} has no Iceberg type`);
}

const nullable =
  (convert: Convert): Convert =>
  (v) =>
    v === null || v === undefined ? null : convert(v);

function array(schema: Obj, optional: boolean, path: string): Node {
  const element = node(schema.items, `${path}.element`);
  const conv = nullable(element.convert);
  return {
    type: { type: "list", "element-id": 0, element: element.type, "element-required": !element.optional },
    optional,
    convert: (v) => {
      if (!Array.isArray(v)) throw bad(path, v, "an array");
      return v.map(conv);
    },
  };
}

function map(schema: Obj, optional: boolean, path: string): Node {
  const key = node(schema.keys, `${path}.key`);
  const value = node(schema.values, `${path}.value`);
  const convValue = nullable(value.convert);
  return {
    type: {
      type: "map",
      "key-id": 0,
      key: key.type,
      "value-id": 0,
      value: value.type,
      "value-required": !value.optional,
    },
    optional,
    convert: (v) => {
      const out = new Map<unknown, unknown>();
      if (Array.isArray(v)) {
        for (const pair of v) {
          if (!Array.isArray(pair) || pair.length !== 2) throw bad(path, pair, "a [key, value] pair");
          out.set(key.convert(pair[0]), convValue(pair[1]));
        }
      } else if (v instanceof Map) {
        for (const [k, x] of v) out.set(key.convert(k), convValue(x));
      } else if (isObj(v)) {
        for (const k of Object.keys(v)) out.set(key.convert(k), convValue(v[k]));
      } else throw bad(path, v, "a map");
      return out;
    },
  };
}

function struct(schema: Obj, optional: boolean, path: string): Node {
  if (!Array.isArray(schema.fields))
    throw new FloeError("DECODE_FAILED", `Connect struct "${path}" has no fields`);
  const fields: NestedField[] = [];
  const converters: { name: string; convert: Convert }[] = [];
  for (const f of schema.fields as unknown[]) {
    if (!isObj(f) || typeof f.field !== "string") {
      throw new FloeError("DECODE_FAILED", `Connect struct "${path}" has a field without a name`);
    }
    const fieldPath = path ? `${path}.${f.field}` : f.field;
    const n = node(f, fieldPath);
    fields.push({ id: 0, name: f.field, required: !n.optional, type: n.type });
    converters.push({ name: f.field, convert: n.convert });
  }
  return {
    type: { type: "struct", fields },
    optional,
    convert: (v) => {
      if (!isObj(v)) throw bad(path, v, "a struct");
      const out: Obj = {};
      for (const c of converters) {
        const x = Object.hasOwn(v, c.name) ? v[c.name] : undefined;
        // A missing required value stays null here: a delete's `before` may hold only the key columns
        // (Postgres REPLICA IDENTITY DEFAULT); a row the table keeps is checked when it is written.
        setOwn(out, c.name, x === null || x === undefined ? null : c.convert(x));
      }
      return out;
    },
  };
}

/** Stable text of a parsed schema (large integers, if any, as their digits). */
function schemaText(schema: unknown): string {
  try {
    return JSON.stringify(schema); // the native path, without a replacer, is about twice as fast
  } catch {
    return JSON.stringify(schema, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  }
}

const MAX_SCHEMAS = 1024;
const compiled = new Map<string, CompiledConnectSchema>();

/**
 * Compiles (or finds) a Connect schema: a struct schema gives its fields as columns; any other schema one
 * column `value`. Throws DECODE_FAILED for a malformed schema, SCHEMA_INCOMPATIBLE for what Iceberg cannot
 * hold.
 */
export function compileConnectSchema(schema: unknown): CompiledConnectSchema {
  const text = schemaText(schema);
  let out = compiled.get(text);
  if (out !== undefined) return out;
  const root = node(schema, "");
  const convert = root.convert;
  if (typeof root.type === "object" && root.type.type === "struct") {
    out = { struct: numberFields(root.type.fields), toRow: (p) => convert(p) as Obj };
  } else {
    const struct = numberFields([{ id: 0, name: "value", required: !root.optional, type: root.type }]);
    out = { struct, toRow: (p) => ({ value: p === null || p === undefined ? null : convert(p) }) };
  }
  if (compiled.size >= MAX_SCHEMAS) compiled.clear();
  compiled.set(text, out);
  return out;
}

/** The decoded form of JsonConverter's `{"schema": null, "payload": null}`: a tombstone. */
export const EMPTY_RECORD: DecodedRecord = Object.freeze({
  row: {},
  schema: { type: "struct", fields: [] } as StructType,
});

/** Whether a parsed JSON value is JsonConverter's schema-and-payload form. */
export function isConnectEnvelope(v: unknown): v is { schema: unknown; payload: unknown } {
  if (!isObj(v)) return false;
  let n = 0;
  for (const k in v) {
    if (k !== "schema" && k !== "payload") return false;
    n++;
  }
  return n === 2 && (v.schema === null || (isObj(v.schema) && typeof v.schema.type === "string"));
}
