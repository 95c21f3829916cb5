/** Options and the merged server configuration of the REST catalog client. */
import type { Logger } from "../../log.js";
import type { FetchLike } from "./http.js";

export interface RestCatalogOptions {
  /** Catalog base URI, without `/v1` (e.g. `http://localhost:8181`). */
  uri: string;
  /** Sent to /v1/config as the `warehouse` query parameter. */
  warehouse?: string;
  /** Path prefix; a server `prefix` override wins, a server default loses to this. */
  prefix?: string;
  /** A static bearer token. */
  token?: string;
  /** OAuth2 client credentials, `client_id:client_secret` (or just the secret). */
  credential?: string;
  /** OAuth2 scope, default `catalog`. */
  scope?: string;
  /** OAuth2 token endpoint, default `{uri}/v1/oauth/tokens`. */
  oauth2ServerUri?: string;
  /** Extra headers for every catalog request (not the token request). */
  headers?: Readonly<Record<string, string>>;
  /** Per-request timeout covering the whole exchange, default 30 s. */
  timeoutMs?: number;
  /** Extra attempts for GET/HEAD on network errors, timeouts, 429/502/503/504; default 2. */
  retries?: number;
  retryBaseDelayMs?: number;
  fetch?: FetchLike;
  logger?: Logger;
  /** Clock for token expiry (tests). */
  now?: () => number;
}

/** The merged catalog configuration from /v1/config. */
export interface RestCatalogConfig {
  properties: Record<string, string>;
  /** Endpoints the server says it supports, or undefined when it did not say. */
  endpoints?: string[];
}
