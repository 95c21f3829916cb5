/**
 * Protobuf message type (protobufjs reflection, resolved) -> Iceberg struct, together with a converter
 * from the message objects protobufjs decodes to the Iceberg JS representation (iceberg/spec/values.ts).
 *
 * int32/sint32/sfixed32 -> int; uint32/fixed32 -> long; int64/sint64/sfixed64 -> long; uint64/fixed64
 * -> long (values above 2^63-1 are DECODE_FAILED); float, double, bool, string; bytes -> binary;
 * enum -> string (the value's name; a number the enum does not define becomes its decimal text);
 * message -> struct; repeated -> list (elements required); map<K, V> -> map (values required); a oneof's
 * members are ordinary columns, null except the one set.
 * Well-known types: google.protobuf.Timestamp -> timestamptz (nanos truncated to micros);
 * google.protobuf.Duration -> long, in microseconds (nanos truncated toward zero); the wrappers
 * (google.protobuf.StringValue, Int64Value etc.) -> their primitive, null when absent;
 * google.protobuf.Struct, Value and ListValue -> string holding the JSON text (a Value set to
 * null_value is the text `null`); google.protobuf.Empty -> no column; Any and FieldMask are ordinary
 * messages (struct<type_url, value> and struct<paths>). google/type/* and confluent/* imports, which
 * Confluent's serializers also leave out of the references, are not bundled: such a schema fails.
 *
 * Every column is optional: a field without presence (a proto3 scalar) holds its value or the default,
 * a field with presence (a message, a oneof member, proto3 `optional`, proto2 `optional`) is null when
 * absent; proto2 `required` fields are required columns. Fields of a message type with no fields
 * (google.protobuf.Empty) carry no values and are left out; a recursive message type is
 * SCHEMA_INCOMPATIBLE.
 */

import protobuf from "protobufjs";
import { FloeError } from "../../errors.js";
import type { IcebergType, NestedField, PrimitiveType, StructType } from "../../iceberg/spec/index.js";
import { numberFields, setOwn } from "../schema/index.js";
import { decodeFailed } from "./errors.js";

type Convert = ((v: unknown) => unknown) | null; // null: the value is already right

interface Node {
  type: IcebergType;
  convert: Convert;
}

export interface CompiledProtobufMessage {
  struct: StructType;
  /** Decoded protobufjs message -> row. */
  toRow: (message: unknown) => Record<string, unknown>;
}

interface LongLike {
  low: number;
  high: number;
}

type Obj = Record<string, unknown>;

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

function incompatible(path: string, why: string): FloeError {
  return new FloeError("SCHEMA_INCOMPATIBLE", `field "${path || "<root>"}": ${why}`, {
    context: { field: path },
  });
}

/** A signed 64-bit value from what protobufjs gives: a Long, or a number for defaults. */
function int64(v: unknown): bigint {
  if (typeof v === "number") return BigInt(v);
  const { low, high } = v as LongLike;
  if ((high === 0 && low >= 0) || (high === -1 && low < 0)) return BigInt(low); // fits in 32 bits
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
}

/** An unsigned 64-bit value as a long; above 2^63-1 it does not fit. */
function uint64(path: string): (v: unknown) => bigint {
  return (v) => {
    if (typeof v === "number") return BigInt(v);
    const { low, high } = v as LongLike;
    if (high < 0) {
      const value = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
      throw decodeFailed(`field "${path}": uint64 value ${value} is above the long range (2^63-1)`);
    }
    return int64(v);
  };
}

const toBigint = (v: unknown) => BigInt(v as number);
const copyBytes = (v: unknown) => new Uint8Array(v as Uint8Array);

