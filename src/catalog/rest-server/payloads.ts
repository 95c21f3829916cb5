/**
 * REST request bodies the server accepts (zod, parsed from int64-safe JSON) and the responses it
 * writes. Schemas, partition specs, sort orders, updates and requirements go through the spec's own
 * parsers, so an unknown update action or requirement type is a 400 as the REST spec demands.
 */
import { z } from "zod";
import {
  type JsonValue,
  type PartitionSpec,
  parsePartitionSpec,
  parseSchema,
  parseSortOrder,
  parseTableRequirements,
  parseTableUpdates,
  type Schema,
  type SortOrder,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
  tableMetadataToJson,
} from "../../iceberg/spec/index.js";
import type { LoadedTable, Namespace, TableIdentifier } from "../catalog.js";
import { badRequest } from "./errors.js";

const Properties = z.record(z.string(), z.string());
const NamespaceJson = z.array(z.string()).min(1);
const IdentifierJson = z.object({ namespace: z.array(z.string()), name: z.string() });

function parse<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const result = schema.safeParse(json);
  if (!result.success) throw badRequest(`invalid ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

export interface CreateNamespaceBody {
  namespace: string[];
  properties: Record<string, string>;
}

export function parseCreateNamespace(json: JsonValue): CreateNamespaceBody {
  const body = parse(
    z.object({ namespace: NamespaceJson, properties: Properties.nullish() }),
    json,
    "CreateNamespaceRequest",
  );
  return { namespace: body.namespace, properties: body.properties ?? {} };
}

export interface UpdateNamespacePropertiesBody {
  removals: string[];
  updates: Record<string, string>;
}

export function parseUpdateNamespaceProperties(json: JsonValue): UpdateNamespacePropertiesBody {
  const body = parse(
    z.object({ removals: z.array(z.string()).nullish(), updates: Properties.nullish() }),
    json,
    "UpdateNamespacePropertiesRequest",
  );
  return { removals: body.removals ?? [], updates: body.updates ?? {} };
}

export interface CreateTableBody {
  name: string;
  location?: string;
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  stageCreate: boolean;
  properties: Record<string, string>;
}

export function parseCreateTable(json: JsonValue): CreateTableBody {
  const body = parse(
    z.object({
      name: z.string(),
      location: z.string().min(1).nullish(),
      schema: z.unknown(),
      "partition-spec": z.unknown().optional(),
      "write-order": z.unknown().optional(),
      "stage-create": z.boolean().nullish(),
      properties: Properties.nullish(),
    }),
    json,
    "CreateTableRequest",
  );
  if (body.schema === undefined || body.schema === null)
    throw badRequest("CreateTableRequest needs a schema");
  const spec = body["partition-spec"];
  const order = body["write-order"];
  return {
    name: body.name,
    ...(body.location == null ? {} : { location: body.location }),
    schema: parseSchema(body.schema),
    ...(spec == null ? {} : { spec: parsePartitionSpec(spec) }),
    ...(order == null ? {} : { sortOrder: parseSortOrder(order) }),
    stageCreate: body["stage-create"] ?? false,
    properties: body.properties ?? {},
  };
}

export interface CommitTableBody {
  identifier?: TableIdentifier;
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

export function parseCommitTable(json: JsonValue): CommitTableBody {
  const body = parse(
    z.object({
      identifier: IdentifierJson.nullish(),
      requirements: z.array(z.unknown()),
      updates: z.array(z.unknown()),
    }),
    json,
    "CommitTableRequest",
  );
  return {
    ...(body.identifier == null ? {} : { identifier: body.identifier }),
    requirements: parseTableRequirements(body.requirements),
    updates: parseTableUpdates(body.updates),
  };
}

export interface RenameTableBody {
  source: TableIdentifier;
  destination: TableIdentifier;
}

export function parseRenameTable(json: JsonValue): RenameTableBody {
  return parse(z.object({ source: IdentifierJson, destination: IdentifierJson }), json, "RenameTableRequest");
}

// ---- responses ----------------------------------------------------------------------------------------

export type SnapshotsMode = "all" | "refs";

/** Keeps only the snapshots some branch or tag points at (`snapshots=refs`). */
export function refsOnly(md: TableMetadata): TableMetadata {
  const heads = new Set(Object.values(md.refs).map((r) => r["snapshot-id"]));
  return { ...md, snapshots: md.snapshots.filter((s) => heads.has(s["snapshot-id"])) };
}

export interface LoadTableResult {
  "metadata-location": string;
  metadata: Record<string, unknown>;
  config?: Record<string, string>;
}

export function loadTableResult(
  table: LoadedTable,
  config: Record<string, string> | undefined,
  mode: SnapshotsMode = "all",
): LoadTableResult {
  const md = mode === "refs" ? refsOnly(table.metadata) : table.metadata;
  return {
    "metadata-location": table.metadataLocation,
    metadata: tableMetadataToJson(md),
    ...(config === undefined ? {} : { config }),
  };
}

export function identifierJson(id: TableIdentifier): { namespace: string[]; name: string } {
  return { namespace: [...id.namespace], name: id.name };
}

export function namespaceJson(ns: Namespace): string[] {
  return [...ns];
}
