import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { makeSchema, type Schema, type StructType, validateSchema } from "../../../src/iceberg/spec/index.js";
import { evolveSchema } from "../../../src/ingest/schema/index.js";

const table: Schema = makeSchema(
  [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "n", required: false, type: "int" },
    { id: 3, name: "ratio", required: false, type: "float" },
    { id: 4, name: "price", required: false, type: "decimal(9, 2)" },
    {
      id: 5,
      name: "address",
      required: false,
      type: { type: "struct", fields: [{ id: 6, name: "city", required: false, type: "string" }] },
    },
    {
      id: 7,
      name: "tags",
      required: false,
      type: { type: "list", "element-id": 8, element: "int", "element-required": false },
    },
    {
      id: 9,
      name: "props",
      required: false,
      type: {
        type: "map",
        "key-id": 10,
        key: "string",
        "value-id": 11,
        value: "string",
        "value-required": false,
      },
    },
    { id: 12, name: "at", required: false, type: "timestamptz" },
  ],
  3,
  [1],
);

function record(fields: StructType["fields"]): StructType {
  return { type: "struct", fields };
}

function incompatible(rec: StructType): FloeError {
  try {
    evolveSchema(table, rec, 12);
  } catch (e) {
    if (e instanceof FloeError) return e;
    throw e;
  }
  throw new Error("expected SCHEMA_INCOMPATIBLE");
}

