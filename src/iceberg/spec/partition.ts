/**
 * Partition specs: how a row's partition tuple is derived from its columns. Field ids of partition
 * fields start at 1000 (v1 specs written without ids get 1000, 1001, ... on read, as the spec says).
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { allFields, type IndexedField, type Schema } from "./schema.js";
import {
  applyTransform,
  canTransform,
  partitionPathSegment,
  type Transform,
  transformFromString,
  transformResultType,
  transformToString,
} from "./transforms.js";
import { describeType, type NestedField, type StructType } from "./types.js";
import type { PrimitiveValue } from "./values.js";

/** The first partition field id; `last-partition-id` of a table without partition fields is 999. */
export const PARTITION_DATA_ID_START = 1000;

const PartitionFieldJsonSchema = z.object({
  "source-id": z.number().int().optional(),
  "source-ids": z.array(z.number().int()).optional(),
  "field-id": z.number().int().optional(),
  name: z.string(),
  transform: z.string(),
});

function normaliseFields(fields: z.infer<typeof PartitionFieldJsonSchema>[], ctx: z.RefinementCtx) {
  return fields.map((f, i) => {
    const sourceId = f["source-id"] ?? f["source-ids"]?.[0];
    if (sourceId === undefined) {
      ctx.addIssue({ code: "custom", message: `partition field ${f.name} has no source-id`, path: [i] });
    }
    return {
      "source-id": sourceId ?? -1,
      ...(f["source-ids"] && f["source-ids"].length > 1 ? { "source-ids": f["source-ids"] } : {}),
      "field-id": f["field-id"] ?? PARTITION_DATA_ID_START + i,
      name: f.name,
      transform: f.transform,
    };
  });
}

/** A partition field list as stored in v1 metadata (`partition-spec`) and in manifest key-value metadata. */
export const PartitionFieldsSchema = z.array(PartitionFieldJsonSchema).transform(normaliseFields);

export const PartitionSpecSchema = z
  .object({ "spec-id": z.number().int().nonnegative().default(0), fields: z.array(PartitionFieldJsonSchema) })
  .transform((spec, ctx) => ({ "spec-id": spec["spec-id"], fields: normaliseFields(spec.fields, ctx) }));

export type PartitionSpec = z.infer<typeof PartitionSpecSchema>;
export type PartitionField = PartitionSpec["fields"][number];

export function parsePartitionSpec(json: unknown): PartitionSpec {
  const result = PartitionSpecSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid partition spec: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function unpartitionedSpec(specId = 0): PartitionSpec {
  return { "spec-id": specId, fields: [] };
}

/** True if the spec has no fields, or only void ones (every row lands in the same partition). */
export function isUnpartitioned(spec: PartitionSpec): boolean {
  return spec.fields.every((f) => transformFromString(f.transform).type === "void");
}

/** The highest partition field id in the spec, or 999 if it has none. */
export function highestPartitionFieldId(spec: PartitionSpec): number {
  return spec.fields.reduce((max, f) => Math.max(max, f["field-id"]), PARTITION_DATA_ID_START - 1);
}

/** Same fields (source ids, transform, name) in the same order; spec and field ids are ignored. */
export function specsEquivalent(a: PartitionSpec, b: PartitionSpec): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => {
      const g = b.fields[i];
      return (
        g !== undefined &&
        f["source-id"] === g["source-id"] &&
        f.name === g.name &&
        transformToString(transformFromString(f.transform)) ===
          transformToString(transformFromString(g.transform))
      );
    })
  );
}

function sourceEntry(schema: Schema, sourceId: number, what: string): IndexedField {
  const entry = allFields(schema).find((e) => e.field.id === sourceId);
  if (entry === undefined) {
    throw new FloeError("INVALID_ARGUMENT", `${what}: source field ${sourceId} is not in the schema`, {
      context: { sourceId },
    });
  }
  return entry;
}

/**
 * The partition tuple type of a spec: a struct of optional fields named like the partition fields,
 * with the partition field ids and each transform's result type.
 */
export function partitionType(spec: PartitionSpec, schema: Schema): StructType {
  const fields: NestedField[] = spec.fields.map((f) => {
    const source = sourceEntry(schema, f["source-id"], `partition field ${f.name}`);
    return {
      id: f["field-id"],
      name: f.name,
      required: false,
      type: transformResultType(transformFromString(f.transform), source.field.type),
    };
  });
  return { type: "struct", fields };
}

/** Java's default partition field names: `id`, `id_bucket`, `name_trunc`, `ts_year`, `ts_day`, ... */
export function defaultPartitionName(sourceName: string, t: Transform): string {
  switch (t.type) {
    case "identity":
      return sourceName;
    case "bucket":
      return `${sourceName}_bucket`;
    case "truncate":
      return `${sourceName}_trunc`;
    case "void":
      return `${sourceName}_null`;
    case "unknown":
      return `${sourceName}_${t.name.replace(/\W+/g, "_")}`;
    default:
      return `${sourceName}_${t.type}`;
  }
}

