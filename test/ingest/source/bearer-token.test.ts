import { afterEach, describe, expect, it, vi } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  type BearerToken,
  clientCredentialsToken,
  jwtExpiry,
  mskIamToken,
  RefreshingToken,
  staticToken,
} from "../../../src/ingest/source/bearer-token.js";
import type { Logger } from "../../../src/log.js";
import { failure } from "../../support/failure.js";

const unsignedJwt = (claims: Record<string, unknown>) => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none" })}.${b64(claims)}.`;
};

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger & { warnings: string[] } = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (m) => warnings.push(m),
    error: () => {},
    child: () => log,
  };
  return log;
}

describe("RefreshingToken", () => {
  it("reuses a token until 80% of its lifetime has passed, then fetches a new one", async () => {
    let now = 1_000_000;
    let n = 0;
    const fetchToken = vi.fn(
      async (): Promise<BearerToken> => ({ value: `t${++n}`, expiresAt: now + 100_000 }),
    );
    const token = new RefreshingToken(fetchToken, { now: () => now });
    expect(await token.get()).toBe("t1");
    now += 79_000;
    expect(await token.get()).toBe("t1");
    now += 2_000; // 81% of the lifetime: refresh, although the token is still valid
    expect(await token.get()).toBe("t2");
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it("shares one fetch between concurrent callers", async () => {
    let release: (t: BearerToken) => void = () => {};
    const fetchToken = vi.fn(() => new Promise<BearerToken>((r) => (release = r)));
    const token = new RefreshingToken(fetchToken);
    const all = Promise.all([token.get(), token.get(), token.get()]);
    release({ value: "shared", expiresAt: Date.now() + 60_000 });
    expect(await all).toEqual(["shared", "shared", "shared"]);
    expect(fetchToken).toHaveBeenCalledTimes(1);
  });

  it("keeps the current token while a refresh fails and it is still valid; fails once it expired", async () => {
    let now = 0;
    let fail = false;
    const fetchToken = async (): Promise<BearerToken> => {
      if (fail) throw new Error("idp down");
      return { value: "first", expiresAt: now + 10_000 };
    };
    const logger = recordingLogger();
    const token = new RefreshingToken(fetchToken, { now: () => now, logger });
    expect(await token.get()).toBe("first");
    fail = true;
    now = 9_000;
    expect(await token.get()).toBe("first");
    expect(logger.warnings).toEqual(["token refresh failed; using the current token until it expires"]);
    now = 10_001;
    await expect(token.get()).rejects.toThrow("idp down");
  });

  it("never refreshes a token without an expiry", async () => {
    const fetchToken = vi.fn(async () => staticToken("opaque-token"));
    const token = new RefreshingToken(fetchToken, { now: () => 1e15 });
    expect(await token.get()).toBe("opaque-token");
    expect(await token.get()).toBe("opaque-token");
    expect(fetchToken).toHaveBeenCalledTimes(1);
  });
});

describe("jwtExpiry / staticToken", () => {
  it("reads a JWT's exp claim and ignores tokens that are not JWTs", () => {
    expect(jwtExpiry(unsignedJwt({ sub: "floe", exp: 1_900_000_000 }))).toBe(1_900_000_000_000);
    expect(jwtExpiry("opaque")).toBeUndefined();
    expect(jwtExpiry("a.not-base64-json.c")).toBeUndefined();
    expect(staticToken(unsignedJwt({ exp: 5 })).expiresAt).toBe(5000);
    expect(staticToken("opaque").expiresAt).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("clientCredentialsToken", () => {
  const creds = {
    tokenEndpoint: "https://idp.example.com/oauth2/token?tenant=x",
    clientId: "floe client",
    clientSecret: "s3cr3t:value",
    scope: "kafka",
    audience: "urn:kafka",
  };

  it("posts the client-credentials grant with HTTP Basic client authentication", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetcher = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ access_token: "at-1", token_type: "Bearer", expires_in: 300 }), {
        status: 200,
      });
    }) as typeof fetch;
    const token = await clientCredentialsToken(creds, fetcher, () => 1_000);
    expect(token).toEqual({ value: "at-1", expiresAt: 301_000 });
    const call = calls[0];
    expect(call?.url).toBe(creds.tokenEndpoint);
    expect(call?.init.method).toBe("POST");
    const headers = call?.init.headers as Record<string, string>;
    expect(headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const basic = Buffer.from(headers.authorization?.replace(/^Basic /, "") ?? "", "base64").toString();
    expect(basic).toBe("floe%20client:s3cr3t%3Avalue");
    expect(Object.fromEntries(new URLSearchParams(String(call?.init.body)))).toEqual({
      grant_type: "client_credentials",
      scope: "kafka",
      audience: "urn:kafka",
    });
  });

  it("takes the expiry from the JWT when the response has no expires_in", async () => {
    const jwt = unsignedJwt({ sub: "floe", exp: 2_000 });
    const fetcher = (async () =>
      new Response(JSON.stringify({ access_token: jwt }))) as unknown as typeof fetch;
    expect((await clientCredentialsToken(creds, fetcher, () => 0)).expiresAt).toBe(2_000_000);
  });

  it("names the endpoint and the reason on a refusal, never the secret", async () => {
    const refuse = (status: number, body: unknown) =>
      (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
    const denied = await failure(
      clientCredentialsToken(
        creds,
        refuse(401, { error: "invalid_client", error_description: "Client authentication failed" }),
      ),
    );
    expect(denied.code).toBe("UNAUTHORIZED");
    expect(denied.message).toBe(
      "OAuth token endpoint https://idp.example.com/oauth2/token refused client 'floe client' (HTTP 401: invalid_client: Client authentication failed)",
    );
    expect(denied.message).not.toContain("s3cr3t");
    const down = await failure(clientCredentialsToken(creds, refuse(503, {})));
    expect(down.code).toBe("SERVICE_UNAVAILABLE");
    const empty = await failure(clientCredentialsToken(creds, refuse(200, { token_type: "Bearer" })));
    expect(empty.message).toContain("answered without an access_token");
    const unreachable = await failure(
      clientCredentialsToken(creds, (async () => {
        throw new TypeError("fetch failed");
      }) as unknown as typeof fetch),
    );
    expect(isFloeError(unreachable, "SERVICE_UNAVAILABLE")).toBe(true);
    expect(unreachable.message).toContain("is unreachable");
  });
});

describe("mskIamToken", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("signs a kafka-cluster:Connect URL for the region with the default credential chain", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAFLOETESTKEY00001");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "floe-test-secret-access-key");
    vi.stubEnv("AWS_SESSION_TOKEN", "");
    vi.stubEnv("AWS_PROFILE", "");
    const before = Date.now();
    const token = await mskIamToken("eu-west-1");
    // base64url without padding, as MSK expects
    expect(token.value).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(token.value, "base64url").toString("utf8"));
    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("kafka.eu-west-1.amazonaws.com");
    const q = url.searchParams;
    expect(q.get("Action")).toBe("kafka-cluster:Connect");
    expect(q.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(q.get("X-Amz-Credential")).toMatch(
      /^AKIAFLOETESTKEY00001\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
    );
    expect(q.get("X-Amz-Expires")).toBe("900");
    expect(q.get("X-Amz-SignedHeaders")).toBe("host");
    expect(q.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect(q.get("User-Agent")).toMatch(/^aws-msk-iam-sasl-signer-js\//);
    expect(token.value).not.toContain("floe-test-secret-access-key");
    expect(url.toString()).not.toContain("floe-test-secret-access-key");
    expect(token.expiresAt).toBeGreaterThanOrEqual(before + 899_000);
    expect(token.expiresAt).toBeLessThanOrEqual(Date.now() + 901_000);
  });
});
