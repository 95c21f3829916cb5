/**
 * Rows into a schema's value representation. A converter is compiled once per schema object (and
 * mode) and cached, so converting a record is a walk over precompiled closures with the field paths
 * already built: no per-record schema inspection.
 */

import { FloeError } from "../../errors.js";
import type { IcebergType, NestedField, Schema, StructType } from "../../iceberg/spec/index.js";
import { type ConvertMode, conversionError, primitiveConverter, type ValueConverter } from "./convert.js";

type RowConverter = (row: Record<string, unknown>) => Record<string, unknown>;

const caches: Record<ConvertMode, WeakMap<object, RowConverter>> = {
  row: new WeakMap(),
  json: new WeakMap(),
};

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Map) && !ArrayBuffer.isView(v)
  );
}

function required(path: string): FloeError {
  return new FloeError("DECODE_FAILED", `field "${path}" is required but the value is null or missing`, {
    context: { field: path },
  });
}

/** Sets a key as an own data property, so that `__proto__` does not replace the object's prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

interface CompiledField {
  name: string;
  required: boolean;
  /** Whether plain objects inherit a property of this name (then only an own property counts). */
  inherited: boolean;
  convert: ValueConverter;
}

function compileField(f: NestedField, mode: ConvertMode, prefix: string, numbers: boolean): CompiledField {
  const path = prefix ? `${prefix}.${f.name}` : f.name;
  const inner = compileType(f.type, mode, path, numbers);
  const convert = f.required ? nonNull(inner, path) : inner;
  return { name: f.name, required: f.required, inherited: f.name in Object.prototype, convert };
}

function compileFields(fields: NestedField[], mode: ConvertMode, prefix: string): RowConverter {
  const compiled = fields.map((f) => compileField(f, mode, prefix, false));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const f of compiled) {
      const v = !f.inherited || Object.hasOwn(row, f.name) ? row[f.name] : undefined;
      const x = v === null || v === undefined ? (f.required ? f.convert(v) : null) : f.convert(v);
      if (f.name === "__proto__") setOwn(out, f.name, x);
      else out[f.name] = x;
    }
    return out;
  };
}

/** Wraps a converter so that null and undefined are refused (required fields, elements, keys). */
function nonNull(convert: ValueConverter, path: string): ValueConverter {
  return (v) => {
    if (v === null || v === undefined) throw required(path);
    return convert(v);
  };
}

/** Like nonNull, but null passes through as null (optional elements and values). */
function nullable(convert: ValueConverter): ValueConverter {
  return (v) => (v === null || v === undefined ? null : convert(v));
}

/** `numbers` applies to a primitive type only (see primitiveConverter): nested values keep bigints. */
function compileType(type: IcebergType, mode: ConvertMode, path: string, numbers = false): ValueConverter {
  if (typeof type === "string") return primitiveConverter(type, mode, path, numbers);
  switch (type.type) {
    case "struct": {
      const convert = compileFields(type.fields, mode, path);
      return (v) => (isPlainRecord(v) ? convert(v) : failNested(path, "struct", v));
    }
    case "list": {
      const elementPath = `${path}.element`;
      const inner = compileType(type.element, mode, elementPath);
      const element = type["element-required"] ? nonNull(inner, elementPath) : nullable(inner);
      return (v) => (Array.isArray(v) ? v.map(element) : failNested(path, "list", v));
    }
    case "map": {
      const key = nonNull(compileType(type.key, mode, `${path}.key`), `${path}.key`);
      const inner = compileType(type.value, mode, `${path}.value`);
      const value = type["value-required"] ? nonNull(inner, `${path}.value`) : nullable(inner);
      return (v) => {
        const out = new Map<unknown, unknown>();
        if (v instanceof Map) {
          for (const [k, x] of v) out.set(key(k), value(x));
        } else if (isPlainRecord(v)) {
          for (const k of Object.keys(v)) out.set(key(k), value(v[k]));
        } else {
          return failNested(path, "map", v);
        }
        return out;
      };
    }
  }
}

function failNested(path: string, what: string, value: unknown): never {
  throw conversionError(path, what, value);
}

/** The cached row converter for a struct (or schema) object in `mode`. */
export function rowConverter(struct: StructType | Schema, mode: ConvertMode): RowConverter {
  const cache = caches[mode];
  let convert = cache.get(struct);
  if (convert === undefined) {
    convert = compileFields(struct.fields, mode, "");
    cache.set(struct, convert);
  }
  return convert;
}

/**
 * Converts a decoded row to the table schema's value representation: ints widen to bigint for long
 * columns, numbers to float/double, strings parse into timestamps/dates/times/uuids/decimals where the
 * column type asks, nested structs, lists and maps too. Every table column appears in the result (null
 * when the row lacks it); row fields that are not table columns are dropped. Throws DECODE_FAILED naming
 * the field when a value cannot be converted or a required column is null.
 */
export function conformRow(table: Schema, row: Record<string, unknown>): Record<string, unknown> {
  return rowConverter(table, "row")(row);
}

/**
 * Converts a parsed JSON object (parseJson output) to the representation of `struct`: large integers are
 * JSON integers (millis for timestamps, the value for decimals), string fields take any JSON value as text.
 */
export function conformJson(struct: StructType, value: Record<string, unknown>): Record<string, unknown> {
  return rowConverter(struct, "json")(value);
}

type ValuesConverter = (value: Record<string, unknown>) => unknown[];
const valuesCache = new WeakMap<StructType, ValuesConverter>();

/**
 * conformJson for a column buffer: the struct's top-level values in field order (no object per record),
 * top-level long and timestamp values that are safe integers kept as numbers (see primitiveConverter;
 * TableBuffer.addValues knows them by the field's type). Throws what conformJson throws.
 */
export function conformJsonValues(struct: StructType, value: Record<string, unknown>): unknown[] {
  let convert = valuesCache.get(struct);
  if (convert === undefined) {
    const compiled = struct.fields.map((f) => compileField(f, "json", "", true));
    convert = (row) => {
      const out = new Array<unknown>(compiled.length);
      for (let j = 0; j < compiled.length; j++) {
        const f = compiled[j] as CompiledField;
        const v = !f.inherited || Object.hasOwn(row, f.name) ? row[f.name] : undefined;
        out[j] = v === null || v === undefined ? (f.required ? f.convert(v) : null) : f.convert(v);
      }
      return out;
    };
    valuesCache.set(struct, convert);
  }
  return convert(value);
}
