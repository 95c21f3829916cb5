import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { applyDeletes, conformToSchema, parquetToArrow, positionsFor } from "../../src/compaction/index.js";
import { makeSchema, parseNameMapping } from "../../src/iceberg/spec/index.js";
import { fieldIdMetadata, fieldIdOf, writeParquet } from "../../src/iceberg/write/index.js";

// Tables as other engines leave them (PyIceberg/pyarrow large types, pandas dictionaries, Spark INT96
// nanoseconds, millisecond timestamps, narrow ints, decimals of other widths) come out as the Arrow
// types our writer uses for the Iceberg schema, with the same values.

const field = (name: string, type: arrow.DataType, id?: number) =>
  new arrow.Field(name, type, true, id === undefined ? new Map() : fieldIdMetadata(id));

function table(cols: [arrow.Field, arrow.Data][]): arrow.Table {
  const schema = new arrow.Schema(cols.map(([f]) => f));
  const length = cols[0]?.[1].length ?? 0;
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length,
    nullCount: 0,
    children: cols.map(([, d]) => d),
  });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, data));
}

const vec = (values: unknown[], type: arrow.DataType) =>
  arrow.vectorFromArray(values, type as never).data[0] as arrow.Data;

/** Fixed-width data from raw values with a validity list. */
function raw<T extends arrow.DataType>(type: T, values: ArrayLike<unknown>, valid: boolean[]): arrow.Data {
  const bitmap = new Uint8Array((valid.length + 7) >> 3);
  valid.forEach((v, i) => {
    if (v) bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return arrow.makeData({
    type,
    length: valid.length,
    nullCount: valid.filter((v) => !v).length,
    nullBitmap: bitmap,
    data: values,
  } as never);
}

/** Plain JS values of a column, timestamps/times as their raw bigint, decimals as raw words. */
function values(t: arrow.Table, name: string): unknown[] {
  const col = t.getChild(name);
  if (col === null) throw new Error(`no column ${name}`);
  const out: unknown[] = [];
  for (const d of col.data) {
    for (let i = 0; i < d.length; i++) {
      const bit = d.offset + i;
      const valid = !d.nullBitmap || d.nullCount === 0 || ((d.nullBitmap[bit >> 3] ?? 0) >> (bit & 7)) & 1;
      if (!valid) {
        out.push(null);
        continue;
      }
      const type = d.type as arrow.DataType;
      if (arrow.DataType.isTimestamp(type) || arrow.DataType.isTime(type) || arrow.DataType.isInt(type)) {
        out.push((d.values as ArrayLike<number | bigint>)[bit]);
      } else if (arrow.DataType.isDecimal(type)) {
        out.push([...(d.values as Uint32Array).subarray(bit * d.stride, (bit + 1) * d.stride)]);
      } else {
        const v = arrow.makeVector(d).get(i);
        out.push(
          v instanceof Uint8Array ? [...v] : v && typeof v === "object" && "toJSON" in v ? v.toJSON() : v,
        );
      }
    }
  }
  return out.map((v) =>
    Array.isArray(v) || v === null || typeof v !== "object" ? v : JSON.parse(JSON.stringify(v)),
  );
}

const schema = makeSchema([
  { id: 1, name: "s", required: false, type: "string" },
  { id: 2, name: "cat", required: false, type: "string" },
  { id: 3, name: "b", required: false, type: "binary" },
  { id: 4, name: "ts_ms", required: false, type: "timestamptz" },
  { id: 5, name: "ts_ns", required: false, type: "timestamptz" },
  { id: 6, name: "ts_s", required: false, type: "timestamp" },
  {
    id: 7,
    name: "tags",
    required: false,
    type: { type: "list", "element-id": 8, element: "string", "element-required": false },
  },
  { id: 9, name: "small", required: false, type: "int" },
  { id: 10, name: "wide", required: false, type: "long" },
  { id: 11, name: "d", required: false, type: "date" },
  { id: 12, name: "t", required: false, type: "time" },
  {
    id: 13,
    name: "st",
    required: false,
    type: {
      type: "struct",
      fields: [
        { id: 14, name: "a", required: false, type: "int" },
        { id: 15, name: "code", required: false, type: "string" },
      ],
    },
  },
]);

const T0 = 1_704_067_200_000_000n; // 2024-01-01T00:00:00Z in microseconds

function foreignTable(): arrow.Table {
  const stType = new arrow.Struct([
    field("a", new arrow.Int16(), 14),
    field("code", new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()), 15),
  ]);
  const st = arrow.makeData({
    type: stType,
    length: 3,
    nullCount: 0,
    children: [
      raw(new arrow.Int16(), new Int16Array([-7, 0, 300]), [true, false, true]),
      vec(["x", "y", "x"], stType.children[1]?.type as arrow.DataType),
    ],
  });
  return table([
    [field("s", new arrow.LargeUtf8(), 1), vec(["a", null, "ccc"], new arrow.LargeUtf8())],
    [
      field("cat", new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), 2),
      vec(["eu", null, "eu"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    ],
    [
      field("b", new arrow.LargeBinary(), 3),
      vec([new Uint8Array([0, 1]), new Uint8Array([]), null], new arrow.LargeBinary()),
    ],
    [
      field("ts_ms", new arrow.TimestampMillisecond("UTC"), 4),
      raw(new arrow.TimestampMillisecond("UTC"), new BigInt64Array([T0 / 1000n, -1n, 0n]), [
        true,
        true,
        false,
      ]),
    ],
    [
      field("ts_ns", new arrow.TimestampNanosecond(), 5),
      raw(new arrow.TimestampNanosecond(), new BigInt64Array([T0 * 1000n + 999n, -1n, 0n]), [
        true,
        true,
        false,
      ]),
    ],
    [
      field("ts_s", new arrow.TimestampSecond(), 6),
      raw(new arrow.TimestampSecond(), new BigInt64Array([T0 / 1_000_000n, 0n, 1n]), [true, false, true]),
    ],
    [
      field("tags", new arrow.LargeList(field("item", new arrow.LargeUtf8(), 8)), 7),
      vec([["p", null], [], null], new arrow.LargeList(field("item", new arrow.LargeUtf8(), 8))),
    ],
    [
      field("small", new arrow.Int8(), 9),
      raw(new arrow.Int8(), new Int8Array([-128, 0, 127]), [true, true, true]),
    ],
    [
      field("wide", new arrow.Uint32(), 10),
      raw(new arrow.Uint32(), new Uint32Array([4_000_000_000, 0, 1]), [true, false, true]),
    ],
    [
      field("d", new arrow.DateMillisecond(), 11),
      raw(new arrow.DateMillisecond(), new BigInt64Array([86_400_000n * 19_723n, -86_400_000n, 0n]), [
        true,
        true,
        false,
      ]),
    ],
    [
      field("t", new arrow.TimeMillisecond(), 12),
      raw(new arrow.TimeMillisecond(), new Int32Array([1_000, 86_399_999, 0]), [true, true, false]),
    ],
    [field("st", stType, 13), st],
  ]);
}

function expectConformed(c: arrow.Table) {
  expect(c.schema.fields.map((f) => [f.name, fieldIdOf(f), String(f.type)])).toEqual([
    ["s", 1, "Utf8"],
    ["cat", 2, "Utf8"],
    ["b", 3, "Binary"],
    ["ts_ms", 4, "Timestamp<MICROSECOND, UTC>"],
    ["ts_ns", 5, "Timestamp<MICROSECOND, UTC>"],
    ["ts_s", 6, "Timestamp<MICROSECOND>"],
    ["tags", 7, "List<Utf8>"],
    ["small", 9, "Int32"],
    ["wide", 10, "Int64"],
    ["d", 11, "Date32<DAY>"],
    ["t", 12, "Time64<MICROSECOND>"],
    ["st", 13, "Struct<{a:Int32, code:Utf8}>"],
  ]);
  // Every column's data has the writer's type too, not only the schema.
  for (const [i, f] of c.schema.fields.entries()) {
    for (const b of c.batches) expect(String(b.data.children[i]?.type)).toBe(String(f.type));
  }
  expect(values(c, "s")).toEqual(["a", null, "ccc"]);
  expect(values(c, "cat")).toEqual(["eu", null, "eu"]);
  expect(values(c, "b")).toEqual([[0, 1], [], null]);
  expect(values(c, "ts_ms")).toEqual([T0, -1000n, null]);
  // Nanoseconds (INT96) round down to the microsecond, negatives too.
  expect(values(c, "ts_ns")).toEqual([T0, -1n, null]);
  expect(values(c, "ts_s")).toEqual([T0, null, 1_000_000n]);
  expect(values(c, "tags")).toEqual([["p", null], [], null]);
  expect(values(c, "small")).toEqual([-128, 0, 127]);
  expect(values(c, "wide")).toEqual([4_000_000_000n, null, 1n]);
  expect(values(c, "d")).toEqual([19_723, -1, null].map((d) => (d === null ? null : d * 86_400_000)));
  expect(values(c, "t")).toEqual([1_000_000n, 86_399_999_000n, null]);
  expect(values(c, "st")).toEqual([
    { a: -7, code: "x" },
    { a: null, code: "y" },
    { a: 300, code: "x" },
  ]);
}

describe("reading files other engines wrote", () => {
  it("converts large, dictionary, narrow-int and other-unit columns to the writer's types, values unchanged", () => {
    expectConformed(conformToSchema(foreignTable(), schema));
  });

  it("does the same for the Parquet file arrow-rs writes from those columns (what the rewriter reads)", () => {
    const read = parquetToArrow(writeParquet(foreignTable()));
    // The file keeps the large and dictionary types (ARROW:schema), so the conversion is exercised.
    expect(String(read.schema.fields[0]?.type)).toBe("LargeUtf8");
    expect(arrow.DataType.isDictionary(read.schema.fields[1]?.type)).toBe(true);
    expectConformed(conformToSchema(read, schema));
  });

  it("widens decimals of 32, 64 and 256 bits to 128 with the same value, and refuses a scale change", () => {
    const decSchema = makeSchema([
      { id: 1, name: "d32", required: false, type: "decimal(9, 2)" },
      { id: 2, name: "d64", required: false, type: "decimal(18, 2)" },
      { id: 3, name: "d256", required: false, type: "decimal(38, 2)" },
    ]);
    const t = table([
      [
        field("d32", new arrow.Decimal(2, 9, 32), 1),
        raw(new arrow.Decimal(2, 9, 32), new Uint32Array([-5 >>> 0]), [true]),
      ],
      [
        field("d64", new arrow.Decimal(2, 18, 64), 2),
        raw(new arrow.Decimal(2, 18, 64), new Uint32Array([7, 1]), [true]),
      ],
      [
        field("d256", new arrow.Decimal(2, 38, 256), 3),
        raw(
          new arrow.Decimal(2, 38, 256),
          new Uint32Array([0xfffffffe, ~0, ~0, ~0, ~0, ~0, ~0, ~0].map((x) => x >>> 0)),
          [true],
        ),
      ],
    ]);
    const c = conformToSchema(t, decSchema);
    expect(c.schema.fields.map((f) => String(f.type))).toEqual([
      "Decimal[9e+2]",
      "Decimal[18e+2]",
      "Decimal[38e+2]",
    ]);
    const m = 0xffffffff;
    expect(values(c, "d32")).toEqual([[m - 4, m, m, m]]);
    expect(values(c, "d64")).toEqual([[7, 1, 0, 0]]);
    expect(values(c, "d256")).toEqual([[m - 1, m, m, m]]);
    const tooBig = table([
      [
        field("d256", new arrow.Decimal(2, 38, 256), 3),
        raw(new arrow.Decimal(2, 38, 256), new Uint32Array([0, 0, 0, 0, 1, 0, 0, 0]), [true]),
      ],
    ]);
    expect(() => conformToSchema(tooBig, decSchema)).toThrow(/does not fit 128 bits/);
    const otherScale = makeSchema([{ id: 1, name: "d32", required: false, type: "decimal(9, 3)" }]);
    expect(() => conformToSchema(t, otherScale)).toThrow(/cannot be read as/);
  });

  it("reads string and binary views, string columns stored as binary, and all-null columns", () => {
    const s = makeSchema([
      { id: 1, name: "v", required: false, type: "string" },
      { id: 2, name: "bv", required: false, type: "binary" },
      { id: 3, name: "raw", required: false, type: "string" },
      { id: 4, name: "nothing", required: false, type: "long" },
    ]);
    const t = table([
      [
        field("v", new arrow.Utf8View(), 1),
        vec(["a very long string beyond twelve bytes", null, "ab"], new arrow.Utf8View()),
      ],
      [
        field("bv", new arrow.BinaryView(), 2),
        vec([new Uint8Array([9]), null, new Uint8Array()], new arrow.BinaryView()),
      ],
      [
        field("raw", new arrow.Binary(), 3),
        vec([new TextEncoder().encode("é"), null, new Uint8Array()], new arrow.Binary()),
      ],
      [field("nothing", new arrow.Null(), 4), arrow.makeData({ type: new arrow.Null(), length: 3 })],
    ]);
    const c = conformToSchema(t, s);
    expect(c.schema.fields.map((f) => String(f.type))).toEqual(["Utf8", "Binary", "Utf8", "Int64"]);
    expect(values(c, "v")).toEqual(["a very long string beyond twelve bytes", null, "ab"]);
    expect(values(c, "bv")).toEqual([[9], null, []]);
    expect(values(c, "raw")).toEqual(["é", null, ""]);
    expect(values(c, "nothing")).toEqual([null, null, null]);
  });

  it("gives field ids from the table's name mapping to files written without them (migrated tables)", () => {
    const mapping = parseNameMapping(
      JSON.stringify([
        { "field-id": 1, names: ["s", "old_s"] },
        { "field-id": 5, names: ["ts_ns"] },
        { "field-id": 7, names: ["tags"], fields: [{ "field-id": 8, names: ["element"] }] },
        {
          "field-id": 13,
          names: ["st"],
          fields: [
            { "field-id": 14, names: ["a"] },
            { "field-id": 15, names: ["code"] },
          ],
        },
      ]),
    );
    const strip = (f: arrow.Field): arrow.Field => {
      const type = f.type as arrow.DataType;
      const inner = arrow.DataType.isStruct(type)
        ? new arrow.Struct(type.children.map(strip))
        : arrow.DataType.isLargeList(type)
          ? new arrow.LargeList(strip(type.children[0] as arrow.Field))
          : type;
      return new arrow.Field(f.name === "s" ? "old_s" : f.name, inner, f.nullable);
    };
    const src = foreignTable();
    const noIds = new arrow.Table(
      src.batches.map((b) => {
        const sch = new arrow.Schema(src.schema.fields.map(strip));
        return new arrow.RecordBatch(sch, b.data.clone(new arrow.Struct(sch.fields)));
      }),
    );
    expect(noIds.schema.fields.every((f) => fieldIdOf(f) === undefined)).toBe(true);
    expect(() => parseNameMapping('{"field-id": 1}')).toThrow(/schema.name-mapping.default is invalid/);
    expect(() => conformToSchema(noIds, schema)).toThrow(
      /no Parquet field ids and the table has no name mapping/,
    );
    const c = conformToSchema(noIds, schema, "migrated.parquet", { nameMapping: mapping });
    expect(values(c, "s")).toEqual(["a", null, "ccc"]);
    expect(values(c, "ts_ns")).toEqual([T0, -1n, null]);
    expect(values(c, "tags")).toEqual([["p", null], [], null]);
    expect(values(c, "st")).toEqual([
      { a: -7, code: "x" },
      { a: null, code: "y" },
      { a: 300, code: "x" },
    ]);
    // Columns the mapping does not name are read as missing (null), like dropped columns.
    expect(values(c, "cat")).toEqual([null, null, null]);
  });

  it("applies position deletes whose file_path column is a large string", () => {
    const deletes = table([
      [
        field("file_path", new arrow.LargeUtf8(), 2147483546),
        vec(["s3://b/f1.parquet", "s3://b/f2.parquet", "s3://b/f1.parquet"], new arrow.LargeUtf8()),
      ],
      [
        field("pos", new arrow.Int64(), 2147483545),
        raw(new arrow.Int64(), new BigInt64Array([4n, 0n, 9n]), [true, true, true]),
      ],
    ]);
    expect([...positionsFor(deletes, "s3://b/f1.parquet")].sort()).toEqual([4, 9]);
  });

  it("keeps the writer's schema on rows left after deletes, so they join other files' rows in one table", () => {
    const c = conformToSchema(foreignTable(), schema);
    const { table: kept, deleted } = applyDeletes(c, new Set([1]), []);
    expect(deleted).toBe(1);
    const joined = new arrow.Table(c.schema, [...kept.batches, ...c.batches]);
    expect(joined.numRows).toBe(5);
    expect(values(joined, "ts_ns")).toEqual([T0, null, T0, -1n, null]);
    expect(values(joined, "s")).toEqual(["a", "ccc", "a", null, "ccc"]);
  });
});
