import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { writeParquet } from "../../../src/iceberg/write/arrow-parquet.js";
import { buildTable, type ColumnInput } from "../../../src/iceberg/write/arrow-table.js";
import type { WriteField, WriteType } from "../../../src/iceberg/write/arrow-types.js";
import { fieldIdMetadata } from "../../../src/iceberg/write/field-id.js";
import { readParquetFooter } from "../../../src/iceberg/write/footer.js";
import { computeMetrics, MetricsCollector } from "../../../src/iceberg/write/metrics.js";
import { METRICS_COUNTS, METRICS_FULL, METRICS_NONE } from "../../../src/iceberg/write/metrics-mode.js";
import { nestedTable, TS_MICROS } from "./fixtures.js";

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const one = (type: WriteType, rows: ColumnInput, id = 1) =>
  computeMetrics(buildTable({ fields: [{ id, name: "c", required: false, type }], columns: [rows] }));

describe("computeMetrics on the nested fixture", () => {
  const m = computeMetrics(nestedTable());

  it("counts values and nulls per leaf, with ancestor struct nulls counted as nulls", () => {
    expect(m.recordCount).toBe(3n);
    const counts = Object.fromEntries(
      [...m.valueCounts].map(([id, v]) => [id, [v, m.nullValueCounts.get(id)]]),
    );
    expect(counts).toEqual({
      1: [3n, 0n],
      2: [3n, 1n],
      4: [3n, 1n], // ["x", null, "y"]; the empty and the null list add nothing
      6: [2n, 0n],
      7: [2n, 1n],
      9: [3n, 1n], // payload null in row 2
      10: [3n, 2n],
      12: [3n, 2n],
      14: [2n, 0n], // only row 1 has nums
      15: [3n, 1n],
      16: [3n, 1n],
      17: [3n, 1n],
      18: [3n, 1n],
      19: [3n, 1n],
      20: [3n, 1n],
      21: [3n, 1n],
      22: [3n, 1n],
      23: [3n, 1n],
      24: [3n, 1n],
      25: [3n, 1n],
      26: [3n, 1n],
      27: [3n, 0n],
      30: [3n, 1n], // three element slots, one null element struct
      31: [3n, 2n],
    });
    expect(m.nanValueCounts).toEqual(
      new Map([
        [7, 0n],
        [26, 1n],
        [27, 1n],
      ]),
    );
  });

  it("keeps typed bounds for non-repeated leaves and none inside lists/maps", () => {
    const bounds = Object.fromEntries(
      [...m.lowerBounds].map(([id, lo]) => [id, [lo, m.upperBounds.get(id)]]),
    );
    expect(bounds).toEqual({
      1: [1n, 9_007_199_254_740_993n],
      2: ["alpha", "ünïcødé ✓"],
      9: [-1, 7],
      10: ["in", "in"],
      12: [12_345n, 12_345n],
      15: [-1n, TS_MICROS],
      16: [0n, TS_MICROS],
      17: [-1, 19_783],
      18: [0n, 45_296_000_001n],
      19: [-12_345n, 9_999_999n],
      20: [-1n, 123_456_789_012_345_678n],
      21: [-(10n ** 37n) - 5n, 10n ** 30n],
      23: [hex("01020304"), hex("ff000000")],
      24: [new Uint8Array(0), hex("0001")],
      25: [false, true],
      26: [1.25, 1.25],
      27: [-0, 2.5],
    });
    // uuid 0f1e.. and ff..: Java's signed-long order disagrees with byte order, so no uuid bounds.
    expect(m.lowerBounds.has(22)).toBe(false);
    expect(Object.is(m.lowerBounds.get(27), -0)).toBe(true);
  });

  it("records every leaf's mode (default truncate(16))", () => {
    expect(m.modes.size).toBe(24);
    expect(m.modes.get(2)).toEqual({ kind: "truncate", length: 16 });
  });
});

