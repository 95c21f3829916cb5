/**
 * The Iceberg REST catalog's commit vocabulary: TableUpdate (what changes) and TableRequirement (what
 * must still hold), with `checkRequirements`. Applying updates lives in apply-updates.ts.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { Int64Schema, MillisSchema } from "./json.js";
import { PartitionSpecSchema } from "./partition.js";
import { SchemaSchema } from "./schema.js";
import { SnapshotRefTypeSchema, SnapshotSchema } from "./snapshot.js";
import { SortOrderSchema } from "./sort-order.js";
import { StatisticsFileSchema, type TableMetadata } from "./table-metadata.js";

const int = z.number().int();

/** `-1` in set-current-schema / set-default-spec / set-default-sort-order: the one added last in the commit. */
export const LAST_ADDED_ID = -1;

export const AssignUuidUpdateSchema = z.object({ action: z.literal("assign-uuid"), uuid: z.string() });
export const UpgradeFormatVersionUpdateSchema = z.object({
  action: z.literal("upgrade-format-version"),
  "format-version": int,
});
export const AddSchemaUpdateSchema = z.object({
  action: z.literal("add-schema"),
  schema: SchemaSchema,
  /** Deprecated in the REST spec; the table's last-column-id is derived from the schema. */
  "last-column-id": int.optional(),
});
export const SetCurrentSchemaUpdateSchema = z.object({
  action: z.literal("set-current-schema"),
  /** -1 means the schema added last in this commit. */
  "schema-id": int,
});
export const AddSpecUpdateSchema = z.object({ action: z.literal("add-spec"), spec: PartitionSpecSchema });
export const SetDefaultSpecUpdateSchema = z.object({
  action: z.literal("set-default-spec"),
  /** -1 means the spec added last in this commit. */
  "spec-id": int,
});
export const AddSortOrderUpdateSchema = z.object({
  action: z.literal("add-sort-order"),
  "sort-order": SortOrderSchema,
});
export const SetDefaultSortOrderUpdateSchema = z.object({
  action: z.literal("set-default-sort-order"),
  /** -1 means the sort order added last in this commit. */
  "sort-order-id": int,
});
export const AddSnapshotUpdateSchema = z.object({
  action: z.literal("add-snapshot"),
  snapshot: SnapshotSchema,
});
export const SetSnapshotRefUpdateSchema = z.object({
  action: z.literal("set-snapshot-ref"),
  "ref-name": z.string().min(1),
  "snapshot-id": Int64Schema,
  type: SnapshotRefTypeSchema,
  "max-ref-age-ms": MillisSchema.optional(),
  "max-snapshot-age-ms": MillisSchema.optional(),
  "min-snapshots-to-keep": int.optional(),
});
export const RemoveSnapshotsUpdateSchema = z.object({
  action: z.literal("remove-snapshots"),
  "snapshot-ids": z.array(Int64Schema),
});
export const RemoveSnapshotRefUpdateSchema = z.object({
  action: z.literal("remove-snapshot-ref"),
  "ref-name": z.string(),
});
export const SetLocationUpdateSchema = z.object({
  action: z.literal("set-location"),
  location: z.string().min(1),
});
export const SetPropertiesUpdateSchema = z.object({
  action: z.literal("set-properties"),
  updates: z.record(z.string(), z.string()),
});
export const RemovePropertiesUpdateSchema = z.object({
  action: z.literal("remove-properties"),
  removals: z.array(z.string()),
});
export const SetStatisticsUpdateSchema = z.object({
  action: z.literal("set-statistics"),
  /** Deprecated in the REST spec: must match statistics["snapshot-id"] when present. */
  "snapshot-id": Int64Schema.optional(),
  statistics: StatisticsFileSchema,
});
export const RemoveStatisticsUpdateSchema = z.object({
  action: z.literal("remove-statistics"),
  "snapshot-id": Int64Schema,
});

export const TableUpdateSchema = z.discriminatedUnion("action", [
  AssignUuidUpdateSchema,
  UpgradeFormatVersionUpdateSchema,
  AddSchemaUpdateSchema,
  SetCurrentSchemaUpdateSchema,
  AddSpecUpdateSchema,
  SetDefaultSpecUpdateSchema,
  AddSortOrderUpdateSchema,
  SetDefaultSortOrderUpdateSchema,
  AddSnapshotUpdateSchema,
  SetSnapshotRefUpdateSchema,
  RemoveSnapshotsUpdateSchema,
  RemoveSnapshotRefUpdateSchema,
  SetLocationUpdateSchema,
  SetPropertiesUpdateSchema,
  RemovePropertiesUpdateSchema,
  SetStatisticsUpdateSchema,
  RemoveStatisticsUpdateSchema,
]);

