import { describe, expect, it } from "vitest";
import type { NestedField } from "../../../src/iceberg/spec/index.js";
import { buildTable } from "../../../src/iceberg/write/index.js";
import { writeFieldsFromSchema } from "../../../src/iceberg/write/schema-mapping.js";
import { ColumnBuilder } from "../../../src/ingest/buffer/columns.js";

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

  it("stores uuids and fixed values as bytes and decimals as 16-byte words", () => {
    const u = new ColumnBuilder("uuid");
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    u.set(0, id);
    u.set(1, null);
    u.set(2, Buffer.from(id.replaceAll("-", ""), "hex"));
    expect([0, 1, 2].map((r) => u.get(r))).toEqual([id, null, id]);
    const uf = field("u", "uuid");
    expect(u.input(uf, 3)).toMatchObject({ kind: "fixed", length: 3 });
    const bytes = roundTrip(u, "u", "uuid", 3) as (Uint8Array | null)[];
    expect(Buffer.from(bytes[0] ?? []).toString("hex")).toBe(id.replaceAll("-", ""));
    expect(bytes[1]).toBeNull();

    const f = new ColumnBuilder("fixed[3]");
    f.set(0, Uint8Array.of(1, 2, 3));
    expect([...((roundTrip(f, "f", "fixed[3]", 2)[0] as Uint8Array) ?? [])]).toEqual([1, 2, 3]);

    const d = new ColumnBuilder("decimal(38, 2)");
    const values = [
      12345n,
      -1n,
      0n,
      -(2n ** 100n),
      2n ** 64n + 7n,
      99_999_999_999_999_999_999_999_999_999_999_999_999n,
    ];
    for (const [r, v] of values.entries()) d.set(r, v);
    d.set(values.length, -42); // a safe-integer number
    expect(values.map((_, r) => d.get(r))).toEqual(values);
    expect(d.get(values.length)).toBe(-42n);
    expect(d.input(field("d", "decimal(38, 2)"), 7)).toMatchObject({ kind: "decimal" });
    const arrowValues = roundTrip(d, "d", "decimal(38, 2)", 7) as Uint32Array[];
    const unscaled = (w: Uint32Array) =>
      BigInt.asIntN(
        128,
        [...w].reduceRight((acc, x) => (acc << 32n) | BigInt(x), 0n),
      );
    expect(arrowValues.map(unscaled)).toEqual([...values, -42n]);
  });

  it("falls back to values for a uuid that is not one, or a decimal over its precision", () => {
    const u = new ColumnBuilder("uuid");
    u.set(0, "not-a-uuid");
    expect(u.get(0)).toBe("not-a-uuid");
    expect(Array.isArray(u.input(field("u", "uuid"), 1))).toBe(true);
    const d = new ColumnBuilder("decimal(4, 1)");
    d.set(0, 123n);
    d.set(1, 12345n);
    expect([d.get(0), d.get(1)]).toEqual([123n, 12345n]);
    expect(() => roundTrip(d, "d", "decimal(4, 1)", 2)).toThrow(/does not fit decimal\(4,1\)/);
    // A wider table precision takes the words as they are; another scale gets values.
    const w = new ColumnBuilder("decimal(4, 1)");
    w.set(0, 123n);
    expect(w.input(field("d", "decimal(9, 1)"), 1)).toMatchObject({ kind: "decimal" });
    expect(Array.isArray(w.input(field("d", "decimal(9, 2)"), 1))).toBe(true);
  });

  it("keeps structs as a builder per field and lists as offsets plus an element builder", () => {
    const type = {
      type: "struct" as const,
      fields: [
        { id: 2, name: "os", required: true, type: "string" as const },
        { id: 3, name: "build", required: false, type: "long" as const },
        {
          id: 4,
          name: "tags",
          required: false,
          type: {
            type: "list" as const,
            "element-id": 5,
            element: "string" as const,
            "element-required": false,
          },
        },
      ],
    };
    const b = new ColumnBuilder(type);
    b.set(0, { os: "linux", build: 7, tags: ["a", "b"] });
    b.set(1, null);
    b.set(3, { os: "mac", tags: [] }); // row 2 missing, build missing
    b.set(4, { os: "win", build: 2n ** 40n, tags: [null, "z"] });
    expect(b.get(0)).toEqual({ os: "linux", build: 7n, tags: ["a", "b"] });
    expect(b.get(2)).toBeNull();
    expect(b.get(3)).toEqual({ os: "mac", build: null, tags: [] });
    const f = field("s", type);
    expect(b.input(f, 6)).toMatchObject({ kind: "struct", length: 6 });
    const rows = roundTrip(b, "s", type, 6).map((r) =>
      r === null ? null : (r as { toJSON(): unknown }).toJSON(),
    );
    const plain = rows.map((r) =>
      r === null ? null : { ...(r as object), tags: [...((r as { tags: Iterable<unknown> }).tags ?? [])] },
    );
    expect(plain).toEqual([
      { os: "linux", build: 7n, tags: ["a", "b"] },
      null,
      null,
      { os: "mac", build: null, tags: [] },
      { os: "win", build: 2n ** 40n, tags: [null, "z"] },
      null,
    ]);
  });

  it("turns a struct into values when a record brings a field it has no column for", () => {
    const type = {
      type: "struct" as const,
      fields: [{ id: 2, name: "a", required: false, type: "int" as const }],
    };
    const b = new ColumnBuilder(type);
    b.set(0, { a: 1 });
    b.set(1, { a: 2, b: "new" });
    expect(b.get(0)).toEqual({ a: 1 });
    expect(b.get(1)).toEqual({ a: 2, b: "new" });
    expect(Array.isArray(b.input(field("s", type), 2))).toBe(true);
  });

  it("turns a list into values when a row is written again (lists are append-only)", () => {
    const type = {
      type: "list" as const,
      "element-id": 2,
      element: "int" as const,
      "element-required": true,
    };
    const b = new ColumnBuilder(type);
    b.set(0, [1, 2]);
    b.set(1, [3]);
    b.set(0, [9]);
    expect([b.get(0), b.get(1)]).toEqual([[9], [3]]);
    expect(roundTrip(b, "l", type, 2).map((r) => [...(r as Iterable<number>)])).toEqual([[9], [3]]);
  });
});
