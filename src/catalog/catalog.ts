/**
 * The Catalog port: what Floe needs from any Iceberg catalog (REST, Glue, embedded). Implementations
 * map their errors to FloeError codes: NOT_FOUND, ALREADY_EXISTS, COMMIT_CONFLICT (the base moved: reload
 * and restage), COMMIT_STATE_UNKNOWN (sent, outcome unknown: reload and check before retrying).
 */
import { FloeError } from "../errors.js";
import {
  checkIdentifierName,
  type PartitionSpec,
  type Schema,
  type SortOrder,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "../iceberg/spec/index.js";

export type Namespace = readonly string[];

export interface TableIdentifier {
  readonly namespace: Namespace;
  readonly name: string;
}

export interface LoadedTable {
  readonly identifier: TableIdentifier;
  readonly metadataLocation: string;
  readonly metadata: TableMetadata;
  /** Per-table FileIO settings a catalog may return (REST `config`), never logged. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface CreateTableRequest {
  readonly name: string;
  readonly schema: Schema;
  readonly spec?: PartitionSpec;
  readonly sortOrder?: SortOrder;
  /** Defaults to the catalog's choice (warehouse/namespace/table). */
  readonly location?: string;
  readonly properties?: Readonly<Record<string, string>>;
}

export interface Catalog {
  /** A short name for logs and errors ("rest", "glue", "embedded"). */
  readonly kind: string;
  listNamespaces(parent?: Namespace): Promise<Namespace[]>;
  createNamespace(namespace: Namespace, properties?: Readonly<Record<string, string>>): Promise<void>;
  loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>>;
  namespaceExists(namespace: Namespace): Promise<boolean>;
  dropNamespace(namespace: Namespace): Promise<void>;
  listTables(namespace: Namespace): Promise<TableIdentifier[]>;
  createTable(namespace: Namespace, request: CreateTableRequest): Promise<LoadedTable>;
  loadTable(identifier: TableIdentifier): Promise<LoadedTable>;
  tableExists(identifier: TableIdentifier): Promise<boolean>;
  dropTable(identifier: TableIdentifier, options?: { purge?: boolean }): Promise<void>;
  /** Atomically checks `requirements` against the current metadata and applies `updates`. */
  commitTable(
    identifier: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<LoadedTable>;
}

/**
 * Validates a namespace level or table name (names.ts in the spec layer): 1-255 bytes of UTF-8, no
 * control characters or slashes, not . or ..
 */
export function checkName(kind: "namespace" | "table", name: string): string {
  return checkIdentifierName(kind, name);
}

export function checkNamespace(namespace: Namespace): Namespace {
  if (namespace.length === 0 || namespace.length > 16) {
    throw new FloeError("INVALID_ARGUMENT", `a namespace has 1 to 16 levels, got ${namespace.length}`);
  }
  for (const level of namespace) checkName("namespace", level);
  return namespace;
}

/** `db.events` style text for an identifier (levels joined by '.'), for logs and errors. */
export function formatIdentifier(id: TableIdentifier): string {
  return [...id.namespace, id.name].join(".");
}

/** Parses `ns.table` or `a.b.table` (the last part is the table). */
export function parseIdentifier(text: string): TableIdentifier {
  const parts = text.split(".");
  const name = parts.pop();
  if (name === undefined || parts.length === 0) {
    throw new FloeError("INVALID_ARGUMENT", `table identifier '${text}' must look like namespace.table`);
  }
  checkNamespace(parts);
  return { namespace: parts, name: checkName("table", name) };
}
