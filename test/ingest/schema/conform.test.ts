import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { makeSchema, type Schema } from "../../../src/iceberg/spec/index.js";
import { conformJson, conformRow, decimalFromText } from "../../../src/ingest/schema/index.js";

const table: Schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "n", required: false, type: "int" },
  { id: 3, name: "f", required: false, type: "float" },
  { id: 4, name: "d", required: false, type: "double" },
  { id: 5, name: "at", required: false, type: "timestamptz" },
  { id: 6, name: "local", required: false, type: "timestamp" },
  { id: 7, name: "day", required: false, type: "date" },
  { id: 8, name: "t", required: false, type: "time" },
  { id: 9, name: "u", required: false, type: "uuid" },
  { id: 10, name: "amount", required: false, type: "decimal(10, 2)" },
  { id: 11, name: "s", required: false, type: "string" },
  {
    id: 12,
    name: "addr",
    required: false,
    type: {
      type: "struct",
      fields: [
        { id: 13, name: "zip", required: true, type: "string" },
        { id: 14, name: "since", required: false, type: "date" },
      ],
    },
  },
  {
    id: 15,
    name: "tags",
    required: false,
    type: { type: "list", "element-id": 16, element: "long", "element-required": true },
  },
  {
    id: 17,
    name: "props",
    required: false,
    type: {
      type: "map",
      "key-id": 18,
      key: "string",
      "value-id": 19,
      value: "decimal(10, 2)",
      "value-required": false,
    },
  },
  { id: 20, name: "ns", required: false, type: "timestamptz_ns" },
  { id: 21, name: "bin", required: false, type: "fixed[2]" },
]);

function failure(fn: () => unknown): FloeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FloeError) return e;
    throw e;
  }
  throw new Error("expected a FloeError");
}

