import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { SchemaRegistryClient } from "../../../src/ingest/decode/index.js";
import { type FakeRegistry, startRegistry } from "./registry-server.js";

const BASIC = `Basic ${Buffer.from("alice:s3cret-pass").toString("base64")}`;
const AVRO = JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "int" }] });

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("SchemaRegistryClient", () => {
  let registry: FakeRegistry;

  beforeEach(async () => {
    registry = await startRegistry(BASIC);
    registry.byId.set(7, { schema: AVRO });
    registry.byId.set(8, { schema: '{"type":"object"}', schemaType: "JSON" });
  });
  afterEach(() => registry.close());

  it("fetches a schema by id with basic auth; a missing schemaType means AVRO", async () => {
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "s3cret-pass",
    });
    await expect(client.getSchema(7)).resolves.toEqual({ schemaType: "AVRO", schema: AVRO });
    await expect(client.getSchema(8)).resolves.toEqual({ schemaType: "JSON", schema: '{"type":"object"}' });
    expect(registry.requests).toEqual(["/schemas/ids/7", "/schemas/ids/8"]);
    expect(registry.authorizations).toEqual([BASIC, BASIC]);
  });

  it("takes credentials from the URL and strips them from the request URL", async () => {
    const url = registry.url.replace("http://", "http://alice:s3cret-pass@");
    const client = new SchemaRegistryClient({ url: `${url}/` });
    await expect(client.getSchema(7)).resolves.toMatchObject({ schemaType: "AVRO" });
    expect(registry.authorizations).toEqual([BASIC]);
  });

  it("sends a bearer token", async () => {
    const bearer = await startRegistry("Bearer tok-123");
    bearer.byId.set(1, { schema: AVRO });
    try {
      const client = new SchemaRegistryClient({ url: bearer.url, bearerToken: "tok-123" });
      await expect(client.getSchema(1)).resolves.toMatchObject({ schema: AVRO });
    } finally {
      await bearer.close();
    }
  });

  it("caches per id forever and shares one fetch between concurrent callers", async () => {
    registry.delayMs = 30;
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "s3cret-pass",
    });
    const all = await Promise.all(Array.from({ length: 100 }, () => client.getSchema(7)));
    expect(new Set(all).size).toBe(1);
    await client.getSchema(7);
    expect(registry.requests).toEqual(["/schemas/ids/7"]);
  });

  it("maps 404 to DECODE_FAILED 'unknown schema id' and does not cache the failure", async () => {
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "s3cret-pass",
    });
    const e = await caught(client.getSchema(99));
    expect(isFloeError(e, "DECODE_FAILED")).toBe(true);
    expect((e as Error).message).toContain("unknown schema id 99");
    registry.byId.set(99, { schema: AVRO });
    await expect(client.getSchema(99)).resolves.toMatchObject({ schema: AVRO });
    expect(registry.requests).toEqual(["/schemas/ids/99", "/schemas/ids/99"]);
  });

  it("refuses wrong credentials as UNAUTHORIZED without leaking the password", async () => {
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "wrong-password",
    });
    const e = await caught(client.getSchema(7));
    expect(isFloeError(e, "UNAUTHORIZED")).toBe(true);
    expect((e as Error).message).toContain("401");
    const text = `${(e as Error).message} ${JSON.stringify((e as { context: unknown }).context)}`;
    expect(text).not.toContain("wrong-password");
    expect(text).not.toContain(Buffer.from("alice:wrong-password").toString("base64"));
  });

  it("keeps URL credentials out of errors", async () => {
    const url = registry.url.replace("http://", "http://alice:url-secret@");
    registry.failWith = 503;
    const client = new SchemaRegistryClient({ url });
    const e = await caught(client.getSchema(7));
    expect(isFloeError(e, "SERVICE_UNAVAILABLE")).toBe(true);
    expect((e as { retryable: boolean }).retryable).toBe(true);
    expect((e as Error).message).toContain("503");
    expect((e as Error).message).not.toContain("url-secret");
  });

  it("times out as a retryable SERVICE_UNAVAILABLE", async () => {
    registry.delayMs = 500;
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "s3cret-pass",
      timeoutMs: 50,
    });
    const e = await caught(client.getSchema(7));
    expect(isFloeError(e, "SERVICE_UNAVAILABLE")).toBe(true);
    expect((e as Error).message).toContain("did not answer within 50 ms");
  });

  it("fails over to the next URL when the first is unreachable", async () => {
    const client = new SchemaRegistryClient({
      url: `http://127.0.0.1:1,${registry.url}`,
      username: "alice",
      password: "s3cret-pass",
    });
    await expect(client.getSchema(7)).resolves.toMatchObject({ schema: AVRO });
  });

  it("fetches referenced schemas by subject and version", async () => {
    registry.bySubject.set("com.acme.Address/3", { id: 12, schema: AVRO });
    const client = new SchemaRegistryClient({
      url: registry.url,
      username: "alice",
      password: "s3cret-pass",
    });
    await expect(client.getSubjectVersion("com.acme.Address", 3)).resolves.toEqual({
      id: 12,
      schemaType: "AVRO",
      schema: AVRO,
    });
    const e = await caught(client.getSubjectVersion("nope", 1));
    expect(isFloeError(e, "DECODE_FAILED")).toBe(true);
    expect((e as Error).message).toContain("nope version 1");
  });

  it("uses an injected fetch", async () => {
    const seen: string[] = [];
    const client = new SchemaRegistryClient({
      url: "http://registry.invalid/base",
      fetch: (async (input: string | URL | Request) => {
        seen.push(String(input));
        return new Response(JSON.stringify({ schema: AVRO }), { status: 200 });
      }) as typeof fetch,
    });
    await client.getSchema(5);
    expect(seen).toEqual(["http://registry.invalid/base/schemas/ids/5"]);
  });
});
