import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { compileConnectSchema, isConnectEnvelope } from "../../../src/ingest/change/index.js";

const f = (type: string, field: string, extra: Record<string, unknown> = {}) => ({
  type,
  optional: true,
  field,
  ...extra,
});

const SCHEMA = {
  type: "struct",
  optional: false,
  fields: [
    f("int8", "tiny"),
    f("int16", "small"),
    f("float32", "ratio"),
    f("float64", "score"),
    f("boolean", "ok"),
    f("bytes", "raw"),
    f("bytes", "price", {
      name: "org.apache.kafka.connect.data.Decimal",
      parameters: { scale: "3", "connect.decimal.precision": "12" },
    }),
    f("bytes", "anyscale", { name: "org.apache.kafka.connect.data.Decimal", parameters: { scale: "0" } }),
    f("int32", "cday", { name: "org.apache.kafka.connect.data.Date" }),
    f("int32", "ctime", { name: "org.apache.kafka.connect.data.Time" }),
    f("int64", "cts", { name: "org.apache.kafka.connect.data.Timestamp" }),
    f("int32", "dtime", { name: "io.debezium.time.Time" }),
    f("int64", "dmicrotime", { name: "io.debezium.time.MicroTime" }),
    f("int64", "dnanotime", { name: "io.debezium.time.NanoTime" }),
    f("int64", "dts", { name: "io.debezium.time.Timestamp" }),
    f("int64", "dnanots", { name: "io.debezium.time.NanoTimestamp" }),
    f("string", "uid", { name: "io.debezium.data.Uuid" }),
    f("string", "color", { name: "io.debezium.data.Enum", parameters: { allowed: "red,blue" } }),
    {
      type: "struct",
      optional: true,
      name: "io.debezium.data.VariableScaleDecimal",
      fields: [f("int32", "scale"), f("bytes", "value")],
      field: "vsd",
    },
    { type: "array", optional: true, items: { type: "string", optional: true }, field: "tags" },
    {
      type: "map",
      optional: true,
      keys: { type: "string", optional: false },
      values: { type: "int64", optional: true },
      field: "attrs",
    },
    {
      type: "map",
      optional: true,
      keys: { type: "int32", optional: false },
      values: { type: "string", optional: true },
      field: "byId",
    },
    {
      type: "struct",
      optional: true,
      fields: [f("string", "city"), f("int32", "zip")],
      field: "address",
    },
  ],
};

describe("Kafka Connect JSON schemas", () => {
  it("types fields and converts payload values", () => {
    const c = compileConnectSchema(SCHEMA);
    const types = Object.fromEntries(c.struct.fields.map((x) => [x.name, x.type]));
    expect(types).toMatchObject({
      tiny: "int",
      small: "int",
      ratio: "float",
      score: "double",
      ok: "boolean",
      raw: "binary",
      price: "decimal(12, 3)",
      anyscale: "decimal(38, 0)",
      cday: "date",
      ctime: "time",
      cts: "timestamptz",
      dtime: "time",
      dmicrotime: "time",
      dnanotime: "time",
      dts: "timestamp",
      dnanots: "timestamp_ns",
      uid: "uuid",
      color: "string",
      vsd: "string",
      tags: { type: "list", element: "string", "element-required": false },
      attrs: { type: "map", key: "string", value: "long" },
      byId: { type: "map", key: "int", value: "string" },
      address: { type: "struct" },
    });
    const row = c.toRow({
      tiny: -3,
      small: 300,
      ratio: 0.5,
      score: 2.25,
      ok: false,
      raw: "AQID",
      price: "/4U=", // -123 -> -0.123
      anyscale: "AQ==",
      cday: 19000,
      ctime: 3_600_000,
      cts: 1_700_000_000_123,
      dtime: 1_500,
      dmicrotime: 1_500_000,
      dnanotime: 1_500_000_000,
      dts: 1_700_000_000_123,
      dnanots: 1_700_000_000_123_456_789n,
      uid: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
      color: "red",
      vsd: { scale: 2, value: "MDk=" }, // 12345 at scale 2
      tags: ["a", null],
      attrs: { x: 1 },
      byId: [
        [1, "one"],
        [2, null],
      ],
      address: { city: "Oslo" },
    });
    expect(row).toEqual({
      tiny: -3,
      small: 300,
      ratio: 0.5,
      score: 2.25,
      ok: false,
      raw: Uint8Array.of(1, 2, 3),
      price: -123n,
      anyscale: 1n,
      cday: 19000,
      ctime: 3_600_000_000n,
      cts: 1_700_000_000_123_000n,
      dtime: 1_500_000n,
      dmicrotime: 1_500_000n,
      dnanotime: 1_500_000n,
      dts: 1_700_000_000_123_000n,
      dnanots: 1_700_000_000_123_456_789n,
      uid: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
      color: "red",
      vsd: "123.45",
      tags: ["a", null],
      attrs: new Map([["x", 1n]]),
      byId: new Map([
        [1, "one"],
        [2, null],
      ]),
      address: { city: "Oslo", zip: null },
    });
  });

  it("interns by schema text; a non-struct schema is one column `value`", () => {
    expect(compileConnectSchema(JSON.parse(JSON.stringify(SCHEMA))).struct).toBe(
      compileConnectSchema(SCHEMA).struct,
    );
    const s = compileConnectSchema({ type: "int64", optional: false });
    expect(s.struct.fields).toEqual([{ id: 1, name: "value", required: true, type: "long" }]);
    expect(s.toRow(5)).toEqual({ value: 5n });
  });

  it("a value of the wrong type is DECODE_FAILED naming the field; an unknown type SCHEMA_INCOMPATIBLE", () => {
    const c = compileConnectSchema(SCHEMA);
    let e: unknown;
    try {
      c.toRow({ address: { zip: "x" } });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FloeError);
    expect((e as FloeError).code).toBe("DECODE_FAILED");
    expect((e as FloeError).context.field).toBe("address.zip");
    expect(() => compileConnectSchema({ type: "struct", fields: [f("int128", "x")] })).toThrow(
      expect.objectContaining({ code: "SCHEMA_INCOMPATIBLE" }),
    );
  });

  it("recognises only the two-key schema-and-payload form", () => {
    expect(isConnectEnvelope({ schema: { type: "string" }, payload: "x" })).toBe(true);
    expect(isConnectEnvelope({ schema: null, payload: null })).toBe(true);
    expect(isConnectEnvelope({ schema: "public", payload: 1 })).toBe(false);
    expect(isConnectEnvelope({ schema: { type: "string" }, payload: "x", op: "c" })).toBe(false);
  });
});