describe("conformRow", () => {
  it("widens, parses and fills missing columns with null", () => {
    const out = conformRow(table, {
      id: 5,
      n: 7,
      f: 1.5,
      d: 3,
      at: "2024-03-01T12:00:00.123456+01:00",
      local: "2024-03-01 12:00:00",
      day: "2024-02-29",
      t: "13:45:10.5",
      u: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
      amount: "12.5",
      s: "x",
      addr: { zip: "12345", since: 19000, extra: "dropped" },
      tags: [1, 2n],
      props: new Map([
        ["a", 1.25],
        ["b", null],
      ]),
      ns: "2024-03-01T00:00:00.000000001Z",
      bin: Uint8Array.of(1, 2),
      notAColumn: 1,
    });
    expect(out).toEqual({
      id: 5n,
      n: 7,
      f: 1.5,
      d: 3,
      at: 1709290800123456n,
      local: 1709294400000000n,
      day: 19782,
      t: 49510500000n,
      u: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
      amount: 1250n,
      s: "x",
      addr: { zip: "12345", since: 19000 },
      tags: [1n, 2n],
      props: new Map([
        ["a", 125n],
        ["b", null],
      ]),
      ns: 1709251200000000001n,
      bin: Uint8Array.of(1, 2),
    });
    expect(conformRow(table, { id: 1n })).toEqual({
      id: 1n,
      n: null,
      f: null,
      d: null,
      at: null,
      local: null,
      day: null,
      t: null,
      u: null,
      amount: null,
      s: null,
      addr: null,
      tags: null,
      props: null,
      ns: null,
      bin: null,
    });
  });

  it("treats row bigints as the column's representation: micros and unscaled decimals", () => {
    const out = conformRow(table, { id: 1n, at: 1700000000000000n, amount: 1234n, props: { k: 5n } });
    expect(out.at).toBe(1700000000000000n);
    expect(out.amount).toBe(1234n);
    expect(out.props).toEqual(new Map([["k", 5n]]));
  });

  it("converts epoch millis numbers to timestamps and numbers to exact decimals", () => {
    const out = conformRow(table, { id: 1, at: 1700000000123, amount: 0.1, props: { x: 1e2 } });
    expect(out.at).toBe(1700000000123000n);
    // Beyond 2^53 micros (year ~2255) and fractional millis take the exact BigInt path.
    expect(conformRow(table, { id: 1, at: 9007199254741 }).at).toBe(9007199254741000n);
    expect(conformRow(table, { id: 1, at: -8640000000000000 }).at).toBe(-8640000000000000000n);
    expect(conformRow(table, { id: 1, at: 1700000000123.5 }).at).toBe(1700000000123500n);
    expect(conformRow(table, { id: 1, at: -1 }).at).toBe(-1000n);
    expect(out.amount).toBe(10n);
    expect(out.props).toEqual(new Map([["x", 10000n]]));
  });

  it("names the field when a value cannot be converted", () => {
    const e = failure(() => conformRow(table, { id: 1, at: "abc" }));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toBe('field "at": cannot convert "abc" to timestamptz: not an ISO-8601 timestamp');
    expect(e.context.field).toBe("at");
    expect(failure(() => conformRow(table, { id: 1, addr: { zip: 5 } })).message).toContain(
      'field "addr.zip"',
    );
    expect(failure(() => conformRow(table, { id: 1, tags: [1, "x"] })).message).toContain(
      'field "tags.element"',
    );
    expect(failure(() => conformRow(table, { id: 1.5 })).message).toContain("not an integer");
    expect(failure(() => conformRow(table, { id: 1, n: 2 ** 31 })).message).toContain(
      "out of the 32-bit range",
    );
    expect(failure(() => conformRow(table, { id: 1, day: "2023-02-29" })).message).toContain('field "day"');
    expect(failure(() => conformRow(table, { id: 1, u: "not-a-uuid" })).message).toContain("not a UUID");
    expect(failure(() => conformRow(table, { id: 1, amount: "1.234" })).message).toContain(
      "more than 2 fraction digits",
    );
    expect(failure(() => conformRow(table, { id: 1, amount: "123456789.5" })).message).toContain(
      "more than 10 digits",
    );
    expect(failure(() => conformRow(table, { id: 1, s: 5 })).message).toContain("not a string");
    expect(failure(() => conformRow(table, { id: 1, addr: "x" })).message).toContain(
      '"addr": cannot convert "x" to struct',
    );
    expect(failure(() => conformRow(table, { id: 1, bin: Uint8Array.of(1) })).message).toContain(
      "expected 2 bytes",
    );
    expect(failure(() => conformRow(table, { id: 1, t: "25:00" })).message).toContain('field "t"');
    expect(failure(() => conformRow(table, { id: 2n ** 63n })).message).toContain("out of the 64-bit range");
  });

  it("refuses nulls in required columns, struct fields and list elements", () => {
    expect(failure(() => conformRow(table, {})).message).toBe(
      'field "id" is required but the value is null or missing',
    );
    expect(failure(() => conformRow(table, { id: 1, addr: {} })).message).toContain('"addr.zip" is required');
    expect(failure(() => conformRow(table, { id: 1, tags: [1, null] })).message).toContain(
      '"tags.element" is required',
    );
  });

  it("does not read inherited properties as values", () => {
    const t = makeSchema([
      { id: 1, name: "constructor", required: false, type: "string" },
      { id: 2, name: "toString", required: false, type: "string" },
      { id: 3, name: "plain", required: false, type: "string" },
    ]);
    expect(conformRow(t, {})).toEqual({ constructor: null, toString: null, plain: null });
    expect(conformRow(t, { constructor: "c", toString: "s", plain: "p" })).toEqual({
      constructor: "c",
      toString: "s",
      plain: "p",
    });
  });

  it("caches the compiled converter per schema object", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, at: "2024-01-01T00:00:00Z" }));
    const out = rows.map((r) => conformRow(table, r));
    expect(out[999]?.id).toBe(999n);
    expect(out[999]?.at).toBe(1704067200000000n);
  });
});

describe("conformJson", () => {
  const struct = { type: "struct" as const, fields: table.fields };

  it("reads bigints as JSON integers and keeps non-strings as JSON text in string columns", () => {
    const out = conformJson(struct, {
      id: 9007199254740993n,
      at: 1700000000000n,
      amount: 12345678n,
      s: { nested: [1, 2n ** 64n] },
    });
    expect(out.id).toBe(9007199254740993n);
    expect(out.at).toBe(1700000000000000n);
    expect(out.amount).toBe(1234567800n);
    expect(out.s).toBe('{"nested":[1,18446744073709551616]}');
  });

  it("decodes base64 into binary columns", () => {
    expect(conformJson(struct, { id: 1, bin: "AQI=" }).bin).toEqual(Uint8Array.of(1, 2));
    expect(() => conformJson(struct, { id: 1, bin: "!!" })).toThrow(/not base64/);
  });
});

describe("decimalFromText", () => {
  it("is exact, handles exponents and refuses extra fraction digits", () => {
    expect(decimalFromText("-12.5", 2)).toBe(-1250n);
    expect(decimalFromText("1.25e3", 0)).toBe(1250n);
    expect(decimalFromText("1e-7", 7)).toBe(1n);
    expect(decimalFromText("12345678901234567890.12", 2)).toBe(1234567890123456789012n);
    expect(decimalFromText("1.230", 2)).toBe(123n);
    expect(decimalFromText("1.235", 2)).toBe("more than 2 fraction digits");
    expect(decimalFromText("abc", 2)).toBe("not a decimal number");
    expect(decimalFromText(".5", 1)).toBe(5n);
  });
});
