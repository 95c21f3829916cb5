import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { indexById } from "../../../src/iceberg/spec/index.js";
import {
  createDecoder,
  type Decoder,
  SchemaRegistryClient,
  wireHeader,
} from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";
import { framed } from "./protobuf-frame.js";
import { type FakeRegistry, startRegistry } from "./registry-server.js";

function input(value: Uint8Array | null, offset = 42n) {
  return { topic: "orders", partition: 3, offset, value, key: null };
}

const ORDER = `
syntax = "proto3";
package com.acme;

import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Order {
  int64 id = 1;
  int32 qty = 2;
  sint32 delta = 3;
  sfixed32 sfix = 4;
  uint32 count = 5;
  fixed32 fix = 6;
  sint64 big_neg = 7;
  sfixed64 sfix64 = 8;
  uint64 unsigned_big = 9;
  fixed64 fix64 = 10;
  float ratio = 11;
  double score = 12;
  bool paid = 13;
  /** free text */
  string note = 14;
  bytes raw = 15;
  Status status = 16;
  Status unknown_status = 17;
  Customer customer = 18;
  Customer previous = 19;
  repeated string tags = 20;
  repeated Customer people = 21;
  map<string, int64> attrs = 22;
  map<int64, string> by_id = 23;
  map<bool, Customer> flags = 24;
  google.protobuf.Timestamp created = 25;
  google.protobuf.StringValue nickname = 26;
  google.protobuf.Int64Value maybe_long = 27;
  google.protobuf.BoolValue maybe_bool = 28;
  optional int32 opt = 29;
  oneof choice {
    string email = 30;
    int32 phone = 31;
  }
  enum Status {
    NEW = 0;
    DONE = 1;
  }
}

message Customer {
  string name = 1;
  int32 since = 2;
}
`;

const ORDER_VALUE = {
  id: "4611686018427387905", // 2^62 + 1
  qty: -5,
  delta: -7,
  sfix: -8,
  count: 4294967295,
  fix: 4000000000,
  big_neg: "-9007199254740993",
  sfix64: "-2",
  unsigned_big: "9223372036854775807",
  fix64: "12",
  ratio: 0.5,
  score: 1.25,
  paid: true,
  note: "hi",
  raw: Buffer.from([1, 2, 3]),
  status: 1,
  unknown_status: 7,
  customer: { name: "Ann", since: 19000 },
  tags: ["a", "b"],
  people: [{ name: "Bo" }, { name: "Cy", since: 3 }],
  attrs: { x: "1", y: "-1" },
  by_id: { "9007199254740993": "big", "-3": "neg" },
  flags: { true: { name: "T" } },
  created: { seconds: "1700000000", nanos: 123_456_789 },
  nickname: { value: "annie" },
  maybe_long: { value: "0" },
  phone: 5551234,
};

