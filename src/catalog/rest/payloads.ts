/**
 * REST catalog payloads: zod schemas for the responses we read, and the exact spec JSON for what we
 * send (CreateTableRequest, CommitTableRequest's requirements and updates). Bodies are read with
 * parseJson and written with stringifyJson, so snapshot ids stay bigint and go out as bare integers.
 */
import { z } from "zod";
import type { ErrorContext } from "../../errors.js";
import {
  parseJson,
  type Snapshot,
  type TableRequirement,
  type TableUpdate,
} from "../../iceberg/spec/index.js";
import type { CreateTableRequest } from "../catalog.js";
import { invalidResponse, type RestOperation } from "./errors.js";

/** A string map; servers sometimes write numbers or booleans, which we read as strings. */
const StringMap = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.bigint(), z.boolean()]).transform((v) => String(v)),
);

export const ConfigResponseSchema = z.object({
  defaults: StringMap.nullish(),
  overrides: StringMap.nullish(),
  endpoints: z.array(z.string()).nullish(),
});

const NamespaceSchema = z.array(z.string());

export const ListNamespacesResponseSchema = z.object({
  namespaces: z.array(NamespaceSchema).nullish(),
  "next-page-token": z.string().nullish(),
});

export const GetNamespaceResponseSchema = z.object({
  namespace: NamespaceSchema,
  properties: StringMap.nullish(),
});

export const ListTablesResponseSchema = z.object({
  identifiers: z.array(z.object({ namespace: NamespaceSchema, name: z.string() })).nullish(),
  "next-page-token": z.string().nullish(),
});

export const LoadTableResultSchema = z.object({
  "metadata-location": z.string().nullish(),
  metadata: z.unknown(),
  config: StringMap.nullish(),
  "storage-credentials": z.array(z.object({ prefix: z.string(), config: StringMap })).nullish(),
});
export type LoadTableResult = z.infer<typeof LoadTableResultSchema>;

export const CommitTableResponseSchema = z.object({
  "metadata-location": z.string(),
  metadata: z.unknown(),
});

/** Parses a 2xx body with parseJson and checks it against `schema`. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  text: string,
  op: RestOperation,
  what: string,
  secrets: readonly string[],
  context?: ErrorContext,
): T {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (e) {
    throw invalidResponse(op, what, (e as Error).message, secrets, context);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw invalidResponse(op, what, z.prettifyError(result.error).slice(0, 500), secrets, context);
  }
  return result.data;
}

/**
 * The FileIO config for a loaded table: `config`, overlaid with the storage credential whose prefix is
 * the longest one matching the table location (the spec says credentials there take precedence).
 */
export function tableConfig(result: LoadTableResult, location: string): Record<string, string> | undefined {
  const base = result.config ?? undefined;
  let best: { prefix: string; config: Record<string, string> } | undefined;
  for (const cred of result["storage-credentials"] ?? []) {
    if (location.startsWith(cred.prefix) && (best === undefined || cred.prefix.length > best.prefix.length)) {
      best = cred;
    }
  }
  if (best === undefined) return base === undefined ? undefined : { ...base };
  return { ...(base ?? {}), ...best.config };
}

// ---- requests -------------------------------------------------------------------------------------

export function createTableBody(request: CreateTableRequest): Record<string, unknown> {
  return {
    name: request.name,
    location: request.location,
    schema: request.schema,
    "partition-spec": request.spec,
    "write-order": request.sortOrder,
    "stage-create": false,
    properties: request.properties ?? {},
  };
}

function snapshotJson(s: Snapshot): Record<string, unknown> {
  return {
    "snapshot-id": s["snapshot-id"],
    "parent-snapshot-id": s["parent-snapshot-id"],
    "sequence-number": s["sequence-number"],
    "timestamp-ms": s["timestamp-ms"],
    "manifest-list": s["manifest-list"],
    summary: s.summary,
    "schema-id": s["schema-id"],
    "first-row-id": s["first-row-id"],
    "added-rows": s["added-rows"],
    "key-id": s["key-id"],
  };
}

/** A TableRequirement as the spec writes it (`assert-ref-snapshot-id` always carries `snapshot-id`). */
export function requirementJson(r: TableRequirement): Record<string, unknown> {
  switch (r.type) {
    case "assert-create":
      return { type: r.type };
    case "assert-table-uuid":
      return { type: r.type, uuid: r.uuid };
    case "assert-ref-snapshot-id":
      return { type: r.type, ref: r.ref, "snapshot-id": r["snapshot-id"] ?? null };
    case "assert-last-assigned-field-id":
      return { type: r.type, "last-assigned-field-id": r["last-assigned-field-id"] };
    case "assert-current-schema-id":
      return { type: r.type, "current-schema-id": r["current-schema-id"] };
    case "assert-last-assigned-partition-id":
      return { type: r.type, "last-assigned-partition-id": r["last-assigned-partition-id"] };
    case "assert-default-spec-id":
      return { type: r.type, "default-spec-id": r["default-spec-id"] };
    case "assert-default-sort-order-id":
      return { type: r.type, "default-sort-order-id": r["default-sort-order-id"] };
  }
}

/** A TableUpdate as the spec writes it; optional fields left undefined are omitted. */
export function updateJson(u: TableUpdate): Record<string, unknown> {
  switch (u.action) {
    case "assign-uuid":
      return { action: u.action, uuid: u.uuid };
    case "upgrade-format-version":
      return { action: u.action, "format-version": u["format-version"] };
    case "add-schema":
      return { action: u.action, schema: u.schema, "last-column-id": u["last-column-id"] };
    case "set-current-schema":
      return { action: u.action, "schema-id": u["schema-id"] };
    case "add-spec":
      return { action: u.action, spec: u.spec };
    case "set-default-spec":
      return { action: u.action, "spec-id": u["spec-id"] };
    case "add-sort-order":
      return { action: u.action, "sort-order": u["sort-order"] };
    case "set-default-sort-order":
      return { action: u.action, "sort-order-id": u["sort-order-id"] };
    case "add-snapshot":
      return { action: u.action, snapshot: snapshotJson(u.snapshot) };
    case "set-snapshot-ref":
      return {
        action: u.action,
        "ref-name": u["ref-name"],
        "snapshot-id": u["snapshot-id"],
        type: u.type,
        "max-ref-age-ms": u["max-ref-age-ms"],
        "max-snapshot-age-ms": u["max-snapshot-age-ms"],
        "min-snapshots-to-keep": u["min-snapshots-to-keep"],
      };
    case "remove-snapshots":
      return { action: u.action, "snapshot-ids": u["snapshot-ids"] };
    case "remove-snapshot-ref":
      return { action: u.action, "ref-name": u["ref-name"] };
    case "set-location":
      return { action: u.action, location: u.location };
    case "set-properties":
      return { action: u.action, updates: u.updates };
    case "remove-properties":
      return { action: u.action, removals: u.removals };
    case "set-statistics":
      return { action: u.action, "snapshot-id": u["snapshot-id"], statistics: u.statistics };
    case "remove-statistics":
      return { action: u.action, "snapshot-id": u["snapshot-id"] };
  }
}
