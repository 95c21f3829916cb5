import { describe, expect, it } from "vitest";
import { RestCatalog } from "../../../src/catalog/rest/index.js";
import { createLogger } from "../../../src/log.js";
import { type Call, fakeServer, json } from "./fake.js";

const URI = "http://catalog.test:8181";
const SECRET = "s3cr3t-Very-Private";

function jwt(expSeconds: number): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "none" })}.${enc({ sub: "floe", exp: expSeconds })}.sig`;
}

/** A token endpoint handing out tok-1, tok-2, ... with the given lifetime. */
function tokenEndpoint(expiresIn: number | undefined, issued: Call[], tokens?: () => string) {
  let n = 0;
  return (call: Call) => {
    issued.push(call);
    n++;
    const access = tokens ? tokens() : `tok-${n}`;
    return json(200, {
      access_token: access,
      token_type: "bearer",
      ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
    });
  };
}

describe("RestCatalog authentication", () => {
  it("sends a static bearer token on every request", async () => {
    const server = fakeServer({ "GET /v1/namespaces": () => json(200, { namespaces: [] }) });
    const catalog = new RestCatalog({ uri: URI, token: "static-tok", fetch: server.fetch });
    await catalog.listNamespaces();
    expect(server.calls.map((c) => c.headers.get("authorization"))).toEqual([
      "Bearer static-tok",
      "Bearer static-tok",
    ]);
  });

  it("fetches an OAuth2 token with client credentials from {uri}/v1/oauth/tokens", async () => {
    const issued: Call[] = [];
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(3600, issued),
      "GET /v1/namespaces": () => json(200, { namespaces: [] }),
    });
    const catalog = new RestCatalog({ uri: URI, credential: `client-1:${SECRET}`, fetch: server.fetch });
    await catalog.listNamespaces();
    expect(issued).toHaveLength(1);
    const form = new URLSearchParams(issued[0]?.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "client_credentials",
      client_id: "client-1",
      client_secret: SECRET,
      scope: "catalog",
    });
    expect(issued[0]?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(issued[0]?.headers.get("authorization")).toBeNull();
    expect(server.catalogCalls()[0]?.headers.get("authorization")).toBe("Bearer tok-1");
  });

  it("uses oauth2ServerUri and scope, and a secret-only credential sends no client_id", async () => {
    const issued: Call[] = [];
    const server = fakeServer({
      "POST /realms/x/token": tokenEndpoint(3600, issued),
      "GET /v1/namespaces": () => json(200, { namespaces: [] }),
    });
    const catalog = new RestCatalog({
      uri: URI,
      credential: SECRET,
      scope: "PRINCIPAL_ROLE:ALL",
      oauth2ServerUri: "http://idp.test/realms/x/token",
      fetch: server.fetch,
    });
    await catalog.listNamespaces();
    expect(issued[0]?.url.host).toBe("idp.test");
    const form = new URLSearchParams(issued[0]?.body);
    expect(form.get("client_id")).toBeNull();
    expect(form.get("scope")).toBe("PRINCIPAL_ROLE:ALL");
  });

  it("refreshes the token before it expires", async () => {
    let now = 1_000_000;
    const issued: Call[] = [];
    const seen: (string | null)[] = [];
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(100, issued),
      "GET /v1/namespaces": (call) => {
        seen.push(call.headers.get("authorization"));
        return json(200, { namespaces: [] });
      },
    });
    const catalog = new RestCatalog({
      uri: URI,
      credential: `c:${SECRET}`,
      fetch: server.fetch,
      now: () => now,
    });
    await catalog.listNamespaces();
    now += 50_000; // half the lifetime: still good
    await catalog.listNamespaces();
    now += 45_000; // 95 s of 100: inside the refresh margin (10%)
    await catalog.listNamespaces();
    expect(seen).toEqual(["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
    expect(issued).toHaveLength(2);
  });

  it("reads the expiry from a JWT when the server sends no expires_in", async () => {
    let now = 1_700_000_000_000;
    let n = 0;
    const issued: Call[] = [];
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(undefined, issued, () => `${jwt(now / 1000 + 60)}${++n}`),
      "GET /v1/namespaces": () => json(200, { namespaces: [] }),
    });
    const catalog = new RestCatalog({
      uri: URI,
      credential: `c:${SECRET}`,
      fetch: server.fetch,
      now: () => now,
    });
    await catalog.listNamespaces();
    now += 30_000;
    await catalog.listNamespaces();
    expect(issued).toHaveLength(1);
    now += 31_000;
    await catalog.listNamespaces();
    expect(issued).toHaveLength(2);
  });

  it("on 401 refreshes once and retries; a second 401 fails as UNAUTHORIZED", async () => {
    const issued: Call[] = [];
    let rejectAll = false;
    const seen: (string | null)[] = [];
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(3600, issued),
      "GET /v1/namespaces": (call) => {
        const auth = call.headers.get("authorization");
        seen.push(auth);
        if (rejectAll || auth === "Bearer tok-1") {
          return json(401, {
            error: { message: "token expired", type: "NotAuthorizedException", code: 401 },
          });
        }
        return json(200, { namespaces: [["x"]] });
      },
    });
    // the config call already used tok-1 successfully; the catalog then revokes it
    const catalog = new RestCatalog({ uri: URI, credential: `c:${SECRET}`, fetch: server.fetch });
    expect(await catalog.listNamespaces()).toEqual([["x"]]);
    expect(seen).toEqual(["Bearer tok-1", "Bearer tok-2"]);

    rejectAll = true;
    seen.length = 0;
    const err = await catalog.listNamespaces().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "UNAUTHORIZED", retryable: false });
    expect(seen).toEqual(["Bearer tok-2", "Bearer tok-3"]);
    expect(issued).toHaveLength(3);
  });

  it("shares one token request between concurrent calls", async () => {
    const issued: Call[] = [];
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(3600, issued),
      "GET /v1/namespaces": () => json(200, { namespaces: [] }),
      "GET /v1/namespaces/db": () => json(200, { namespace: ["db"], properties: {} }),
    });
    const catalog = new RestCatalog({ uri: URI, credential: `c:${SECRET}`, fetch: server.fetch });
    await Promise.all([catalog.listNamespaces(), catalog.namespaceExists(["db"]), catalog.listNamespaces()]);
    expect(issued).toHaveLength(1);
  });

  it("maps token endpoint failures without leaking the client secret", async () => {
    const server = fakeServer({
      "POST /v1/oauth/tokens": () =>
        json(401, { error: "invalid_client", error_description: `bad secret ${SECRET}` }),
    });
    const catalog = new RestCatalog({ uri: URI, credential: `c:${SECRET}`, fetch: server.fetch });
    const err = (await catalog.listNamespaces().catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe("UNAUTHORIZED");
    expect(err.message).toContain("invalid_client");
    expect(err.message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);

    const down = fakeServer({ "POST /v1/oauth/tokens": () => json(503, "busy") });
    const c2 = new RestCatalog({ uri: URI, credential: `c:${SECRET}`, fetch: down.fetch });
    await expect(c2.listNamespaces()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("keeps tokens and the client secret out of debug logs", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", write: (l) => lines.push(l) });
    let n = 0;
    const server = fakeServer({
      "POST /v1/oauth/tokens": tokenEndpoint(3600, []),
      "GET /v1/namespaces": (call) =>
        ++n === 1
          ? json(401, {
              error: { message: `bad ${call.headers.get("authorization")}`, type: "X", code: 401 },
            })
          : n === 2
            ? json(503, {
                error: { message: `busy ${call.headers.get("authorization")}`, type: "X", code: 503 },
              })
            : json(200, { namespaces: [] }),
    });
    const catalog = new RestCatalog({
      uri: URI,
      credential: `c:${SECRET}`,
      fetch: server.fetch,
      logger,
      retryBaseDelayMs: 1,
    });
    await catalog.listNamespaces();
    expect(n).toBe(3);
    const out = lines.join("");
    expect(out).toContain("retrying");
    expect(out).not.toContain(SECRET);
    expect(out).not.toMatch(/tok-\d/);
  });
});
