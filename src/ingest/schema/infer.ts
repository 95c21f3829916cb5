/**
 * Iceberg schema inference from one JSON value, for topics with no declared or registered schema.
 *
 * integer -> long, other number -> double, string -> string, boolean -> boolean, object -> struct,
 * array -> list of the merged element type (long and double merge to double, structs merge their
 * fields; an empty array is list<string>). A null value, and an object with no inferable fields, leave
 * the field out of this record's schema. Every inferred field is optional; ids are local (1..n).
 */

import { FloeError } from "../../errors.js";
import {
  assignFreshIds,
  type IcebergType,
  makeSchema,
  type NestedField,
  type StructType,
} from "../../iceberg/spec/index.js";

/** The inference lattice before ids exist: `list` with `element: undefined` has not seen an element yet. */
type Inferred =
  | { kind: "long" | "double" | "string" | "boolean" }
  | { kind: "struct"; fields: Map<string, Inferred> }
  | { kind: "list"; element: Inferred | undefined };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function kindName(t: Inferred): string {
  if (t.kind === "list") return `list<${t.element ? kindName(t.element) : "?"}>`;
  return t.kind;
}

function inferValue(v: unknown, path: string): Inferred | undefined {
  switch (typeof v) {
    case "undefined":
      return undefined;
    case "boolean":
      return { kind: "boolean" };
    case "string":
      return { kind: "string" };
    case "bigint":
      return { kind: "long" };
    case "number":
      if (!Number.isFinite(v)) {
        throw new FloeError("DECODE_FAILED", `field "${path}": ${v} is not a valid JSON number`, {
          context: { field: path },
        });
      }
      return { kind: Number.isInteger(v) ? "long" : "double" };
  }
  if (v === null) return undefined;
  if (Array.isArray(v)) {
    let element: Inferred | undefined;
    for (const item of v) {
      const t = inferValue(item, `${path}.element`);
      if (t !== undefined) element = element === undefined ? t : merge(element, t, `${path}.element`);
    }
    return { kind: "list", element };
  }
  if (isPlainObject(v)) {
    const fields = new Map<string, Inferred>();
    for (const key of Object.keys(v)) {
      const t = inferValue(v[key], path ? `${path}.${key}` : key);
      if (t !== undefined) fields.set(key, t);
    }
    return { kind: "struct", fields };
  }
  throw new FloeError(
    "DECODE_FAILED",
    `field "${path}": ${Object.prototype.toString.call(v)} is not a JSON value`,
    {
      context: { field: path },
    },
  );
}

/** Merges two element types seen in one array; types Iceberg cannot unify are SCHEMA_INCOMPATIBLE. */
function merge(a: Inferred, b: Inferred, path: string): Inferred {
  if (a.kind === b.kind) {
    if (a.kind === "struct" && b.kind === "struct") {
      const fields = new Map(a.fields);
      for (const [name, t] of b.fields) {
        const prev = fields.get(name);
        fields.set(name, prev === undefined ? t : merge(prev, t, `${path}.${name}`));
      }
      return { kind: "struct", fields };
    }
    if (a.kind === "list" && b.kind === "list") {
      if (a.element === undefined) return b;
      if (b.element === undefined) return a;
      return { kind: "list", element: merge(a.element, b.element, `${path}.element`) };
    }
    return a;
  }
  if ((a.kind === "long" && b.kind === "double") || (a.kind === "double" && b.kind === "long")) {
    return { kind: "double" };
  }
  throw new FloeError(
    "SCHEMA_INCOMPATIBLE",
    `field "${path}": array mixes ${kindName(a)} and ${kindName(b)} values, which one Iceberg type cannot hold`,
    { context: { field: path } },
  );
}

/** To an Iceberg type with placeholder ids; undefined for a struct left with no fields. */
function toIceberg(t: Inferred): IcebergType | undefined {
  switch (t.kind) {
    case "struct": {
      const fields: NestedField[] = [];
      for (const [name, inner] of t.fields) {
        const type = toIceberg(inner);
        if (type !== undefined) fields.push({ id: 0, name, required: false, type });
      }
      return fields.length === 0 ? undefined : { type: "struct", fields };
    }
    case "list": {
      const element = t.element === undefined ? "string" : toIceberg(t.element);
      if (element === undefined) return undefined;
      return { type: "list", "element-id": 0, element, "element-required": false };
    }
    default:
      return t.kind;
  }
}

/** Gives the fields of a struct local ids 1..n (struct fields first, then nested, as at table creation). */
export function numberFields(fields: NestedField[]): StructType {
  return { type: "struct", fields: assignFreshIds(makeSchema(fields)).schema.fields };
}

/** Inferred fields (placeholder ids) for each non-null entry of a JSON object. */
export function inferFields(
  value: Record<string, unknown>,
  keys: Iterable<string> = Object.keys(value),
): NestedField[] {
  const fields: NestedField[] = [];
  for (const key of keys) {
    const t = inferValue(value[key], key);
    const type = t === undefined ? undefined : toIceberg(t);
    if (type !== undefined) fields.push({ id: 0, name: key, required: false, type });
  }
  return fields;
}

function typeKey(t: IcebergType): string {
  if (typeof t === "string") return t;
  switch (t.type) {
    case "struct":
      return `{${shapeKey(t.fields)}}`;
    case "list":
      return `[${t["element-required"] ? "!" : ""}${typeKey(t.element)}]`;
    case "map":
      return `<${typeKey(t.key)},${t["value-required"] ? "!" : ""}${typeKey(t.value)}>`;
  }
}

/** A compact key that is equal for two field lists exactly when their names, types and requiredness are. */
export function shapeKey(fields: NestedField[]): string {
  let key = "";
  for (const f of fields) key += `${f.name.length}:${f.name}${f.required ? "!" : "?"}${typeKey(f.type)};`;
  return key;
}

/** Schema from a JSON object when nothing else is known. Throws DECODE_FAILED if `value` is not an object. */
export function inferJsonSchema(value: unknown): StructType {
  if (!isPlainObject(value)) {
    const what = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    throw new FloeError("DECODE_FAILED", `a JSON record must be an object, got ${what}`);
  }
  return numberFields(inferFields(value));
}
