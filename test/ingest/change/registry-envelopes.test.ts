import avsc from "avsc";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Change, keyDecoderFor, recordChange } from "../../../src/ingest/change/index.js";
import { avscOptions } from "../../../src/ingest/decode/avro.js";
import { createDecoder, SchemaRegistryClient, wireHeader } from "../../../src/ingest/decode/index.js";
import { framed as protoFramed } from "../decode/protobuf-frame.js";
import { type FakeRegistry, startRegistry } from "../decode/registry-server.js";
import { avroEnvelope, bytes, DEBEZIUM, input, names, pgKey } from "./debezium-events.js";

// Debezium envelopes through the Schema Registry: the AvroConverter's Envelope record, the
// JsonSchemaConverter's envelope schema and the ProtobufConverter's envelope message, decoded by the
// registry decoders, then toChange.

describe("Debezium Avro through the registry", () => {
  let registry: FakeRegistry;
  let client: SchemaRegistryClient;
  const columns = [
    { name: "id", type: { type: "int", "connect.default": 0 }, default: 0 },
    { name: "name", type: "string" },
    { name: "plan", type: ["null", "string"], default: null },
  ];
  const envelope = avroEnvelope("PostgreSQL_server", "customers", columns);
  const keySchema = {
    type: "record",
    name: "Key",
    namespace: "PostgreSQL_server.public.customers",
    fields: [{ name: "id", type: { type: "int", "connect.default": 0 }, default: 0 }],
    "connect.name": "PostgreSQL_server.public.customers.Key",
  };
  const framed = (id: number, schema: unknown, value: unknown) =>
    new Uint8Array(
      Buffer.concat([
        wireHeader(id),
        avsc.Type.forSchema(schema as never, avscOptions({}) as never).toBuffer(value),
      ]),
    );
  const source = {
    version: "2.7.3.Final",
    connector: "postgresql",
    name: "PostgreSQL_server",
    ts_ms: 1700000000000n,
    snapshot: "false",
    db: "postgres",
    sequence: null,
    ts_us: null,
    ts_ns: null,
    schema: "public",
    table: "customers",
    txId: 7n,
    lsn: 990n,
    xmin: null,
  };
  const event = (op: string, before: unknown, after: unknown) => ({
    before,
    after,
    source,
    transaction: null,
    op,
    ts_ms: 1700000000100n,
    ts_us: null,
    ts_ns: null,
  });

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(11, { schema: JSON.stringify(envelope) });
    registry.byId.set(12, { schema: JSON.stringify(keySchema) });
    client = new SchemaRegistryClient({ url: registry.url });
  });
  afterEach(() => registry.close());

  it("create, update, delete and tombstone with an Avro key", async () => {
    const values = createDecoder({ format: "avro", registry: client });
    const keys = keyDecoderFor(DEBEZIUM, client);
    const key = framed(12, keySchema, { id: 5 });
    const run = async (value: Uint8Array | null) => {
      const decoded = value === null ? null : await values.decode(input(value));
      return recordChange({ ...DEBEZIUM, cdcColumns: true }, decoded, keys, input(value, key));
    };
    const c = await run(framed(11, envelope, event("c", null, { id: 5, name: "Ann", plan: "free" })));
    expect(c).toMatchObject({ op: "upsert", row: { id: 5, name: "Ann", plan: "free", _cdc_pos: "990" } });
    expect(names((c as Change).schema)).toEqual([
      '1:id:"int"',
      '2:name:"string"',
      '3:plan:"string"',
      '4:_cdc_op:"string"',
      '5:_cdc_ts_ms:"long"',
      '6:_cdc_pos:"string"',
    ]);
    const u = await run(framed(11, envelope, event("u", null, { id: 5, name: "Ann", plan: "pro" })));
    expect(u).toMatchObject({ op: "upsert", row: { plan: "pro", _cdc_op: "u" } });
    expect(u?.schema).toBe(c?.schema);
    const d = await run(framed(11, envelope, event("d", { id: 5, name: "Ann", plan: "pro" }, null)));
    expect(d).toMatchObject({ op: "delete", key: { id: 5 } });
    // The tombstone's key schema is fetched first (a promise), then decoded synchronously.
    const first = recordChange(DEBEZIUM, null, keys, input(null, key));
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toMatchObject({ op: "delete", key: { id: 5 } });
    expect(recordChange(DEBEZIUM, null, keys, input(null, framed(12, keySchema, { id: 6 })))).toMatchObject({
      op: "delete",
      key: { id: 6 },
    });
  });

  it("a JSON key beside Avro values is read as JSON", () => {
    const keys = keyDecoderFor(DEBEZIUM, client);
    expect(recordChange(DEBEZIUM, null, keys, input(null, bytes(pgKey(8))))).toMatchObject({
      op: "delete",
      key: { id: 8 },
    });
  });
});

