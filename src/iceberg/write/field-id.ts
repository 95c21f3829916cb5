/**
 * Iceberg field ids on Arrow fields.
 *
 * arrow-rs (inside parquet-wasm) reads the Arrow field metadata key `PARQUET:field_id` and writes it as
 * the Parquet SchemaElement.field_id. It does so at every level of the tree: top-level fields, struct
 * children, the `element` field of a List and the `key` / `value` children of a Map's entries struct.
 * The repeated groups Parquet adds in between (`list`, and the Map's entries struct itself) carry no id,
 * which is what Iceberg expects (they have no Iceberg field).
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";

/** The Arrow field metadata key that arrow-rs turns into a Parquet field_id. */
export const PARQUET_FIELD_ID_KEY = "PARQUET:field_id";

/** Field metadata carrying an Iceberg field id (plus any extra entries). */
export function fieldIdMetadata(
  id: number,
  extra?: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): Map<string, string> {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
    throw new FloeError("INVALID_ARGUMENT", `field id must be a non-negative int32, got ${id}`);
  }
  const md = new Map<string, string>();
  if (extra) {
    const entries = extra instanceof Map ? extra.entries() : Object.entries(extra);
    for (const [k, v] of entries) md.set(k, v);
  }
  md.set(PARQUET_FIELD_ID_KEY, String(id));
  return md;
}

/** The field id an Arrow field carries, or undefined when it has none (or a malformed one). */
export function fieldIdOf(field: arrow.Field): number | undefined {
  const raw = field.metadata.get(PARQUET_FIELD_ID_KEY);
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= 0x7fffffff ? id : undefined;
}

/** A field together with its dotted path, visited depth first. `idRequired` is false for a Map's entries. */
export interface VisitedField {
  readonly field: arrow.Field;
  readonly path: string;
  readonly idRequired: boolean;
}

/** Every Arrow field in the tree, depth first, in Parquet column order. */
export function walkFields(fields: readonly arrow.Field[], prefix = ""): VisitedField[] {
  const out: VisitedField[] = [];
  const visit = (field: arrow.Field, path: string, idRequired: boolean): void => {
    out.push({ field, path, idRequired });
    const type = field.type;
    if (arrow.DataType.isMap(type)) {
      const entries = type.children[0];
      if (!entries) return;
      out.push({ field: entries, path: `${path}.${entries.name}`, idRequired: false });
      for (const kv of entries.type.children) visit(kv, `${path}.${entries.name}.${kv.name}`, true);
      return;
    }
    for (const child of type.children ?? []) visit(child, `${path}.${child.name}`, true);
  };
  for (const f of fields) visit(f, prefix === "" ? f.name : `${prefix}.${f.name}`, true);
  return out;
}

/**
 * Checks that every field that Iceberg knows about carries a valid, unique field id. Throws
 * INVALID_ARGUMENT naming the offending paths, since a Parquet file without them cannot be read by
 * id-based readers (Iceberg, Snowflake) and would silently resolve columns by name elsewhere.
 */
export function assertFieldIds(schema: arrow.Schema): void {
  const missing: string[] = [];
  const seen = new Map<number, string>();
  const duplicated: string[] = [];
  for (const { field, path, idRequired } of walkFields(schema.fields)) {
    if (!idRequired) continue;
    const id = fieldIdOf(field);
    if (id === undefined) {
      missing.push(path);
      continue;
    }
    const other = seen.get(id);
    if (other !== undefined) duplicated.push(`${id} (${other}, ${path})`);
    else seen.set(id, path);
  }
  if (missing.length > 0) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `Arrow fields without ${PARQUET_FIELD_ID_KEY}: ${missing.join(", ")}`,
      {
        context: { fields: missing.join(",") },
      },
    );
  }
  if (duplicated.length > 0) {
    throw new FloeError("INVALID_ARGUMENT", `duplicate field ids: ${duplicated.join("; ")}`);
  }
}
