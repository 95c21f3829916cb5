import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { parseJson } from "../../../src/iceberg/spec/index.js";
import { inferJsonSchema } from "../../../src/ingest/schema/index.js";

describe("inferJsonSchema", () => {
  it("maps JSON types, numbering fields 1..n with nested ids after their struct's fields", () => {
    const value = parseJson(
      '{"id": 12345678901234567890, "n": 3, "x": 1.5, "name": "a", "ok": true, "gone": null,' +
        ' "addr": {"zip": "1", "geo": {"lat": 1}}, "tags": ["a"], "empty": [], "obj": {}}',
    );
    expect(inferJsonSchema(value)).toEqual({
      type: "struct",
      fields: [
        { id: 1, name: "id", required: false, type: "long" },
        { id: 2, name: "n", required: false, type: "long" },
        { id: 3, name: "x", required: false, type: "double" },
        { id: 4, name: "name", required: false, type: "string" },
        { id: 5, name: "ok", required: false, type: "boolean" },
        {
          id: 6,
          name: "addr",
          required: false,
          type: {
            type: "struct",
            fields: [
              { id: 9, name: "zip", required: false, type: "string" },
              {
                id: 10,
                name: "geo",
                required: false,
                type: { type: "struct", fields: [{ id: 11, name: "lat", required: false, type: "long" }] },
              },
            ],
          },
        },
        {
          id: 7,
          name: "tags",
          required: false,
          type: { type: "list", "element-id": 12, element: "string", "element-required": false },
        },
        {
          id: 8,
          name: "empty",
          required: false,
          type: { type: "list", "element-id": 13, element: "string", "element-required": false },
        },
      ],
    });
  });

  it("merges array elements: long and double to double, struct fields united, nulls skipped", () => {
    const schema = inferJsonSchema(
      parseJson('{"a": [1, 2.5, null], "b": [{"x": 1}, {"y": "s"}, {"x": 2.5}]}'),
    );
    expect(schema.fields[0]?.type).toMatchObject({ type: "list", element: "double" });
    expect(schema.fields[1]?.type).toMatchObject({
      type: "list",
      element: {
        type: "struct",
        fields: [
          { name: "x", type: "double" },
          { name: "y", type: "string" },
        ],
      },
    });
  });

  it("rejects arrays mixing types Iceberg cannot unify, naming the path", () => {
    expect(() => inferJsonSchema({ a: { b: [1, "x"] } })).toThrow(
      /field "a\.b\.element": array mixes long and string/,
    );
    let err: unknown;
    try {
      inferJsonSchema({ a: [[1], ["x"]] });
    } catch (e) {
      err = e;
    }
    expect((err as FloeError).code).toBe("SCHEMA_INCOMPATIBLE");
    expect((err as FloeError).message).toContain('"a.element.element"');
  });

  it("rejects NaN, Infinity and non-objects as DECODE_FAILED", () => {
    for (const bad of [{ x: Number.NaN }, { x: { y: Number.POSITIVE_INFINITY } }, [1], "s", null]) {
      let err: unknown;
      try {
        inferJsonSchema(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FloeError);
      expect((err as FloeError).code).toBe("DECODE_FAILED");
    }
    expect(() => inferJsonSchema({ x: Number.NaN })).toThrow(/field "x": NaN is not a valid JSON number/);
  });
});
