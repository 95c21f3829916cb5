/**
 * The per-table `config` that hands S3 settings to REST clients, in the property names each of them
 * reads: `s3.endpoint`, `s3.access-key-id`, `s3.secret-access-key`, `s3.session-token` (all),
 * `s3.region` (PyIceberg, DuckDB), `client.region` (Java/Spark), `s3.path-style-access` (Java/Spark;
 * DuckDB turns it into URL_STYLE 'path'). Whoever can call the server can read these: vend them only
 * behind a token, or leave credentials out and configure the clients instead.
 */
import type { S3FileIOOptions } from "../../iceberg/io/index.js";

export type S3ClientSettings = Pick<S3FileIOOptions, "endpoint" | "region" | "pathStyle" | "credentials">;

/** `tableConfig` for startRestCatalogServer from the S3 settings Floe itself uses. */
export function s3TableConfig(
  s3: S3ClientSettings,
  options: { credentials?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  if (s3.endpoint !== undefined) out["s3.endpoint"] = s3.endpoint;
  if (s3.region !== undefined) {
    out["s3.region"] = s3.region;
    out["client.region"] = s3.region;
  }
  const pathStyle = s3.pathStyle ?? s3.endpoint !== undefined;
  if (pathStyle) out["s3.path-style-access"] = "true";
  const creds = s3.credentials;
  if (creds !== undefined && options.credentials !== false) {
    out["s3.access-key-id"] = creds.accessKeyId;
    out["s3.secret-access-key"] = creds.secretAccessKey;
    if (creds.sessionToken !== undefined) out["s3.session-token"] = creds.sessionToken;
  }
  return out;
}
