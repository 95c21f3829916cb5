import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, TlsSection } from "../src/config.js";
import { type FloeError, isFloeError } from "../src/errors.js";
import { SchemaRegistryClient } from "../src/ingest/index.js";
import { loadTls, tlsFetch } from "../src/tls.js";
import { makeCertificates, type TestCertificates } from "./support/tls-certs.js";

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.remove());

const settings = (s: Record<string, unknown>) => TlsSection.parse(s);

/** What `fn` throws or rejects with; fails the test when it succeeds. */
async function rejection(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

async function configError(fn: () => unknown): Promise<FloeError> {
  const e = await rejection(fn);
  if (!isFloeError(e, "CONFIG_INVALID")) throw new Error(`expected CONFIG_INVALID, got ${String(e)}`);
  return e;
}

describe("loadTls", () => {
  it("reads each PEM setting from a file path (absolute or relative) or takes it inline", () => {
    const fromFiles = loadTls(
      settings({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase }),
      "kafka.ssl",
    );
    const inline = loadTls(
      settings({
        ca: certs.read(certs.ca),
        cert: certs.read(certs.clientCert),
        key: certs.read(certs.clientKey),
        passphrase: certs.passphrase,
        servername: "broker.internal",
      }),
      "kafka.ssl",
    );
    const relativeCa = loadTls(
      settings({ ca: relative(dirname(certs.dir), certs.ca) }),
      "x",
      dirname(certs.dir),
    );
    expect(fromFiles.ca).toBe(certs.read(certs.ca));
    expect(fromFiles.key).toContain("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    expect({ ...inline, servername: undefined }).toEqual({ ...fromFiles, servername: undefined });
    expect(inline.servername).toBe("broker.internal");
    expect(inline.rejectUnauthorized).toBe(true);
    expect(relativeCa.ca).toBe(certs.read(certs.ca));
  });

  it("names the setting of a missing file, and never repeats a key's value", async () => {
    const missingCa = await configError(() => loadTls(settings({ ca: "/nope/ca.pem" }), "kafka.ssl"));
    expect(missingCa.message).toBe(
      "kafka.ssl.ca: '/nope/ca.pem' is neither inline PEM nor a readable file (ENOENT)",
    );
    // A key pasted without its PEM armour looks like a path: the message must not echo it.
    const secretish = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    const badKey = await configError(() =>
      loadTls(settings({ cert: certs.clientCert, key: secretish }), "schemaRegistry.tls"),
    );
    expect(badKey.message).toContain(
      "schemaRegistry.tls.key: the value is neither inline PEM nor a readable file",
    );
    expect(badKey.message).not.toContain(secretish);
    const notPem = await configError(() => loadTls(settings({ ca: `${certs.dir}/client.ext` }), "kafka.ssl"));
    expect(notPem.message).toContain("kafka.ssl.ca: the file");
    expect(notPem.message).toContain("holds no PEM block");
  });

  it("checks the key against its certificate and passphrase at load time, without echoing secrets", async () => {
    const wrong = await configError(() =>
      loadTls(
        settings({ cert: certs.clientCert, key: certs.clientKey, passphrase: "not-the-passphrase" }),
        "kafka.ssl",
      ),
    );
    expect(wrong.message).toBe(
      "kafka.ssl: cannot use the TLS settings: the client key is encrypted and the passphrase is missing or wrong",
    );
    expect(wrong.message).not.toContain("not-the-passphrase");
    const mismatch = await configError(() =>
      loadTls(
        settings({ cert: certs.serverCert, key: certs.clientKey, passphrase: certs.passphrase }),
        "kafka.ssl",
      ),
    );
    expect(mismatch.message).toContain("the client key does not belong to the client certificate");
  });

  it("requires cert and key together", () => {
    expect(TlsSection.safeParse({ cert: "a.pem" }).success).toBe(false);
    expect(TlsSection.safeParse({ key: "a.pem" }).success).toBe(false);
    expect(TlsSection.safeParse({ cert: "a.pem", key: "b.pem" }).success).toBe(true);
  });
});

describe("tlsFetch", () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; body: string; auth?: string; client?: string }[] = [];

  beforeAll(async () => {
    server = createServer(
      {
        cert: certs.read(certs.serverCert),
        key: certs.read(certs.serverKey),
        ca: certs.read(certs.ca),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        let body = "";
        req.on("data", (c) => {
          body += c;
        });
        req.on("end", () => {
          const peer = (req.socket as import("node:tls").TLSSocket).getPeerCertificate();
          seen.push({
            ...(req.method ? { method: req.method } : {}),
            body,
            ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
            ...(peer.subject?.CN ? { client: String(peer.subject.CN) } : {}),
          });
          res.writeHead(req.url === "/missing" ? 404 : 200, {
            "content-type": "application/json",
            "x-a": "1",
          });
          const schema =
            req.url === "/registry/schemas/ids/7" ? { schema: '"string"', schemaType: "AVRO" } : {};
          res.end(JSON.stringify({ path: req.url, ...schema }));
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends GETs and POSTs with a private CA and a client certificate", async () => {
    const tls = loadTls(
      settings({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase }),
      "t",
    );
    const f = tlsFetch(tls);
    const get = await f(`${url}/schemas/ids/1`, { headers: { authorization: "Basic abc" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("x-a")).toBe("1");
    expect(await get.json()).toEqual({ path: "/schemas/ids/1" });
    const post = await f(`${url}/token`, { method: "POST", body: "grant_type=client_credentials" });
    expect(await post.json()).toEqual({ path: "/token" });
    const missing = await f(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(seen.slice(-3)).toEqual([
      { method: "GET", body: "", auth: "Basic abc", client: "client" },
      { method: "POST", body: "grant_type=client_credentials", client: "client" },
      { method: "GET", body: "", client: "client" },
    ]);
  });

  it("fails the handshake without the CA, with another CA, or without the client certificate", async () => {
    const clientOnly = { cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase };
    const noCa = await rejection(() => tlsFetch(loadTls(settings(clientOnly), "t"))(url));
    expect(noCa.message).toMatch(/self[- ]signed certificate|unable to verify/);
    const other = await rejection(() =>
      tlsFetch(loadTls(settings({ ...clientOnly, ca: certs.otherCa }), "t"))(url),
    );
    expect(other.message).toMatch(/self[- ]signed certificate|unable to verify|unable to get/);
    const noClient = await rejection(() => tlsFetch(loadTls(settings({ ca: certs.ca }), "t"))(url));
    expect(noClient).toBeInstanceOf(Error);
  });

  it("is what the Schema Registry client uses with schemaRegistry.tls", async () => {
    const config = parseConfig({
      schemaRegistry: {
        url: `${url}/registry`,
        username: "reader",
        password: "pw",
        tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase },
      },
    });
    const registry = new SchemaRegistryClient(config.schemaRegistry ?? { url: "" });
    expect(await registry.getSchema(7)).toEqual({ schemaType: "AVRO", schema: '"string"' });
    expect(seen.at(-1)).toEqual({
      method: "GET",
      body: "",
      auth: `Basic ${Buffer.from("reader:pw").toString("base64")}`,
      client: "client",
    });
    // Without the CA the same registry is not trusted.
    const untrusted = new SchemaRegistryClient({ url: `${url}/registry` });
    expect(await rejection(() => untrusted.getSchema(7))).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });

  it("passes an abort signal on", async () => {
    const tls = loadTls(
      settings({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, passphrase: certs.passphrase }),
      "t",
    );
    const controller = new AbortController();
    controller.abort(new DOMException("stop", "TimeoutError"));
    const e = await rejection(() => tlsFetch(tls)(url, { signal: controller.signal }));
    expect(e.name).toBe("TimeoutError");
  });
});
