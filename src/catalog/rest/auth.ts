/**
 * Authentication for the REST catalog client: none, a static bearer token, or OAuth2 client
 * credentials (RFC 6749 section 4.4) against `oauth2-server-uri` or the catalog's `/v1/oauth/tokens`.
 *
 * OAuth2 tokens are fetched on first use, refreshed shortly before they expire (from `expires_in`, or
 * the JWT `exp` claim when the server sends no lifetime), and refreshed once more when the catalog
 * answers 401/419. Secrets are never put in messages: every message is scrubbed of them.
 */
import { z } from "zod";
import { FloeError } from "../../errors.js";
import { parseJson } from "../../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../../log.js";
import { errorFromTransport, scrub } from "./errors.js";
import { type AuthProvider, type FetchLike, fetchWithTimeout, TransportFailure } from "./http.js";

export type { AuthProvider } from "./http.js";

export const noAuth: AuthProvider = {
  headers: async () => ({}),
  refresh: async () => false,
  secrets: () => [],
};

export function bearerAuth(token: string): AuthProvider {
  const headers = { authorization: `Bearer ${token}` };
  return {
    headers: async () => headers,
    refresh: async () => false,
    secrets: () => [token],
  };
}

export interface OAuth2Options {
  /** `client_id:client_secret`, or just `client_secret` (then no client_id is sent). */
  credential: string;
  /** The token endpoint. */
  tokenUri: string;
  /** Defaults to `catalog`. */
  scope?: string;
  fetch: FetchLike;
  timeoutMs: number;
  now?: () => number;
  logger?: Logger;
}

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.bigint()]).transform(Number).optional(),
});

const OAuthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

/** Seconds-since-epoch `exp` claim of a JWT, or undefined for opaque tokens. */
export function jwtExpiryMs(token: string): number | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as { exp?: unknown };
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

interface Token {
  value: string;
  /** When to fetch a new one (ms since epoch); Infinity when the lifetime is unknown. */
  refreshAt: number;
}

export class OAuth2ClientCredentials implements AuthProvider {
  private readonly clientId: string | undefined;
  private readonly clientSecret: string;
  private readonly scope: string;
  private readonly now: () => number;
  private readonly log: Logger;
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  private readonly issued: string[] = [];

  constructor(private readonly options: OAuth2Options) {
    const colon = options.credential.indexOf(":");
    this.clientId = colon >= 0 ? options.credential.slice(0, colon) : undefined;
    this.clientSecret = colon >= 0 ? options.credential.slice(colon + 1) : options.credential;
    if (this.clientSecret === "") {
      throw new FloeError("CONFIG_INVALID", "the REST catalog credential has an empty client secret");
    }
    this.scope = options.scope ?? "catalog";
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
  }

  async headers(): Promise<Record<string, string>> {
    const token = await this.current();
    return { authorization: `Bearer ${token.value}` };
  }

  async refresh(sent: Readonly<Record<string, string>>): Promise<boolean> {
    const used = sent.authorization;
    // Another request may already have replaced the token that was rejected.
    if (this.token !== undefined && used !== `Bearer ${this.token.value}`) return true;
    this.token = undefined;
    await this.current();
    return true;
  }

  secrets(): string[] {
    return [this.clientSecret, ...this.issued];
  }

  private async current(): Promise<Token> {
    if (this.token !== undefined && this.now() < this.token.refreshAt) return this.token;
    if (this.pending === undefined) {
      this.pending = this.fetchToken().finally(() => {
        this.pending = undefined;
      });
    }
    this.token = await this.pending;
    return this.token;
  }

  private async fetchToken(): Promise<Token> {
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (this.clientId !== undefined) form.set("client_id", this.clientId);
    form.set("client_secret", this.clientSecret);
    form.set("scope", this.scope);
    const what = "OAuth2 token request";
    const started = this.now();
    let res: { status: number; text: string };
    try {
      res = await fetchWithTimeout(
        this.options.fetch,
        this.options.tokenUri,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: form.toString(),
        },
        this.options.timeoutMs,
      );
    } catch (e) {
      if (!(e instanceof TransportFailure)) throw e;
      throw errorFromTransport({
        op: "oauth",
        what,
        cause: e.cause,
        timedOut: e.timedOut,
        timeoutMs: this.options.timeoutMs,
        secrets: this.secrets(),
      });
    }
    if (res.status < 200 || res.status >= 300) throw this.tokenError(res.status, res.text);
    let parsed: z.infer<typeof TokenResponseSchema>;
    try {
      parsed = TokenResponseSchema.parse(parseJson(res.text));
    } catch {
      throw new FloeError("UNAUTHORIZED", `${what} returned no usable access_token (HTTP ${res.status})`);
    }
    const token = parsed.access_token;
    this.issued.push(token);
    if (this.issued.length > 8) this.issued.shift();
    const expiresAt =
      parsed.expires_in !== undefined && parsed.expires_in > 0
        ? started + parsed.expires_in * 1000
        : jwtExpiryMs(token);
    const refreshAt =
      expiresAt === undefined
        ? Number.POSITIVE_INFINITY
        : expiresAt - Math.min(300_000, Math.max(0, expiresAt - started) / 10);
    this.log.debug("fetched an OAuth2 token", {
      expiresInMs: expiresAt === undefined ? undefined : expiresAt - started,
    });
    return { value: token, refreshAt };
  }

  private tokenError(status: number, text: string): FloeError {
    let detail = "";
    try {
      const e = OAuthErrorSchema.parse(parseJson(text));
      detail = `: ${e.error}${e.error_description ? ` (${e.error_description.slice(0, 300)})` : ""}`;
    } catch {
      detail = "";
    }
    const code = status >= 500 || status === 429 ? "SERVICE_UNAVAILABLE" : "UNAUTHORIZED";
    return new FloeError(
      code,
      scrub(`OAuth2 token request failed with HTTP ${status}${detail}`, this.secrets()),
      { context: { status } },
    );
  }
}