describe("protobuf decoder", () => {
  let registry: FakeRegistry;
  let decoder: Decoder;

  beforeEach(async () => {
    registry = await startRegistry();
    registry.byId.set(1, { schema: ORDER, schemaType: "PROTOBUF" });
    decoder = createDecoder({
      format: "protobuf",
      registry: new SchemaRegistryClient({ url: registry.url }),
    });
  });
  afterEach(() => registry.close());

  it("maps proto3 types to Iceberg and converts values", async () => {
    const { row, schema } = await decoder.decode(input(framed(1, ORDER, "com.acme.Order", ORDER_VALUE)));
    expect(row).toEqual({
      id: 2n ** 62n + 1n,
      qty: -5,
      delta: -7,
      sfix: -8,
      count: 4294967295n,
      fix: 4000000000n,
      big_neg: -9007199254740993n,
      sfix64: -2n,
      unsigned_big: 2n ** 63n - 1n,
      fix64: 12n,
      ratio: 0.5,
      score: 1.25,
      paid: true,
      note: "hi",
      raw: Uint8Array.of(1, 2, 3),
      status: "DONE",
      unknown_status: "7",
      customer: { name: "Ann", since: 19000 },
      previous: null,
      tags: ["a", "b"],
      people: [
        { name: "Bo", since: 0 },
        { name: "Cy", since: 3 },
      ],
      attrs: new Map([
        ["x", 1n],
        ["y", -1n],
      ]),
      by_id: new Map([
        [9007199254740993n, "big"],
        [-3n, "neg"],
      ]),
      flags: new Map([[true, { name: "T", since: 0 }]]),
      created: 1_700_000_000_123_456n,
      nickname: "annie",
      maybe_long: 0n,
      maybe_bool: null,
      opt: null,
      email: null,
      phone: 5551234,
    });
    expect(row.raw).not.toBeInstanceOf(Buffer);
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      id: "long",
      qty: "int",
      delta: "int",
      sfix: "int",
      count: "long",
      fix: "long",
      big_neg: "long",
      sfix64: "long",
      unsigned_big: "long",
      fix64: "long",
      ratio: "float",
      score: "double",
      paid: "boolean",
      note: "string",
      raw: "binary",
      status: "string",
      customer: {
        type: "struct",
        fields: [
          { name: "name", type: "string" },
          { name: "since", type: "int" },
        ],
      },
      tags: { type: "list", element: "string", "element-required": true },
      people: { type: "list", element: { type: "struct" }, "element-required": true },
      attrs: { type: "map", key: "string", value: "long", "value-required": true },
      by_id: { type: "map", key: "long", value: "string" },
      flags: { type: "map", key: "boolean", value: { type: "struct" } },
      created: "timestamptz",
      nickname: "string",
      maybe_long: "long",
      maybe_bool: "boolean",
      opt: "int",
      email: "string",
      phone: "int",
    });
    expect(schema.fields.every((f) => !f.required)).toBe(true);
    expect(schema.fields.find((f) => f.name === "note")?.doc).toBe("free text");
    // local ids: 1..n over every field, element, key and value
    const ids = [...indexById(schema).keys()];
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  });

  it("gives proto3 scalars without presence their defaults, and fields with presence null", async () => {
    const { row } = await decoder.decode(input(framed(1, ORDER, "com.acme.Order", {})));
    expect(row).toMatchObject({
      id: 0n,
      qty: 0,
      count: 0n,
      unsigned_big: 0n,
      ratio: 0,
      paid: false,
      note: "",
      raw: new Uint8Array(0),
      status: "NEW",
      customer: null,
      tags: [],
      attrs: new Map(),
      created: null,
      nickname: null,
      opt: null,
      email: null,
      phone: null,
    });
    const set = await decoder.decode(input(framed(1, ORDER, "com.acme.Order", { opt: 0, email: "" })));
    expect(set.row).toMatchObject({ opt: 0, email: "", phone: null });
  });

  it("hands out one schema object per schema id and message, fetching the schema once", async () => {
    const a = await decoder.decode(input(framed(1, ORDER, "com.acme.Order", { id: 1 })));
    const b = await decoder.decode(input(framed(1, ORDER, "com.acme.Order", { id: 2 })));
    expect(b.schema).toBe(a.schema);
    expect(b.row.id).toBe(2n);
    expect(registry.requests).toEqual(["/schemas/ids/1"]);
  });

  it("fails a uint64 above 2^63-1 with the record's position", async () => {
    const bytes = framed(1, ORDER, "com.acme.Order", {
      unsigned_big: "9223372036854775808",
    });
    const e = await failure(decoder.decode(input(bytes, 7n)));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toMatch(
      /record orders\[3\]@7: .*unsigned_big.*9223372036854775808 is above the long range/,
    );
    expect(e.context).toMatchObject({ topic: "orders", partition: 3, offset: 7n });
  });

  it("resolves the message by its index path, nested types included", async () => {
    const proto = `
      syntax = "proto3";
      package p;
      enum Unused { A = 0; }
      message First { string a = 1; }
      message Second {
        message Inner { int32 x = 1; }
        enum Kind { K = 0; }
        message Other { Inner inner = 1; bool y = 2; }
        Kind kind = 1;
      }`;
    registry.byId.set(2, { schema: proto, schemaType: "PROTOBUF" });
    const first = await decoder.decode(input(framed(2, proto, "p.First", { a: "one" }, [0])));
    expect(first.row).toEqual({ a: "one" });
    const second = await decoder.decode(input(framed(2, proto, "p.Second", {}, [1])));
    expect(second.row).toEqual({ kind: "K" });
    const inner = await decoder.decode(input(framed(2, proto, "p.Second.Inner", { x: 3 }, [1, 0])));
    expect(inner.row).toEqual({ x: 3 });
    const other = await decoder.decode(
      input(framed(2, proto, "p.Second.Other", { inner: { x: 4 }, y: true }, [1, 1])),
    );
    expect(other.row).toEqual({ inner: { x: 4 }, y: true });
    expect(other.schema.fields.map((f) => f.name)).toEqual(["inner", "y"]);
    // [2] and [1, 2] do not exist
    const e = await failure(decoder.decode(input(framed(2, proto, "p.First", {}, [2]))));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toMatch(/message index \[2\] is out of range for schema id 2/);
    const nested = await failure(decoder.decode(input(framed(2, proto, "p.First", {}, [1, 2]))));
    expect(nested.message).toMatch(/message index \[1, 2\] is out of range/);
  });

  it("decodes hand-built wire bytes", async () => {
    registry.byId.set(258, {
      schema: 'syntax = "proto3"; message R { sint64 n = 1; string s = 2; }',
      schemaType: "PROTOBUF",
    });
    // magic 0, id 258, indexes [0], field 1 varint (tag 0x08) zigzag -2 = 3, field 2 len (0x12) 2 "hi"
    const bytes = Uint8Array.of(0, 0, 0, 1, 2, 0, 0x08, 0x03, 0x12, 0x02, 0x68, 0x69);
    const { row, schema } = await decoder.decode(input(bytes));
    expect(row).toEqual({ n: -2n, s: "hi" });
    expect(schema).toEqual({
      type: "struct",
      fields: [
        { id: 1, name: "n", required: false, type: "long" },
        { id: 2, name: "s", required: false, type: "string" },
      ],
    });
  });

  it("parses schema references into one set of types", async () => {
    const money =
      'syntax = "proto3"; package shared; message Money { string currency = 1; int64 units = 2; }';
    const proto = `syntax = "proto3"; package shop; import "shared/money.proto";
      message Sale { shared.Money price = 1; string sku = 2; }`;
    registry.bySubject.set("money-value/3", { id: 9, schema: money, schemaType: "PROTOBUF" });
    registry.byId.set(4, {
      schema: proto,
      schemaType: "PROTOBUF",
      references: [{ name: "shared/money.proto", subject: "money-value", version: 3 }],
    });
    const value = framed(4, [proto, money], "shop.Sale", {
      price: { currency: "EUR", units: 12 },
      sku: "x",
    });
    const { row, schema } = await decoder.decode(input(value));
    expect(row).toEqual({ price: { currency: "EUR", units: 12n }, sku: "x" });
    expect(schema.fields.map((f) => f.name)).toEqual(["price", "sku"]);
    expect(registry.requests).toEqual(["/schemas/ids/4", "/subjects/money-value/versions/3"]);
  });

  it("makes proto2 required fields required columns and fails records that lack them", async () => {
    const proto =
      'syntax = "proto2"; message R { required int64 id = 1; optional string note = 2; optional int32 n = 3 [default = 5]; }';
    registry.byId.set(5, { schema: proto, schemaType: "PROTOBUF" });
    const { row, schema } = await decoder.decode(input(framed(5, proto, "R", { id: 1 })));
    expect(row).toEqual({ id: 1n, note: null, n: null });
    expect(schema.fields.map((f) => f.required)).toEqual([true, false, false]);
    // field 2 only: "id" is missing
    const bytes = Buffer.concat([wireHeader(5), Uint8Array.of(0, 0x12, 0x01, 0x61)]);
    const e = await failure(decoder.decode(input(bytes)));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toMatch(/does not match message R of schema id 5: .*missing required 'id'/);
  });

  it("leaves out fields of empty message types", async () => {
    const proto = `syntax = "proto3"; import "google/protobuf/empty.proto";
      message R { google.protobuf.Empty nothing = 1; int32 n = 2; }`;
    registry.byId.set(6, { schema: proto, schemaType: "PROTOBUF" });
    const bytes = Buffer.concat([wireHeader(6), Uint8Array.of(0, 0x0a, 0x00, 0x10, 0x02)]);
    const { row, schema } = await decoder.decode(input(bytes));
    expect(row).toEqual({ n: 2 });
    expect(schema.fields.map((f) => f.name)).toEqual(["n"]);
  });

  it("refuses recursive messages as SCHEMA_INCOMPATIBLE", async () => {
    const proto = 'syntax = "proto3"; message Node { string name = 1; repeated Node children = 2; }';
    registry.byId.set(7, { schema: proto, schemaType: "PROTOBUF" });
    const bytes = framed(7, proto, "Node", { name: "root" });
    const e = await failure(decoder.decode(input(bytes)));
    expect(e.code).toBe("SCHEMA_INCOMPATIBLE");
    expect(e.message).toMatch(/field "children.element": recursive Protobuf message Node/);
    // the compiled failure is cached: the next record fails alike without another fetch
    await failure(decoder.decode(input(bytes)));
    expect(registry.requests.filter((r) => r === "/schemas/ids/7")).toHaveLength(1);
  });

  it("fails bad records and bad schemas as DECODE_FAILED", async () => {
    registry.byId.set(8, { schema: "{}", schemaType: "AVRO" });
    registry.byId.set(9, { schema: "message {", schemaType: "PROTOBUF" });
    registry.byId.set(10, {
      schema: 'syntax = "proto3"; message R { Missing m = 1; }',
      schemaType: "PROTOBUF",
    });
    const cases: [Uint8Array | null, RegExp][] = [
      [null, /tombstone/],
      [Uint8Array.of(1, 2), /not in Schema Registry wire format/],
      [Buffer.concat([wireHeader(404), Uint8Array.of(0)]), /unknown schema id 404/],
      [Buffer.concat([wireHeader(8), Uint8Array.of(0)]), /schemaType AVRO, expected PROTOBUF/],
      [Buffer.concat([wireHeader(9), Uint8Array.of(0)]), /schema id 9 is not a valid Protobuf schema/],
      [Buffer.concat([wireHeader(10), Uint8Array.of(0)]), /schema id 10 is not a valid Protobuf schema/],
      // field 14 (note) claiming 100 bytes of 1 (protobufjs would cut it short when reading a Buffer)
      [
        Buffer.concat([wireHeader(1), Uint8Array.of(0, 0x72, 100, 0x61)]),
        /does not match message com.acme.Order/,
      ],
    ];
    for (const [value, message] of cases) {
      const e = await failure(decoder.decode(input(value))).catch((x) => {
        throw new Error(`${message}: ${x}`);
      });
      expect(e.code).toBe("DECODE_FAILED");
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/^record orders\[3\]@42: /);
    }
  });

  it("keeps registry outages retryable", async () => {
    registry.failWith = 503;
    const e = await failure(decoder.decode(input(Buffer.concat([wireHeader(1), Uint8Array.of(0)]))));
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.retryable).toBe(true);
  });
});
