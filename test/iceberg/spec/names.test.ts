import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  checkFieldNames,
  checkIdentifierName,
  countFields,
  fieldNameIssue,
  MAX_NAME_BYTES,
  nameProblem,
} from "../../../src/iceberg/spec/names.js";
import type { NestedField, StructType } from "../../../src/iceberg/spec/types.js";

const struct = (...fields: NestedField[]): StructType => ({ type: "struct", fields });
const f = (id: number, name: string, type: NestedField["type"] = "long"): NestedField => ({
  id,
  name,
  required: false,
  type,
});

describe("nameProblem", () => {
  it.each([
    ["", /empty/],
    ["a\u0000b", /control character U\+0000/],
    ["tab\there", /control character U\+0009/],
    ["del\u007f", /U\+007F/],
    ["c1\u0085", /U\+0085/],
    ["lone\ud800", /unpaired surrogate/],
    ["\udc00x", /unpaired surrogate/],
    ["é".repeat(128), /256 bytes of UTF-8, more than 255/],
    ["x".repeat(256), /256 bytes/],
  ])("refuses %j", (name, re) => {
    expect(nameProblem(name)).toMatch(re);
  });

  it.each([
    "id",
    "a.b",
    "with space",
    "_kafka_topic",
    "😀".repeat(63),
    "x".repeat(MAX_NAME_BYTES),
    "é".repeat(127),
  ])("accepts %j", (name) => {
    expect(nameProblem(name)).toBeUndefined();
  });
});

describe("checkIdentifierName", () => {
  it("refuses path-like and over-long names with INVALID_ARGUMENT naming the rule", () => {
    for (const [name, re] of [
      ["a/b", /'\/'/],
      ["a\\b", /'\/' or '\\'/],
      [".", /is "\."/],
      ["..", /is "\.\."/],
      ["é".repeat(200), /400 bytes of UTF-8/],
      ["", /empty/],
    ] as const) {
      try {
        checkIdentifierName("table", name);
        expect.unreachable(name);
      } catch (e) {
        expect(isFloeError(e, "INVALID_ARGUMENT")).toBe(true);
        expect((e as Error).message).toMatch(re);
        expect((e as Error).message).toMatch(/invalid table name/);
      }
    }
    expect(checkIdentifierName("namespace", "db")).toBe("db");
  });
});

describe("field names", () => {
  it("finds empty, duplicate and colliding names with their path", () => {
    expect(fieldNameIssue(struct(f(1, "id"), f(2, "")))).toEqual({
      path: "",
      message: 'field name "" is empty',
    });
    expect(fieldNameIssue(struct(f(1, "a"), f(2, "a")))?.message).toBe(
      'duplicate field name "a" in the schema',
    );
    expect(fieldNameIssue(struct(f(1, "s", struct(f(2, "x"), f(3, "x")))))?.message).toBe(
      'duplicate field name "x" in "s"',
    );
    // Case-sensitive: A and a are two names.
    expect(fieldNameIssue(struct(f(1, "a"), f(2, "A")))).toBeUndefined();
    // A dotted top-level name that equals a nested field's full name.
    expect(fieldNameIssue(struct(f(1, "a", struct(f(2, "b"))), f(3, "a.b")))?.message).toBe(
      'field names "a"."b" and "a.b" collide (both read as "a.b")',
    );
    const inList = struct(
      f(1, "l", { type: "list", "element-id": 2, element: struct(f(3, "")), "element-required": false }),
    );
    expect(fieldNameIssue(inList)?.path).toBe("l.element.");
  });

  it("refuses a reserved prefix at the top level only", () => {
    const opts = { reservedPrefix: "_kafka_", reservedFor: "reserved for Kafka metadata columns" };
    expect(fieldNameIssue(struct(f(1, "_kafka_topic")), opts)?.message).toBe(
      'field name "_kafka_topic" starts with "_kafka_", which is reserved for Kafka metadata columns',
    );
    expect(fieldNameIssue(struct(f(1, "s", struct(f(2, "_kafka_topic")))), opts)).toBeUndefined();
    expect(fieldNameIssue(struct(f(1, "_kafka_topic")))).toBeUndefined();
  });

  it("checkFieldNames throws INVALID_ARGUMENT with the field in its context", () => {
    try {
      checkFieldNames(struct(f(1, "ok"), f(2, "bad\n")));
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "INVALID_ARGUMENT")).toBe(true);
      expect((e as { context: Record<string, unknown> }).context.field).toBe("bad\n");
    }
  });

  it("counts every field id: nested fields, list elements, map keys and values", () => {
    const s = struct(
      f(1, "a"),
      f(2, "s", struct(f(3, "x"), f(4, "y"))),
      f(5, "l", { type: "list", "element-id": 6, element: "int", "element-required": false }),
      f(7, "m", {
        type: "map",
        "key-id": 8,
        key: "string",
        "value-id": 9,
        value: "int",
        "value-required": false,
      }),
    );
    expect(countFields(s)).toBe(9);
  });
});
