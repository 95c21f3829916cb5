/**
 * Iceberg table schemas: a struct with a `schema-id` and optional `identifier-field-ids`. Indexes by
 * field id and by dotted name, fresh id assignment (table creation) and the allowed type promotions.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { checkFieldNames } from "./names.js";
import {
  decimalParams,
  describeType,
  type IcebergType,
  type NestedField,
  NestedFieldSchema,
  type PrimitiveType,
  primitiveKind,
  type StructType,
  typesEqual,
} from "./types.js";

/** Field ids above this are reserved for metadata columns (`Integer.MAX_VALUE - 200`). */
export const MAX_USER_FIELD_ID = 2147483447;

export const SchemaSchema = z.object({
  type: z.literal("struct").default("struct"),
  "schema-id": z.number().int().nonnegative().default(0),
  "identifier-field-ids": z.array(z.number().int()).optional(),
  fields: z.array(NestedFieldSchema),
});

export type Schema = z.infer<typeof SchemaSchema>;

/** Parses a schema JSON object (v1 schemas may omit `schema-id`; it defaults to 0). */
export function parseSchema(json: unknown): Schema {
  const result = SchemaSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid Iceberg schema: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

/** Builds a schema from fields (no id checks; use validateSchema or assignFreshIds). */
export function makeSchema(fields: NestedField[], schemaId = 0, identifierFieldIds?: number[]): Schema {
  return {
    type: "struct",
    "schema-id": schemaId,
    ...(identifierFieldIds && identifierFieldIds.length > 0
      ? { "identifier-field-ids": identifierFieldIds }
      : {}),
    fields,
  };
}

/** A field reached while walking a type, with its full dotted name and its parent chain. */
export interface IndexedField {
  field: NestedField;
  /** Full dotted name; list elements appear as `element`, map entries as `key` / `value`. */
  name: string;
  /** Ids of the enclosing fields, outermost first. */
  parents: number[];
  /** True if some enclosing type is a list or map. */
  inCollection: boolean;
  /** True if some enclosing struct field is optional. */
  underOptional: boolean;
  /** What the entry is: a struct field, or the element / key / value of a list or map. */
  kind: "field" | "element" | "key" | "value";
}

/** Visits every field, list element and map key/value, depth first, parents before children. */
function walk(type: IcebergType, visit: (entry: IndexedField) => void): void {
  const go = (
    t: IcebergType,
    prefix: string,
    parents: number[],
    inCollection: boolean,
    underOpt: boolean,
  ) => {
    if (typeof t === "string") return;
    const child = (field: NestedField, coll: boolean, kind: IndexedField["kind"] = "field") => {
      const name = prefix ? `${prefix}.${field.name}` : field.name;
      visit({ field, name, parents, inCollection: coll, underOptional: underOpt, kind });
      go(field.type, name, [...parents, field.id], coll, underOpt || !field.required);
    };
    switch (t.type) {
      case "struct":
        for (const f of t.fields) child(f, inCollection);
        break;
      case "list":
        child(
          { id: t["element-id"], name: "element", required: t["element-required"], type: t.element },
          true,
          "element",
        );
        break;
      case "map":
        child({ id: t["key-id"], name: "key", required: true, type: t.key }, true, "key");
        child(
          { id: t["value-id"], name: "value", required: t["value-required"], type: t.value },
          true,
          "value",
        );
        break;
    }
  };
  go(type, "", [], false, false);
}

/** All fields (including list elements and map keys/values) in depth-first order. */
export function allFields(type: StructType): IndexedField[] {
  const out: IndexedField[] = [];
  walk(type, (e) => out.push(e));
  return out;
}

/** Field id -> field. List elements and map keys/values are included as fields named element/key/value. */
export function indexById(type: StructType): Map<number, NestedField> {
  const out = new Map<number, NestedField>();
  walk(type, (e) => {
    if (out.has(e.field.id)) {
      throw new FloeError("INVALID_ARGUMENT", `duplicate field id ${e.field.id} (${e.name})`, {
        context: { fieldId: e.field.id, field: e.name },
      });
    }
    out.set(e.field.id, e.field);
  });
  return out;
}

/**
 * Dotted name -> field id. Full names (`points.element.x`, `props.value.y`) always resolve; short names
 * that skip `element` and `value` (`points.x`, `props.y`) are added when they do not collide.
 */
export function indexByName(type: StructType): Map<string, number> {
  const full = new Map<string, number>();
  const short = new Map<string, number>();
  const shortNames = new Map<number, string>();
  walk(type, (e) => {
    full.set(e.name, e.field.id);
    const parentShort =
      e.parents.length > 0 ? shortNames.get(e.parents[e.parents.length - 1] ?? -1) : undefined;
    const own = e.kind === "element" || e.kind === "value" ? undefined : e.field.name;
    const s = [parentShort, own].filter((p) => p !== undefined && p !== "").join(".");
    shortNames.set(e.field.id, s);
    if (s !== "" && s !== e.name && !short.has(s)) short.set(s, e.field.id);
  });
  for (const [name, id] of short) if (!full.has(name)) full.set(name, id);
  return full;
}

/** Field id -> full dotted name. */
export function indexNameById(type: StructType): Map<number, string> {
  const out = new Map<number, string>();
  walk(type, (e) => out.set(e.field.id, e.name));
  return out;
}

export function findFieldById(type: StructType, id: number): NestedField | undefined {
  let found: NestedField | undefined;
  walk(type, (e) => {
    if (found === undefined && e.field.id === id) found = e.field;
  });
  return found;
}

/** Finds a field by dotted name; case-insensitive matching is opt-in. */
export function findFieldByName(
  type: StructType,
  name: string,
  options: { caseSensitive?: boolean } = {},
): NestedField | undefined {
  const byName = indexByName(type);
  let id = byName.get(name);
  if (id === undefined && options.caseSensitive === false) {
    const lower = name.toLowerCase();
    for (const [n, i] of byName) {
      if (n.toLowerCase() === lower) {
        id = i;
        break;
      }
    }
  }
  return id === undefined ? undefined : findFieldById(type, id);
}

/** Full dotted name of a field id, or undefined. */
export function fieldName(type: StructType, id: number): string | undefined {
  return indexNameById(type).get(id);
}

/** The highest field id anywhere in the type (0 for an empty struct). */
export function highestFieldId(type: IcebergType): number {
  if (typeof type === "string") return 0;
  let max = 0;
  walk(
    type.type === "struct" ? type : { type: "struct", fields: [{ id: 0, name: "", required: true, type }] },
    (e) => {
      if (e.field.id > max) max = e.field.id;
    },
  );
  return max;
}

/** A counter for assignFreshIds: returns start, start + 1, ... */
export function idCounter(start = 1): () => number {
  let next = start;
  return () => next++;
}

/**
 * Gives every field a new id from `nextId`, the way table creation does: the fields of a struct take
 * consecutive ids first, then each field's nested type is numbered; a list's element id and a map's
 * key and value ids come before their contents. Identifier field ids are remapped. Returns the new schema
 * and the old -> new id map (for rebinding partition specs and sort orders).
 */
export function assignFreshIds(
  schema: Schema,
  nextId: () => number = idCounter(1),
  schemaId: number = schema["schema-id"],
): { schema: Schema; idMap: Map<number, number> } {
  const idMap = new Map<number, number>();
  const take = (old: number): number => {
    const id = nextId();
    idMap.set(old, id);
    return id;
  };
  const reassign = (t: IcebergType): IcebergType => {
    if (typeof t === "string") return t;
    switch (t.type) {
      case "struct": {
        const ids = t.fields.map((f) => take(f.id));
        return {
          type: "struct",
          fields: t.fields.map((f, i) => ({ ...f, id: ids[i] as number, type: reassign(f.type) })),
        };
      }
      case "list": {
        const elementId = take(t["element-id"]);
        return { ...t, "element-id": elementId, element: reassign(t.element) };
      }
      case "map": {
        const keyId = take(t["key-id"]);
        const valueId = take(t["value-id"]);
        return { ...t, "key-id": keyId, "value-id": valueId, key: reassign(t.key), value: reassign(t.value) };
      }
    }
  };
  const struct = reassign({ type: "struct", fields: schema.fields }) as StructType;
  const identifiers = schema["identifier-field-ids"]?.map((id) => {
    const mapped = idMap.get(id);
    if (mapped === undefined) {
      throw new FloeError("INVALID_ARGUMENT", `identifier field id ${id} is not in the schema`, {
        context: { fieldId: id },
      });
    }
    return mapped;
  });
  return { schema: makeSchema(struct.fields, schemaId, identifiers), idMap };
}

/**
 * Checks the rules a schema must follow: valid, unique field names (names.ts), unique ids within the user range, and identifier fields that are
 * required primitives (not float/double), not inside a list or map, and not under an optional struct.
 */
export function validateSchema(schema: Schema): void {
  checkFieldNames(schema);
  const entries = new Map<number, IndexedField>();
  walk(schema, (e) => {
    const id = e.field.id;
    if (entries.has(id)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `duplicate field id ${id} (${entries.get(id)?.name} and ${e.name})`,
        {
          context: { fieldId: id },
        },
      );
    }
    if (id > MAX_USER_FIELD_ID) {
      throw new FloeError("INVALID_ARGUMENT", `field id ${id} of ${e.name} is in the reserved range`, {
        context: { fieldId: id },
      });
    }
    entries.set(id, e);
  });
  for (const id of schema["identifier-field-ids"] ?? []) {
    const e = entries.get(id);
    const fail = (why: string): never => {
      throw new FloeError("INVALID_ARGUMENT", `identifier field ${e?.name ?? id} ${why}`, {
        context: { fieldId: id },
      });
    };
    if (e === undefined) {
      fail("does not exist");
      continue;
    }
    if (typeof e.field.type !== "string") fail(`must be a primitive, not ${describeType(e.field.type)}`);
    else if (e.field.type === "float" || e.field.type === "double") fail(`cannot be ${e.field.type}`);
    if (!e.field.required) fail("must be required");
    if (e.inCollection) fail("cannot be nested in a list or map");
    if (e.underOptional) fail("cannot be nested in an optional struct");
  }
}