export type TableUpdate = z.infer<typeof TableUpdateSchema>;
export type TableUpdateAction = TableUpdate["action"];
/** The update with the given action, e.g. `UpdateOf<"add-snapshot">`. */
export type UpdateOf<A extends TableUpdateAction> = Extract<TableUpdate, { action: A }>;

export const TableRequirementSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("assert-create") }),
  z.object({ type: z.literal("assert-table-uuid"), uuid: z.string() }),
  z.object({
    type: z.literal("assert-ref-snapshot-id"),
    ref: z.string(),
    /** null (or absent) means the ref must not exist. */
    "snapshot-id": Int64Schema.nullish().transform((v) => v ?? null),
  }),
  z.object({ type: z.literal("assert-last-assigned-field-id"), "last-assigned-field-id": int }),
  z.object({ type: z.literal("assert-current-schema-id"), "current-schema-id": int }),
  z.object({ type: z.literal("assert-last-assigned-partition-id"), "last-assigned-partition-id": int }),
  z.object({ type: z.literal("assert-default-spec-id"), "default-spec-id": int }),
  z.object({ type: z.literal("assert-default-sort-order-id"), "default-sort-order-id": int }),
]);

export type TableRequirement = z.infer<typeof TableRequirementSchema>;

function parseWith<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid ${what}: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function parseTableUpdates(json: unknown): TableUpdate[] {
  return parseWith(z.array(TableUpdateSchema), json, "table updates");
}

export function parseTableRequirements(json: unknown): TableRequirement[] {
  return parseWith(z.array(TableRequirementSchema), json, "table requirements");
}

function conflict(req: TableRequirement, message: string): FloeError {
  return new FloeError("COMMIT_CONFLICT", `requirement ${req.type} failed: ${message}`, {
    context: { requirement: req.type },
  });
}

/**
 * Checks requirements against the table's current metadata (undefined if the table does not exist).
 * Throws COMMIT_CONFLICT naming the first requirement that does not hold.
 */
export function checkRequirements(
  metadata: TableMetadata | undefined,
  requirements: readonly TableRequirement[],
): void {
  for (const req of requirements) {
    if (req.type === "assert-create") {
      if (metadata !== undefined) throw conflict(req, "the table already exists");
      continue;
    }
    if (metadata === undefined) throw conflict(req, "the table does not exist");
    switch (req.type) {
      case "assert-table-uuid":
        if (metadata["table-uuid"]?.toLowerCase() !== req.uuid.toLowerCase()) {
          throw conflict(req, `table uuid is ${metadata["table-uuid"]}, expected ${req.uuid}`);
        }
        break;
      case "assert-ref-snapshot-id": {
        const ref = metadata.refs[req.ref];
        const expected = req["snapshot-id"];
        if (expected === null) {
          if (ref !== undefined)
            throw conflict(req, `ref ${req.ref} was created (snapshot ${ref["snapshot-id"]})`);
        } else if (ref === undefined) {
          throw conflict(req, `ref ${req.ref} is missing, expected snapshot ${expected}`);
        } else if (ref["snapshot-id"] !== expected) {
          throw conflict(
            req,
            `ref ${req.ref} points to snapshot ${ref["snapshot-id"]}, expected ${expected}`,
          );
        }
        break;
      }
      case "assert-last-assigned-field-id":
        if (metadata["last-column-id"] !== req["last-assigned-field-id"]) {
          throw conflict(
            req,
            `last assigned field id is ${metadata["last-column-id"]}, expected ${req["last-assigned-field-id"]}`,
          );
        }
        break;
      case "assert-current-schema-id":
        if (metadata["current-schema-id"] !== req["current-schema-id"]) {
          throw conflict(
            req,
            `current schema id is ${metadata["current-schema-id"]}, expected ${req["current-schema-id"]}`,
          );
        }
        break;
      case "assert-last-assigned-partition-id":
        if (metadata["last-partition-id"] !== req["last-assigned-partition-id"]) {
          throw conflict(
            req,
            `last assigned partition id is ${metadata["last-partition-id"]}, expected ${req["last-assigned-partition-id"]}`,
          );
        }
        break;
      case "assert-default-spec-id":
        if (metadata["default-spec-id"] !== req["default-spec-id"]) {
          throw conflict(
            req,
            `default spec id is ${metadata["default-spec-id"]}, expected ${req["default-spec-id"]}`,
          );
        }
        break;
      case "assert-default-sort-order-id":
        if (metadata["default-sort-order-id"] !== req["default-sort-order-id"]) {
          throw conflict(
            req,
            `default sort order id is ${metadata["default-sort-order-id"]}, expected ${req["default-sort-order-id"]}`,
          );
        }
        break;
    }
  }
}
