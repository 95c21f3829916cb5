import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBUUIDValue,
} from "@duckdb/node-api";
import {
  bytesToHex,
  bytesToUuid,
  decimalParams,
  formatDate,
  formatDecimal,
  type IcebergType,
  isListType,
  isMapType,
  isStructType,
  primitiveKind,
  type Schema,
} from "../../src/iceberg/spec/index.js";

/**
 * One canonical, JSON-comparable form per Iceberg type, whatever produced the value: our input rows
 * (the JS value representation), DuckDB's value classes, or the JSON the Python readers print (see
 * py/common.py `canon`). ints/longs/times/timestamps -> decimal strings (micros), decimals -> scaled
 * strings, dates -> ISO, binary/fixed -> lowercase hex, uuid -> canonical text, floats -> numbers
 * (NaN/Infinity as strings), maps -> [key, value] pairs.
 */
export function canonValue(type: IcebergType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (isStructType(type)) {
    const obj = v instanceof DuckDBStructValue ? v.entries : (v as Record<string, unknown>);
    return Object.fromEntries(type.fields.map((f) => [f.name, canonValue(f.type, obj[f.name])]));
  }
  if (isListType(type)) {
    const items = v instanceof DuckDBListValue ? v.items : (v as unknown[]);
    return items.map((x) => canonValue(type.element, x));
  }
  if (isMapType(type)) {
    let pairs: [unknown, unknown][];
    if (v instanceof DuckDBMapValue) pairs = v.entries.map((e) => [e.key, e.value]);
    else if (v instanceof Map) pairs = [...v.entries()];
    else if (Array.isArray(v)) pairs = v as [unknown, unknown][];
    else pairs = Object.entries(v as Record<string, unknown>);
    return pairs
      .map(([k, x]) => [canonValue(type.key, k), canonValue(type.value, x)])
      .sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])));
  }
  switch (primitiveKind(type)) {
    case "boolean":
      return Boolean(v);
    case "int":
    case "long":
      return String(v);
    case "float":
    case "double": {
      const n = Number(v);
      return Number.isNaN(n) ? "NaN" : n === Infinity ? "Infinity" : n === -Infinity ? "-Infinity" : n;
    }
    case "decimal": {
      if (v instanceof DuckDBDecimalValue) return formatDecimal(v.value, v.scale);
      if (typeof v === "bigint") return formatDecimal(v, decimalParams(type)?.scale ?? 0);
      return String(v);
    }
    case "date":
      if (v instanceof DuckDBDateValue) return formatDate(v.days);
      return typeof v === "number" ? formatDate(v) : String(v);
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns":
      if (
        v instanceof DuckDBTimeValue ||
        v instanceof DuckDBTimestampValue ||
        v instanceof DuckDBTimestampTZValue
      ) {
        return String(v.micros);
      }
      return String(v);
    case "uuid":
      if (v instanceof DuckDBUUIDValue) return v.toString().toLowerCase();
      if (v instanceof Uint8Array) return bytesToUuid(v);
      return String(v).toLowerCase();
    case "binary":
    case "fixed":
      if (v instanceof DuckDBBlobValue) return bytesToHex(v.bytes);
      if (v instanceof Uint8Array) return bytesToHex(v);
      return String(v).toLowerCase();
    default:
      return String(v);
  }
}

/** Canonical rows for a schema (top-level columns in schema order), sorted by their JSON text. */
export function canonRows(
  schema: Schema,
  rows: readonly Record<string, unknown>[],
  columns?: string[],
): unknown[] {
  const fields = schema.fields.filter((f) => columns === undefined || columns.includes(f.name));
  return rows
    .map((row) => Object.fromEntries(fields.map((f) => [f.name, canonValue(f.type, row[f.name])])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
