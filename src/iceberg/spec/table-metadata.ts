/**
 * Table metadata: read v1, v2 and v3 metadata JSON as Java, PyIceberg and Spark write it (unknown fields
 * ignored, v1's single `schema` / `partition-spec` normalised into the v2 lists), and write it back in the
 * v2 shape (plus the legacy v1 fields for v1 tables, and `next-row-id` for v3).
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { Int64Schema, MillisSchema, parseJson, stringifyJson } from "./json.js";
import {
  highestPartitionFieldId,
  PARTITION_DATA_ID_START,
  PartitionFieldsSchema,
  type PartitionSpec,
  PartitionSpecSchema,
} from "./partition.js";
import { previousVersionsMax } from "./properties.js";
import type { Schema } from "./schema.js";
import { SchemaSchema } from "./schema.js";
import {
  branchRef,
  MAIN_BRANCH,
  type Snapshot,
  type SnapshotRef,
  SnapshotRefSchema,
  SnapshotSchema,
} from "./snapshot.js";
import { type SortOrder, SortOrderSchema, unsortedOrder } from "./sort-order.js";

/** The newest format version Floe reads. */
export const MAX_FORMAT_VERSION = 3;
export type FormatVersion = 1 | 2 | 3;

export const SnapshotLogEntrySchema = z.object({ "timestamp-ms": MillisSchema, "snapshot-id": Int64Schema });
export type SnapshotLogEntry = z.infer<typeof SnapshotLogEntrySchema>;

export const MetadataLogEntrySchema = z.object({ "timestamp-ms": MillisSchema, "metadata-file": z.string() });
export type MetadataLogEntry = z.infer<typeof MetadataLogEntrySchema>;

/** Table statistics (Puffin) file: `snapshot-id` is read as bigint, everything else passes through. */
export const StatisticsFileSchema = z.looseObject({
  "snapshot-id": Int64Schema,
  "statistics-path": z.string(),
});
export type StatisticsFile = z.infer<typeof StatisticsFileSchema>;

/** Partition statistics file: `snapshot-id` is read as bigint, everything else passes through. */
export const PartitionStatisticsFileSchema = z.looseObject({
  "snapshot-id": Int64Schema,
  "statistics-path": z.string(),
});
export type PartitionStatisticsFile = z.infer<typeof PartitionStatisticsFileSchema>;

const nullish = <T extends z.ZodType>(s: T) => s.nullish();

/** The metadata JSON as written by any implementation; normalised by parseTableMetadata. */
const TableMetadataJsonSchema = z.object({
  "format-version": z.union([z.literal(1), z.literal(2), z.literal(3)]),
  "table-uuid": nullish(z.string()),
  location: z.string(),
  "last-sequence-number": nullish(Int64Schema),
  "last-updated-ms": MillisSchema,
  "last-column-id": z.number().int(),
  schema: nullish(SchemaSchema),
  schemas: nullish(z.array(SchemaSchema)),
  "current-schema-id": nullish(z.number().int()),
  "partition-spec": nullish(PartitionFieldsSchema),
  "partition-specs": nullish(z.array(PartitionSpecSchema)),
  "default-spec-id": nullish(z.number().int()),
  "last-partition-id": nullish(z.number().int()),
  properties: nullish(
    z.record(z.string(), z.union([z.string(), z.number(), z.bigint(), z.boolean()]).transform(String)),
  ),
  "current-snapshot-id": nullish(Int64Schema),
  snapshots: nullish(z.array(SnapshotSchema)),
  "snapshot-log": nullish(z.array(SnapshotLogEntrySchema)),
  "metadata-log": nullish(z.array(MetadataLogEntrySchema)),
  "sort-orders": nullish(z.array(SortOrderSchema)),
  "default-sort-order-id": nullish(z.number().int()),
  refs: nullish(z.record(z.string(), SnapshotRefSchema)),
  statistics: nullish(z.array(StatisticsFileSchema)),
  "partition-statistics": nullish(z.array(PartitionStatisticsFileSchema)),
  "next-row-id": nullish(Int64Schema),
  "encryption-keys": nullish(z.array(z.record(z.string(), z.unknown()))),
});

