// Catalog port and its implementations (REST client, Glue, embedded) plus the REST server.
// May import: errors, log, config, iceberg/*. Never ingest, compaction, service.

export type { Catalog, CreateTableRequest, LoadedTable, Namespace, TableIdentifier } from "./catalog.js";
export { checkName, checkNamespace, formatIdentifier, parseIdentifier } from "./catalog.js";
export type { CommitResult, CommitRetryOptions, StagedCommit } from "./commit.js";
export { backoffMs, commitWithRetry } from "./commit.js";
