/**
 * Navigation of a writer's Avro schema (as found in a file header) by Iceberg field id, so that
 * manifests from any writer (Java, Spark, PyIceberg, iceberg-rust, ours) are read the way Iceberg
 * readers read them: by id first, by name only where a writer left ids out.
 */

import { FloeError } from "../../errors.js";
import type { AvroField, AvroRecordSchema, AvroSchema, AvroTypeObject } from "./schemas.js";

/** Named types (record, fixed, enum) of a schema, by full name and by short name. */
export type NamedTypes = Map<string, AvroTypeObject>;

export function collectNamedTypes(
  schema: AvroSchema,
  out: NamedTypes = new Map(),
  namespace = "",
): NamedTypes {
  if (Array.isArray(schema)) {
    for (const branch of schema) collectNamedTypes(branch, out, namespace);
    return out;
  }
  if (typeof schema !== "object" || schema === null) return out;
  let ns = namespace;
  if (typeof schema.name === "string") {
    const name = schema.name;
    if (name.includes(".")) ns = name.slice(0, name.lastIndexOf("."));
    else if (typeof schema.namespace === "string") ns = schema.namespace;
    const short = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name;
    out.set(ns ? `${ns}.${short}` : short, schema);
    if (!out.has(short)) out.set(short, schema);
  }
  if (schema.type === "record" || schema.type === "error") {
    for (const field of (schema.fields as AvroField[] | undefined) ?? [])
      collectNamedTypes(field.type, out, ns);
  } else if (schema.type === "array") {
    collectNamedTypes(schema.items as AvroSchema, out, ns);
  } else if (schema.type === "map") {
    collectNamedTypes(schema.values as AvroSchema, out, ns);
  }
  return out;
}

/** Follows a name reference to its definition; primitive names stay as they are. */
export function resolveNamed(schema: AvroSchema, named: NamedTypes): AvroSchema {
  if (typeof schema === "string") return named.get(schema) ?? schema;
  return schema;
}

/** The non-null branch of an optional union (or the type itself), with name references resolved. */
export function unwrapOptional(schema: AvroSchema, named: NamedTypes): AvroSchema {
  if (Array.isArray(schema)) {
    const branches = schema.filter((b) => b !== "null");
    if (branches.length !== 1) {
      throw new FloeError("DECODE_FAILED", `unsupported Avro union: ${JSON.stringify(schema)}`);
    }
    return resolveNamed(branches[0] as AvroSchema, named);
  }
  return resolveNamed(schema, named);
}

/** The type name and attributes of a resolved non-union schema. */
export function typeInfo(schema: AvroSchema): { type: string; attrs: Record<string, unknown> } {
  if (typeof schema === "string") return { type: schema, attrs: {} };
  if (Array.isArray(schema)) throw new FloeError("DECODE_FAILED", "unexpected Avro union");
  const inner = schema.type as unknown;
  // {"type": {"type": "long"}, "logicalType": ...} is legal but unusual: merge attributes.
  if (typeof inner === "object" && inner !== null) {
    const nested = typeInfo(inner as AvroSchema);
    return { type: nested.type, attrs: { ...nested.attrs, ...schema } };
  }
  return { type: String(inner), attrs: schema };
}

/** Looks up record fields by Iceberg field id, falling back to the given names. */
export class RecordView {
  private readonly byId = new Map<number, AvroField>();
  private readonly byName = new Map<string, AvroField>();

  constructor(
    readonly schema: AvroRecordSchema,
    readonly named: NamedTypes,
  ) {
    for (const field of schema.fields) {
      const id = field["field-id"] ?? (field as Record<string, unknown>).field_id;
      if (typeof id === "number") this.byId.set(id, field);
      else if (typeof id === "string" && /^\d+$/.test(id)) this.byId.set(Number(id), field);
      this.byName.set(field.name, field);
    }
  }

  /** The writer's field for this id (or, without ids, one of these names). */
  field(id: number, ...names: string[]): AvroField | undefined {
    const hit = this.byId.get(id);
    if (hit) return hit;
    for (const name of names) {
      const f = this.byName.get(name);
      if (f && f["field-id"] === undefined) return f;
    }
    return undefined;
  }

  /** The decoded value of the field with this id (undefined when the writer has no such field). */
  get(record: unknown, id: number, ...names: string[]): unknown {
    const f = this.field(id, ...names);
    if (!f) return undefined;
    return (record as Record<string, unknown>)[f.name];
  }

  /** The nested record view of a (possibly optional) record-typed field. */
  child(id: number, ...names: string[]): RecordView | undefined {
    const f = this.field(id, ...names);
    if (!f) return undefined;
    const t = unwrapOptional(f.type, this.named);
    if (typeof t !== "object" || Array.isArray(t) || t.type !== "record") {
      throw new FloeError("DECODE_FAILED", `field ${f.name} (id ${id}) is not a record`);
    }
    return new RecordView(t as AvroRecordSchema, this.named);
  }

  /** The element view of a list-of-records field (e.g. manifest_file.partitions). */
  elementRecord(id: number, ...names: string[]): RecordView | undefined {
    const f = this.field(id, ...names);
    if (!f) return undefined;
    const t = unwrapOptional(f.type, this.named);
    if (typeof t !== "object" || Array.isArray(t) || t.type !== "array") {
      throw new FloeError("DECODE_FAILED", `field ${f.name} (id ${id}) is not a list`);
    }
    // DuckDB writes the elements as an optional union (["null", record]).
    const items = unwrapOptional(t.items as AvroSchema, this.named);
    if (typeof items !== "object" || Array.isArray(items) || items.type !== "record") {
      throw new FloeError("DECODE_FAILED", `field ${f.name} (id ${id}) is not a list of records`);
    }
    return new RecordView(items as AvroRecordSchema, this.named);
  }
}
