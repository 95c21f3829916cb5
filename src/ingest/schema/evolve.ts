/**
 * Schema evolution from records: merges a record's own schema into the table schema by field name.
 *
 * Allowed without a change: the same type; a record type the column already promotes from (int into
 * long, float into double, decimal(P, S) into decimal(P2, S) with P <= P2); and the conversions
 * conformRow performs per value (see CONVERTIBLE). Allowed with a change: new fields (appended as
 * optional columns with fresh ids, nested fields optional too) and the Iceberg promotions int -> long,
 * float -> double, decimal precision widening, on columns, list elements and map values (never map keys).
 * Everything else is SCHEMA_INCOMPATIBLE with the dotted path, the record type and the column type.
 */

import { FloeError } from "../../errors.js";
import {
  decimalParams,
  fieldNameIssue,
  type IcebergType,
  isPromotionAllowed,
  type NestedField,
  type PrimitiveType,
  primitiveKind,
  type Schema,
  type StructType,
} from "../../iceberg/spec/index.js";

export interface EvolveResult {
  schema: Schema;
  changed: boolean;
  lastColumnId: number;
  /** Human-readable changes, e.g. `added column address.zip: string`, `widened column n from int to long`. */
  changes: string[];
}

const TEMPORAL_FROM_TEXT = new Set([
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
]);

/**
 * Record type -> column type pairs that need no schema change because conformRow converts each value:
 * text into temporal/uuid/decimal columns, numbers into floating and decimal columns, uuid text into
 * string, timestamps with and without zone into each other (both are UTC micros), fixed into binary,
 * fixed[16] into uuid. A long is not accepted into a decimal column: its bigint would read as unscaled.
 */
function convertible(record: PrimitiveType, column: PrimitiveType): boolean {
  const r = primitiveKind(record);
  const c = primitiveKind(column);
  switch (c) {
    case "float":
    case "double":
      return r === "int" || r === "long";
    case "decimal":
      return r === "string" || r === "int" || r === "double";
    case "uuid":
      return r === "string" || record === "fixed[16]";
    case "string":
      return r === "uuid";
    case "binary":
      return r === "fixed";
    case "timestamp":
      return r === "string" || r === "timestamptz";
    case "timestamptz":
      return r === "string" || r === "timestamp";
    case "timestamp_ns":
      return r === "string" || r === "timestamptz_ns";
    case "timestamptz_ns":
      return r === "string" || r === "timestamp_ns";
    default:
      return r === "string" && TEMPORAL_FROM_TEXT.has(c);
  }
}

/** A type for messages, without field ids: `struct<zip: string>`, `list<long>`, `map<string, int>`. */
export function typeName(type: IcebergType): string {
  if (typeof type === "string") return type;
  switch (type.type) {
    case "struct": {
      const text = `struct<${type.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")}>`;
      return text.length > 120 ? `${text.slice(0, 117)}...>` : text;
    }
    case "list":
      return `list<${typeName(type.element)}>`;
    case "map":
      return `map<${typeName(type.key)}, ${typeName(type.value)}>`;
  }
}

function incompatible(path: string, record: IcebergType, column: IcebergType, why?: string): FloeError {
  return new FloeError(
    "SCHEMA_INCOMPATIBLE",
    `field "${path}": record type ${typeName(record)} cannot be written to column type ${typeName(column)}${why ? ` (${why})` : ""}`,
    { context: { field: path, recordType: typeName(record), columnType: typeName(column) } },
  );
}

interface Context {
  lastColumnId: number;
  changes: string[];
}

/** A copy of `type` with fresh ids from the context (field ids first, then nested), every field optional. */
function fresh(type: IcebergType, ctx: Context): IcebergType {
  if (typeof type === "string") return type;
  switch (type.type) {
    case "struct": {
      const ids = type.fields.map(() => ++ctx.lastColumnId);
      return {
        type: "struct",
        fields: type.fields.map((f, i) => freshField(f, ids[i] as number, ctx)),
      };
    }
    case "list": {
      const elementId = ++ctx.lastColumnId;
      return {
        type: "list",
        "element-id": elementId,
        element: fresh(type.element, ctx),
        "element-required": false,
      };
    }
    case "map": {
      const keyId = ++ctx.lastColumnId;
      const valueId = ++ctx.lastColumnId;
      return {
        type: "map",
        "key-id": keyId,
        key: fresh(type.key, ctx),
        "value-id": valueId,
        value: fresh(type.value, ctx),
        "value-required": false,
      };
    }
  }
}

function freshField(f: NestedField, id: number, ctx: Context): NestedField {
  return { id, name: f.name, required: false, type: fresh(f.type, ctx), ...(f.doc ? { doc: f.doc } : {}) };
}