export interface PartitionFieldInput {
  /** Source column by full dotted name or by field id. */
  source: string | number;
  transform: string | Transform;
  /** Partition field name; defaults to defaultPartitionName. */
  name?: string;
  /** Keep an existing partition field id (spec evolution); new fields take ids after lastPartitionId. */
  fieldId?: number;
}

/**
 * Builds and validates a partition spec: sources must be primitive columns outside lists and maps, the
 * transform must apply, names must be unique and may only shadow a column through an identity transform
 * on that same column, and a column cannot have the same transform twice.
 */
export function buildPartitionSpec(
  schema: Schema,
  inputs: PartitionFieldInput[],
  options: { specId?: number; lastPartitionId?: number } = {},
): PartitionSpec {
  const entries = allFields(schema);
  const byName = new Map(entries.map((e) => [e.name, e]));
  let nextId = (options.lastPartitionId ?? PARTITION_DATA_ID_START - 1) + 1;
  const names = new Set<string>();
  const seen = new Set<string>();
  const fields = inputs.map((input) => {
    const entry =
      typeof input.source === "number"
        ? entries.find((e) => e.field.id === input.source)
        : byName.get(input.source);
    if (entry === undefined) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `partition source column ${input.source} is not in the schema`,
        {
          context: { source: String(input.source) },
        },
      );
    }
    const transform =
      typeof input.transform === "string" ? transformFromString(input.transform) : input.transform;
    const transformText = transformToString(transform);
    if (transform.type === "unknown") {
      throw new FloeError("UNSUPPORTED", `unknown partition transform "${transformText}"`, {
        context: { transform: transformText },
      });
    }
    if (entry.inCollection) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `cannot partition by ${entry.name}: it is inside a list or map`,
        {
          context: { source: entry.name },
        },
      );
    }
    if (!canTransform(transform, entry.field.type)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `cannot partition by ${transformText}(${entry.name}) of type ${describeType(entry.field.type)}`,
        { context: { source: entry.name, transform: transformText } },
      );
    }
    const name = input.name ?? defaultPartitionName(entry.name, transform);
    if (name === "") throw new FloeError("INVALID_ARGUMENT", "partition field names cannot be empty");
    if (names.has(name)) {
      throw new FloeError("INVALID_ARGUMENT", `duplicate partition field name ${name}`, {
        context: { name },
      });
    }
    const shadowed = byName.get(name);
    if (shadowed !== undefined && !(transform.type === "identity" && shadowed.field.id === entry.field.id)) {
      throw new FloeError("INVALID_ARGUMENT", `partition field name ${name} conflicts with a schema column`, {
        context: { name },
      });
    }
    const key = `${entry.field.id}:${transformText}`;
    if (seen.has(key) && transform.type !== "void") {
      throw new FloeError("INVALID_ARGUMENT", `${entry.name} is already partitioned by ${transformText}`, {
        context: { source: entry.name, transform: transformText },
      });
    }
    names.add(name);
    seen.add(key);
    const fieldId = input.fieldId ?? nextId++;
    return { "source-id": entry.field.id, "field-id": fieldId, name, transform: transformText };
  });
  return { "spec-id": options.specId ?? 0, fields };
}

/**
 * Prepares a function that computes a row's partition tuple: `sourceValue(sourceId)` returns the source
 * column's value (JS representation of values.ts, null/undefined for null). Sources and transforms are
 * resolved once, so the returned function is cheap enough to call per record.
 */
export function makePartitioner(
  spec: PartitionSpec,
  schema: Schema,
): (sourceValue: (sourceId: number) => PrimitiveValue | null | undefined) => (PrimitiveValue | null)[] {
  const plan = spec.fields.map((f) => {
    const source = sourceEntry(schema, f["source-id"], `partition field ${f.name}`);
    const type = source.field.type;
    if (typeof type !== "string") {
      throw new FloeError("INVALID_ARGUMENT", `partition source ${source.name} is not a primitive`, {
        context: { source: source.name },
      });
    }
    const transform = transformFromString(f.transform);
    transformResultType(transform, type); // fails early for a transform that cannot apply
    return { sourceId: f["source-id"], type, transform };
  });
  return (sourceValue) => plan.map((p) => applyTransform(p.transform, p.type, sourceValue(p.sourceId)));
}

/** The partition tuple for one row (see makePartitioner for repeated use). */
export function computePartition(
  spec: PartitionSpec,
  schema: Schema,
  sourceValue: (sourceId: number) => PrimitiveValue | null | undefined,
): (PrimitiveValue | null)[] {
  return makePartitioner(spec, schema)(sourceValue);
}

/** The relative directory of a partition tuple: `ts_day=2024-01-31/id_bucket=3` ("" when unpartitioned). */
export function partitionPath(
  spec: PartitionSpec,
  schema: Schema,
  values: (PrimitiveValue | null)[],
): string {
  if (values.length !== spec.fields.length) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `partition tuple has ${values.length} values but spec ${spec["spec-id"]} has ${spec.fields.length} fields`,
    );
  }
  return spec.fields
    .map((f, i) => {
      const source = sourceEntry(schema, f["source-id"], `partition field ${f.name}`);
      return partitionPathSegment(f.name, transformFromString(f.transform), source.field.type, values[i]);
    })
    .join("/");
}
