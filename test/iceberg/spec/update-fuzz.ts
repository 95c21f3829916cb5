/**
 * Random table-update sequences for fuzzing applyUpdates (seeded, so a failure replays): schema
 * changes good and bad (new columns, nested types, promotions and non-promotions, renames, drops,
 * odd names, required columns), spec and sort-order changes, snapshots, refs, statistics, properties.
 * Used by the unit fuzz test and by the integration test that loads accepted metadata with PyIceberg
 * and DuckDB.
 */
import { isFloeError } from "../../../src/errors.js";
import { applyUpdates } from "../../../src/iceberg/spec/apply-updates.js";
import { newTableMetadata } from "../../../src/iceberg/spec/new-table.js";
import { allFields, makeSchema, type Schema } from "../../../src/iceberg/spec/schema.js";
import type { TableMetadata } from "../../../src/iceberg/spec/table-metadata.js";
import type { IcebergType, NestedField, PrimitiveType } from "../../../src/iceberg/spec/types.js";
import type { TableUpdate } from "../../../src/iceberg/spec/updates.js";
import { seededRandom } from "../../support/random.js";

export type Rng = () => number;

/** mulberry32 (see test/support/random.ts). */
export const seeded = (seed: number): Rng => seededRandom(seed);

const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const chance = (r: Rng, p: number) => r() < p;

const PRIMITIVES: PrimitiveType[] = [
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "date",
  "timestamp",
  "timestamptz",
  "string",
  "uuid",
  "binary",
  "decimal(9, 2)",
  "decimal(18, 2)",
  "fixed[4]",
];

/** Names, mostly fine, some that no reader accepts. */
function randomName(r: Rng, i: number): string {
  if (chance(r, 0.85)) return pick(r, ["c", "col", "value", "ts", "amount", "n"]) + i;
  return pick(r, ["", "a\u0001b", "x".repeat(256), "é".repeat(130), "id", "dup", "a.b", "tab\t"]);
}

interface Ids {
  next: number;
}

function randomType(r: Rng, ids: Ids, depth: number): IcebergType {
  const roll = r();
  if (depth >= 2 || roll < 0.7) return pick(r, PRIMITIVES);
  if (roll < 0.8) {
    const n = 1 + Math.floor(r() * 3);
    const fields: NestedField[] = [];
    for (let i = 0; i < n; i++) fields.push(randomField(r, ids, depth + 1, chance(r, 0.2)));
    return { type: "struct", fields };
  }
  if (roll < 0.9) {
    return {
      type: "list",
      "element-id": ids.next++,
      element: randomType(r, ids, depth + 1),
      "element-required": chance(r, 0.3),
    };
  }
  return {
    type: "map",
    "key-id": ids.next++,
    key: "string",
    "value-id": ids.next++,
    value: randomType(r, ids, depth + 1),
    "value-required": chance(r, 0.3),
  };
}

function randomField(r: Rng, ids: Ids, depth: number, required: boolean): NestedField {
  const id = ids.next++;
  return { id, name: randomName(r, id), required, type: randomType(r, ids, depth) };
}

/** Another type for a column: mostly an allowed promotion, sometimes not. */
function changedType(r: Rng, t: IcebergType): IcebergType {
  if (typeof t !== "string") return chance(r, 0.5) ? "string" : t;
  const promotions: Record<string, PrimitiveType> = {
    int: "long",
    float: "double",
    "decimal(9, 2)": "decimal(18, 2)",
  };
  if (promotions[t] !== undefined && chance(r, 0.7)) return promotions[t] as PrimitiveType;
  return pick(r, PRIMITIVES);
}

