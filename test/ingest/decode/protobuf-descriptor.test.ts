import type protobuf from "protobufjs";
import descriptorModule from "protobufjs/ext/descriptor/index.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDecoder,
  type Decoder,
  SchemaRegistryClient,
  wireHeader,
} from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";
import { framed } from "./protobuf-frame.js";
import { type FakeRegistry, startRegistry } from "./registry-server.js";

// Protobuf schemas registered as base64 FileDescriptorProtos (what Confluent's Python, Go and .NET
// serializers register), alone and mixed with .proto text in schema references. The descriptors are
// written here field by field as protoc emits them: fully-qualified type names, map fields as repeated
// `XxxEntry` messages with map_entry set, proto3 `optional` as a synthetic oneof.

const FileDescriptorProto = (descriptorModule as unknown as { FileDescriptorProto: protobuf.Type })
  .FileDescriptorProto;

function input(value: Uint8Array | null, offset = 42n) {
  return { topic: "sales", partition: 1, offset, value, key: null };
}

const T = {
  double: 1,
  int64: 3,
  uint64: 4,
  int32: 5,
  bool: 8,
  string: 9,
  message: 11,
  bytes: 12,
  uint32: 13,
  enum: 14,
  sint64: 18,
} as const;

interface FieldOpts {
  repeated?: boolean;
  required?: boolean;
  typeName?: string;
  oneof?: number;
  proto3Optional?: boolean;
}

function field(name: string, number: number, type: keyof typeof T, opts: FieldOpts = {}) {
  return {
    name,
    number,
    label: opts.repeated ? 3 : opts.required ? 2 : 1,
    type: T[type],
    jsonName: name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()),
    ...(opts.typeName ? { typeName: opts.typeName } : {}),
    ...(opts.oneof !== undefined ? { oneofIndex: opts.oneof } : {}),
    ...(opts.proto3Optional ? { proto3Optional: true } : {}),
  };
}

/** protoc's map-entry message for a map field. */
function entry(name: string, key: ReturnType<typeof field>, value: ReturnType<typeof field>) {
  return { name, field: [key, value], options: { mapEntry: true } };
}

function base64(file: Record<string, unknown>): string {
  const message = FileDescriptorProto.fromObject(file);
  return Buffer.from(FileDescriptorProto.encode(message).finish()).toString("base64");
}

const MONEY_TEXT = `syntax = "proto3";
package shared;
message Money { string currency = 1; int64 units = 2; }
enum Channel { WEB = 0; STORE = 1; }
`;

const MONEY = base64({
  name: "shared/money.proto",
  package: "shared",
  messageType: [{ name: "Money", field: [field("currency", 1, "string"), field("units", 2, "int64")] }],
  enumType: [
    {
      name: "Channel",
      value: [
        { name: "WEB", number: 0 },
        { name: "STORE", number: 1 },
      ],
    },
  ],
  syntax: "proto3",
});

const SALE_TEXT = `syntax = "proto3";
package shop;
import "shared/money.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";

message Header { string source = 1; }
message Sale {
  int64 id = 1;
  shared.Money price = 2;
  repeated Line lines = 3;
  repeated sint64 codes = 4;
  map<string, int64> counts = 5;
  map<int64, shared.Money> refunds = 6;
  oneof contact { string email = 7; int32 phone = 8; }
  Status status = 9;
  shared.Channel channel = 10;
  google.protobuf.Timestamp at = 11;
  google.protobuf.Int64Value discount = 12;
  google.protobuf.Duration ttl = 13;
  google.protobuf.Struct attrs = 14;
  optional string note = 15;
  google.protobuf.Value anything = 16;
  repeated google.protobuf.StringValue aliases = 17;
  message Line { string sku = 1; uint32 qty = 2; map<string, string> meta = 3; }
  enum Status { NEW = 0; PAID = 1; }
}
`;

