/**
 * Creating table metadata: a new table with fresh field ids, and the update list that builds the same
 * metadata through a create commit.
 */

import { FloeError } from "../../errors.js";
import { buildPartitionSpec, highestPartitionFieldId, type PartitionSpec } from "./partition.js";
import { FORMAT_VERSION } from "./properties.js";
import { assignFreshIds, highestFieldId, idCounter, type Schema, validateSchema } from "./schema.js";
import { type SortOrder, unsortedOrder } from "./sort-order.js";
import type { FormatVersion, TableMetadata } from "./table-metadata.js";
import { LAST_ADDED_ID, type TableUpdate } from "./updates.js";
import { metadataProblems } from "./validate-metadata.js";

export interface NewTableOptions {
  location: string;
  uuid: string;
  schema: Schema;
  /** Partition spec against `schema`'s field ids; defaults to unpartitioned. */
  spec?: PartitionSpec;
  /** Sort order against `schema`'s field ids; defaults to unsorted. */
  sortOrder?: SortOrder;
  /** `format-version` among them chooses the format (when `formatVersion` is unset) and is not stored. */
  properties?: Record<string, string>;
  formatVersion?: FormatVersion;
  nowMs: number;
}

/** The format a create request asks for through the reserved `format-version` property. */
function requestedVersion(properties: Record<string, string> | undefined): FormatVersion | undefined {
  const raw = properties?.[FORMAT_VERSION];
  if (raw === undefined) return undefined;
  if (raw !== "1" && raw !== "2" && raw !== "3") {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `table property format-version must be 1, 2 or 3, got ${JSON.stringify(raw)}`,
      {
        context: { formatVersion: raw },
      },
    );
  }
  return Number(raw) as FormatVersion;
}

/**
 * Metadata for a new table. The schema gets fresh field ids from 1 (so callers may pass any ids), the
 * spec and sort order are rebound to them, and partition field ids start at 1000.
 */
export function newTableMetadata(options: NewTableOptions): TableMetadata {
  const { schema, idMap } = assignFreshIds(options.schema, idCounter(1), 0);
  validateSchema(schema);
  const rebind = (id: number, what: string): number => {
    const mapped = idMap.get(id);
    if (mapped === undefined) {
      throw new FloeError("INVALID_ARGUMENT", `${what} refers to field ${id}, which is not in the schema`, {
        context: { fieldId: id },
      });
    }
    return mapped;
  };
  const spec = buildPartitionSpec(
    schema,
    (options.spec?.fields ?? []).map((f) => ({
      source: rebind(f["source-id"], `partition field ${f.name}`),
      transform: f.transform,
      name: f.name,
    })),
    { specId: 0 },
  );
  const orderFields = options.sortOrder?.fields ?? [];
  const sortOrder: SortOrder =
    orderFields.length === 0
      ? unsortedOrder()
      : {
          "order-id": 1,
          fields: orderFields.map((f) => ({ ...f, "source-id": rebind(f["source-id"], "sort field") })),
        };
  const version = options.formatVersion ?? requestedVersion(options.properties) ?? 2;
  const { [FORMAT_VERSION]: _requested, ...properties } = options.properties ?? {};
  const md: TableMetadata = {
    "format-version": version,
    "table-uuid": options.uuid,
    location: options.location.replace(/\/+$/, ""),
    "last-sequence-number": 0n,
    "last-updated-ms": options.nowMs,
    "last-column-id": highestFieldId(schema),
    schemas: [schema],
    "current-schema-id": 0,
    "partition-specs": [spec],
    "default-spec-id": 0,
    "last-partition-id": highestPartitionFieldId(spec),
    properties,
    "current-snapshot-id": null,
    snapshots: [],
    "snapshot-log": [],
    "metadata-log": [],
    "sort-orders": [sortOrder],
    "default-sort-order-id": sortOrder["order-id"],
    refs: {},
    statistics: [],
    "partition-statistics": [],
  };
  if (version >= 3) md["next-row-id"] = 0n;
  const problems = metadataProblems(md);
  if (problems.length > 0) {
    throw new FloeError("INVALID_ARGUMENT", `invalid new table: ${problems.slice(0, 3).join("; ")}`, {
      context: { problem: problems[0] },
    });
  }
  return md;
}

/** The updates that create `md` from nothing (for a REST create-table commit with assert-create). */
export function createTableUpdates(md: TableMetadata): TableUpdate[] {
  const schema = md.schemas.find((s) => s["schema-id"] === md["current-schema-id"]);
  const spec = md["partition-specs"].find((s) => s["spec-id"] === md["default-spec-id"]);
  const order = md["sort-orders"].find((o) => o["order-id"] === md["default-sort-order-id"]);
  if (schema === undefined || spec === undefined || order === undefined || md["table-uuid"] === undefined) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      "metadata lacks a uuid, current schema, default spec or sort order",
    );
  }
  return [
    { action: "assign-uuid", uuid: md["table-uuid"] },
    { action: "upgrade-format-version", "format-version": md["format-version"] },
    { action: "add-schema", schema, "last-column-id": md["last-column-id"] },
    { action: "set-current-schema", "schema-id": LAST_ADDED_ID },
    { action: "add-spec", spec },
    { action: "set-default-spec", "spec-id": LAST_ADDED_ID },
    { action: "add-sort-order", "sort-order": order },
    { action: "set-default-sort-order", "sort-order-id": LAST_ADDED_ID },
    { action: "set-location", location: md.location },
    { action: "set-properties", updates: md.properties },
  ];
}
