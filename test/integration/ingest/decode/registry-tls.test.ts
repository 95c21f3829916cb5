import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import avsc from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../../src/config.js";
import { avscOptions } from "../../../../src/ingest/decode/avro.js";
import { createDecoder, SchemaRegistryClient, wireHeader } from "../../../../src/ingest/decode/index.js";
import { failure } from "../../../support/failure.js";
import { registerSchema } from "../../../support/registry.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";
import { makeCertificates, type TestCertificates } from "../../../support/tls-certs.js";

// The Schema Registry behind TLS with a private CA and basic auth, as corporate registries are run: a
// TLS-terminating gateway (certificates from a throw-away CA, Basic credentials checked) in front of
// the stack's real registry. The decoder reads real schemas through it with `schemaRegistry.tls` and
// credentials; a wrong password or an untrusted CA fails clearly, without the secret.

const USER = "floe-reader";
const PASSWORD = "registry-secret-7d1f";

describe("Schema Registry over TLS (private CA) with basic auth", () => {
  let certs: TestCertificates;
  let gateway: Server;
  let url: string;

  beforeAll(async () => {
    certs = makeCertificates();
    const upstream = new URL(stackEnv().FLOE_SCHEMA_REGISTRY_URL);
    const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    gateway = createServer(
      { cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) },
      async (req, res) => {
        if (req.headers.authorization !== expected) {
          res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Basic" });
          res.end(JSON.stringify({ error_code: 401, message: "Unauthorized" }));
          return;
        }
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const target = new URL(`${upstream.pathname}${req.url ?? ""}`, upstream);
        const answer = await fetch(target, {
          method: req.method ?? "GET",
          headers: { accept: req.headers.accept ?? "application/json" },
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "application/json",
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      },
    );
    await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => gateway?.close(r));
    certs?.remove();
  });

  it("decodes Avro records with schemas fetched through the gateway", async () => {
    const schema = { type: "record", name: "Ping", fields: [{ name: "id", type: "long" }] };
    const id = await registerSchema(`${uniqueName("tls")}-value`, { schema: JSON.stringify(schema) });
    const config = parseConfig({
      schemaRegistry: { url, username: USER, password: PASSWORD, tls: { ca: certs.ca } },
    });
    const registry = new SchemaRegistryClient(config.schemaRegistry ?? { url });
    const decoder = createDecoder({ format: "avro", registry });
    const type = avsc.Type.forSchema(schema as never, avscOptions({}) as never);
    const out = await decoder.decode({
      topic: "t",
      partition: 0,
      offset: 0n,
      key: null,
      value: Buffer.concat([wireHeader(id), type.toBuffer({ id: 42n })]),
    });
    expect(out.row).toEqual({ id: 42n });
  });

  it("fails clearly on a wrong password and on an untrusted CA, never showing the secret", async () => {
    const schema = { type: "record", name: "Pong", fields: [{ name: "id", type: "long" }] };
    const id = await registerSchema(`${uniqueName("tls")}-value`, { schema: JSON.stringify(schema) });
    const wrong = new SchemaRegistryClient({
      url,
      username: USER,
      password: "not-the-password",
      tls: { ca: certs.ca, rejectUnauthorized: true },
    });
    const denied = await failure(wrong.getSchema(id));
    expect(denied.code).toBe("UNAUTHORIZED");
    expect(JSON.stringify({ m: denied.message, c: denied.context })).not.toContain("not-the-password");

    const untrusted = new SchemaRegistryClient({ url, username: USER, password: PASSWORD });
    const refused = await failure(untrusted.getSchema(id));
    expect(refused.message).toMatch(/schema registry/i);
    expect(refused.message).not.toContain(PASSWORD);
  });
});