const SALE = base64({
  name: "shop/sale.proto",
  package: "shop",
  dependency: [
    "shared/money.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/wrappers.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/struct.proto",
  ],
  messageType: [
    { name: "Header", field: [field("source", 1, "string")] },
    {
      name: "Sale",
      field: [
        field("id", 1, "int64"),
        field("price", 2, "message", { typeName: ".shared.Money" }),
        field("lines", 3, "message", { repeated: true, typeName: ".shop.Sale.Line" }),
        field("codes", 4, "sint64", { repeated: true }),
        field("counts", 5, "message", { repeated: true, typeName: ".shop.Sale.CountsEntry" }),
        field("refunds", 6, "message", { repeated: true, typeName: ".shop.Sale.RefundsEntry" }),
        field("email", 7, "string", { oneof: 0 }),
        field("phone", 8, "int32", { oneof: 0 }),
        field("status", 9, "enum", { typeName: ".shop.Sale.Status" }),
        field("channel", 10, "enum", { typeName: ".shared.Channel" }),
        field("at", 11, "message", { typeName: ".google.protobuf.Timestamp" }),
        field("discount", 12, "message", { typeName: ".google.protobuf.Int64Value" }),
        field("ttl", 13, "message", { typeName: ".google.protobuf.Duration" }),
        field("attrs", 14, "message", { typeName: ".google.protobuf.Struct" }),
        field("note", 15, "string", { oneof: 1, proto3Optional: true }),
        field("anything", 16, "message", { typeName: ".google.protobuf.Value" }),
        field("aliases", 17, "message", { repeated: true, typeName: ".google.protobuf.StringValue" }),
      ],
      nestedType: [
        {
          name: "Line",
          field: [
            field("sku", 1, "string"),
            field("qty", 2, "uint32"),
            field("meta", 3, "message", { repeated: true, typeName: ".shop.Sale.Line.MetaEntry" }),
          ],
          nestedType: [entry("MetaEntry", field("key", 1, "string"), field("value", 2, "string"))],
        },
        entry("CountsEntry", field("key", 1, "string"), field("value", 2, "int64")),
        entry(
          "RefundsEntry",
          field("key", 1, "int64"),
          field("value", 2, "message", { typeName: ".shared.Money" }),
        ),
      ],
      enumType: [
        {
          name: "Status",
          value: [
            { name: "NEW", number: 0 },
            { name: "PAID", number: 1 },
          ],
        },
      ],
      oneofDecl: [{ name: "contact" }, { name: "_note" }],
    },
  ],
  syntax: "proto3",
});

const SALE_VALUE = {
  id: "9007199254740993",
  price: { currency: "EUR", units: "1250" },
  lines: [
    { sku: "a-1", qty: 2, meta: { colour: "red" } },
    { sku: "b-2", qty: 4294967295 },
  ],
  codes: ["-1", "9007199254740993", "0"],
  counts: { x: "3", y: "-4" },
  refunds: { "-7": { currency: "USD", units: "5" } },
  phone: 5551234,
  status: 1,
  channel: 1,
  at: { seconds: "1700000000", nanos: 123_456_789 },
  discount: { value: "0" },
  ttl: { seconds: "-90", nanos: -500_000_999 },
  attrs: {
    fields: {
      n: { numberValue: 1.5 },
      s: { stringValue: "x" },
      b: { boolValue: true },
      z: { nullValue: 0 },
      l: {
        listValue: { values: [{ numberValue: 1 }, { structValue: { fields: { k: { stringValue: "v" } } } }] },
      },
    },
  },
  anything: { nullValue: 0 },
  aliases: [{ value: "one" }, {}],
};

const SALE_ROW = {
  id: 9007199254740993n,
  price: { currency: "EUR", units: 1250n },
  lines: [
    { sku: "a-1", qty: 2n, meta: new Map([["colour", "red"]]) },
    { sku: "b-2", qty: 4294967295n, meta: new Map() },
  ],
  codes: [-1n, 9007199254740993n, 0n],
  counts: new Map([
    ["x", 3n],
    ["y", -4n],
  ]),
  refunds: new Map([[-7n, { currency: "USD", units: 5n }]]),
  email: null,
  phone: 5551234,
  status: "PAID",
  channel: "STORE",
  at: 1_700_000_000_123_456n,
  discount: 0n,
  ttl: -90_500_000n,
  attrs: '{"n":1.5,"s":"x","b":true,"z":null,"l":[1,{"k":"v"}]}',
  note: null,
  anything: "null",
  aliases: ["one", ""],
};

