// Floe's Iceberg REST catalog server: exposes any Catalog over the REST spec (node:http only), for
// DuckDB ATTACH, PyIceberg, Spark and any REST client. Part of the catalog layer.
// May import: errors, log, iceberg/spec, iceberg/io (types) and the catalog port (../catalog.js).

export { checkToken } from "./auth.js";
export { DEFAULT_MAX_BODY_BYTES } from "./body.js";
export type { ErrorResponse, ErrorScope, RestErrorType } from "./errors.js";
export { RestError, toRestError } from "./errors.js";
export type { RestCatalogHandler, RestCatalogHandlerOptions } from "./handler.js";
export { createRestCatalogHandler } from "./handler.js";
export type { NamespacePropertiesUpdater, TableConfigSource, TableRenamer } from "./operations.js";
export { NAMESPACE_SEPARATOR } from "./paths.js";
export { ENDPOINTS } from "./routes.js";
export type { RestCatalogServer, RestCatalogServerOptions } from "./server.js";
export { startRestCatalogServer } from "./server.js";
export type { S3ClientSettings } from "./storage-config.js";
export { s3TableConfig } from "./storage-config.js";
