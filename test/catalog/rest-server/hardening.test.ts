import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { type RestCatalogServer, startRestCatalogServer } from "../../../src/catalog/rest-server/index.js";
import { LocalFileIO } from "../../../src/iceberg/io/index.js";
import { rawRequest, slowClient, TIMED_OUT } from "../../support/raw-http.js";
import { SCHEMA, serve } from "./helpers.js";

const TOKEN = "hardening-token-0123456789";

/** A request with exactly these headers (plus Host, unless given, and Connection: close). */
function send(
  server: RestCatalogServer,
  method: string,
  path: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { Host: `127.0.0.1:${server.port}`, ...opts.headers };
  if (opts.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(opts.body));
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return rawRequest(
    server.port,
    `${method} ${path} HTTP/1.1\r\n${head}Connection: close\r\n\r\n${opts.body ?? ""}`,
  );
}

describe("rest-server hardening: slow clients", () => {
  let server: RestCatalogServer;
  beforeAll(async () => {
    ({ server } = await serve({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 }));
  });
  afterAll(() => server.close());

  it("closes a connection whose headers trickle in (slow loris)", async () => {
    const r = await slowClient(server.port, "GET /v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\n", {
      drip: "X-Slow: y\r\n",
    });
    expect(r.received).toMatch(TIMED_OUT);
  }, 15_000);

  it("closes a connection whose body trickles in", async () => {
    const r = await slowClient(
      server.port,
      "POST /v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
      { drip: " " },
    );
    expect(r.received).toMatch(TIMED_OUT);
  }, 15_000);

  it("closes a connection that never sends a request", async () => {
    const r = await slowClient(server.port, "");
    expect(r.received).toMatch(TIMED_OUT);
  }, 15_000);
});

describe("rest-server hardening: content type, Host and Origin", () => {
  let server: RestCatalogServer;
  let catalog: EmbeddedCatalog;
  let withToken: RestCatalogServer;
  beforeAll(async () => {
    ({ server, catalog } = await serve());
    ({ server: withToken } = await serve({ token: TOKEN }));
  });
  afterAll(async () => {
    await server.close();
    await withToken.close();
  });

  it("refuses request bodies that are not declared JSON with 415", async () => {
    const body = '{"namespace":["plain"]}';
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const r = await send(server, "POST", "/v1/namespaces", { body, headers: { "Content-Type": type } });
      expect(r.status).toBe(415);
      expect(r.text).toContain("UnsupportedMediaTypeException");
    }
    expect((await send(server, "POST", "/v1/namespaces", { body })).status).toBe(415); // no type at all
    expect(await catalog.namespaceExists(["plain"])).toBe(false);
    const ok = await send(server, "POST", "/v1/namespaces", {
      body,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    expect(ok.status).toBe(200);
    expect(await catalog.namespaceExists(["plain"])).toBe(true);
  });

  it("without a token, refuses requests from another Origin or for another Host with 403", async () => {
    const body = '{"namespace":["evil"]}';
    const json = { "Content-Type": "application/json" };
    const cases: Record<string, string>[] = [
      { Origin: "http://evil.example" },
      { Origin: "null" },
      { Origin: "http://127.0.0.1.evil.example:8181" },
      { Host: `evil.example:${server.port}` }, // DNS rebinding: a page of evil.example resolved to us
      { Host: "10.0.0.7" },
    ];
    for (const headers of cases) {
      const r = await send(server, "POST", "/v1/namespaces", { body, headers: { ...json, ...headers } });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(r.text).toContain("ForbiddenException");
      expect((await send(server, "GET", "/v1/namespaces", { headers })).status).toBe(403);
    }
    expect(await catalog.namespaceExists(["evil"])).toBe(false);
    const loopback: Record<string, string>[] = [
      { Origin: "http://localhost:3000", Host: `localhost:${server.port}` },
      { Origin: "https://127.0.0.1", Host: `[::1]:${server.port}` },
    ];
    for (const headers of loopback) {
      expect((await send(server, "GET", "/v1/namespaces", { headers })).status).toBe(200);
    }
  });

  it("with a token, the token decides, whatever the Origin", async () => {
    const r = await send(withToken, "GET", "/v1/namespaces", {
      headers: { Authorization: `Bearer ${TOKEN}`, Origin: "http://elsewhere.example", Host: "catalog.corp" },
    });
    expect(r.status).toBe(200);
  });

  it("needs a token to listen beyond loopback", async () => {
    const { catalog } = await serve().then(async (s) => {
      await s.server.close();
      return s;
    });
    await expect(startRestCatalogServer({ catalog, host: "0.0.0.0", port: 0 })).rejects.toThrow(
      /beyond loopback.*token/,
    );
    const open = await startRestCatalogServer({ catalog, host: "0.0.0.0", port: 0, token: TOKEN });
    await open.close();
  });
});

describe("rest-server hardening: names too long for the storage", () => {
  let server: RestCatalogServer;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-rest-names-"));
    const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(dir).href, io: new LocalFileIO() });
    await catalog.createNamespace(["db"]);
    server = await startRestCatalogServer({ catalog, port: 0 });
  });
  afterAll(() => server.close());

  it("answers 400, not 500, for a namespace or table name over 255 bytes", async () => {
    const long = "é".repeat(200); // 200 characters, 400 bytes
    const json = { "Content-Type": "application/json" };
    const ns = await send(server, "POST", "/v1/namespaces", {
      body: JSON.stringify({ namespace: [long] }),
      headers: json,
    });
    expect(ns.status).toBe(400);
    expect(ns.text).toContain("BadRequestException");
    const table = await send(server, "POST", "/v1/namespaces/db/tables", {
      body: JSON.stringify({ name: long, schema: SCHEMA }),
      headers: json,
    });
    expect(table.status).toBe(400);
    expect(table.text).toContain("BadRequestException");
    const get = await send(server, "GET", `/v1/namespaces/db/tables/${encodeURIComponent(long)}`);
    expect(get.status).toBeLessThan(500);
  });
});