/** Normalised table metadata: every list present, v1 forms folded in, "no current snapshot" is null. */
export interface TableMetadata {
  "format-version": FormatVersion;
  /** Required from v2; v1 tables may lack it. */
  "table-uuid"?: string;
  location: string;
  "last-sequence-number": bigint;
  "last-updated-ms": number;
  "last-column-id": number;
  schemas: Schema[];
  "current-schema-id": number;
  "partition-specs": PartitionSpec[];
  "default-spec-id": number;
  "last-partition-id": number;
  properties: Record<string, string>;
  "current-snapshot-id": bigint | null;
  snapshots: Snapshot[];
  "snapshot-log": SnapshotLogEntry[];
  "metadata-log": MetadataLogEntry[];
  "sort-orders": SortOrder[];
  "default-sort-order-id": number;
  refs: Record<string, SnapshotRef>;
  statistics: StatisticsFile[];
  "partition-statistics": PartitionStatisticsFile[];
  /** v3 row lineage: the next row id to assign. */
  "next-row-id"?: bigint;
  /** v3 encryption keys, passed through. */
  "encryption-keys"?: Record<string, unknown>[];
}

function invalid(message: string, context?: Record<string, string | number | bigint>): FloeError {
  return new FloeError("INVALID_ARGUMENT", `invalid table metadata: ${message}`, context ? { context } : {});
}

const V2_REQUIRED = [
  "table-uuid",
  "last-sequence-number",
  "schemas",
  "current-schema-id",
  "partition-specs",
  "default-spec-id",
  "last-partition-id",
  "sort-orders",
  "default-sort-order-id",
] as const;

