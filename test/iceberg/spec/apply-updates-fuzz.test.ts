import { describe, expect, it } from "vitest";
import { nameProblem } from "../../../src/iceberg/spec/names.js";
import { allFields, isPromotionAllowed } from "../../../src/iceberg/spec/schema.js";
import {
  parseTableMetadata,
  stringifyTableMetadata,
  type TableMetadata,
} from "../../../src/iceberg/spec/table-metadata.js";
import type { IcebergType, StructType } from "../../../src/iceberg/spec/types.js";
import { metadataProblems } from "../../../src/iceberg/spec/validate-metadata.js";
import { fuzz } from "./update-fuzz.js";

// Random update sequences (seeded): whatever applyUpdates accepts is valid metadata, checked here
// independently of validate-metadata.ts as well as with it; whatever it refuses is a FloeError with a
// commit-level code, and leaves the table as it was.

function structNamesOk(t: IcebergType): string | undefined {
  if (typeof t === "string") return undefined;
  if (t.type === "list") return structNamesOk(t.element);
  if (t.type === "map") return structNamesOk(t.key) ?? structNamesOk(t.value);
  const names = new Set<string>();
  for (const f of t.fields) {
    if (nameProblem(f.name) !== undefined) return `bad name ${JSON.stringify(f.name)}`;
    if (names.has(f.name)) return `duplicate ${f.name}`;
    names.add(f.name);
    const inner = structNamesOk(f.type);
    if (inner) return inner;
  }
  return undefined;
}

function kindOf(t: IcebergType): string {
  return typeof t === "string" ? "primitive" : t.type;
}

/** Rules checked without validate-metadata.ts. */
function independentProblems(md: TableMetadata): string[] {
  const out: string[] = [];
  const struct = (s: { fields: StructType["fields"] }): StructType => ({ type: "struct", fields: s.fields });
  const seen = new Map<number, { type: IcebergType; schema: number }>();
  const everSeen = new Set<number>();
  for (const s of md.schemas) {
    const names = structNamesOk(struct(s));
    if (names) out.push(`schema ${s["schema-id"]}: ${names}`);
    const ids = new Set<number>();
    for (const e of allFields(s)) {
      const id = e.field.id;
      if (ids.has(id)) out.push(`schema ${s["schema-id"]}: duplicate id ${id}`);
      ids.add(id);
      const before = seen.get(id);
      const t = e.field.type;
      if (before !== undefined) {
        const ok =
          typeof before.type === "string" && typeof t === "string"
            ? isPromotionAllowed(before.type, t)
            : kindOf(before.type) === kindOf(t);
        if (!ok) out.push(`field ${id}: schema ${before.schema} -> ${s["schema-id"]} is not a promotion`);
      }
      seen.set(id, { type: t, schema: s["schema-id"] });
      const parent = e.parents.at(-1);
      const parentExisted = parent === undefined ? s !== md.schemas[0] : everSeen.has(parent);
      if (
        !everSeen.has(id) &&
        e.kind === "field" &&
        e.field.required &&
        parentExisted &&
        md["format-version"] < 3
      ) {
        out.push(`schema ${s["schema-id"]}: new required field ${e.name} in v2`);
      }
    }
    for (const id of ids) everSeen.add(id);
  }
  const current = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]);
  if (!current) out.push("no current schema");
  const spec = md["partition-specs"].find((s) => s["spec-id"] === md["default-spec-id"]);
  if (!spec) out.push("no default spec");
  const currentIds = new Set(current ? allFields(current).map((e) => e.field.id) : []);
  for (const f of spec?.fields ?? []) {
    if (!currentIds.has(f["source-id"]))
      out.push(`default spec source ${f["source-id"]} not in the current schema`);
  }
  if (!md["sort-orders"].some((o) => o["order-id"] === md["default-sort-order-id"]))
    out.push("no default order");
  const live = new Set(md.snapshots.map((s) => s["snapshot-id"]));
  for (const s of md.statistics)
    if (!live.has(s["snapshot-id"])) out.push(`statistics for ${s["snapshot-id"]}`);
  for (const [name, ref] of Object.entries(md.refs))
    if (!live.has(ref["snapshot-id"])) out.push(`ref ${name}`);
  const cur = md["current-snapshot-id"];
  if (cur !== null && !live.has(cur)) out.push("current snapshot missing");
  return out;
}

describe("applyUpdates fuzz: accepted updates always give valid metadata", () => {
  const SEEDS = Array.from({ length: 25 }, (_, i) => 1000 + i);

  it.each(SEEDS)("seed %i", (seed) => {
    const run = fuzz(seed, 60);
    for (const { md, updates } of run.accepted) {
      const why = JSON.stringify(updates, (_, v) => (typeof v === "bigint" ? `${v}` : v)).slice(0, 600);
      expect(metadataProblems(md), why).toEqual([]);
      expect(independentProblems(md), why).toEqual([]);
      expect(parseTableMetadata(stringifyTableMetadata(md))).toEqual(md);
    }
  });

  it("exercises both outcomes of every kind of update", () => {
    const runs = SEEDS.map((s) => fuzz(s, 60));
    const accepted = new Set(
      runs.flatMap((r) => r.accepted.map((a) => (a.updates[0] as { action: string }).action)),
    );
    const refused = new Set(runs.flatMap((r) => r.refused.map((x) => x.action)));
    for (const action of ["add-schema", "add-spec", "add-snapshot", "set-statistics", "set-current-schema"]) {
      expect(accepted, action).toContain(action);
      expect(refused, action).toContain(action);
    }
    const messages = runs.flatMap((r) => r.refused.map((x) => x.message)).join("\n");
    for (const re of [
      /is empty/,
      /not an allowed type promotion/,
      /duplicate field name/,
      /cannot add required field/,
      /does not exist/,
    ]) {
      expect(messages).toMatch(re);
    }
  });
});
