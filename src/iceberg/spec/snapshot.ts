/**
 * Snapshots (the state of a table at one commit) and snapshot references (branches and tags).
 * Snapshot ids and sequence numbers are bigint.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { Int64Schema, MillisSchema } from "./json.js";

export const MAIN_BRANCH = "main";

export const SNAPSHOT_OPERATIONS = ["append", "replace", "overwrite", "delete"] as const;
export type SnapshotOperation = (typeof SNAPSHOT_OPERATIONS)[number];

/** Optional in JSON, and some writers spell "absent" as null: both read as undefined. */
function optional<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((v) => (v === null ? undefined : v))
    .optional();
}

const summaryValue = z.union([z.string(), z.number(), z.bigint(), z.boolean()]).transform((v) => String(v));

/**
 * The snapshot summary: a string map that must contain `operation`. Non-string values written by other
 * tools are read as strings. Operations other than the four in the spec are kept as written.
 */
export const SnapshotSummarySchema = z.object({ operation: z.string() }).catchall(summaryValue);
export type SnapshotSummary = z.infer<typeof SnapshotSummarySchema>;

export const SnapshotSchema = z.object({
  "snapshot-id": Int64Schema,
  "parent-snapshot-id": optional(Int64Schema),
  /** v1 snapshots have no sequence number; it reads as 0. */
  "sequence-number": Int64Schema.default(0n),
  "timestamp-ms": MillisSchema,
  "manifest-list": optional(z.string()),
  /** v1 only: manifest locations listed inline instead of a manifest list. */
  manifests: optional(z.array(z.string())),
  /** Optional in v1; a missing summary reads as an append. */
  summary: SnapshotSummarySchema.default({ operation: "append" }),
  "schema-id": optional(z.number().int()),
  /** v3 row lineage. */
  "first-row-id": optional(Int64Schema),
  "added-rows": optional(Int64Schema),
  "key-id": optional(z.string()),
});

export type Snapshot = z.infer<typeof SnapshotSchema>;

export const SnapshotRefTypeSchema = z.enum(["branch", "tag"]);
export type SnapshotRefType = z.infer<typeof SnapshotRefTypeSchema>;

export const SnapshotRefSchema = z.object({
  "snapshot-id": Int64Schema,
  type: SnapshotRefTypeSchema,
  "min-snapshots-to-keep": optional(z.number().int()),
  "max-snapshot-age-ms": optional(MillisSchema),
  "max-ref-age-ms": optional(MillisSchema),
});

export type SnapshotRef = z.infer<typeof SnapshotRefSchema>;

export function parseSnapshot(json: unknown): Snapshot {
  const result = SnapshotSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid snapshot: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function isKnownOperation(op: string): op is SnapshotOperation {
  return (SNAPSHOT_OPERATIONS as readonly string[]).includes(op);
}

/** A branch ref to a snapshot with no retention overrides. */
export function branchRef(snapshotId: bigint): SnapshotRef {
  return { "snapshot-id": snapshotId, type: "branch" };
}

/**
 * The snapshot and its ancestors, newest first, following `parent-snapshot-id` through `snapshots` until
 * a parent is missing (expired) or absent.
 */
export function ancestorsOf(
  snapshotId: bigint | null | undefined,
  snapshots: readonly Snapshot[],
): Snapshot[] {
  const byId = new Map(snapshots.map((s) => [s["snapshot-id"], s]));
  const out: Snapshot[] = [];
  const seen = new Set<bigint>();
  let id = snapshotId ?? undefined;
  while (id !== undefined && !seen.has(id)) {
    const s = byId.get(id);
    if (s === undefined) break;
    out.push(s);
    seen.add(id);
    id = s["parent-snapshot-id"];
  }
  return out;
}

/** Whether `ancestorId` is `snapshotId` or one of its ancestors. */
export function isAncestorOf(
  ancestorId: bigint,
  snapshotId: bigint | null | undefined,
  snapshots: readonly Snapshot[],
): boolean {
  return ancestorsOf(snapshotId, snapshots).some((s) => s["snapshot-id"] === ancestorId);
}
