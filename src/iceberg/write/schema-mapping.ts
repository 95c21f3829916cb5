/**
 * Iceberg schema (iceberg/spec) -> the write layer's field model, and table-property driven settings:
 * metrics modes (`write.metadata.metrics.*`) per leaf field id.
 */
import { FloeError } from "../../errors.js";
import {
  allFields,
  decimalParams,
  fixedLength,
  type IcebergType,
  isListType,
  isMapType,
  isStructType,
  METRICS_MODE_COLUMN_PREFIX,
  METRICS_MODE_DEFAULT,
  type NestedField,
  primitiveKind,
  type Schema,
} from "../spec/index.js";
import type { WriteField, WriteType } from "./arrow-types.js";
import { DEFAULT_METRICS_MODE, type MetricsMode, parseMetricsMode } from "./metrics-mode.js";

function writeType(type: IcebergType, path: string): WriteType {
  if (isStructType(type)) return { kind: "struct", fields: type.fields.map((f) => writeField(f, path)) };
  if (isListType(type)) {
    return {
      kind: "list",
      elementId: type["element-id"],
      elementRequired: type["element-required"],
      element: writeType(type.element, `${path}.element`),
    };
  }
  if (isMapType(type)) {
    return {
      kind: "map",
      keyId: type["key-id"],
      key: writeType(type.key, `${path}.key`),
      valueId: type["value-id"],
      valueRequired: type["value-required"],
      value: writeType(type.value, `${path}.value`),
    };
  }
  const kind = primitiveKind(type);
  switch (kind) {
    case "decimal": {
      const p = decimalParams(type);
      if (p === undefined) throw new FloeError("INVALID_ARGUMENT", `bad decimal type at ${path}`);
      return { kind, precision: p.precision, scale: p.scale };
    }
    case "fixed":
      return { kind, length: fixedLength(type) ?? 0 };
    case "unknown":
    case "variant":
    case "timestamp_ns":
    case "timestamptz_ns":
      throw new FloeError("UNSUPPORTED", `column ${path}: type ${kind} cannot be written to Parquet yet`, {
        context: { field: path, type: kind },
      });
    default:
      return { kind };
  }
}

function writeField(field: NestedField, parent: string): WriteField {
  const path = parent ? `${parent}.${field.name}` : field.name;
  return { id: field.id, name: field.name, required: field.required, type: writeType(field.type, path) };
}

/** The write layer's fields for a table schema (ids, names, nullability and types one to one). */
export function writeFieldsFromSchema(schema: Schema): WriteField[] {
  return schema.fields.map((f) => writeField(f, ""));
}

export const METRICS_DEFAULT_PROPERTY = METRICS_MODE_DEFAULT;
export const METRICS_COLUMN_PREFIX = METRICS_MODE_COLUMN_PREFIX;

/**
 * Metrics mode per leaf field id from table properties: `write.metadata.metrics.default` and
 * `write.metadata.metrics.column.<dotted name>` (Iceberg's property names; default truncate(16)).
 */
export function metricsModesFromProperties(
  schema: Schema,
  properties: Readonly<Record<string, string>>,
): { defaultMode: MetricsMode; modes: Map<number, MetricsMode> } {
  const parse = (key: string, text: string): MetricsMode => {
    try {
      return parseMetricsMode(text);
    } catch (e) {
      throw new FloeError("CONFIG_INVALID", `table property ${key}: ${(e as Error).message}`, {
        cause: e,
        context: { key },
      });
    }
  };
  const defaultText = properties[METRICS_DEFAULT_PROPERTY];
  const defaultMode =
    defaultText === undefined ? DEFAULT_METRICS_MODE : parse(METRICS_DEFAULT_PROPERTY, defaultText);
  const byName = new Map(allFields(schema).map((f) => [f.name, f.field.id]));
  const modes = new Map<number, MetricsMode>();
  for (const [key, value] of Object.entries(properties)) {
    if (!key.startsWith(METRICS_COLUMN_PREFIX)) continue;
    const name = key.slice(METRICS_COLUMN_PREFIX.length);
    const id = byName.get(name);
    if (id === undefined) {
      throw new FloeError("CONFIG_INVALID", `table property ${key}: no column named '${name}'`, {
        context: { key },
      });
    }
    modes.set(id, parse(key, value));
  }
  return { defaultMode, modes };
}
