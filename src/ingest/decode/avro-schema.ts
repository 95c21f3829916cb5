/**
 * Avro schema -> Iceberg struct, together with a converter from the raw values avsc decodes (logical
 * types NOT applied, every long a bigint) to the Iceberg JS representation.
 *
 * record -> struct; ["null", T] (any order) -> optional T; other unions -> SCHEMA_INCOMPATIBLE;
 * boolean/int/long/float/double/string; bytes -> binary; enum -> string; fixed -> fixed[L];
 * array -> list; map -> map<string, V>. Logical types: date -> date; time-millis/micros -> time;
 * timestamp-millis/micros -> timestamptz; local-timestamp-millis/micros -> timestamp; the -nanos
 * variants -> timestamptz_ns / timestamp_ns; decimal (bytes or fixed) -> decimal(P, S); uuid (string or
 * fixed[16]) -> uuid. A logical type on the wrong underlying type is ignored, as the Avro spec says.
 * A top-level schema that is not a record becomes a struct with one field, `value`.
 */

import { FloeError } from "../../errors.js";
import {
  bytesToUuid,
  decimalType,
  type IcebergType,
  isUuidString,
  MAX_DECIMAL_PRECISION,
  minBytesToBigint,
  type NestedField,
  type StructType,
} from "../../iceberg/spec/index.js";
import { numberFields, setOwn } from "../schema/index.js";
import { decodeFailed } from "./errors.js";

type Convert = ((v: unknown) => unknown) | null; // null: the value is already right

interface Node {
  type: IcebergType;
  optional: boolean;
  convert: Convert;
}

export interface CompiledAvroSchema {
  struct: StructType;
  /** Raw avsc value -> row. */
  toRow: (value: unknown) => Record<string, unknown>;
}

const PRIMITIVES: Record<string, IcebergType> = {
  boolean: "boolean",
  int: "int",
  long: "long",
  float: "float",
  double: "double",
  string: "string",
  bytes: "binary",
};

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

function incompatible(path: string, why: string): FloeError {
  return new FloeError("SCHEMA_INCOMPATIBLE", `field "${path || "<root>"}": ${why}`, {
    context: { field: path },
  });
}

const copyBytes = (v: unknown) => new Uint8Array(v as Uint8Array);

