/**
 * Bearer tokens for SASL OAUTHBEARER: a static token, OAuth2 client credentials against a token
 * endpoint, or an AWS MSK IAM token (aws-msk-iam-sasl-signer-js, loaded only when used). The Kafka client
 * asks for a token on every new connection and re-authentication; `RefreshingToken` hands out the cached
 * one and fetches a new one once 80% of its lifetime has passed (concurrent callers share one fetch;
 * a failed refresh keeps the old token while it is still valid). Errors name the endpoint, never the
 * client secret or a token.
 */
import { FloeError } from "../../errors.js";
import type { Logger } from "../../log.js";

export interface BearerToken {
  value: string;
  /** Milliseconds since the epoch; Infinity when the token does not say. */
  expiresAt: number;
}

export interface RefreshingTokenOptions {
  now?: () => number;
  /** Refresh once this share of the token's lifetime has passed (default 0.8, as Kafka's Java client). */
  refreshFactor?: number;
  logger?: Logger;
}

export class RefreshingToken {
  #current: (BearerToken & { refreshAt: number }) | undefined;
  #pending: Promise<BearerToken> | undefined;
  readonly #now: () => number;
  readonly #factor: number;

  constructor(
    private readonly fetchToken: () => Promise<BearerToken>,
    private readonly opts: RefreshingTokenOptions = {},
  ) {
    this.#now = opts.now ?? Date.now;
    this.#factor = opts.refreshFactor ?? 0.8;
  }

  /** A valid token: the cached one, or a fresh one once the cached one is due for refresh. */
  async get(): Promise<string> {
    const now = this.#now();
    const current = this.#current;
    if (current && now < current.refreshAt) return current.value;
    try {
      return (await this.#refresh()).value;
    } catch (e) {
      if (current && now < current.expiresAt) {
        this.opts.logger?.warn("token refresh failed; using the current token until it expires", {
          error: e,
          expiresAt: new Date(current.expiresAt).toISOString(),
        });
        return current.value;
      }
      throw e;
    }
  }

  #refresh(): Promise<BearerToken> {
    if (this.#pending) return this.#pending;
    const obtainedAt = this.#now();
    const pending = this.fetchToken()
      .then((token) => {
        const lifetime = token.expiresAt - obtainedAt;
        const refreshAt = Number.isFinite(lifetime) ? obtainedAt + lifetime * this.#factor : Infinity;
        this.#current = { ...token, refreshAt };
        return token;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    this.#pending = pending;
    return pending;
  }
}

/** The `exp` claim of a JWT in milliseconds, if the token is a JWT that has one. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface ClientCredentials {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
}

/** Tokens without expires_in or a JWT exp are refreshed after this long. */
const UNKNOWN_LIFETIME_MS = 5 * 60_000;

/**
 * The OAuth2 client-credentials grant (RFC 6749 4.4), client authentication by HTTP Basic
 * (client_secret_basic). UNAUTHORIZED when the endpoint refuses the client, SERVICE_UNAVAILABLE when
 * it cannot be reached or answers 5xx.
 */
export async function clientCredentialsToken(
  c: ClientCredentials,
  fetcher: typeof fetch = globalThis.fetch,
  now: () => number = Date.now,
): Promise<BearerToken> {
  const url = new URL(c.tokenEndpoint);
  const where = `OAuth token endpoint ${url.origin}${url.pathname}`;
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (c.scope !== undefined) form.set("scope", c.scope);
  if (c.audience !== undefined) form.set("audience", c.audience);
  const basic = Buffer.from(
    `${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`,
  ).toString("base64");
  const started = now();
  let response: Response;
  try {
    response = await fetcher(c.tokenEndpoint, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new FloeError("SERVICE_UNAVAILABLE", `${where} is unreachable: ${(e as Error).message}`, {
      context: { endpoint: `${url.origin}${url.pathname}` },
    });
  }
  const text = await response.text().catch(() => "");
  let body: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // handled below
  }
  if (!response.ok) {
    const reason = [body.error, body.error_description]
      .filter((v) => typeof v === "string")
      .join(": ")
      .slice(0, 200);
    const code = response.status >= 500 || response.status === 429 ? "SERVICE_UNAVAILABLE" : "UNAUTHORIZED";
    throw new FloeError(
      code,
      `${where} refused client '${c.clientId}' (HTTP ${response.status}${reason ? `: ${reason}` : ""})`,
      { context: { endpoint: `${url.origin}${url.pathname}`, status: response.status } },
    );
  }
  const value = body.access_token;
  if (typeof value !== "string" || value === "") {
    throw new FloeError("UNAUTHORIZED", `${where} answered without an access_token`, {
      context: { endpoint: `${url.origin}${url.pathname}` },
    });
  }
  const expiresIn = Number(body.expires_in);
  const expiresAt =
    Number.isFinite(expiresIn) && expiresIn > 0
      ? started + expiresIn * 1000
      : (jwtExpiry(value) ?? started + UNKNOWN_LIFETIME_MS);
  return { value, expiresAt };
}

/** A fixed token; it expires when its JWT `exp` says, or never. */
export function staticToken(value: string): BearerToken {
  return { value, expiresAt: jwtExpiry(value) ?? Number.POSITIVE_INFINITY };
}

interface MskSigner {
  generateAuthToken(o: { region: string }): Promise<{ token: string; expiryTime: number }>;
  generateAuthTokenFromRole(o: {
    region: string;
    awsRoleArn: string;
    awsRoleSessionName?: string;
  }): Promise<{ token: string; expiryTime: number }>;
}

/**
 * An AWS MSK IAM token: a SigV4-presigned `kafka-cluster:Connect` URL (base64url), signed with the AWS
 * default credential chain or an assumed role, valid 15 minutes.
 */
export async function mskIamToken(region: string, roleArn?: string): Promise<BearerToken> {
  const mod = (await import("aws-msk-iam-sasl-signer-js")) as unknown as MskSigner & { default?: MskSigner };
  const signer: MskSigner = typeof mod.generateAuthToken === "function" ? mod : (mod.default as MskSigner);
  try {
    const t =
      roleArn === undefined
        ? await signer.generateAuthToken({ region })
        : await signer.generateAuthTokenFromRole({ region, awsRoleArn: roleArn, awsRoleSessionName: "floe" });
    return { value: t.token, expiresAt: t.expiryTime };
  } catch (e) {
    throw new FloeError(
      "UNAUTHORIZED",
      `AWS MSK IAM: cannot sign a token in ${region}: ${(e as Error).message}`,
      {
        context: { region },
      },
    );
  }
}