/** A changed copy of the current schema (new schema id unset: add-schema assigns it). */
function randomSchemaChange(r: Rng, md: TableMetadata): Schema {
  const current = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]) as Schema;
  const ids: Ids = { next: md["last-column-id"] + 1 };
  let fields = [...current.fields];
  const steps = 1 + Math.floor(r() * 3);
  for (let i = 0; i < steps; i++) {
    const roll = r();
    const at = Math.floor(r() * fields.length);
    const target = fields[at];
    if (roll < 0.4 || target === undefined) {
      fields.push(randomField(r, ids, 0, chance(r, 0.1)));
    } else if (roll < 0.6) {
      fields[at] = { ...target, type: changedType(r, target.type) };
    } else if (roll < 0.7) {
      fields[at] = { ...target, name: randomName(r, target.id + 1000) };
    } else if (roll < 0.8) {
      fields = fields.filter((_, j) => j !== at);
    } else if (roll < 0.9) {
      fields[at] = { ...target, required: !target.required };
    } else {
      fields.push({ ...randomField(r, ids, 0, false), id: pick(r, fields).id }); // a reused id
    }
  }
  return { type: "struct", "schema-id": 0, fields };
}

function primitiveColumns(md: TableMetadata): { id: number; name: string; type: PrimitiveType }[] {
  const current = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]) as Schema;
  return allFields(current)
    .filter((e) => typeof e.field.type === "string" && !e.inCollection)
    .map((e) => ({ id: e.field.id, name: e.name, type: e.field.type as PrimitiveType }));
}

const TRANSFORMS = ["identity", "bucket[8]", "truncate[4]", "year", "month", "day", "hour", "void"];

