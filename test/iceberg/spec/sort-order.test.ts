import { describe, expect, it } from "vitest";
import { makeSchema } from "../../../src/iceberg/spec/schema.js";
import {
  buildSortOrder,
  isUnsorted,
  parseSortOrder,
  SortOrderSchema,
  sortOrdersEquivalent,
  UNSORTED_ORDER_ID,
  unsortedOrder,
} from "../../../src/iceberg/spec/sort-order.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "ts", required: false, type: "timestamp" },
  { id: 3, name: "payload", required: false, type: { type: "struct", fields: [] } },
]);

describe("sort orders", () => {
  it("parses the spec's example", () => {
    const order = parseSortOrder({
      "order-id": 1,
      fields: [
        { transform: "identity", "source-id": 2, direction: "asc", "null-order": "nulls-first" },
        { transform: "bucket[4]", "source-id": 3, direction: "desc", "null-order": "nulls-last" },
      ],
    });
    expect(order.fields[1]).toEqual({
      transform: "bucket[4]",
      "source-id": 3,
      direction: "desc",
      "null-order": "nulls-last",
    });
  });

  it("rejects bad directions and null orders", () => {
    const base = { transform: "identity", "source-id": 1, direction: "asc", "null-order": "nulls-first" };
    expect(SortOrderSchema.safeParse({ "order-id": 1, fields: [{ ...base, direction: "up" }] }).success).toBe(
      false,
    );
    expect(
      SortOrderSchema.safeParse({ "order-id": 1, fields: [{ ...base, "null-order": "first" }] }).success,
    ).toBe(false);
    expect(() => parseSortOrder({ "order-id": 1, fields: [{ ...base, "source-id": undefined }] })).toThrow(
      /no source-id/,
    );
  });

  it("has an unsorted order with id 0", () => {
    expect(unsortedOrder()).toEqual({ "order-id": UNSORTED_ORDER_ID, fields: [] });
    expect(isUnsorted(unsortedOrder())).toBe(true);
  });

  it("builds orders with Java's null-order defaults", () => {
    const order = buildSortOrder(schema, [
      { source: "ts", transform: "day" },
      { source: 1, direction: "desc" },
    ]);
    expect(order).toEqual({
      "order-id": 1,
      fields: [
        { transform: "day", "source-id": 2, direction: "asc", "null-order": "nulls-first" },
        { transform: "identity", "source-id": 1, direction: "desc", "null-order": "nulls-last" },
      ],
    });
    expect(isUnsorted(order)).toBe(false);
    expect(buildSortOrder(schema, [])).toEqual(unsortedOrder());
  });

  it("validates sources and transforms", () => {
    expect(() => buildSortOrder(schema, [{ source: "nope" }])).toThrow(/not in the schema/);
    expect(() => buildSortOrder(schema, [{ source: "payload" }])).toThrow(
      /cannot sort by identity\(payload\)/,
    );
    expect(() => buildSortOrder(schema, [{ source: "id" }], 0)).toThrow(/reserved/);
  });

  it("compares orders ignoring ids", () => {
    const a = buildSortOrder(schema, [{ source: "id" }], 1);
    const b = buildSortOrder(schema, [{ source: "id" }], 5);
    const c = buildSortOrder(schema, [{ source: "id", nullOrder: "nulls-last" }], 1);
    expect(sortOrdersEquivalent(a, b)).toBe(true);
    expect(sortOrdersEquivalent(a, c)).toBe(false);
  });
});