/** True if the two schemas have the same fields and identifier fields (schema ids are ignored). */
export function sameSchema(a: Schema, b: Schema): boolean {
  const ia = [...(a["identifier-field-ids"] ?? [])].sort((x, y) => x - y);
  const ib = [...(b["identifier-field-ids"] ?? [])].sort((x, y) => x - y);
  return (
    ia.length === ib.length &&
    ia.every((v, i) => v === ib[i]) &&
    typesEqual({ type: "struct", fields: a.fields }, { type: "struct", fields: b.fields })
  );
}

/**
 * Whether a column of type `from` may be changed to `to` (v1/v2 rules): the same type, int -> long,
 * float -> double, or decimal(P, S) -> decimal(P2, S) with P2 >= P. (date -> timestamp is v3 only and
 * not allowed here.)
 */
export function isPromotionAllowed(from: PrimitiveType, to: PrimitiveType): boolean {
  if (from === to) return true;
  if (from === "int" && to === "long") return true;
  if (from === "float" && to === "double") return true;
  if (primitiveKind(from) === "decimal" && primitiveKind(to) === "decimal") {
    const f = decimalParams(from);
    const t = decimalParams(to);
    return f !== undefined && t !== undefined && f.scale === t.scale && t.precision >= f.precision;
  }
  return false;
}

/** Throws SCHEMA_INCOMPATIBLE if `from` cannot be promoted to `to`. */
export function checkPromotion(from: IcebergType, to: IcebergType, field = "field"): void {
  if (typeof from !== "string" || typeof to !== "string") {
    if (
      typeof from !== typeof to ||
      (typeof from === "object" && typeof to === "object" && from.type !== to.type)
    ) {
      throw new FloeError(
        "SCHEMA_INCOMPATIBLE",
        `cannot change ${field} from ${describeType(from)} to ${describeType(to)}`,
        {
          context: { field, from: describeType(from), to: describeType(to) },
        },
      );
    }
    return;
  }
  if (!isPromotionAllowed(from, to)) {
    throw new FloeError("SCHEMA_INCOMPATIBLE", `cannot promote ${field} from ${from} to ${to}`, {
      context: { field, from, to },
    });
  }
}