/** Iceberg type and converter of a protobuf scalar type (`bytes` values are copied out of the record). */
function scalar(type: string, path: string): { type: PrimitiveType; convert: Convert } | undefined {
  switch (type) {
    case "int32":
    case "sint32":
    case "sfixed32":
      return { type: "int", convert: null };
    case "uint32":
    case "fixed32":
      return { type: "long", convert: toBigint };
    case "int64":
    case "sint64":
    case "sfixed64":
      return { type: "long", convert: int64 };
    case "uint64":
    case "fixed64":
      return { type: "long", convert: uint64(path) };
    case "float":
      return { type: "float", convert: null };
    case "double":
      return { type: "double", convert: null };
    case "bool":
      return { type: "boolean", convert: null };
    case "string":
      return { type: "string", convert: null };
    case "bytes":
      return { type: "binary", convert: copyBytes };
    default:
      return undefined;
  }
}

/** Map keys as protobufjs holds them (object property names) -> the key's value. */
function mapKey(keyType: string, path: string): (k: string) => unknown {
  switch (keyType) {
    case "string":
      return (k) => k;
    case "bool":
      return (k) => k === "true" || k === "1";
    case "int32":
    case "sint32":
    case "sfixed32":
      return (k) => Number(k);
    case "uint32":
    case "fixed32":
      return (k) => BigInt(k);
    default: {
      // 64-bit keys are 8-character hashes of the bits (util.longToHash); an absent key is "0".
      const unsigned = keyType === "uint64" || keyType === "fixed64";
      const value = unsigned ? uint64(`${path}.key`) : int64;
      return (k) => (k.length === 8 ? value(protobuf.util.longFromHash(k, unsigned)) : BigInt(k));
    }
  }
}

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map(
    (t) => `.google.protobuf.${t}Value`,
  ),
);

class ProtobufToIceberg {
  /** Message types being converted, for recursion. */
  private readonly open = new Set<string>();