/** Parses table metadata from JSON text (int64-safe) or an already parsed JSON value. */
export function parseTableMetadata(input: string | unknown): TableMetadata {
  const json = typeof input === "string" ? parseJson(input) : input;
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("not a JSON object");
  const version = (json as Record<string, unknown>)["format-version"];
  if (typeof version === "number" && Number.isInteger(version) && version > MAX_FORMAT_VERSION) {
    throw new FloeError(
      "UNSUPPORTED",
      `table format version ${version} is newer than supported (${MAX_FORMAT_VERSION})`,
      {
        context: { formatVersion: version },
      },
    );
  }
  const result = TableMetadataJsonSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid table metadata: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  const raw = result.data;
  const v = raw["format-version"];
  if (v >= 2) {
    const missing = V2_REQUIRED.filter((k) => raw[k] === undefined || raw[k] === null);
    if (missing.length > 0) throw invalid(`format version ${v} requires ${missing.join(", ")}`);
  }

  // schemas: v2 list, or v1's single schema
  let schemas: Schema[];
  let currentSchemaId: number;
  if (raw.schemas && raw.schemas.length > 0) {
    schemas = raw.schemas;
    currentSchemaId =
      raw["current-schema-id"] ?? raw.schema?.["schema-id"] ?? (schemas[0] as Schema)["schema-id"];
  } else if (raw.schema) {
    schemas = [raw.schema];
    currentSchemaId = raw.schema["schema-id"];
  } else {
    throw invalid("no schema");
  }
  if (!schemas.some((s) => s["schema-id"] === currentSchemaId)) {
    throw invalid(`current schema ${currentSchemaId} is not among the schemas`, {
      schemaId: currentSchemaId,
    });
  }

  // partition specs: v2 list, or v1's field list as spec 0
  let specs: PartitionSpec[];
  let defaultSpecId: number;
  if (raw["partition-specs"] && raw["partition-specs"].length > 0) {
    specs = raw["partition-specs"];
    defaultSpecId = raw["default-spec-id"] ?? (specs[0] as PartitionSpec)["spec-id"];
  } else {
    specs = [{ "spec-id": 0, fields: raw["partition-spec"] ?? [] }];
    defaultSpecId = 0;
  }
  if (!specs.some((s) => s["spec-id"] === defaultSpecId)) {
    throw invalid(`default spec ${defaultSpecId} is not among the partition specs`, {
      specId: defaultSpecId,
    });
  }
  const lastPartitionId =
    raw["last-partition-id"] ??
    specs.reduce((max, s) => Math.max(max, highestPartitionFieldId(s)), PARTITION_DATA_ID_START - 1);

  const sortOrders =
    raw["sort-orders"] && raw["sort-orders"].length > 0 ? raw["sort-orders"] : [unsortedOrder()];
  const defaultSortOrderId = raw["default-sort-order-id"] ?? (sortOrders[0] as SortOrder)["order-id"];
  if (!sortOrders.some((o) => o["order-id"] === defaultSortOrderId)) {
    throw invalid(`default sort order ${defaultSortOrderId} is not among the sort orders`, {
      orderId: defaultSortOrderId,
    });
  }

  const snapshots = raw.snapshots ?? [];
  const snapshotIds = new Set(snapshots.map((s) => s["snapshot-id"]));
  const rawCurrent = raw["current-snapshot-id"];
  const currentSnapshotId =
    rawCurrent === undefined || rawCurrent === null || rawCurrent === -1n ? null : rawCurrent;
  if (currentSnapshotId !== null && !snapshotIds.has(currentSnapshotId)) {
    throw invalid(`current snapshot ${currentSnapshotId} is not among the snapshots`, {
      snapshotId: currentSnapshotId,
    });
  }

  // refs: always a main branch when there is a current snapshot
  const refs: Record<string, SnapshotRef> = { ...(raw.refs ?? {}) };
  if (refs[MAIN_BRANCH] === undefined && currentSnapshotId !== null)
    refs[MAIN_BRANCH] = branchRef(currentSnapshotId);
  for (const [name, ref] of Object.entries(refs)) {
    if (!snapshotIds.has(ref["snapshot-id"])) {
      throw invalid(`ref ${name} points to missing snapshot ${ref["snapshot-id"]}`, { ref: name });
    }
  }
  const mainId = refs[MAIN_BRANCH]?.["snapshot-id"] ?? null;
  if (mainId !== currentSnapshotId) {
    throw invalid(`current-snapshot-id ${currentSnapshotId} differs from the main branch ${mainId}`);
  }

  const out: TableMetadata = {
    "format-version": v,
    location: raw.location,
    "last-sequence-number": raw["last-sequence-number"] ?? 0n,
    "last-updated-ms": raw["last-updated-ms"],
    "last-column-id": raw["last-column-id"],
    schemas,
    "current-schema-id": currentSchemaId,
    "partition-specs": specs,
    "default-spec-id": defaultSpecId,
    "last-partition-id": lastPartitionId,
    properties: raw.properties ?? {},
    "current-snapshot-id": currentSnapshotId,
    snapshots,
    "snapshot-log": raw["snapshot-log"] ?? [],
    "metadata-log": raw["metadata-log"] ?? [],
    "sort-orders": sortOrders,
    "default-sort-order-id": defaultSortOrderId,
    refs,
    statistics: raw.statistics ?? [],
    "partition-statistics": raw["partition-statistics"] ?? [],
  };
  if (raw["table-uuid"]) out["table-uuid"] = raw["table-uuid"];
  if (raw["next-row-id"] !== undefined && raw["next-row-id"] !== null)
    out["next-row-id"] = raw["next-row-id"];
  else if (v >= 3) out["next-row-id"] = 0n;
  if (raw["encryption-keys"]) out["encryption-keys"] = raw["encryption-keys"];
  return out;
}

// ---- lookups -----------------------------------------------------------------------------------------

export function currentSchema(md: TableMetadata): Schema {
  const s = md.schemas.find((x) => x["schema-id"] === md["current-schema-id"]);
  if (s === undefined) throw invalid(`current schema ${md["current-schema-id"]} is missing`);
  return s;
}

export function schemaById(md: TableMetadata, id: number): Schema | undefined {
  return md.schemas.find((s) => s["schema-id"] === id);
}

export function defaultSpec(md: TableMetadata): PartitionSpec {
  const s = md["partition-specs"].find((x) => x["spec-id"] === md["default-spec-id"]);
  if (s === undefined) throw invalid(`default spec ${md["default-spec-id"]} is missing`);
  return s;
}

export function specById(md: TableMetadata, id: number): PartitionSpec | undefined {
  return md["partition-specs"].find((s) => s["spec-id"] === id);
}