describe("computeMetrics rules", () => {
  it("applies metrics modes per field id", () => {
    const table = buildTable({
      fields: [
        { id: 1, name: "a", required: false, type: { kind: "int" } },
        { id: 2, name: "b", required: false, type: { kind: "string" } },
        { id: 3, name: "c", required: false, type: { kind: "double" } },
      ],
      columns: { a: [1, 2], b: ["x", null], c: [Number.NaN, 1] },
    });
    const m = computeMetrics(table, {
      defaultMode: METRICS_FULL,
      modes: new Map([
        [1, METRICS_COUNTS],
        [2, METRICS_NONE],
      ]),
    });
    expect([...m.valueCounts.keys()]).toEqual([1, 3]);
    expect(m.modes).toEqual(
      new Map([
        [1, METRICS_COUNTS],
        [2, METRICS_NONE],
        [3, METRICS_FULL],
      ]),
    );
    expect(m.lowerBounds.has(1)).toBe(false);
    expect(m.nullValueCounts.has(2)).toBe(false);
    expect(m.nanValueCounts.get(3)).toBe(1n);
    expect([m.lowerBounds.get(3), m.upperBounds.get(3)]).toEqual([1, 1]);
  });

  it("orders strings by code point (UTF-8 bytes), not UTF-16 units", () => {
    const m = one({ kind: "string" }, ["\uffff", "\u{10000}", "a", "\u00e9"]);
    expect(m.lowerBounds.get(1)).toBe("a");
    expect(m.upperBounds.get(1)).toBe("\u{10000}"); // "\uffff" > "\u{10000}" in UTF-16 order
  });

  it("compares 64-bit values across the int32 word boundary and the sign", () => {
    const m = one({ kind: "long" }, [0x80000000n, 0x7fffffffn, -1n, 2n ** 32n, -(2n ** 32n), 4294967295n]);
    expect([m.lowerBounds.get(1), m.upperBounds.get(1)]).toEqual([-(2n ** 32n), 2n ** 32n]);
    const ext = one({ kind: "long" }, [0n, 2n ** 63n - 1n, -(2n ** 63n)]);
    expect([ext.lowerBounds.get(1), ext.upperBounds.get(1)]).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    const pos = one({ kind: "timestamptz" }, [0x1_0000_0001n, 0x1_ffff_ffffn, 0x1_8000_0000n]);
    expect([pos.lowerBounds.get(1), pos.upperBounds.get(1)]).toEqual([0x1_0000_0001n, 0x1_ffff_ffffn]);
  });

  it("compares 128-bit decimals as signed", () => {
    const vals = [-1n, 0n, 2n ** 64n, -(2n ** 64n), 2n ** 96n + 5n, -(2n ** 96n), 4294967296n];
    const m = one({ kind: "decimal", precision: 38, scale: 0 }, vals);
    expect([m.lowerBounds.get(1), m.upperBounds.get(1)]).toEqual([-(2n ** 96n), 2n ** 96n + 5n]);
  });

  it("widens zero bounds to -0.0 / +0.0 and skips NaN and null-only columns", () => {
    const zeros = one({ kind: "double" }, [0, 0]);
    expect(Object.is(zeros.lowerBounds.get(1), -0)).toBe(true);
    expect(Object.is(zeros.upperBounds.get(1), 0)).toBe(true);
    const negZeros = one({ kind: "float" }, [-0, Number.NaN]);
    expect(Object.is(negZeros.upperBounds.get(1), 0)).toBe(true);
    const nan = one({ kind: "double" }, [Number.NaN, null]);
    expect(nan.nanValueCounts.get(1)).toBe(1n);
    expect(nan.lowerBounds.has(1)).toBe(false);
    const empty = one({ kind: "string" }, [null, null]);
    expect([empty.valueCounts.get(1), empty.nullValueCounts.get(1), empty.lowerBounds.has(1)]).toEqual([
      2n,
      2n,
      false,
    ]);
    const f32 = one({ kind: "float" }, [1.1, -3.3]);
    expect([f32.lowerBounds.get(1), f32.upperBounds.get(1)]).toEqual([Math.fround(-3.3), Math.fround(1.1)]);
  });

  it("keeps uuid bounds only when signed-long and byte order agree; fixed always uses byte order", () => {
    const low = "10000000-0000-0000-0000-000000000000";
    const mid = "20000000-0000-0000-0000-000000000001";
    const high = "90000000-0000-0000-0000-000000000000";
    const agree = one({ kind: "uuid" }, [mid, low]);
    expect([agree.lowerBounds.get(1), agree.upperBounds.get(1)]).toEqual([
      hex("10".padEnd(32, "0")),
      hex(`20${"0".repeat(29)}1`),
    ]);
    expect(one({ kind: "uuid" }, [low, high]).lowerBounds.has(1)).toBe(false);
    const lsb = one({ kind: "uuid" }, [
      "10000000-0000-0000-0000-000000000000",
      "10000000-0000-0000-8000-000000000000",
    ]);
    expect(lsb.lowerBounds.has(1)).toBe(false);
    const fixed = one({ kind: "fixed", length: 16 }, [hex("10".padEnd(32, "0")), hex("90".padEnd(32, "0"))]);
    expect([fixed.lowerBounds.get(1), fixed.upperBounds.get(1)]).toEqual([
      hex("10".padEnd(32, "0")),
      hex("90".padEnd(32, "0")),
    ]);
  });

  it("honours Arrow slice offsets (values, offsets and validity bits)", () => {
    const table = buildTable({
      fields: [
        { id: 1, name: "s", required: false, type: { kind: "string" } },
        { id: 2, name: "b", required: false, type: { kind: "boolean" } },
        { id: 3, name: "n", required: false, type: { kind: "long" } },
        {
          id: 4,
          name: "st",
          required: false,
          type: { kind: "struct", fields: [{ id: 5, name: "x", required: false, type: { kind: "int" } }] },
        },
        {
          id: 6,
          name: "l",
          required: false,
          type: { kind: "list", elementId: 7, elementRequired: false, element: { kind: "int" } },
        },
      ],
      columns: {
        s: ["zzz", null, "mmm", "bbb", null, "aaa", "yyy", "ccc", "ddd", "eee"],
        b: [true, true, false, false, null, false, false, false, false, true],
        n: [100n, -100n, 5n, null, 6n, 7n, 8n, 9n, 10n, 11n],
        st: [
          { x: 50 },
          { x: -50 },
          null,
          { x: 3 },
          { x: null },
          { x: 4 },
          { x: 5 },
          null,
          { x: 6 },
          { x: 7 },
        ],
        l: [[99], [-99], [1, null], null, [2], [], [3], [4], [5], [6]],
      },
    });
    const m = computeMetrics(table.slice(2, 5)); // rows 2..4
    expect(m.recordCount).toBe(3n);
    expect([m.lowerBounds.get(1), m.upperBounds.get(1), m.nullValueCounts.get(1)]).toEqual([
      "bbb",
      "mmm",
      1n,
    ]);
    expect([m.lowerBounds.get(2), m.upperBounds.get(2), m.nullValueCounts.get(2)]).toEqual([
      false,
      false,
      1n,
    ]);
    expect([m.lowerBounds.get(3), m.upperBounds.get(3), m.nullValueCounts.get(3)]).toEqual([5n, 6n, 1n]);
    expect([m.lowerBounds.get(5), m.upperBounds.get(5), m.nullValueCounts.get(5)]).toEqual([3, 3, 2n]);
    expect([m.valueCounts.get(7), m.nullValueCounts.get(7)]).toEqual([3n, 1n]);
  });

  it("treats a valid child value under a null struct as null, like Parquet does", () => {
    const table = buildTable({
      fields: [
        {
          id: 1,
          name: "st",
          required: false,
          type: { kind: "struct", fields: [{ id: 2, name: "x", required: true, type: { kind: "int" } }] },
        },
      ],
      columns: {
        st: {
          kind: "struct",
          length: 3,
          nulls: Uint8Array.of(0, 1, 0),
          children: { x: Int32Array.of(1, 1000, 3) },
        },
      },
    });
    const m = computeMetrics(table);
    expect([m.valueCounts.get(2), m.nullValueCounts.get(2)]).toEqual([3n, 1n]);
    expect([m.lowerBounds.get(2), m.upperBounds.get(2)]).toEqual([1, 3]);
    const footer = readParquetFooter(writeParquet(table));
    expect(footer.rowGroups[0]!.columns[0]!.nullCount).toBe(1n);
  });

  it("accumulates across batches with a collector", () => {
    const fields: WriteField[] = [{ id: 1, name: "s", required: false, type: { kind: "string" } }];
    const a = buildTable({ fields, columns: [["m", null]] });
    const b = buildTable({ fields, columns: [["z", "a", null]] });
    const c = new MetricsCollector(a.schema);
    c.addTable(a);
    c.addBatch(b.batches[0]!);
    const m = c.result();
    expect([m.recordCount, m.valueCounts.get(1), m.nullValueCounts.get(1)]).toEqual([5n, 5n, 2n]);
    expect([m.lowerBounds.get(1), m.upperBounds.get(1)]).toEqual(["a", "z"]);
  });

  it("rejects Arrow types Iceberg has no metrics for, and fields without ids", () => {
    const int16 = new arrow.Schema([new arrow.Field("x", new arrow.Int16(), true, fieldIdMetadata(1))]);
    expect(() => new MetricsCollector(int16)).toThrow(expect.objectContaining({ code: "UNSUPPORTED" }));
    const noId = new arrow.Schema([new arrow.Field("x", new arrow.Int32(), true)]);
    expect(() => new MetricsCollector(noId)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});

describe("computeMetrics against a reference and the Parquet footer", () => {
  it("matches naive JS metrics and Parquet's own null counts on random data", () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const n = 5000;
    const maybe = <T>(v: T) => (rand() < 0.1 ? null : v);
    const ints = Array.from({ length: n }, () => maybe(Math.floor((rand() - 0.5) * 2 ** 31)));
    const longs = Array.from({ length: n }, () =>
      maybe(BigInt(Math.floor((rand() - 0.5) * 2 ** 52)) * 1023n),
    );
    const doubles = Array.from({ length: n }, () => maybe(rand() < 0.05 ? Number.NaN : (rand() - 0.5) * 1e6));
    const alphabet = ["a", "Z", "é", "€", "😀", "\uffff", "0"];
    const strs = Array.from({ length: n }, () =>
      maybe(
        Array.from(
          { length: 1 + Math.floor(rand() * 6) },
          () => alphabet[Math.floor(rand() * alphabet.length)],
        ).join(""),
      ),
    );
    const structs = Array.from({ length: n }, (_, i) => maybe({ v: ints[(i * 7) % n] ?? null }));
    const table = buildTable({
      fields: [
        { id: 1, name: "i", required: false, type: { kind: "int" } },
        { id: 2, name: "l", required: false, type: { kind: "long" } },
        { id: 3, name: "d", required: false, type: { kind: "double" } },
        { id: 4, name: "s", required: false, type: { kind: "string" } },
        {
          id: 5,
          name: "st",
          required: false,
          type: { kind: "struct", fields: [{ id: 6, name: "v", required: false, type: { kind: "int" } }] },
        },
      ],
      columns: { i: ints, l: longs, d: doubles, s: strs, st: structs },
    });
    const m = computeMetrics(table);

    const present = <T>(xs: (T | null)[]) => xs.filter((x): x is T => x !== null);
    const minMax = <T>(xs: T[], cmp: (a: T, b: T) => number) => [
      xs.reduce((a, b) => (cmp(b, a) < 0 ? b : a)),
      xs.reduce((a, b) => (cmp(b, a) > 0 ? b : a)),
    ];
    const num = (a: number, b: number) => a - b;
    const big = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
    const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const structVals = structs.map((s) => (s === null ? null : s.v));

    expect([m.lowerBounds.get(1), m.upperBounds.get(1)]).toEqual(minMax(present(ints), num));
    expect([m.lowerBounds.get(2), m.upperBounds.get(2)]).toEqual(minMax(present(longs), big));
    expect([m.lowerBounds.get(3), m.upperBounds.get(3)]).toEqual(
      minMax(
        present(doubles).filter((d) => !Number.isNaN(d)),
        num,
      ),
    );
    expect([m.lowerBounds.get(4), m.upperBounds.get(4)]).toEqual(minMax(present(strs), utf8));
    expect([m.lowerBounds.get(6), m.upperBounds.get(6)]).toEqual(minMax(present(structVals), num));
    expect(m.nanValueCounts.get(3)).toBe(BigInt(present(doubles).filter((d) => Number.isNaN(d)).length));

    // Parquet's null_count (computed by arrow-rs from definition levels) agrees, struct child included.
    const footer = readParquetFooter(writeParquet(table, { rowGroupRows: 1500 }));
    const parquetNulls = new Map<number, bigint>();
    for (const rg of footer.rowGroups) {
      for (const [k, c] of rg.columns.entries()) {
        const id = footer.leaves[k]!.fieldId!;
        parquetNulls.set(id, (parquetNulls.get(id) ?? 0n) + c.nullCount!);
      }
    }
    expect(m.nullValueCounts).toEqual(parquetNulls);
    expect([...m.valueCounts.values()].every((v) => v === BigInt(n))).toBe(true);
  });
});