function mergePrimitive(
  column: PrimitiveType,
  record: PrimitiveType,
  path: string,
  ctx: Context,
): PrimitiveType {
  if (column === record) return column;
  const c = decimalParams(column);
  const r = decimalParams(record);
  if (c && r) {
    if (c.scale !== r.scale) throw incompatible(path, record, column, "decimal scale cannot change");
    if (r.precision <= c.precision) return column;
    ctx.changes.push(`widened column ${path} from ${column} to ${record}`);
    return record;
  }
  if (isPromotionAllowed(column, record)) {
    ctx.changes.push(`widened column ${path} from ${column} to ${record}`);
    return record;
  }
  if (isPromotionAllowed(record, column) || convertible(record, column)) return column;
  throw incompatible(path, record, column);
}

/** The column type after merging the record type into it: the same object when nothing changed. */
function mergeType(column: IcebergType, record: IcebergType, path: string, ctx: Context): IcebergType {
  if (typeof column === "string" && typeof record === "string")
    return mergePrimitive(column, record, path, ctx);
  if (typeof column === "string" || typeof record === "string" || column.type !== record.type) {
    throw incompatible(path, record, column);
  }
  if (column.type === "struct" && record.type === "struct") {
    const fields = mergeFields(column.fields, record.fields, path, ctx);
    return fields === column.fields ? column : { ...column, fields };
  }
  if (column.type === "list" && record.type === "list") {
    const element = mergeType(column.element, record.element, `${path}.element`, ctx);
    return element === column.element ? column : { ...column, element };
  }
  if (column.type === "map" && record.type === "map") {
    const before = ctx.changes.length;
    const key = mergeType(column.key, record.key, `${path}.key`, ctx);
    if (key !== column.key) {
      ctx.changes.length = before;
      throw incompatible(`${path}.key`, record.key, column.key, "map keys cannot be widened");
    }
    const value = mergeType(column.value, record.value, `${path}.value`, ctx);
    return value === column.value ? column : { ...column, value };
  }
  throw incompatible(path, record, column);
}

/** Merged field list: the same array when nothing changed. */
function mergeFields(
  columns: NestedField[],
  record: NestedField[],
  prefix: string,
  ctx: Context,
): NestedField[] {
  const byName = new Map(columns.map((f, i) => [f.name, i]));
  let out = columns;
  const seen = new Set<string>();
  for (const rf of record) {
    seen.add(rf.name);
    const path = prefix ? `${prefix}.${rf.name}` : rf.name;
    const index = byName.get(rf.name);
    if (index === undefined) {
      const added = freshField(rf, ++ctx.lastColumnId, ctx);
      ctx.changes.push(`added column ${path}: ${typeName(added.type)}`);
      if (out === columns) out = [...columns];
      out.push(added);
      byName.set(rf.name, out.length - 1);
      continue;
    }
    const column = out[index] as NestedField;
    const type = mergeType(column.type, rf.type, path, ctx);
    if (type !== column.type) {
      if (out === columns) out = [...columns];
      out[index] = { ...column, type };
    }
  }
  for (const column of columns) {
    if (column.required && !seen.has(column.name)) {
      const path = prefix ? `${prefix}.${column.name}` : column.name;
      throw new FloeError(
        "SCHEMA_INCOMPATIBLE",
        `field "${path}": required column is missing from the record`,
        {
          context: { field: path, columnType: typeName(column.type) },
        },
      );
    }
  }
  return out;
}

/**
 * Merges a record schema into the table schema by field name (case-sensitive, nested structs too).
 * New fields become optional columns with ids above `lastColumnId`; int -> long, float -> double and
 * decimal precision widening change the column; a narrower or per-value convertible record type leaves
 * the column as it is. A required record field may go into an optional column, and an optional record
 * field into a required column (conformRow then refuses an actual null). A table column missing from
 * the record is fine unless it is required. The result keeps the table's schema id and identifier
 * fields; the caller's add-schema update assigns the new schema id. Throws SCHEMA_INCOMPATIBLE, also
 * for a new field whose name no column may have (see iceberg/spec/names.ts).
 */
export function evolveSchema(table: Schema, record: StructType, lastColumnId: number): EvolveResult {
  const ctx: Context = { lastColumnId: Math.max(lastColumnId, 0), changes: [] };
  const fields = mergeFields(table.fields, record.fields, "", ctx);
  if (fields === table.fields) return { schema: table, changed: false, lastColumnId, changes: [] };
  // New columns must have names the spec accepts (and must not collide with the table's dotted names);
  // a problem the table already had is not the record's doing.
  const issue = fieldNameIssue({ type: "struct", fields });
  if (issue !== undefined && fieldNameIssue(table)?.message !== issue.message) {
    throw new FloeError("SCHEMA_INCOMPATIBLE", `${issue.message}: no column may have this name`, {
      context: { field: issue.path.slice(0, 255) },
    });
  }
  return {
    schema: { ...table, fields },
    changed: true,
    lastColumnId: ctx.lastColumnId,
    changes: ctx.changes,
  };
}
