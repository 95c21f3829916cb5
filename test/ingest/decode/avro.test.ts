import avsc from "avsc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { indexById } from "../../../src/iceberg/spec/index.js";
import { avscOptions } from "../../../src/ingest/decode/avro.js";
import {
  createDecoder,
  type Decoder,
  SchemaRegistryClient,
  wireHeader,
} from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";
import { type FakeRegistry, startRegistry } from "./registry-server.js";

/** Confluent framing around an avsc-encoded datum (longs as bigint). */
function framed(id: number, schema: unknown, value: unknown): Uint8Array {
  const type = avsc.Type.forSchema(schema as never, avscOptions({}) as never);
  return Buffer.concat([wireHeader(id), type.toBuffer(value)]);
}

function input(value: Uint8Array | null, offset = 42n) {
  return { topic: "orders", partition: 3, offset, value, key: null };
}

const ORDER = {
  type: "record",
  name: "Order",
  namespace: "com.acme",
  fields: [
    { name: "id", type: "long" },
    { name: "qty", type: "int" },
    { name: "ratio", type: "float" },
    { name: "score", type: "double" },
    { name: "paid", type: "boolean" },
    { name: "note", type: ["null", "string"], default: null, doc: "free text" },
    { name: "raw", type: "bytes" },
    { name: "status", type: { type: "enum", name: "Status", symbols: ["NEW", "DONE"] } },
    { name: "hash", type: { type: "fixed", name: "Hash", size: 4 } },
    { name: "tags", type: { type: "array", items: "string" } },
    { name: "attrs", type: { type: "map", values: ["null", "long"] } },
    {
      name: "customer",
      type: {
        type: "record",
        name: "Customer",
        fields: [
          { name: "name", type: "string" },
          { name: "since", type: ["null", { type: "int", logicalType: "date" }] },
        ],
      },
    },
    { name: "previous", type: ["null", "Customer"] },
    { name: "day", type: { type: "int", logicalType: "date" } },
    { name: "tmillis", type: { type: "int", logicalType: "time-millis" } },
    { name: "tmicros", type: { type: "long", logicalType: "time-micros" } },
    { name: "created", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "updated", type: { type: "long", logicalType: "timestamp-micros" } },
    { name: "local", type: { type: "long", logicalType: "local-timestamp-millis" } },
    { name: "amount", type: { type: "bytes", logicalType: "decimal", precision: 12, scale: 2 } },
    {
      name: "big",
      type: { type: "fixed", name: "Big", size: 8, logicalType: "decimal", precision: 18, scale: 4 },
    },
    { name: "uid", type: { type: "string", logicalType: "uuid" } },
    { name: "weird", type: { type: "long", logicalType: "date" } }, // invalid logical type: plain long
  ],
};

const ORDER_VALUE = {
  id: 2n ** 62n + 1n,
  qty: -5,
  ratio: 0.5,
  score: 1.25,
  paid: true,
  note: "hi",
  raw: Buffer.from([1, 2, 3]),
  status: "DONE",
  hash: Buffer.from([9, 8, 7, 6]),
  tags: ["a", "b"],
  attrs: { x: 1n, y: null },
  customer: { name: "Ann", since: 19000 },
  previous: null,
  day: 19782,
  tmillis: 3_600_000,
  tmicros: 1n,
  created: 1_700_000_000_123n,
  updated: 1_700_000_000_123_456n,
  local: 1_000n,
  amount: Buffer.from([0xff, 0x85]), // -123 -> -1.23
  big: Buffer.from([0, 0, 0, 0, 0, 0, 0x30, 0x39]), // 12345 -> 1.2345
  uid: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
  weird: 7n,
};

