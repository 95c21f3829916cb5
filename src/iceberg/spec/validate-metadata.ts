/**
 * What table metadata must satisfy for readers (Java, PyIceberg, DuckDB) to load and use it, checked
 * before any commit: `metadataProblems` lists what is wrong with a whole metadata object, and
 * `schemaChangeProblem` says why a new schema cannot follow the table's schemas (a type change that is
 * not a promotion, an optional column made required, a new required column where the format version
 * cannot fill it for old rows).
 */

import { allFields, type IndexedField, isPromotionAllowed, type Schema, validateSchema } from "./schema.js";
import { MAIN_BRANCH } from "./snapshot.js";
import type { TableMetadata } from "./table-metadata.js";
import { canTransform, transformFromString } from "./transforms.js";
import { describeType, type IcebergType } from "./types.js";

function sameKind(from: IcebergType, to: IcebergType): boolean {
  if (typeof from === "string" || typeof to === "string") {
    return typeof from === "string" && typeof to === "string" && isPromotionAllowed(from, to);
  }
  return from.type === to.type;
}

function kindName(t: IcebergType): string {
  return typeof t === "string" ? t : t.type;
}

/** Schemas are not modified once built (metadata copies share them): their walks and checks are cached. */
const walked = new WeakMap<Schema, IndexedField[]>();
const validated = new WeakMap<Schema, string | null>();

function fieldsOf(schema: Schema): IndexedField[] {
  let out = walked.get(schema);
  if (out === undefined) {
    out = allFields(schema);
    walked.set(schema, out);
  }
  return out;
}

function schemaProblem(schema: Schema): string | null {
  let out = validated.get(schema);
  if (out === undefined) {
    try {
      validateSchema(schema);
      out = null;
    } catch (e) {
      out = message(e);
    }
    validated.set(schema, out);
  }
  return out;
}

/** Field id -> its entry, for every field of every schema (the last schema that has it wins). */
function fieldsById(schemas: readonly Schema[]): Map<number, { entry: IndexedField; schemaId: number }[]> {
  const out = new Map<number, { entry: IndexedField; schemaId: number }[]>();
  for (const s of schemas) {
    for (const entry of fieldsOf(s)) {
      const list = out.get(entry.field.id);
      if (list === undefined) out.set(entry.field.id, [{ entry, schemaId: s["schema-id"] }]);
      else list.push({ entry, schemaId: s["schema-id"] });
    }
  }
  return out;
}

/**
 * Why `schema` cannot be added to a table with metadata `md`, or undefined when it can. Every field id
 * the table's schemas already use keeps its type or takes an allowed promotion from each earlier type
 * (int -> long, float -> double, decimal precision widening); a field optional in the current schema
 * stays optional; a field new to the table inside a struct that existed (or at the top level) is
 * optional, or (format v3 and later) required with an `initial-default`.
 */
export function schemaChangeProblem(md: TableMetadata, schema: Schema): string | undefined {
  const known = fieldsById(md.schemas);
  const current = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]);
  const currentFields = new Map(current ? fieldsOf(current).map((e) => [e.field.id, e]) : []);
  for (const e of allFields(schema)) {
    const id = e.field.id;
    const before = known.get(id);
    if (before !== undefined) {
      for (const b of before) {
        const from = b.entry.field.type;
        const to = e.field.type;
        if (!sameKind(from, to)) {
          return `cannot change field ${e.name} (id ${id}) from ${describeType(from).slice(0, 200)} to ${describeType(to).slice(0, 200)}: ${
            typeof from === "string" && typeof to === "string"
              ? "not an allowed type promotion"
              : `a ${kindName(from)} cannot become a ${kindName(to)}`
          }`;
        }
      }
      const now = currentFields.get(id);
      if (now !== undefined && !now.field.required && e.field.required) {
        return `cannot make optional field ${e.name} (id ${id}) required: existing rows may hold nulls`;
      }
      continue;
    }
    if (!e.field.required || e.kind !== "field") continue;
    const parent = e.parents[e.parents.length - 1];
    if (parent !== undefined && !known.has(parent)) continue; // inside a struct that is new too
    if (md["format-version"] < 3) {
      return `cannot add required field ${e.name} (id ${id}): format v${md["format-version"]} has no defaults for existing rows; add it as optional`;
    }
    if (e.field["initial-default"] === undefined) {
      return `cannot add required field ${e.name} (id ${id}) without an initial-default for existing rows`;
    }
  }
  return undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function duplicates<T>(items: readonly T[]): T[] {
  const seen = new Set<T>();
  const out = new Set<T>();
  for (const i of items) (seen.has(i) ? out : seen).add(i);
  return [...out];
}

