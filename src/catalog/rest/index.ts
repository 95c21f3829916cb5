// Iceberg REST catalog client: the Catalog port over the REST API (config flow, prefix, OAuth2 client
// credentials or a bearer token, int64-safe JSON). May import: errors, log, iceberg/spec, ../catalog.

export type { AuthProvider, OAuth2Options } from "./auth.js";
export { bearerAuth, noAuth, OAuth2ClientCredentials } from "./auth.js";
export { RestCatalog } from "./client.js";
export type { RestOperation } from "./errors.js";
export type { FetchLike } from "./http.js";
export type { RestCatalogConfig, RestCatalogOptions } from "./options.js";
export { encodeNamespace, RestPaths, UNIT_SEPARATOR } from "./paths.js";
export { requirementJson, updateJson } from "./payloads.js";