describe("avro decoder", () => {
  let registry: FakeRegistry;
  let decoder: Decoder;

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(1, { schema: JSON.stringify(ORDER) });
    decoder = createDecoder({ format: "avro", registry: new SchemaRegistryClient({ url: registry.url }) });
  });
  afterEach(() => registry.close());

  it("maps Avro types and logical types to Iceberg and converts values", async () => {
    const { row, schema } = await decoder.decode(input(framed(1, ORDER, ORDER_VALUE)));
    expect(row).toEqual({
      id: 2n ** 62n + 1n,
      qty: -5,
      ratio: 0.5,
      score: 1.25,
      paid: true,
      note: "hi",
      raw: Uint8Array.of(1, 2, 3),
      status: "DONE",
      hash: Uint8Array.of(9, 8, 7, 6),
      tags: ["a", "b"],
      attrs: new Map([
        ["x", 1n],
        ["y", null],
      ]),
      customer: { name: "Ann", since: 19000 },
      previous: null,
      day: 19782,
      tmillis: 3_600_000_000n,
      tmicros: 1n,
      created: 1_700_000_000_123_000n,
      updated: 1_700_000_000_123_456n,
      local: 1_000_000n,
      amount: -123n,
      big: 12345n,
      uid: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
      weird: 7n,
    });
    expect(row.raw).not.toBeInstanceOf(Buffer);
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      id: "long",
      qty: "int",
      ratio: "float",
      score: "double",
      paid: "boolean",
      note: "string",
      raw: "binary",
      status: "string",
      hash: "fixed[4]",
      tags: { type: "list", element: "string", "element-required": true },
      attrs: { type: "map", key: "string", value: "long", "value-required": false },
      customer: { type: "struct" },
      previous: { type: "struct" },
      day: "date",
      tmillis: "time",
      tmicros: "time",
      created: "timestamptz",
      updated: "timestamptz",
      local: "timestamp",
      amount: "decimal(12, 2)",
      big: "decimal(18, 4)",
      uid: "uuid",
      weird: "long",
    });
    const required = Object.fromEntries(schema.fields.map((f) => [f.name, f.required]));
    expect(required.id).toBe(true);
    expect(required.note).toBe(false);
    expect(required.previous).toBe(false);
    expect(schema.fields.find((f) => f.name === "note")?.doc).toBe("free text");
    // local ids: 1..n over every field, element, key and value
    const ids = [...indexById(schema).keys()];
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  });

  it("decodes hand-built wire bytes", async () => {
    registry.byId.set(258, {
      schema: JSON.stringify({
        type: "record",
        name: "R",
        fields: [
          { name: "n", type: "long" },
          { name: "s", type: ["null", "string"] },
        ],
      }),
    });
    // magic 0, id 258 big-endian, long -2 (zigzag 3), union branch 1 (zigzag 2), string length 2 (zigzag 4) "hi"
    const bytes = Uint8Array.of(0, 0, 0, 1, 2, 0x03, 0x02, 0x04, 0x68, 0x69);
    const { row, schema } = await decoder.decode(input(bytes));
    expect(row).toEqual({ n: -2n, s: "hi" });
    expect(schema).toEqual({
      type: "struct",
      fields: [
        { id: 1, name: "n", required: true, type: "long" },
        { id: 2, name: "s", required: false, type: "string" },
      ],
    });
    // longs beyond 2^53 stay exact: 2^63 - 1 is zigzag 2^64 - 2, ten varint bytes
    const max = Uint8Array.of(
      0,
      0,
      0,
      1,
      2,
      0xfe,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01,
      0x00,
    );
    expect((await decoder.decode(input(max))).row).toEqual({ n: 2n ** 63n - 1n, s: null });
  });

  it("fetches and parses each schema id once: 100 decodes, one HTTP call, one schema object", async () => {
    const bytes = framed(1, ORDER, ORDER_VALUE);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => decoder.decode(input(bytes, BigInt(i)))),
    );
    expect(registry.requests).toEqual(["/schemas/ids/1"]);
    expect(new Set(results.map((r) => r.schema)).size).toBe(1);
  });

  it("fails with DECODE_FAILED for unknown ids, foreign bytes, truncation and trailing bytes", async () => {
    const unknown = await failure(decoder.decode(input(framed(77, ORDER, ORDER_VALUE))));
    expect(unknown.code).toBe("DECODE_FAILED");
    expect(unknown.message).toContain("unknown schema id 77");
    expect(unknown.message).toContain("orders[3]@42");
    expect(unknown.context).toMatchObject({ topic: "orders", partition: 3, offset: 42n });

    const plain = await failure(decoder.decode(input(Buffer.from('{"a":1}'))));
    expect(plain.code).toBe("DECODE_FAILED");
    expect(plain.message).toContain("not in Schema Registry wire format (magic byte 123)");

    const full = framed(1, ORDER, ORDER_VALUE);
    const truncated = await failure(decoder.decode(input(full.subarray(0, full.length - 3))));
    expect(truncated.message).toMatch(/truncated|does not match/);
    const trailing = await failure(decoder.decode(input(Buffer.concat([full, Buffer.from([0])]))));
    expect(trailing.message).toContain("1 bytes left over");
    const tombstone = await failure(decoder.decode(input(null)));
    expect(tombstone.message).toContain("tombstone");
  });

  it("rejects unions Iceberg cannot express, recursive types and non-Avro schema ids", async () => {
    registry.byId.set(2, {
      schema: JSON.stringify({
        type: "record",
        name: "U",
        fields: [
          {
            name: "inner",
            type: { type: "record", name: "I", fields: [{ name: "v", type: ["null", "int", "string"] }] },
          },
        ],
      }),
    });
    const union = await failure(decoder.decode(input(Uint8Array.of(0, 0, 0, 0, 2, 0))));
    expect(union.code).toBe("SCHEMA_INCOMPATIBLE");
    expect(union.message).toContain('field "inner.v": a union of 2 non-null types');

    registry.byId.set(3, {
      schema: JSON.stringify({
        type: "record",
        name: "Node",
        fields: [{ name: "next", type: ["null", "Node"] }],
      }),
    });
    const recursive = await failure(decoder.decode(input(Uint8Array.of(0, 0, 0, 0, 3, 0))));
    expect(recursive.code).toBe("SCHEMA_INCOMPATIBLE");
    expect(recursive.message).toContain('field "next": recursive Avro type Node');

    registry.byId.set(4, { schema: '{"type":"object"}', schemaType: "JSON" });
    const json = await failure(decoder.decode(input(Uint8Array.of(0, 0, 0, 0, 4))));
    expect(json.code).toBe("DECODE_FAILED");
    expect(json.message).toContain("schema id 4 has schemaType JSON, expected AVRO");
  });

  it("resolves schema references by subject and version", async () => {
    const address = {
      type: "record",
      name: "Address",
      namespace: "com.acme",
      fields: [{ name: "zip", type: "string" }],
    };
    registry.bySubject.set("address-value/2", { id: 30, schema: JSON.stringify(address) });
    const person = {
      type: "record",
      name: "Person",
      namespace: "com.acme",
      fields: [
        { name: "home", type: "com.acme.Address" },
        { name: "work", type: ["null", "Address"] },
      ],
    };
    registry.byId.set(31, {
      schema: JSON.stringify(person),
      references: [{ name: "com.acme.Address", subject: "address-value", version: 2 }],
    });
    const registryTypes: Record<string, avsc.Type> = {};
    avsc.Type.forSchema(address as never, avscOptions(registryTypes) as never);
    const type = avsc.Type.forSchema(person as never, avscOptions(registryTypes) as never);
    const bytes = Buffer.concat([wireHeader(31), type.toBuffer({ home: { zip: "1" }, work: { zip: "2" } })]);
    const { row, schema } = await decoder.decode(input(bytes));
    expect(row).toEqual({ home: { zip: "1" }, work: { zip: "2" } });
    expect(schema.fields.map((f) => [f.name, f.required])).toEqual([
      ["home", true],
      ["work", false],
    ]);
  });

  it("passes registry outages through as retryable and retries the fetch later", async () => {
    registry.failWith = 503;
    const down = await failure(decoder.decode(input(framed(1, ORDER, ORDER_VALUE))));
    expect(down.code).toBe("SERVICE_UNAVAILABLE");
    expect(down.retryable).toBe(true);
    registry.failWith = undefined;
    await expect(decoder.decode(input(framed(1, ORDER, ORDER_VALUE)))).resolves.toMatchObject({
      row: { qty: -5 },
    });
  });

  it("wraps a top-level non-record schema as {value}", async () => {
    registry.byId.set(5, { schema: '{"type":"long","logicalType":"timestamp-millis"}' });
    const bytes = framed(5, { type: "long" }, 5n);
    const { row, schema } = await decoder.decode(input(bytes));
    expect(row).toEqual({ value: 5000n });
    expect(schema).toEqual({
      type: "struct",
      fields: [{ id: 1, name: "value", required: true, type: "timestamptz" }],
    });
  });
});