function schemaProblems(md: TableMetadata, problems: string[]): void {
  for (const id of duplicates(md.schemas.map((s) => s["schema-id"])))
    problems.push(`duplicate schema id ${id}`);
  if (!md.schemas.some((s) => s["schema-id"] === md["current-schema-id"])) {
    problems.push(`current schema ${md["current-schema-id"]} does not exist`);
  }
  for (const s of md.schemas) {
    const p = schemaProblem(s);
    if (p !== null) problems.push(`schema ${s["schema-id"]}: ${p}`);
  }
  for (const [id, uses] of fieldsById(md.schemas)) {
    if (id > md["last-column-id"]) problems.push(`field id ${id} is above last-column-id`);
    // One entry per distinct type (nested types by kind: their contents have ids of their own).
    const distinct = new Map<string, { type: IcebergType; schemaId: number }>();
    for (const u of uses) {
      const t = u.entry.field.type;
      const key = typeof t === "string" ? t : t.type;
      if (!distinct.has(key)) distinct.set(key, { type: t, schemaId: u.schemaId });
    }
    if (distinct.size < 2) continue;
    const list = [...distinct.values()];
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i] as { type: IcebergType; schemaId: number };
        const b = list[j] as { type: IcebergType; schemaId: number };
        if (!sameKind(a.type, b.type) && !sameKind(b.type, a.type)) {
          problems.push(
            `field id ${id} is ${kindName(a.type)} in schema ${a.schemaId} and ${kindName(b.type)} in schema ${b.schemaId}`,
          );
        }
      }
    }
  }
}

type SourceField = { "source-id": number; transform: string };

/** Problems with the source fields of a spec or sort order: checked against `schema` (the current
 * one, for defaults) or any schema of the table. */
function sourceProblems(
  md: TableMetadata,
  what: string,
  fields: readonly SourceField[],
  schema: Schema | undefined,
  problems: string[],
): void {
  if (fields.length === 0) return;
  const entries = schema ? fieldsOf(schema) : md.schemas.flatMap((s) => fieldsOf(s));
  for (const f of fields) {
    const entry = entries.find((e) => e.field.id === f["source-id"]);
    if (entry === undefined) {
      problems.push(
        `${what}: source field ${f["source-id"]} is not in ${schema ? "the current schema" : "any schema"}`,
      );
      continue;
    }
    let ok = true;
    try {
      const t = transformFromString(f.transform);
      ok = t.type === "unknown" || canTransform(t, entry.field.type);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`${what}: transform ${f.transform} cannot apply to ${entry.name}`);
  }
}

function specProblems(md: TableMetadata, current: Schema | undefined, problems: string[]): void {
  const specs = md["partition-specs"];
  for (const id of duplicates(specs.map((s) => s["spec-id"])))
    problems.push(`duplicate partition spec id ${id}`);
  if (!specs.some((s) => s["spec-id"] === md["default-spec-id"])) {
    problems.push(`default partition spec ${md["default-spec-id"]} does not exist`);
  }
  for (const spec of specs) {
    const what = `partition spec ${spec["spec-id"]}`;
    const isDefault = spec["spec-id"] === md["default-spec-id"];
    for (const id of duplicates(spec.fields.map((f) => f["field-id"]))) {
      problems.push(`${what}: duplicate partition field id ${id}`);
    }
    for (const name of duplicates(spec.fields.map((f) => f.name))) {
      problems.push(`${what}: duplicate partition field name ${JSON.stringify(name)}`);
    }
    for (const f of spec.fields) {
      if (f.name === "") problems.push(`${what}: a partition field has an empty name`);
      if (f["field-id"] > md["last-partition-id"]) {
        problems.push(`${what}: partition field id ${f["field-id"]} is above last-partition-id`);
      }
    }
    sourceProblems(md, what, spec.fields, isDefault ? current : undefined, problems);
  }
}