  /** The node for a field's value (one element of a repeated field); undefined: no values (an empty message). */
  value(field: protobuf.FieldBase, typeName: string, path: string): Node | undefined {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) return this.enumNode(resolved);
    if (resolved instanceof protobuf.Type) return this.messageNode(resolved, path);
    const s = scalar(typeName, path);
    if (s === undefined)
      throw decodeFailed(`invalid Protobuf schema: unknown type "${typeName}" at "${path}"`);
    return s;
  }

  private enumNode(e: protobuf.Enum): Node {
    const names = new Map<number, string>();
    for (const [name, id] of Object.entries(e.values)) if (!names.has(id)) names.set(id, name);
    return { type: "string", convert: (v) => names.get(v as number) ?? String(v) };
  }

  messageNode(type: protobuf.Type, path: string): Node | undefined {
    const full = type.fullName;
    if (full === ".google.protobuf.Timestamp") return { type: "timestamptz", convert: timestampMicros(path) };
    if (full === ".google.protobuf.Duration") return { type: "long", convert: durationMicros(path) };
    const json = JSON_TYPES[full];
    if (json !== undefined) return { type: "string", convert: jsonText(type, json) };
    if (WRAPPERS.has(full)) {
      const inner = type.fields.value;
      const s = inner ? scalar(inner.type, path) : undefined;
      if (s !== undefined) {
        const conv = s.convert;
        return {
          type: s.type,
          convert: conv === null ? (v) => (v as Obj).value : (v) => conv((v as Obj).value),
        };
      }
    }
    const struct = this.struct(type, path);
    return struct.fields.length === 0 ? undefined : struct;
  }

  struct(type: protobuf.Type, path: string): Node & { fields: NestedField[] } {
    const full = type.fullName;
    if (this.open.has(full)) {
      throw incompatible(path, `recursive Protobuf message ${full.slice(1)} cannot be an Iceberg type`);
    }
    this.open.add(full);
    try {
      return this.fieldsOf(type, path);
    } finally {
      this.open.delete(full);
    }
  }

  private fieldsOf(type: protobuf.Type, path: string): Node & { fields: NestedField[] } {
    const fields: NestedField[] = [];
    const converters: { name: string; get: (m: Obj) => unknown }[] = [];
    for (const field of type.fieldsArray) {
      field.resolve();
      const fieldPath = path ? `${path}.${field.name}` : field.name;
      const node =
        field instanceof protobuf.MapField
          ? this.mapNode(field, fieldPath)
          : field.repeated
            ? this.listNode(field, fieldPath)
            : this.value(field, field.type, fieldPath);
      if (node === undefined) continue;
      fields.push({
        id: 0,
        name: field.name,
        required: field instanceof protobuf.Field && field.required,
        type: node.type,
        ...(field.comment ? { doc: field.comment } : {}),
      });
      converters.push({ name: field.name, get: getter(field, node.convert) });
    }
    return {
      type: { type: "struct", fields },
      fields,
      convert: (v) => {
        const message = v as Obj;
        const out: Obj = {};
        for (const { name, get } of converters) {
          if (name === "__proto__") setOwn(out, name, get(message));
          else out[name] = get(message);
        }
        return out;
      },
    };
  }

  private listNode(field: protobuf.Field, path: string): Node | undefined {
    const element = this.value(field, field.type, `${path}.element`);
    if (element === undefined) return undefined;
    const conv = element.convert;
    return {
      type: { type: "list", "element-id": 0, element: element.type, "element-required": true },
      convert: conv === null ? null : (v) => (v as unknown[]).map(conv),
    };
  }

  private mapNode(field: protobuf.MapField, path: string): Node | undefined {
    const key = scalar(field.keyType, `${path}.key`);
    if (key === undefined || key.type === "float" || key.type === "double" || key.type === "binary") {
      throw decodeFailed(`invalid Protobuf schema: map key type "${field.keyType}" at "${path}"`);
    }
    const value = this.value(field, field.type, `${path}.value`);
    if (value === undefined) return undefined;
    const toKey = mapKey(field.keyType, path);
    const conv = value.convert;
    // An entry without a value holds the value type's default (an empty message for message values).
    const resolved = field.resolvedType;
    const empty = resolved instanceof protobuf.Type ? () => resolved.create() : () => null;
    return {
      type: {
        type: "map",
        "key-id": 0,
        key: key.type,
        "value-id": 0,
        value: value.type,
        "value-required": true,
      },
      convert: (v) => {
        const out = new Map<unknown, unknown>();
        for (const [k, x] of Object.entries(v as Obj)) {
          const y = x === null ? empty() : x;
          out.set(toKey(k), conv === null ? y : conv(y));
        }
        return out;
      },
    };
  }
}

/** How to read one field of a decoded message, with presence. */
function getter(field: protobuf.FieldBase, convert: Convert): (m: Obj) => unknown {
  const name = field.name;
  const isMessage = field.resolvedType instanceof protobuf.Type;
  if (field.repeated || field instanceof protobuf.MapField) {
    return convert === null ? (m) => m[name] : (m) => (convert as (v: unknown) => unknown)(m[name]);
  }
  if (isMessage || (field instanceof protobuf.Field && field.hasPresence)) {
    // Absent: not an own property (protobufjs keeps defaults on the prototype).
    return (m) => {
      if (!Object.hasOwn(m, name)) return null;
      const x = m[name];
      return x === null || x === undefined ? null : convert === null ? x : convert(x);
    };
  }
  // No presence (proto3 scalar): the value, or its default from the message prototype.
  return convert === null ? (m) => m[name] ?? null : (m) => convert(m[name]);
}

function durationMicros(path: string): (v: unknown) => bigint {
  return (v) => {
    const d = v as Obj;
    const seconds = int64(d.seconds ?? 0);
    const nanos = typeof d.nanos === "number" ? d.nanos : 0;
    const micros = seconds * 1_000_000n + BigInt(Math.trunc(nanos / 1000));
    if (micros < LONG_MIN || micros > LONG_MAX) {
      throw decodeFailed(`field "${path}": duration of ${seconds} seconds is out of range`);
    }
    return micros;
  };
}