describe("evolveSchema", () => {
  it("returns the table schema unchanged for a matching or narrower record", () => {
    const rec = record([
      { id: 1, name: "id", required: true, type: "int" }, // int into long: fine
      { id: 2, name: "n", required: true, type: "int" }, // required into optional: fine
      { id: 3, name: "price", required: false, type: "decimal(5, 2)" }, // narrower decimal
    ]);
    const out = evolveSchema(table, rec, 12);
    expect(out.changed).toBe(false);
    expect(out.schema).toBe(table);
    expect(out.lastColumnId).toBe(12);
    expect(out.changes).toEqual([]);
  });

  it("adds new top-level and nested fields as optional columns with fresh ids", () => {
    const rec = record([
      { id: 1, name: "id", required: true, type: "long" },
      {
        id: 2,
        name: "address",
        required: true,
        type: {
          type: "struct",
          fields: [
            { id: 3, name: "city", required: true, type: "string" },
            { id: 4, name: "zip", required: true, type: "string" },
          ],
        },
      },
      {
        id: 5,
        name: "points",
        required: true,
        type: {
          type: "list",
          "element-id": 6,
          "element-required": true,
          element: { type: "struct", fields: [{ id: 7, name: "x", required: true, type: "double" }] },
        },
      },
    ]);
    const out = evolveSchema(table, rec, 12);
    expect(out.changed).toBe(true);
    expect(out.lastColumnId).toBe(16);
    expect(out.changes).toEqual([
      "added column address.zip: string",
      "added column points: list<struct<x: double>>",
    ]);
    const address = out.schema.fields.find((f) => f.name === "address");
    expect(address?.type).toEqual({
      type: "struct",
      fields: [
        { id: 6, name: "city", required: false, type: "string" },
        { id: 13, name: "zip", required: false, type: "string" },
      ],
    });
    expect(out.schema.fields.at(-1)).toEqual({
      id: 14,
      name: "points",
      required: false,
      type: {
        type: "list",
        "element-id": 15,
        "element-required": false,
        element: { type: "struct", fields: [{ id: 16, name: "x", required: false, type: "double" }] },
      },
    });
    expect(out.schema["schema-id"]).toBe(3);
    expect(out.schema["identifier-field-ids"]).toEqual([1]);
    validateSchema(out.schema);
    // the input is not mutated
    expect(table.fields).toHaveLength(8);
  });

  it("widens int -> long, float -> double and decimal precision, in lists and map values too", () => {
    const rec = record([
      { id: 9, name: "id", required: true, type: "long" },
      { id: 1, name: "n", required: false, type: "long" },
      { id: 2, name: "ratio", required: false, type: "double" },
      { id: 3, name: "price", required: false, type: "decimal(18, 2)" },
      {
        id: 4,
        name: "tags",
        required: false,
        type: { type: "list", "element-id": 5, element: "long", "element-required": false },
      },
    ]);
    const out = evolveSchema(table, rec, 12);
    expect(out.changed).toBe(true);
    expect(out.lastColumnId).toBe(12);
    const byName = new Map(out.schema.fields.map((f) => [f.name, f]));
    expect(byName.get("n")).toEqual({ id: 2, name: "n", required: false, type: "long" });
    expect(byName.get("ratio")?.type).toBe("double");
    expect(byName.get("price")?.type).toBe("decimal(18, 2)");
    expect(byName.get("tags")?.type).toEqual({
      type: "list",
      "element-id": 8,
      element: "long",
      "element-required": false,
    });
    expect(out.changes).toEqual([
      "widened column n from int to long",
      "widened column ratio from float to double",
      "widened column price from decimal(9, 2) to decimal(18, 2)",
      "widened column tags.element from int to long",
    ]);
    const mapped = makeSchema([
      {
        id: 1,
        name: "m",
        required: false,
        type: {
          type: "map",
          "key-id": 2,
          key: "string",
          "value-id": 3,
          value: "int",
          "value-required": false,
        },
      },
    ]);
    const widened = evolveSchema(
      mapped,
      record([
        {
          id: 1,
          name: "m",
          required: false,
          type: {
            type: "map",
            "key-id": 5,
            key: "string",
            "value-id": 6,
            value: "long",
            "value-required": true,
          },
        },
      ]),
      3,
    );
    expect(widened.changes).toEqual(["widened column m.value from int to long"]);
    expect(widened.schema.fields[0]?.type).toEqual({
      type: "map",
      "key-id": 2,
      key: "string",
      "value-id": 3,
      value: "long",
      "value-required": false,
    });
  });

  it("names the path, record type and column type for string -> long", () => {
    const e = incompatible(record([{ id: 1, name: "id", required: true, type: "string" }]));
    expect(e.code).toBe("SCHEMA_INCOMPATIBLE");
    expect(e.message).toBe('field "id": record type string cannot be written to column type long');
  });

  it("rejects nested mismatches with the dotted path", () => {
    const e = incompatible(
      record([
        { id: 1, name: "id", required: true, type: "long" },
        {
          id: 2,
          name: "address",
          required: false,
          type: { type: "struct", fields: [{ id: 3, name: "city", required: false, type: "long" }] },
        },
      ]),
    );
    expect(e.message).toContain(
      'field "address.city": record type long cannot be written to column type string',
    );
  });

  it("rejects struct vs primitive, decimal scale changes, list element narrowing and map key widening", () => {
    const id = { id: 1, name: "id", required: true, type: "long" } as const;
    expect(
      incompatible(record([id, { id: 2, name: "address", required: false, type: "string" }])).message,
    ).toContain('field "address": record type string cannot be written to column type struct<city: string>');
    expect(
      incompatible(record([id, { id: 2, name: "price", required: false, type: "decimal(9, 3)" }])).message,
    ).toContain("decimal scale cannot change");
    expect(
      incompatible(
        record([
          id,
          {
            id: 2,
            name: "tags",
            required: false,
            type: { type: "list", "element-id": 3, element: "string", "element-required": false },
          },
        ]),
      ).message,
    ).toContain('field "tags.element": record type string cannot be written to column type int');
    const keyed: Schema = makeSchema([
      {
        id: 1,
        name: "m",
        required: false,
        type: { type: "map", "key-id": 2, key: "int", "value-id": 3, value: "int", "value-required": false },
      },
    ]);
    expect(() =>
      evolveSchema(
        keyed,
        record([
          {
            id: 1,
            name: "m",
            required: false,
            type: {
              type: "map",
              "key-id": 2,
              key: "long",
              "value-id": 3,
              value: "int",
              "value-required": false,
            },
          },
        ]),
        3,
      ),
    ).toThrow(/m\.key.*map keys cannot be widened/);
  });

  it("rejects a required column missing from the record, but not an optional one", () => {
    const e = incompatible(record([{ id: 1, name: "n", required: false, type: "int" }]));
    expect(e.message).toBe('field "id": required column is missing from the record');
    expect(
      evolveSchema(table, record([{ id: 1, name: "id", required: false, type: "long" }]), 12).changed,
    ).toBe(false);
  });

  it("accepts per-value conversions: text into timestamps, integers into doubles and decimals, uuid into string", () => {
    const t = makeSchema([
      { id: 1, name: "at", required: false, type: "timestamptz" },
      { id: 2, name: "d", required: false, type: "double" },
      { id: 3, name: "amount", required: false, type: "decimal(10, 2)" },
      { id: 4, name: "s", required: false, type: "string" },
    ]);
    const rec = record([
      { id: 1, name: "at", required: false, type: "string" },
      { id: 2, name: "d", required: false, type: "long" },
      { id: 3, name: "amount", required: false, type: "double" },
      { id: 4, name: "s", required: false, type: "uuid" },
    ]);
    expect(evolveSchema(t, rec, 4).changed).toBe(false);
    // a long's bigint would read as an unscaled decimal: refused
    expect(() =>
      evolveSchema(t, record([{ id: 1, name: "amount", required: false, type: "long" }]), 4),
    ).toThrow(/record type long cannot be written to column type decimal\(10, 2\)/);
  });

  it("matches names case-sensitively", () => {
    const out = evolveSchema(
      table,
      record([
        { id: 1, name: "id", required: true, type: "long" },
        { id: 2, name: "N", required: false, type: "string" },
      ]),
      12,
    );
    expect(out.changes).toEqual(["added column N: string"]);
    expect(out.schema.fields.map((f) => f.name)).toContain("n");
  });

  it("never adds a column whose name no column may have (issue 13)", () => {
    const table = makeSchema([
      { id: 1, name: "id", required: false, type: "long" },
      {
        id: 2,
        name: "a",
        required: false,
        type: { type: "struct", fields: [{ id: 3, name: "b", required: false, type: "long" }] },
      },
    ]);
    const record = (name: string): StructType => ({
      type: "struct",
      fields: [{ id: 1, name, required: false, type: "long" }],
    });
    for (const [name, re] of [
      ["", /field name "" is empty/],
      ["x\u0000", /control character U\+0000/],
      ["é".repeat(128), /256 bytes of UTF-8/],
      ["a.b", /field names "a"."b" and "a.b" collide/],
    ] as const) {
      try {
        evolveSchema(table, record(name), 3);
        expect.unreachable(name);
      } catch (e) {
        expect(e).toBeInstanceOf(FloeError);
        expect((e as FloeError).code).toBe("SCHEMA_INCOMPATIBLE");
        expect((e as FloeError).message).toMatch(re);
      }
    }
    expect(evolveSchema(table, record("c"), 3).changes).toEqual(["added column c: long"]);
  });
});