export function defaultSortOrder(md: TableMetadata): SortOrder {
  const o = md["sort-orders"].find((x) => x["order-id"] === md["default-sort-order-id"]);
  if (o === undefined) throw invalid(`default sort order ${md["default-sort-order-id"]} is missing`);
  return o;
}

export function snapshotById(md: TableMetadata, id: bigint): Snapshot | undefined {
  return md.snapshots.find((s) => s["snapshot-id"] === id);
}

/** The current snapshot (head of main), or undefined for an empty table. */
export function currentSnapshot(md: TableMetadata): Snapshot | undefined {
  const id = md["current-snapshot-id"];
  return id === null ? undefined : snapshotById(md, id);
}

/** The snapshot a branch or tag points at. */
export function snapshotForRef(md: TableMetadata, ref: string): Snapshot | undefined {
  const r = md.refs[ref];
  return r === undefined ? undefined : snapshotById(md, r["snapshot-id"]);
}

// ---- writing -----------------------------------------------------------------------------------------

function snapshotToJson(s: Snapshot, version: FormatVersion): Record<string, unknown> {
  return {
    "snapshot-id": s["snapshot-id"],
    "parent-snapshot-id": s["parent-snapshot-id"],
    "sequence-number": version >= 2 ? s["sequence-number"] : undefined,
    "timestamp-ms": s["timestamp-ms"],
    summary: s.summary,
    "manifest-list": s["manifest-list"],
    manifests: s.manifests,
    "schema-id": s["schema-id"],
    "first-row-id": s["first-row-id"],
    "added-rows": s["added-rows"],
    "key-id": s["key-id"],
  };
}

/**
 * The JSON object for a metadata file (key order as the Java implementation writes it). v1 tables also
 * get the legacy `schema` and `partition-spec` fields; v1/v2 write -1 for "no current snapshot", v3 null.
 */
export function tableMetadataToJson(md: TableMetadata): Record<string, unknown> {
  const v = md["format-version"];
  const legacy = v === 1;
  return {
    "format-version": v,
    "table-uuid": md["table-uuid"],
    location: md.location,
    "last-sequence-number": v >= 2 ? md["last-sequence-number"] : undefined,
    "last-updated-ms": md["last-updated-ms"],
    "last-column-id": md["last-column-id"],
    schema: legacy ? currentSchema(md) : undefined,
    "current-schema-id": md["current-schema-id"],
    schemas: md.schemas,
    "partition-spec": legacy ? defaultSpec(md).fields : undefined,
    "default-spec-id": md["default-spec-id"],
    "partition-specs": md["partition-specs"],
    "last-partition-id": md["last-partition-id"],
    "default-sort-order-id": md["default-sort-order-id"],
    "sort-orders": md["sort-orders"],
    properties: md.properties,
    "current-snapshot-id": md["current-snapshot-id"] ?? (v >= 3 ? null : -1),
    refs: md.refs,
    snapshots: md.snapshots.map((s) => snapshotToJson(s, v)),
    statistics: md.statistics,
    "partition-statistics": md["partition-statistics"],
    "snapshot-log": md["snapshot-log"],
    "metadata-log": md["metadata-log"],
    "next-row-id": v >= 3 ? (md["next-row-id"] ?? 0n) : undefined,
    "encryption-keys": md["encryption-keys"],
  };
}

/** Metadata file text, int64-exact. */
export function stringifyTableMetadata(md: TableMetadata, indent?: number | string): string {
  return stringifyJson(tableMetadataToJson(md), indent);
}

/**
 * Adds the previous metadata file to the metadata log, keeping at most `maxEntries` (the
 * `write.metadata.previous-versions-max` property, default 100) most recent entries.
 */
export function appendMetadataLog(
  md: TableMetadata,
  previousFile: string,
  previousTimestampMs: number,
  maxEntries = previousVersionsMax(md.properties),
): TableMetadata {
  const log = [...md["metadata-log"], { "timestamp-ms": previousTimestampMs, "metadata-file": previousFile }];
  const keep = Number.isFinite(maxEntries) && maxEntries >= 1 ? Math.floor(maxEntries) : 100;
  return { ...md, "metadata-log": log.slice(Math.max(0, log.length - keep)) };
}