function randomSpec(r: Rng, md: TableMetadata): TableUpdate[] {
  const cols = primitiveColumns(md);
  const n = Math.floor(r() * 3);
  const fields = [];
  for (let i = 0; i < n && cols.length > 0; i++) {
    const c = pick(r, cols);
    const transform = pick(r, TRANSFORMS);
    const base = transform.replace(/\[.*$/, "");
    fields.push({
      "source-id": chance(r, 0.95) ? c.id : 9999,
      "field-id": md["last-partition-id"] + 1 + i,
      name: chance(r, 0.9) ? `${c.name.replaceAll(".", "_")}_${base}${i}` : "p",
      transform,
    });
  }
  const out: TableUpdate[] = [{ action: "add-spec", spec: { "spec-id": 0, fields } }];
  if (chance(r, 0.7)) out.push({ action: "set-default-spec", "spec-id": -1 });
  return out;
}

function randomSortOrder(r: Rng, md: TableMetadata): TableUpdate[] {
  const cols = primitiveColumns(md);
  const c = cols.length > 0 ? pick(r, cols) : undefined;
  const fields =
    c === undefined || chance(r, 0.2)
      ? []
      : [
          {
            "source-id": c.id,
            transform: pick(r, ["identity", "bucket[4]", "day"]),
            direction: pick(r, ["asc", "desc"] as const),
            "null-order": pick(r, ["nulls-first", "nulls-last"] as const),
          },
        ];
  return [
    { action: "add-sort-order", "sort-order": { "order-id": 1, fields } },
    { action: "set-default-sort-order", "sort-order-id": -1 },
  ];
}

/** Snapshot ids in use, and a fresh one. */
function snapshotIds(md: TableMetadata): bigint[] {
  return md.snapshots.map((s) => s["snapshot-id"]);
}

/** Where a snapshot's manifest list goes (the integration test writes an empty one there). */
export function manifestListPath(md: TableMetadata, id: bigint): string {
  return `${md.location}/metadata/snap-${id}-fuzz.avro`;
}

/** One random batch of updates against `md`; `step` makes snapshot ids unique. */
export function randomUpdates(r: Rng, md: TableMetadata, step: number): TableUpdate[] {
  const roll = r();
  const existing = snapshotIds(md);
  if (roll < 0.35) {
    const out: TableUpdate[] = [{ action: "add-schema", schema: randomSchemaChange(r, md) }];
    if (chance(r, 0.8)) out.push({ action: "set-current-schema", "schema-id": -1 });
    return out;
  }
  if (roll < 0.4) {
    return [
      { action: "set-current-schema", "schema-id": pick(r, [...md.schemas.map((s) => s["schema-id"]), 77]) },
    ];
  }
  if (roll < 0.5) return randomSpec(r, md);
  if (roll < 0.55) return randomSortOrder(r, md);
  if (roll < 0.75) {
    const id = BigInt(step * 1000 + Math.floor(r() * 1000)) + 1n;
    const seq = md["last-sequence-number"] + (chance(r, 0.9) ? 1n : 0n);
    const parent = md["current-snapshot-id"];
    const out: TableUpdate[] = [
      {
        action: "add-snapshot",
        snapshot: {
          "snapshot-id": id,
          ...(parent === null ? {} : { "parent-snapshot-id": parent }),
          "sequence-number": seq,
          "timestamp-ms": 1_700_000_000_000 + step * 1000,
          "manifest-list": manifestListPath(md, id),
          summary: { operation: "append" },
          "schema-id": chance(r, 0.95) ? md["current-schema-id"] : 99,
        },
      },
    ];
    if (chance(r, 0.8)) {
      out.push({
        action: "set-snapshot-ref",
        "ref-name": chance(r, 0.8) ? "main" : "tag1",
        "snapshot-id": id,
        type: chance(r, 0.9) ? "branch" : "tag",
      });
    }
    return out;
  }
  if (roll < 0.83) {
    const id = existing.length > 0 && chance(r, 0.8) ? pick(r, existing) : 424242n;
    return [
      {
        action: "set-statistics",
        statistics: {
          "snapshot-id": id,
          "statistics-path": `${md.location}/metadata/stats-${id}.puffin`,
          "file-size-in-bytes": 100,
          "file-footer-size-in-bytes": 10,
          "blob-metadata": [],
        },
      },
    ];
  }
  if (roll < 0.88 && existing.length > 0) {
    return [{ action: "remove-snapshots", "snapshot-ids": [pick(r, existing)] }];
  }
  if (roll < 0.92) {
    return [{ action: "remove-snapshot-ref", "ref-name": pick(r, ["main", "tag1", "nope"]) }];
  }
  if (roll < 0.97)
    return [{ action: "set-properties", updates: { [`k${Math.floor(r() * 5)}`]: String(step) } }];
  return [{ action: "remove-properties", removals: [`k${Math.floor(r() * 5)}`] }];
}

/** The table every fuzz run starts from (format v2). */
export function startTable(): TableMetadata {
  return newTableMetadata({
    location: "s3://b/fuzz",
    uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d10",
    schema: makeSchema([
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "n", required: false, type: "int" },
      { id: 3, name: "ts", required: false, type: "timestamptz" },
    ]),
    nowMs: 1_700_000_000_000,
  });
}

export interface FuzzRun {
  accepted: { updates: unknown[]; md: TableMetadata }[];
  refused: { action: string; message: string }[];
}

/** Applies `steps` random batches to a fresh table; throws when a refusal is not a FloeError. */
export function fuzz(seed: number, steps: number): FuzzRun {
  const r = seeded(seed);
  let md = startTable();
  const run: FuzzRun = { accepted: [], refused: [] };
  for (let step = 1; step <= steps; step++) {
    const updates = randomUpdates(r, md, step);
    let next: TableMetadata;
    try {
      next = applyUpdates(md, updates, { nowMs: 1_700_000_000_000 + step * 1000 });
    } catch (e) {
      if (!isFloeError(e) || !["INVALID_ARGUMENT", "COMMIT_CONFLICT", "UNSUPPORTED"].includes(e.code)) {
        throw new Error(
          `seed ${seed} step ${step}: ${String(e)} for ${JSON.stringify(updates, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`,
        );
      }
      run.refused.push({ action: updates[0]?.action ?? "", message: e.message });
      continue;
    }
    run.accepted.push({ updates, md: next });
    md = next;
  }
  return run;
}