describe("Debezium JSON Schema (JsonSchemaConverter) through the registry", () => {
  let registry: FakeRegistry;
  const int32 = { type: "integer", "connect.type": "int32" };
  const value = (index: number) => ({
    oneOf: [
      { type: "null" },
      {
        type: "object",
        title: "PostgreSQL_server.public.customers.Value",
        properties: {
          id: { ...int32, "connect.index": 0 },
          name: { oneOf: [{ type: "null" }, { type: "string" }], "connect.index": 1 },
        },
        required: ["id"],
      },
    ],
    "connect.index": index,
  });
  const envelope = {
    type: "object",
    title: "PostgreSQL_server.public.customers.Envelope",
    properties: {
      before: value(0),
      after: value(1),
      source: {
        type: "object",
        title: "io.debezium.connector.postgresql.Source",
        properties: {
          connector: { type: "string", "connect.index": 0 },
          ts_ms: { type: "integer", "connect.type": "int64", "connect.index": 1 },
          lsn: {
            oneOf: [{ type: "null" }, { type: "integer", "connect.type": "int64" }],
            "connect.index": 2,
          },
        },
        required: ["connector", "ts_ms"],
        "connect.index": 2,
      },
      op: { type: "string", "connect.index": 3 },
      ts_ms: { oneOf: [{ type: "null" }, { type: "integer", "connect.type": "int64" }], "connect.index": 4 },
    },
    required: ["source", "op"],
  };
  const framed = (v: unknown) => new Uint8Array(Buffer.concat([wireHeader(21), bytes(v)]));
  const event = (op: string, before: unknown, after: unknown) => ({
    before,
    after,
    source: { connector: "postgresql", ts_ms: 1700000000000, lsn: 4242 },
    op,
    ts_ms: 1700000000050,
  });

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(21, { schema: JSON.stringify(envelope), schemaType: "JSON" });
  });
  afterEach(() => registry.close());

  it("upserts after (typed by connect.type), deletes by before or a JSON key", async () => {
    const client = new SchemaRegistryClient({ url: registry.url });
    const values = createDecoder({ format: "json-schema", registry: client });
    const keys = keyDecoderFor(DEBEZIUM, client);
    const run = async (v: unknown, key: unknown = pgKey(3)) => {
      const raw = v === null ? null : framed(v);
      const decoded = raw === null ? null : await values.decode(input(raw));
      return recordChange({ ...DEBEZIUM, cdcColumns: true }, decoded, keys, input(raw, bytes(key)));
    };
    const c = (await run(event("c", null, { id: 3, name: "Cy" }))) as Change;
    expect(c).toMatchObject({ op: "upsert", row: { id: 3, name: "Cy", _cdc_op: "c", _cdc_pos: "4242" } });
    expect(names(c.schema).slice(0, 2)).toEqual(['1:id:"int"', '2:name:"string"']);
    expect(c.schema.fields[0]?.required).toBe(true);
    expect(await run(event("d", { id: 3, name: null }, null))).toMatchObject({
      op: "delete",
      key: { id: 3 },
    });
    expect(await run(null)).toMatchObject({ op: "delete", key: { id: 3 } });
  });
});

describe("Debezium Protobuf (ProtobufConverter) through the registry", () => {
  let registry: FakeRegistry;
  // The converter's shape: the envelope message with the row message and the connector's source.
  const proto = `syntax = "proto3";
package PostgreSQL_server.public.customers;

message Envelope {
  Value before = 1;
  Value after = 2;
  Source source = 3;
  string op = 4;
  optional int64 ts_ms = 5;

  message Value {
    int32 id = 1;
    optional string name = 2;
  }
  message Source {
    string connector = 1;
    int64 ts_ms = 2;
    optional int64 lsn = 3;
  }
}
`;
  const type = "PostgreSQL_server.public.customers.Envelope";
  const source = { connector: "postgresql", ts_ms: 1700000000000, lsn: 77 };

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(31, { schema: proto, schemaType: "PROTOBUF" });
  });
  afterEach(() => registry.close());

  it("upserts after, deletes by before, tombstones by the Kafka key", async () => {
    const client = new SchemaRegistryClient({ url: registry.url });
    const values = createDecoder({ format: "protobuf", registry: client });
    const keys = keyDecoderFor(DEBEZIUM, client);
    const run = async (v: object | null) => {
      const raw = v === null ? null : protoFramed(31, proto, type, v);
      const decoded = raw === null ? null : await values.decode(input(raw));
      return recordChange({ ...DEBEZIUM, cdcColumns: true }, decoded, keys, input(raw, bytes(pgKey(4))));
    };
    const c = (await run({ after: { id: 4, name: "Dee" }, source, op: "c", ts_ms: 1700000000050 })) as Change;
    expect(c).toMatchObject({ op: "upsert", row: { id: 4, name: "Dee", _cdc_op: "c", _cdc_pos: "77" } });
    expect(names(c.schema).slice(0, 2)).toEqual(['1:id:"int"', '2:name:"string"']);
    const u = await run({ before: { id: 4 }, after: { id: 4, name: "Dee 2" }, source, op: "u" });
    expect(u).toMatchObject({ op: "upsert", row: { name: "Dee 2", _cdc_op: "u" } });
    expect(u?.schema).toBe(c.schema);
    expect(await run({ before: { id: 4, name: "Dee 2" }, source, op: "d" })).toMatchObject({
      op: "delete",
      key: { id: 4 },
    });
    expect(await run(null)).toMatchObject({ op: "delete", key: { id: 4 } });
  });
});
