// Catalog port and its implementations (REST client, Glue, embedded) plus the REST server.
// May import: errors, log, config, iceberg/*. Never ingest, compaction, service.

export type { CommitResult, WriterSettings } from "../iceberg/table/index.js";
export type { Catalog, CreateTableRequest, LoadedTable, Namespace, TableIdentifier } from "./catalog.js";
export { checkName, checkNamespace, formatIdentifier, parseIdentifier } from "./catalog.js";
export type { EmbeddedCatalogOptions } from "./embedded/index.js";
export { EmbeddedCatalog, NAMESPACE_MARKER } from "./embedded/index.js";
export type { GlueCatalogOptions, GlueCredentials } from "./glue/index.js";
export { GlueCatalog } from "./glue/index.js";
export type { NextMetadata } from "./metadata-files.js";
export {
  metadataVersion,
  newMetadataPath,
  nextMetadata,
  readMetadataFile,
  writeMetadataFile,
} from "./metadata-files.js";
export type { ForeignFile, Ownership, TableFiles } from "./ownership.js";
export {
  fileOwnership,
  isOwnedFile,
  locationProblem,
  locationWithin,
  splitOwned,
} from "./ownership.js";
export type { RestCatalogConfig, RestCatalogOptions } from "./rest/index.js";
export { RestCatalog } from "./rest/index.js";
export type {
  NamespacePropertiesUpdater,
  RestCatalogHandler,
  RestCatalogHandlerOptions,
  RestCatalogServer,
  RestCatalogServerOptions,
  S3ClientSettings,
  TableConfigSource,
  TableRenamer,
} from "./rest-server/index.js";
export { createRestCatalogHandler, s3TableConfig, startRestCatalogServer } from "./rest-server/index.js";
export type { AppendOperation, CommitOptions, FileChangeOperation, SnapshotCommitResult } from "./table.js";
export { catalogTableOps, loadTable, Table } from "./table.js";
