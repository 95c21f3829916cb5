import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDecoder, SchemaRegistryClient } from "../../../../src/ingest/decode/index.js";
import { stackEnv } from "../../../support/stack.js";

// Records framed and encoded by other implementations (pyiceberg's Avro BinaryEncoder, Python's json)
// decode to the values those implementations meant, big integers, decimals and UTF-8 included.

interface Case {
  format: "avro" | "json";
  schema: unknown;
  schemaId: number | null;
  hex: string;
  expected: Record<string, unknown>;
}

const exec = promisify(execFile);

async function pythonCases(): Promise<Case[]> {
  const env = stackEnv();
  const script = resolve(import.meta.dirname, "encode_records.py");
  const { stdout } = await exec(env.FLOE_PYTHON, [script], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "[]") as Case[];
}

/** Expected values as Python printed them (integers as strings) in Floe's representation. */
function expectedRow(c: Case): Record<string, unknown> {
  const e = c.expected;
  if (c.format === "json") {
    const nested = e.nested as { list: string[] };
    return {
      id: BigInt(e.id as string),
      neg: BigInt(e.neg as string),
      text: e.text,
      nested: { list: nested.list.map(BigInt) },
    };
  }
  return {
    ...e,
    id: BigInt(e.id as string),
    amount: BigInt(e.amount as string),
    at: BigInt(e.at as string),
    parts: (e.parts as string[]).map(BigInt),
    labels: new Map(Object.entries(e.labels as Record<string, string>)),
  };
}

describe("decode interop with Python encoders", () => {
  let cases: Case[];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    cases = await pythonCases();
    server = createServer((req, res) => {
      const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(req.url ?? "")?.[1]);
      const found = cases.find((c) => c.schemaId === id);
      res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          found
            ? { schema: JSON.stringify(found.schema) }
            : { error_code: 40403, message: "Schema not found" },
        ),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("decodes pyiceberg-encoded Avro and Python JSON exactly", async () => {
    expect(cases.map((c) => c.format)).toEqual(["avro", "avro", "json"]);
    const avro = createDecoder({ format: "avro", registry: new SchemaRegistryClient({ url }) });
    const json = createDecoder({ format: "json" });
    for (const [i, c] of cases.entries()) {
      const value = Buffer.from(c.hex, "hex");
      const decoded = await (c.format === "avro" ? avro : json).decode({
        topic: "interop",
        partition: 0,
        offset: BigInt(i),
        value,
        key: null,
      });
      expect(decoded.row).toEqual(expectedRow(c));
    }
  });
});