type JsonKind = "struct" | "value" | "list";

const JSON_TYPES: Record<string, JsonKind> = {
  ".google.protobuf.Struct": "struct",
  ".google.protobuf.Value": "value",
  ".google.protobuf.ListValue": "list",
};

/**
 * google.protobuf.Struct / Value / ListValue -> JSON text. Fields are found by number, so both the
 * snake_case names of struct.proto and protobufjs's bundled camelCase copy work.
 */
function jsonText(type: protobuf.Type, kind: JsonKind): (v: unknown) => string {
  const lookup = (name: string) => type.root.lookupType(`.google.protobuf.${name}`);
  const nameOf = (t: protobuf.Type, id: number): string => {
    const field = t.fieldsById[id];
    if (field === undefined) throw decodeFailed(`invalid Protobuf schema: ${t.fullName} has no field ${id}`);
    return field.name;
  };
  const value = lookup("Value");
  // Value's kind: 1 null_value, 2 number_value, 3 string_value, 4 bool_value, 5 struct_value, 6 list_value.
  const scalarKinds = [2, 3, 4].map((id) => nameOf(value, id));
  const structKind = nameOf(value, 5);
  const listKind = nameOf(value, 6);
  const fields = nameOf(lookup("Struct"), 1);
  const values = nameOf(lookup("ListValue"), 1);
  const struct = (s: Obj, depth: number): Obj => {
    const out: Obj = {};
    for (const [k, x] of Object.entries((s[fields] ?? {}) as Obj)) setOwn(out, k, toJs(x as Obj, depth + 1));
    return out;
  };
  const list = (l: Obj, depth: number): unknown[] =>
    ((l[values] ?? []) as Obj[]).map((x) => toJs(x, depth + 1));
  // protobufjs keeps unset fields' defaults on the prototype: the kind set is the own property.
  const toJs = (v: Obj | null | undefined, depth: number): unknown => {
    if (depth > 100) throw decodeFailed("google.protobuf.Value nests too deeply");
    if (v === null || v === undefined) return null;
    for (const name of scalarKinds) if (Object.hasOwn(v, name)) return v[name];
    if (Object.hasOwn(v, structKind)) return struct(v[structKind] as Obj, depth);
    if (Object.hasOwn(v, listKind)) return list(v[listKind] as Obj, depth);
    return null; // null_value, or no kind set
  };
  const top = kind === "struct" ? struct : kind === "list" ? list : toJs;
  return (v) => JSON.stringify(top(v as Obj, 0));
}

function timestampMicros(path: string): (v: unknown) => bigint {
  return (v) => {
    const t = v as Obj;
    const seconds = int64(t.seconds ?? 0);
    const nanos = typeof t.nanos === "number" ? t.nanos : 0;
    const micros = seconds * 1_000_000n + BigInt(Math.floor(nanos / 1000));
    if (micros < LONG_MIN || micros > LONG_MAX) {
      throw decodeFailed(`field "${path}": timestamp of ${seconds} seconds is out of range`);
    }
    return micros;
  };
}

/**
 * Compiles a resolved protobufjs message type into the record's Iceberg struct (local field ids) and a
 * converter from decoded messages. Throws SCHEMA_INCOMPATIBLE for what Iceberg cannot express and
 * DECODE_FAILED for an invalid schema.
 */
export function compileProtobufMessage(type: protobuf.Type): CompiledProtobufMessage {
  if (!protobuf.util.Long) {
    throw new FloeError("INTERNAL", "protobufjs has no Long support: 64-bit values would lose precision");
  }
  const converter = new ProtobufToIceberg();
  const root = converter.struct(type, "");
  const convert = root.convert as (v: unknown) => unknown;
  return { struct: numberFields(root.fields), toRow: (m) => convert(m) as Obj };
}
