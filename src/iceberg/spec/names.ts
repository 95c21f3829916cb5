/**
 * Names: the one set of rules for column, namespace and table names, used by schema validation (the
 * REST endpoint, the catalogs, the sink's inference and evolution) and by the catalogs' identifiers.
 *
 * Every name is 1 to MAX_NAME_BYTES bytes of UTF-8 (file systems and most catalogs stop at 255 bytes),
 * has no control characters (C0, DEL, C1) and no unpaired UTF-16 surrogates (no UTF-8 form). Namespace
 * and table names also become path segments: no '/' or '\', and not '.' or '..'. Within one struct,
 * field names are unique (case-sensitive), and the full dotted names of a schema are unique too (a
 * column `a.b` next to a struct `a` with field `b` is refused, as Java and PyIceberg refuse it).
 */

import { FloeError } from "../../errors.js";
import type { IcebergType, NestedField, StructType } from "./types.js";

/** The longest name, in bytes of UTF-8. */
export const MAX_NAME_BYTES = 255;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A name shortened for messages: JSON-quoted, at most about 80 characters. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Why `name` cannot be a column, namespace or table name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  const control = CONTROL.exec(name);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0");
    return `contains the control character U+${code.toUpperCase()}`;
  }
  if (LONE_SURROGATE.test(name)) return "is not valid Unicode (an unpaired surrogate)";
  const bytes = utf8Length(name);
  if (bytes > MAX_NAME_BYTES) return `is ${bytes} bytes of UTF-8, more than ${MAX_NAME_BYTES}`;
  return undefined;
}

/** Why `name` cannot be a namespace level or table name (also a path segment), or undefined. */
export function identifierNameProblem(name: string): string | undefined {
  const p = nameProblem(name);
  if (p !== undefined) return p;
  if (name.includes("/") || name.includes("\\")) return "contains '/' or '\\'";
  if (name === "." || name === "..") return `is ${quoteName(name)}`;
  return undefined;
}

/** Throws INVALID_ARGUMENT unless `name` is a valid namespace level or table name; returns it. */
export function checkIdentifierName(kind: "namespace" | "table", name: string): string {
  const p = identifierNameProblem(name);
  if (p !== undefined) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `invalid ${kind} name ${quoteName(name)}: it ${p} (names are 1-${MAX_NAME_BYTES} bytes of UTF-8, no '/', '\\', control characters, '.' or '..')`,
      { context: { [kind]: name.slice(0, MAX_NAME_BYTES) } },
    );
  }
  return name;
}

export interface FieldNameOptions {
  /** Top-level names starting with this are refused (e.g. `_kafka_`, kept for metadata columns). */
  reservedPrefix?: string;
  /** Why the prefix is reserved, for the message. */
  reservedFor?: string;
}

/** A problem with one field of a struct: its full dotted path and what is wrong. */
export interface FieldNameIssue {
  path: string;
  message: string;
}

/**
 * The first problem with the field names of a struct (a schema or a record's schema), or undefined.
 * List elements and map keys/values have fixed names and are only descended into.
 */
export function fieldNameIssue(
  struct: StructType,
  options: FieldNameOptions = {},
): FieldNameIssue | undefined {
  const full = new Map<string, string>(); // full dotted name -> its segments, each quoted
  let issue: FieldNameIssue | undefined;
  const visit = (t: IcebergType, prefix: string, quoted: string, top: boolean): void => {
    if (issue !== undefined || typeof t === "string") return;
    const child = (name: string, type: IcebergType) => {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      const q = quoted === "" ? quoteName(name) : `${quoted}.${quoteName(name)}`;
      const other = full.get(path);
      if (other !== undefined) {
        issue = { path, message: `field names ${other} and ${q} collide (both read as ${quoteName(path)})` };
        return;
      }
      full.set(path, q);
      visit(type, path, q, false);
    };
    switch (t.type) {
      case "struct": {
        const seen = new Set<string>();
        for (const f of t.fields) {
          if (issue !== undefined) return;
          const path = prefix === "" ? f.name : `${prefix}.${f.name}`;
          const p = nameProblem(f.name);
          if (p !== undefined) {
            issue = { path, message: `field name ${quoteName(path)} ${p}` };
            return;
          }
          if (seen.has(f.name)) {
            issue = {
              path,
              message: `duplicate field name ${quoteName(f.name)} in ${prefix === "" ? "the schema" : quoteName(prefix)}`,
            };
            return;
          }
          seen.add(f.name);
          if (top && options.reservedPrefix !== undefined && f.name.startsWith(options.reservedPrefix)) {
            const why = options.reservedFor ?? "reserved";
            issue = {
              path,
              message: `field name ${quoteName(f.name)} starts with ${quoteName(options.reservedPrefix)}, which is ${why}`,
            };
            return;
          }
          child(f.name, f.type);
        }
        return;
      }
      case "list":
        child("element", t.element);
        return;
      case "map":
        child("key", t.key);
        child("value", t.value);
        return;
    }
  };
  visit(struct, "", "", true);
  return issue;
}

/** Throws INVALID_ARGUMENT naming the field when fieldNameIssue finds a problem. */
export function checkFieldNames(struct: StructType, options: FieldNameOptions = {}): void {
  const issue = fieldNameIssue(struct, options);
  if (issue !== undefined) {
    throw new FloeError("INVALID_ARGUMENT", issue.message, {
      context: { field: issue.path.slice(0, MAX_NAME_BYTES) },
    });
  }
}

/** How many field ids a type holds: fields at every depth, list elements, map keys and values. */
export function countFields(type: IcebergType | { fields: readonly NestedField[] }): number {
  if (typeof type === "string") return 0;
  if ("fields" in type) {
    let n = 0;
    for (const f of type.fields) n += 1 + countFields(f.type);
    return n;
  }
  if (type.type === "list") return 1 + countFields(type.element);
  return 2 + countFields(type.key) + countFields(type.value);
}
