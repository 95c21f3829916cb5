import avsc from "avsc";
import { describe, expect, it } from "vitest";
import { avscOptions } from "../../../../src/ingest/decode/avro.js";
import {
  createDecoder,
  type DecodeInput,
  SchemaRegistryClient,
  wireHeader,
} from "../../../../src/ingest/decode/index.js";
import { framed } from "../../../ingest/decode/protobuf-frame.js";
import { failure } from "../../../support/failure.js";
import { registerSchema } from "../../../support/registry.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";

// The decoders against a real Schema Registry: the stack's Apicurio Registry through its Confluent-compatible
// API (/apis/ccompat/v7). Schemas are registered as producers' serializers register them, and records are
// framed with the ids the registry hands out.

const input = (value: Uint8Array, offset = 0n): DecodeInput => ({
  topic: "registry-it",
  partition: 0,
  offset,
  value,
  key: null,
});

const client = () => new SchemaRegistryClient({ url: stackEnv().FLOE_SCHEMA_REGISTRY_URL });

describe("decoders against a real Schema Registry (Apicurio, Confluent API)", () => {
  it("decodes Avro records of two registered versions of a subject, each with its own schema", async () => {
    const subject = `${uniqueName("avro")}-value`;
    const v1 = {
      type: "record",
      name: "Reading",
      fields: [
        { name: "id", type: "long" },
        { name: "temp", type: "double" },
      ],
    };
    const v2 = { ...v1, fields: [...v1.fields, { name: "site", type: ["null", "string"], default: null }] };
    const id1 = await registerSchema(subject, { schema: JSON.stringify(v1) });
    const id2 = await registerSchema(subject, { schema: JSON.stringify(v2) });
    expect(id2).not.toBe(id1);
    const t1 = avsc.Type.forSchema(v1 as never, avscOptions({}) as never);
    const t2 = avsc.Type.forSchema(v2 as never, avscOptions({}) as never);
    const decoder = createDecoder({ format: "avro", registry: client() });
    const a = await decoder.decode(
      input(Buffer.concat([wireHeader(id1), t1.toBuffer({ id: 1n, temp: 20.5 })])),
    );
    const b = await decoder.decode(
      input(Buffer.concat([wireHeader(id2), t2.toBuffer({ id: 2n, temp: 21, site: "north" })]), 1n),
    );
    expect(a.row).toEqual({ id: 1n, temp: 20.5 });
    expect(b.row).toEqual({ id: 2n, temp: 21, site: "north" });
    expect(a.schema.fields.map((f) => f.name)).toEqual(["id", "temp"]);
    expect(b.schema.fields.map((f) => [f.name, f.type, f.required])).toEqual([
      ["id", "long", true],
      ["temp", "double", true],
      ["site", "string", false],
    ]);
  });

  it("names an id the registry does not know as the record's decode failure", async () => {
    const decoder = createDecoder({ format: "avro", registry: client() });
    const e = await failure(
      decoder.decode(input(Buffer.concat([wireHeader(987_654_321), Uint8Array.of(2)]))),
    );
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toContain("unknown schema id 987654321");
  });

  it("decodes JSON Schema records registered with schemaType JSON", async () => {
    const schema = {
      type: "object",
      properties: { sku: { type: "string" }, qty: { type: "integer" }, price: { type: "number" } },
      required: ["sku"],
    };
    const id = await registerSchema(`${uniqueName("js")}-value`, {
      schemaType: "JSON",
      schema: JSON.stringify(schema),
    });
    const decoder = createDecoder({ format: "json-schema", registry: client() });
    const value = Buffer.concat([
      wireHeader(id),
      Buffer.from(JSON.stringify({ sku: "a1", qty: 3, price: 9.5 })),
    ]);
    const { row, schema: got } = await decoder.decode(input(value));
    expect(row).toEqual({ sku: "a1", qty: 3n, price: 9.5 });
    expect(got.fields.find((f) => f.name === "sku")).toMatchObject({ type: "string", required: true });
  });

  it("decodes Protobuf records whose schema imports another subject through a reference", async () => {
    const money =
      'syntax = "proto3"; package shared; message Money { string currency = 1; int64 units = 2; }';
    const sale = `syntax = "proto3"; package shop; import "shared/money.proto";
      message Sale { shared.Money price = 1; string sku = 2; }`;
    const moneySubject = uniqueName("money");
    await registerSchema(moneySubject, { schemaType: "PROTOBUF", schema: money });
    const id = await registerSchema(`${uniqueName("sale")}-value`, {
      schemaType: "PROTOBUF",
      schema: sale,
      references: [{ name: "shared/money.proto", subject: moneySubject, version: 1 }],
    });
    const decoder = createDecoder({ format: "protobuf", registry: client() });
    const value = framed(id, [sale, money], "shop.Sale", { price: { currency: "EUR", units: 12 }, sku: "x" });
    const { row, schema } = await decoder.decode(input(value));
    expect(row).toEqual({ price: { currency: "EUR", units: 12n }, sku: "x" });
    expect(schema.fields.map((f) => f.name)).toEqual(["price", "sku"]);
  });
});