const SALE_TYPES = {
  id: "long",
  price: {
    type: "struct",
    fields: [
      { name: "currency", type: "string" },
      { name: "units", type: "long" },
    ],
  },
  lines: {
    type: "list",
    element: {
      type: "struct",
      fields: [
        { name: "sku", type: "string" },
        { name: "qty", type: "long" },
        { name: "meta", type: { type: "map", key: "string", value: "string" } },
      ],
    },
  },
  codes: { type: "list", element: "long" },
  counts: { type: "map", key: "string", value: "long" },
  refunds: { type: "map", key: "long", value: { type: "struct" } },
  email: "string",
  phone: "int",
  status: "string",
  channel: "string",
  at: "timestamptz",
  discount: "long",
  ttl: "long",
  attrs: "string",
  note: "string",
  anything: "string",
  aliases: { type: "list", element: "string" },
};

const MONEY_REF = [{ name: "shared/money.proto", subject: "money-value", version: 1 }];

describe("protobuf schemas as base64 FileDescriptorProtos", () => {
  let registry: FakeRegistry;
  let decoder: Decoder;
  const encode = (id: number, typeName = "shop.Sale", value: object = SALE_VALUE, indexes = [1]) =>
    framed(id, [SALE_TEXT, MONEY_TEXT], typeName, value, indexes);

  beforeEach(async () => {
    registry = await startRegistry();
    decoder = createDecoder({
      format: "protobuf",
      registry: new SchemaRegistryClient({ url: registry.url }),
    });
  });
  afterEach(() => registry.close());

  it("decodes a descriptor schema with a descriptor reference: nested, repeated, maps, oneof, enums, well-known types", async () => {
    registry.bySubject.set("money-value/1", { id: 1, schema: MONEY, schemaType: "PROTOBUF" });
    registry.byId.set(2, { schema: SALE, schemaType: "PROTOBUF", references: MONEY_REF });
    const { row, schema } = await decoder.decode(input(encode(2)));
    expect(row).toEqual(SALE_ROW);
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
    expect(types).toMatchObject(SALE_TYPES);
    expect(Object.keys(types)).toEqual(Object.keys(SALE_TYPES));
    expect(schema.fields.every((f) => !f.required)).toBe(true);
    expect(registry.requests).toEqual(["/schemas/ids/2", "/subjects/money-value/versions/1"]);
  });

  it("gives the same schema and rows as the .proto text, in every mix of forms", async () => {
    const forms: [number, string, string][] = [
      [10, SALE_TEXT, MONEY_TEXT],
      [11, SALE, MONEY],
      [12, SALE, MONEY_TEXT],
      [13, SALE_TEXT, MONEY],
    ];
    const values = [SALE_VALUE, {}, { email: "a@b", note: "", attrs: {}, ttl: {}, lines: [{}] }];
    const results: unknown[] = [];
    for (const [id, sale, money] of forms) {
      registry.bySubject.set(`money-${id}/1`, { id: 100 + id, schema: money, schemaType: "PROTOBUF" });
      registry.byId.set(id, {
        schema: sale,
        schemaType: "PROTOBUF",
        references: [{ name: "shared/money.proto", subject: `money-${id}`, version: 1 }],
      });
      const decoded = [];
      for (const value of values) decoded.push(await decoder.decode(input(encode(id, "shop.Sale", value))));
      results.push(decoded);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[3]).toEqual(results[0]);
    // absent fields with presence are null; scalars without presence their defaults
    const empty = (results[0] as { row: Record<string, unknown> }[])[1]?.row;
    expect(empty).toMatchObject({ id: 0n, price: null, at: null, discount: null, ttl: null, attrs: null });
    expect(empty).toMatchObject({ note: null, anything: null, email: null, phone: null, status: "NEW" });
    const third = (results[0] as { row: Record<string, unknown> }[])[2]?.row;
    expect(third).toMatchObject({ email: "a@b", phone: null, note: "", attrs: "{}", ttl: 0n });
    expect(third?.lines).toEqual([{ sku: "", qty: 0n, meta: new Map() }]);
  });

  it("finds messages by index in a descriptor: [0], [1] and the nested [1, 0]", async () => {
    registry.bySubject.set("money-value/1", { id: 1, schema: MONEY, schemaType: "PROTOBUF" });
    registry.byId.set(2, { schema: SALE, schemaType: "PROTOBUF", references: MONEY_REF });
    const header = await decoder.decode(input(encode(2, "shop.Header", { source: "pos" }, [0])));
    expect(header.row).toEqual({ source: "pos" });
    const line = await decoder.decode(
      input(encode(2, "shop.Sale.Line", { sku: "z", qty: 1, meta: { a: "b" } }, [1, 0])),
    );
    expect(line.row).toEqual({ sku: "z", qty: 1n, meta: new Map([["a", "b"]]) });
    // the map entry messages are not messages of their own: Sale has one nested message, Line
    const e = await failure(decoder.decode(input(encode(2, "shop.Header", {}, [1, 1]))));
    expect(e.message).toMatch(/message index \[1, 1\] is out of range for schema id 2/);
  });

  it("reads proto2 descriptors: required fields are required columns", async () => {
    const proto2 = base64({
      name: "legacy.proto",
      messageType: [
        {
          name: "R",
          field: [field("id", 1, "int64", { required: true }), field("note", 2, "string")],
        },
      ],
    });
    registry.byId.set(3, { schema: proto2, schemaType: "PROTOBUF" });
    const text = 'syntax = "proto2"; message R { required int64 id = 1; optional string note = 2; }';
    const { row, schema } = await decoder.decode(input(framed(3, text, "R", { id: 5 })));
    expect(row).toEqual({ id: 5n, note: null });
    expect(schema.fields.map((f) => [f.name, f.required])).toEqual([
      ["id", true],
      ["note", false],
    ]);
    const missing = Buffer.concat([wireHeader(3), Uint8Array.of(0, 0x12, 0x01, 0x61)]);
    const e = await failure(decoder.decode(input(missing)));
    expect(e.message).toMatch(/missing required 'id'/);
  });

  it("fails undecodable descriptors and unresolvable imports as DECODE_FAILED", async () => {
    registry.byId.set(4, { schema: "AAECAwQF", schemaType: "PROTOBUF" });
    const dated = base64({
      name: "d.proto",
      dependency: ["google/type/date.proto"],
      messageType: [{ name: "D", field: [field("day", 1, "message", { typeName: ".google.type.Date" })] }],
      syntax: "proto3",
    });
    registry.byId.set(5, { schema: dated, schemaType: "PROTOBUF" });
    const bad = await failure(decoder.decode(input(Buffer.concat([wireHeader(4), Uint8Array.of(0)]))));
    expect(bad.code).toBe("DECODE_FAILED");
    expect(bad.message).toMatch(/schema id 4 is not a valid Protobuf schema \(neither .proto text nor a/);
    const e = await failure(decoder.decode(input(Buffer.concat([wireHeader(5), Uint8Array.of(0)]))));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toMatch(/schema id 5 is not a valid Protobuf schema: .*google\.type\.Date/);
    expect(e.message).toMatch(/imports no reference provides: google\/type\/date\.proto/);
    // .proto text that does not parse: protobufjs's message quotes the token, clipped
    registry.byId.set(6, { schema: `${"x".repeat(5000)} ;`, schemaType: "PROTOBUF" });
    const text = await failure(decoder.decode(input(Buffer.concat([wireHeader(6), Uint8Array.of(0)]))));
    expect(text.message).toMatch(/schema id 6 is not a valid Protobuf schema: illegal/);
    expect(text.message.length).toBeLessThan(500);
  });
});
