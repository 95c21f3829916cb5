import { describe, expect, it } from "vitest";
import type { IcebergType, StructType } from "../../../src/iceberg/spec/index.js";
import { checkNesting, MAX_NESTING } from "../../../src/ingest/schema/nesting.js";

const struct = (type: IcebergType): StructType => ({
  type: "struct",
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "deep", required: false, type },
  ],
});
const structs = (n: number): IcebergType =>
  n === 0
    ? "long"
    : { type: "struct", fields: [{ id: 3, name: "a", required: false, type: structs(n - 1) }] };
const lists = (n: number): IcebergType =>
  n === 0 ? "string" : { type: "list", "element-id": 4, element: lists(n - 1), "element-required": false };
const maps = (n: number): IcebergType =>
  n === 0
    ? "int"
    : { type: "map", "key-id": 5, key: "string", "value-id": 6, value: maps(n - 1), "value-required": false };

describe("checkNesting", () => {
  it("accepts records up to MAX_NESTING levels", () => {
    expect(() => checkNesting(struct(structs(MAX_NESTING)))).not.toThrow();
    expect(() => checkNesting(struct(lists(MAX_NESTING)))).not.toThrow();
    expect(() => checkNesting(struct(maps(MAX_NESTING / 2)))).not.toThrow();
    expect(() => checkNesting(struct("string"))).not.toThrow();
  });

  it("refuses deeper records as DECODE_FAILED, counting a map as two levels", () => {
    for (const type of [structs(MAX_NESTING + 1), lists(MAX_NESTING + 1), maps(MAX_NESTING / 2 + 1)]) {
      expect(() => checkNesting(struct(type))).toThrow(
        expect.objectContaining({
          code: "DECODE_FAILED",
          message: `record nests deeper than ${MAX_NESTING} levels`,
        }),
      );
    }
  });

  it("stops descending at the limit (a 100k-deep type does not overflow the stack)", () => {
    let t: IcebergType = "long";
    for (let i = 0; i < 100_000; i++)
      t = { type: "list", "element-id": 1, element: t, "element-required": false };
    expect(() => checkNesting(struct(t))).toThrow(/deeper than/);
  });
});