function sortOrderProblems(md: TableMetadata, current: Schema | undefined, problems: string[]): void {
  const orders = md["sort-orders"];
  for (const id of duplicates(orders.map((o) => o["order-id"])))
    problems.push(`duplicate sort order id ${id}`);
  if (!orders.some((o) => o["order-id"] === md["default-sort-order-id"])) {
    problems.push(`default sort order ${md["default-sort-order-id"]} does not exist`);
  }
  for (const o of orders) {
    const what = `sort order ${o["order-id"]}`;
    if (o["order-id"] === 0 && o.fields.length > 0) problems.push(`${what} is reserved for unsorted`);
    const isDefault = o["order-id"] === md["default-sort-order-id"];
    sourceProblems(md, what, o.fields, isDefault ? current : undefined, problems);
  }
}

function snapshotProblems(md: TableMetadata, problems: string[]): void {
  const ids = md.snapshots.map((s) => s["snapshot-id"]);
  for (const id of duplicates(ids)) problems.push(`duplicate snapshot id ${id}`);
  const live = new Set(ids);
  const current = md["current-snapshot-id"];
  if (current !== null && !live.has(current)) problems.push(`current snapshot ${current} does not exist`);
  const main = md.refs[MAIN_BRANCH];
  if (main !== undefined && main["snapshot-id"] !== current) {
    problems.push(`the main branch points to ${main["snapshot-id"]}, the current snapshot is ${current}`);
  }
  if (main !== undefined && main.type !== "branch") problems.push("main is not a branch");
  for (const [name, ref] of Object.entries(md.refs)) {
    if (!live.has(ref["snapshot-id"])) {
      problems.push(
        `ref ${JSON.stringify(name)} points to snapshot ${ref["snapshot-id"]}, which does not exist`,
      );
    }
  }
  const schemaIds = new Set(md.schemas.map((s) => s["schema-id"]));
  for (const s of md.snapshots) {
    const id = s["snapshot-id"];
    if (md["format-version"] >= 2 && s["sequence-number"] > md["last-sequence-number"]) {
      problems.push(`snapshot ${id} has a sequence number above last-sequence-number`);
    }
    if (s["schema-id"] !== undefined && !schemaIds.has(s["schema-id"])) {
      problems.push(`snapshot ${id} refers to schema ${s["schema-id"]}, which does not exist`);
    }
  }
  for (const [key, list] of [
    ["statistics", md.statistics],
    ["partition statistics", md["partition-statistics"]],
  ] as const) {
    for (const s of list) {
      if (!live.has(s["snapshot-id"])) {
        problems.push(`${key} for snapshot ${s["snapshot-id"]}, which does not exist`);
      }
    }
    for (const id of duplicates(list.map((s) => s["snapshot-id"]))) {
      problems.push(`more than one ${key} file for snapshot ${id}`);
    }
  }
}

/** Metadata objects are not modified once built (applyUpdates copies), so their problems are cached. */
const checked = new WeakMap<TableMetadata, readonly string[]>();

/**
 * Everything wrong with `md` that a reader would refuse or misread: schemas (ids, names, identifier
 * fields), a field id whose types across schemas are not one promotion chain, specs and sort orders
 * (ids, names, sources, defaults), snapshots, refs and statistics that point at nothing. Empty when
 * the metadata is valid. Messages are stable, so two lists can be compared.
 */
export function metadataProblems(md: TableMetadata): readonly string[] {
  const cached = checked.get(md);
  if (cached !== undefined) return cached;
  const problems: string[] = [];
  const v = md["format-version"];
  if (v < 1 || v > 3) problems.push(`format version ${v} is not 1, 2 or 3`);
  if (v >= 2 && md["table-uuid"] === undefined) problems.push("table-uuid is missing");
  if (v >= 3 && md["next-row-id"] === undefined) problems.push("next-row-id is missing");
  schemaProblems(md, problems);
  const current = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]);
  specProblems(md, current, problems);
  sortOrderProblems(md, current, problems);
  snapshotProblems(md, problems);
  checked.set(md, problems);
  return problems;
}