function scaleBy(factor: bigint, path: string): Convert {
  return (v) => {
    const out = (v as bigint) * factor;
    if (out < LONG_MIN || out > LONG_MAX) {
      throw decodeFailed(`field "${path}": ${v} is out of range for a microsecond timestamp`);
    }
    return out;
  };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Converts raw Avro schemas (referenced schemas first, the record's own schema last). */
class AvroToIceberg {
  /** Named types by full name; `undefined` node while the type is being converted (recursion). */
  private readonly named = new Map<string, Node | undefined>();

  convertAll(schemas: unknown[]): Node {
    let last: Node | undefined;
    for (const s of schemas) last = this.node(s, "", "");
    if (last === undefined) throw decodeFailed("no Avro schema to convert");
    return last;
  }

  private fullName(name: string, namespace: string): string {
    return name.includes(".") || namespace === "" ? name : `${namespace}.${name}`;
  }

  node(schema: unknown, namespace: string, path: string): Node {
    if (typeof schema === "string") return this.byName(schema, namespace, path);
    if (Array.isArray(schema)) return this.union(schema, namespace, path);
    if (!isObj(schema)) throw decodeFailed(`invalid Avro schema at "${path}"`);
    const type = schema.type;
    if (typeof type !== "string") return this.node(type, namespace, path);
    switch (type) {
      case "record":
      case "error":
        return this.defineNamed(schema, namespace, (ns) => this.record(schema, ns, path));
      case "enum":
        return this.defineNamed(schema, namespace, () => ({
          type: "string",
          optional: false,
          convert: null,
        }));
      case "fixed":
        return this.defineNamed(schema, namespace, () => this.fixed(schema, path));
      case "array": {
        const element = this.node(schema.items, namespace, `${path}.element`);
        const conv = element.convert;
        return {
          type: {
            type: "list",
            "element-id": 0,
            element: element.type,
            "element-required": !element.optional,
          },
          optional: false,
          convert: conv === null ? null : (v) => (v as unknown[]).map((x) => (x === null ? null : conv(x))),
        };
      }
      case "map": {
        const value = this.node(schema.values, namespace, `${path}.value`);
        const conv = value.convert;
        return {
          type: {
            type: "map",
            "key-id": 0,
            key: "string",
            "value-id": 0,
            value: value.type,
            "value-required": !value.optional,
          },
          optional: false,
          convert: (v) => {
            const out = new Map<string, unknown>();
            for (const [k, x] of Object.entries(v as Obj))
              out.set(k, conv === null || x === null ? x : conv(x));
            return out;
          },
        };
      }
      default:
        return this.primitive(type, schema, namespace, path);
    }
  }

  private byName(name: string, namespace: string, path: string): Node {
    if (name === "null") throw incompatible(path, "a field of Avro type null has no Iceberg type");
    const primitive = PRIMITIVES[name];
    if (primitive !== undefined)
      return { type: primitive, optional: false, convert: name === "bytes" ? copyBytes : null };
    const full = this.fullName(name, namespace);
    const key = this.named.has(full) ? full : this.named.has(name) ? name : undefined;
    if (key === undefined) throw decodeFailed(`invalid Avro schema: unknown type "${name}" at "${path}"`);
    const node = this.named.get(key);
    if (node === undefined) throw incompatible(path, `recursive Avro type ${key} cannot be an Iceberg type`);
    return node;
  }

  private defineNamed(schema: Obj, namespace: string, build: (ns: string) => Node): Node {
    const name = typeof schema.name === "string" ? schema.name : "";
    const own = typeof schema.namespace === "string" ? schema.namespace : namespace;
    const full = this.fullName(name, own);
    const ns = full.includes(".") ? full.slice(0, full.lastIndexOf(".")) : "";
    if (name !== "") this.named.set(full, undefined);
    const node = build(ns);
    if (name !== "") this.named.set(full, node);
    return node;
  }

  private union(branches: unknown[], namespace: string, path: string): Node {
    const isNull = (b: unknown) => b === "null" || (isObj(b) && b.type === "null");
    const others = branches.filter((b) => !isNull(b));
    if (others.length !== 1) {
      throw incompatible(
        path,
        others.length === 0
          ? "a union of only null has no Iceberg type"
          : `a union of ${others.length} non-null types cannot be an Iceberg type (only ["null", T] can)`,
      );
    }
    const inner = this.node(others[0], namespace, path);
    return { ...inner, optional: inner.optional || others.length < branches.length };
  }

  private record(schema: Obj, namespace: string, path: string): Node {
    if (!Array.isArray(schema.fields))
      throw decodeFailed(`invalid Avro schema: record at "${path}" has no fields`);
    const fields: NestedField[] = [];
    const converters: { name: string; convert: Convert }[] = [];
    for (const f of schema.fields as unknown[]) {
      if (!isObj(f) || typeof f.name !== "string")
        throw decodeFailed(`invalid Avro schema: bad field at "${path}"`);
      const fieldPath = path ? `${path}.${f.name}` : f.name;
      const node = this.node(f.type, namespace, fieldPath);
      fields.push({
        id: 0,
        name: f.name,
        required: !node.optional,
        type: node.type,
        ...(typeof f.doc === "string" && f.doc !== "" ? { doc: f.doc } : {}),
      });
      converters.push({ name: f.name, convert: node.convert });
    }
    return {
      type: { type: "struct", fields },
      optional: false,
      convert: (v) => {
        const raw = v as Obj;
        const out: Obj = {};
        for (const { name, convert } of converters) {
          const x = raw[name];
          const y = convert === null || x === null || x === undefined ? (x ?? null) : convert(x);
          if (name === "__proto__") setOwn(out, name, y);
          else out[name] = y;
        }
        return out;
      },
    };
  }

  private fixed(schema: Obj, path: string): Node {
    const size = schema.size;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
      throw decodeFailed(`invalid Avro schema: fixed at "${path}" has no valid size`);
    }
    const logical = schema.logicalType;
    if (logical === "decimal") return this.decimal(schema, path) ?? this.plainFixed(size);
    if (logical === "uuid" && size === 16) {
      return { type: "uuid", optional: false, convert: (v) => bytesToUuid(v as Uint8Array) };
    }
    return this.plainFixed(size);
  }

  private plainFixed(size: number): Node {
    return { type: `fixed[${size}]`, optional: false, convert: copyBytes };
  }

  private decimal(schema: Obj, path: string): Node | undefined {
    const precision = schema.precision;
    const scale = schema.scale ?? 0;
    if (typeof precision !== "number" || typeof scale !== "number") return undefined;
    if (
      !Number.isInteger(precision) ||
      !Number.isInteger(scale) ||
      precision < 1 ||
      scale < 0 ||
      scale > precision
    ) {
      return undefined;
    }
    if (precision > MAX_DECIMAL_PRECISION) {
      throw incompatible(path, `decimal precision ${precision} is above Iceberg's ${MAX_DECIMAL_PRECISION}`);
    }
    return {
      type: decimalType(precision, scale),
      optional: false,
      convert: (v) => minBytesToBigint(v as Uint8Array),
    };
  }

  private primitive(type: string, schema: Obj, namespace: string, path: string): Node {
    const logical = schema.logicalType;
    const plain = () => this.byName(type, namespace, path);
    if (type === "int") {
      if (logical === "date") return { type: "date", optional: false, convert: null };
      if (logical === "time-millis")
        return { type: "time", optional: false, convert: (v) => BigInt(v as number) * 1000n };
    } else if (type === "long") {
      switch (logical) {
        case "time-micros":
          return { type: "time", optional: false, convert: null };
        case "timestamp-millis":
          return { type: "timestamptz", optional: false, convert: scaleBy(1000n, path) };
        case "timestamp-micros":
          return { type: "timestamptz", optional: false, convert: null };
        case "timestamp-nanos":
          return { type: "timestamptz_ns", optional: false, convert: null };
        case "local-timestamp-millis":
          return { type: "timestamp", optional: false, convert: scaleBy(1000n, path) };
        case "local-timestamp-micros":
          return { type: "timestamp", optional: false, convert: null };
        case "local-timestamp-nanos":
          return { type: "timestamp_ns", optional: false, convert: null };
      }
    } else if (type === "bytes" && logical === "decimal") {
      return this.decimal(schema, path) ?? plain();
    } else if (type === "string" && logical === "uuid") {
      return {
        type: "uuid",
        optional: false,
        convert: (v) => {
          if (typeof v === "string" && isUuidString(v)) return v.toLowerCase();
          throw decodeFailed(`field "${path}": ${JSON.stringify(String(v).slice(0, 40))} is not a UUID`);
        },
      };
    }
    return plain();
  }
}

/**
 * Compiles raw Avro schemas (parsed JSON; referenced schemas first, the record's schema last) into the
 * record's Iceberg struct (local ids) and a value converter. Throws SCHEMA_INCOMPATIBLE for what Iceberg
 * cannot express, DECODE_FAILED for an invalid schema.
 */
export function compileAvroSchema(schemas: unknown[]): CompiledAvroSchema {
  const root = new AvroToIceberg().convertAll(schemas);
  if (typeof root.type === "object" && root.type.type === "struct") {
    const convert = root.convert;
    return {
      struct: numberFields(root.type.fields),
      toRow: (v) => (convert === null ? (v as Obj) : (convert(v) as Obj)),
    };
  }
  const convert = root.convert;
  return {
    struct: numberFields([{ id: 0, name: "value", required: !root.optional, type: root.type }]),
    toRow: (v) => ({ value: convert === null || v === null ? v : convert(v) }),
  };
}
