import { describe, expect, it } from "vitest";
import type { NestedField } from "../../src/iceberg/spec/index.js";
import { buildTable } from "../../src/iceberg/write/index.js";
import { writeFieldsFromSchema } from "../../src/iceberg/write/schema-mapping.js";
import { ColumnBuilder } from "../../src/ingest/columns.js";

const field = (name: string, type: NestedField["type"]) =>
  writeFieldsFromSchema({
    type: "struct",
    "schema-id": 0,
    fields: [{ id: 1, name, required: false, type }],
  })[0]!;

/** Builds a one-column Arrow table from a builder and reads the values back. */
function roundTrip(b: ColumnBuilder, name: string, type: NestedField["type"], n: number): unknown[] {
  const f = field(name, type);
  const table = buildTable({ fields: [f], columns: { [name]: b.input(f, n) } });
  return table.getChild(name)?.toArray() ? [...(table.getChild(name) ?? [])] : [];
}

describe("column builders", () => {
  it("stores strings as UTF-8 (ASCII and not), with nulls and missing rows, and Arrow reads them back", () => {
    const b = new ColumnBuilder("string");
    b.set(0, "plain");
    b.set(1, null);
    b.set(3, "ünïcødé ✓ 𝄞"); // row 2 missing
    b.set(4, "");
    expect([0, 1, 2, 3, 4].map((i) => b.get(i))).toEqual(["plain", null, null, "ünïcødé ✓ 𝄞", ""]);
    expect(roundTrip(b, "s", "string", 6)).toEqual(["plain", null, null, "ünïcødé ✓ 𝄞", "", null]);
  });

  it("stores ints, longs, doubles and booleans in typed arrays, and Arrow reads them back", () => {
    const i = new ColumnBuilder("int");
    const l = new ColumnBuilder("timestamptz");
    const d = new ColumnBuilder("double");
    const z = new ColumnBuilder("boolean");
    for (let r = 0; r < 1000; r++) {
      i.set(r, r % 7 === 0 ? null : r - 500);
      l.set(r, r % 5 === 0 ? undefined : BigInt(r) * 1_000_000_000n);
      d.set(r, r === 3 ? Number.NaN : r / 4);
      z.set(r, r % 2 === 0);
    }
    const ints = roundTrip(i, "i", "int", 1000);
    expect(ints[0]).toBeNull();
    expect(ints[1]).toBe(-499);
    const longs = roundTrip(l, "l", "timestamptz", 1000);
    expect(longs[0]).toBeNull();
    expect(i.get(999)).toBe(499);
    expect(l.get(999)).toBe(999_000_000_000n);
    expect(d.get(3)).toBeNaN();
    expect(roundTrip(d, "d", "double", 1000)[8]).toBe(2);
    expect(roundTrip(z, "z", "boolean", 1000).slice(0, 3)).toEqual([true, false, true]);
  });

  it("turns into a value array when a value does not fit its kind, keeping every row", () => {
    const b = new ColumnBuilder("int");
    b.set(0, 1);
    b.set(1, 2n ** 40n); // a long in an int column (a wider record schema)
    b.set(2, 3);
    expect([0, 1, 2].map((r) => b.get(r))).toEqual([1, 2n ** 40n, 3]);
    expect(roundTrip(b, "x", "long", 3)).toEqual([1n, 2n ** 40n, 3n]);
  });

  it("overwrites rows (conversion write-back) and picks rows in order", () => {
    const b = new ColumnBuilder("string");
    for (let r = 0; r < 5; r++) b.set(r, `v${r}`);
    b.set(2, "changed");
    expect(b.get(2)).toBe("changed");
    const p = b.pick([4, 2, 0], "string");
    expect([0, 1, 2].map((r) => p.get(r))).toEqual(["v4", "changed", "v0"]);
  });
});
