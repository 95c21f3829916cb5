import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { writeParquet } from "../../../src/iceberg/write/arrow-parquet.js";
import { buildTable } from "../../../src/iceberg/write/arrow-table.js";
import { fieldIdMetadata } from "../../../src/iceberg/write/field-id.js";
import { openProbe, type ParquetProbe, type Row } from "./duckdb-helper.js";
import { NESTED_PARQUET_IDS, nestedTable, TS_MICROS } from "./fixtures.js";

let probe: ParquetProbe;
let nestedFile: string;

beforeAll(async () => {
  probe = await openProbe();
  nestedFile = probe.file(writeParquet(nestedTable()), "nested.parquet");
});
afterAll(() => probe.close());

async function schemaOf(file: string): Promise<Map<string, Row>> {
  const rows = await probe.rows(`select * from parquet_schema('${file}')`);
  return new Map(rows.map((r) => [String(r.name), r]));
}

describe("writeParquet field ids", () => {
  it("puts PARQUET:field_id on every column, nested struct/list/map children included", async () => {
    const rows = await probe.rows(`select name, field_id from parquet_schema('${nestedFile}')`);
    const got = rows.map((r) => [r.name, r.field_id === null ? null : Number(r.field_id)]);
    expect(got).toEqual(NESTED_PARQUET_IDS);
  });

  it("writes the 3-level LIST and the MAP entries layout with the right repetitions", async () => {
    const rows = await probe.rows(
      `select name, repetition_type, converted_type from parquet_schema('${nestedFile}')
       where name in ('tags', 'list', 'attrs', 'entries', 'key', 'value', 'id', 'a')`,
    );
    const byName = (n: string) => rows.filter((r) => r.name === n);
    expect(byName("tags")[0]).toMatchObject({ repetition_type: "OPTIONAL", converted_type: "LIST" });
    expect(byName("list").every((r) => r.repetition_type === "REPEATED")).toBe(true);
    expect(byName("attrs")[0]).toMatchObject({ repetition_type: "OPTIONAL", converted_type: "MAP" });
    expect(byName("entries")[0]).toMatchObject({ repetition_type: "REPEATED" });
    expect(byName("key")[0]).toMatchObject({ repetition_type: "REQUIRED" });
    expect(byName("value")[0]).toMatchObject({ repetition_type: "OPTIONAL" });
    expect(byName("id")[0]).toMatchObject({ repetition_type: "REQUIRED" });
    // payload.a is required inside an optional struct.
    expect(byName("a")[0]).toMatchObject({ repetition_type: "REQUIRED" });
  });

  it("refuses a table whose list element has no field id, naming the path", () => {
    const element = new arrow.Field("element", new arrow.Int32(), true);
    const schema = new arrow.Schema([
      new arrow.Field("xs", new arrow.List(element), true, fieldIdMetadata(1)),
    ]);
    const child = arrow.makeData({ type: new arrow.Int32(), length: 1, data: new Int32Array([5]) });
    const list = arrow.makeData({
      type: schema.fields[0]!.type as arrow.List,
      length: 1,
      valueOffsets: new Int32Array([0, 1]),
      child,
    });
    const batch = new arrow.RecordBatch(
      schema,
      arrow.makeData({ type: new arrow.Struct(schema.fields), length: 1, children: [list] }),
    );
    const err = captureError(() => writeParquet(new arrow.Table(schema, [batch])));
    expect(isFloeError(err, "INVALID_ARGUMENT")).toBe(true);
    expect((err as Error).message).toContain("xs.element");
    // With the check off, arrow-rs writes the file and the element simply has no id.
    expect(writeParquet(new arrow.Table(schema, [batch]), { requireFieldIds: false }).length).toBeGreaterThan(
      0,
    );
  });

  it("refuses duplicate field ids", () => {
    const schema = new arrow.Schema([
      new arrow.Field("a", new arrow.Int32(), true, fieldIdMetadata(1)),
      new arrow.Field("b", new arrow.Int32(), true, fieldIdMetadata(1)),
    ]);
    const err = captureError(() => writeParquet(new arrow.Table(schema)));
    expect((err as Error).message).toMatch(/duplicate field ids: 1 \(a, b\)/);
  });
});

describe("writeParquet physical and logical types", () => {
  it("writes timestamps as INT64 micros with isAdjustedToUTC from the Arrow timezone", async () => {
    const s = await schemaOf(nestedFile);
    expect(s.get("ts")).toMatchObject({ type: "INT64", converted_type: "TIMESTAMP_MICROS" });
    expect(String(s.get("ts")?.logical_type)).toMatch(/isAdjustedToUTC=1.*MICROS=MicroSeconds/);
    expect(s.get("tsn")).toMatchObject({ type: "INT64", converted_type: "TIMESTAMP_MICROS" });
    expect(String(s.get("tsn")?.logical_type)).toMatch(/isAdjustedToUTC=0.*MICROS=MicroSeconds/);
  });

  it("writes date as INT32 DATE and time as INT64 TIME micros (not adjusted to UTC)", async () => {
    const s = await schemaOf(nestedFile);
    expect(s.get("d")).toMatchObject({ type: "INT32", converted_type: "DATE" });
    expect(s.get("t")).toMatchObject({ type: "INT64", converted_type: "TIME_MICROS" });
    expect(String(s.get("t")?.logical_type)).toMatch(/TimeType\(isAdjustedToUTC=0.*MICROS=MicroSeconds/);
  });

  it("writes decimals as INT32 / INT64 / FIXED_LEN_BYTE_ARRAY by precision, with precision and scale", async () => {
    const s = await schemaOf(nestedFile);
    expect(s.get("dec9")).toMatchObject({
      type: "INT32",
      converted_type: "DECIMAL",
      precision: "9",
      scale: "2",
    });
    expect(s.get("dec18")).toMatchObject({
      type: "INT64",
      converted_type: "DECIMAL",
      precision: "18",
      scale: "4",
    });
    expect(s.get("dec38")).toMatchObject({
      type: "FIXED_LEN_BYTE_ARRAY",
      converted_type: "DECIMAL",
      precision: "38",
      scale: "10",
      type_length: "16",
    });
  });

  it("writes uuid as FIXED_LEN_BYTE_ARRAY(16) (no UUID annotation in arrow-rs 56) and fixed[4] as FLBA(4)", async () => {
    const s = await schemaOf(nestedFile);
    expect(s.get("u")).toMatchObject({ type: "FIXED_LEN_BYTE_ARRAY", type_length: "16", logical_type: null });
    expect(s.get("f")).toMatchObject({ type: "FIXED_LEN_BYTE_ARRAY", type_length: "4" });
    expect(s.get("name")).toMatchObject({ type: "BYTE_ARRAY", converted_type: "UTF8" });
    expect(s.get("bin")).toMatchObject({ type: "BYTE_ARRAY", converted_type: null });
    expect(s.get("flag")).toMatchObject({ type: "BOOLEAN" });
    expect(s.get("fl")).toMatchObject({ type: "FLOAT" });
    expect(s.get("db")).toMatchObject({ type: "DOUBLE" });
  });

  it("round-trips the values through a real reader", async () => {
    const rows = await probe.rows(
      `select id::varchar id, name, tags, attrs, payload, epoch_us(ts)::varchar ts, epoch_us(tsn)::varchar tsn,
              d::varchar d, t::varchar t, dec9::varchar dec9, dec18::varchar dec18, dec38::varchar dec38,
              hex(u) u, hex(f) f, hex(bin) bin, flag, fl::varchar fl, db::varchar db, events
       from read_parquet('${nestedFile}') order by id`,
    );
    expect(rows.map((r) => r.id)).toEqual(["1", "2", "9007199254740993"]);
    expect(rows.map((r) => r.name)).toEqual(["alpha", null, "ünïcødé ✓"]);
    expect(rows.map((r) => r.tags)).toEqual([["x", null, "y"], [], null]);
    expect(rows[0]!.attrs).toEqual([{ key: "k1", value: 1.5 }]);
    expect(rows[1]!.attrs).toEqual([{ key: "k2", value: null }]);
    expect(rows[2]!.attrs).toBeNull();
    expect(rows[0]!.payload).toEqual({ a: 7, b: "in", inner: { x: "123.45" }, nums: ["1", "2"] });
    expect(rows[1]!.payload).toBeNull();
    expect(rows[2]!.payload).toEqual({ a: -1, b: null, inner: null, nums: null });
    expect(rows.map((r) => r.ts)).toEqual([String(TS_MICROS), null, "-1"]);
    expect(rows.map((r) => r.tsn)).toEqual([String(TS_MICROS), "0", null]);
    expect(rows.map((r) => r.d)).toEqual(["2024-03-01", null, "1969-12-31"]);
    expect(rows.map((r) => r.t)).toEqual(["12:34:56.000001", null, "00:00:00"]);
    expect(rows.map((r) => r.dec9)).toEqual(["-123.45", "99999.99", null]);
    expect(rows.map((r) => r.dec18)).toEqual(["12345678901234.5678", "-0.0001", null]);
    expect(rows.map((r) => r.dec38)).toEqual([
      "-1000000000000000000000000000.0000000005",
      "100000000000000000000.0000000000",
      null,
    ]);
    expect(rows.map((r) => r.u)).toEqual(["0F1E2D3C4B5A69788796A5B4C3D2E1F0", null, "F".repeat(32)]);
    expect(rows.map((r) => r.f)).toEqual(["01020304", null, "FF000000"]);
    expect(rows.map((r) => r.bin)).toEqual(["0001", "", null]);
    expect(rows.map((r) => r.flag)).toEqual([true, false, null]);
    expect(rows.map((r) => r.fl)).toEqual(["1.25", "nan", null]);
    expect(rows.map((r) => r.db)).toEqual(["-0.0", "2.5", "nan"]);
    expect(rows[0]!.events).toEqual([
      { kind: "open", at: expect.stringContaining("2024-03-01 12:34:56.789012") },
      null,
    ]);
    expect(rows[1]!.events).toBeNull();
    expect(rows[2]!.events).toEqual([{ kind: "close", at: null }]);
  });
});

describe("writeParquet options", () => {
  const ints = (n: number) =>
    buildTable({
      fields: [
        { id: 1, name: "n", required: true, type: { kind: "long" } },
        { id: 2, name: "s", required: false, type: { kind: "string" } },
      ],
      columns: {
        n: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
        s: Array.from({ length: n }, (_, i) => `row-${i % 97}`),
      },
    });

  it("uses zstd by default and honours snappy / uncompressed", async () => {
    const codecs: Record<string, string> = {};
    for (const c of [undefined, "snappy", "uncompressed"] as const) {
      const file = probe.file(writeParquet(ints(1000), c === undefined ? {} : { compression: c }));
      const rows = await probe.rows(`select distinct compression from parquet_metadata('${file}')`);
      codecs[c ?? "default"] = rows.map((r) => r.compression).join(",");
    }
    expect(codecs).toEqual({ default: "ZSTD", snappy: "SNAPPY", uncompressed: "UNCOMPRESSED" });
  });

  it("cuts row groups at rowGroupRows and keeps every row", async () => {
    const file = probe.file(writeParquet(ints(2500), { rowGroupRows: 1000 }));
    const groups = await probe.rows(
      `select row_group_id, any_value(row_group_num_rows)::int n from parquet_metadata('${file}') group by 1 order by 1`,
    );
    expect(groups.map((g) => g.n)).toEqual([1000, 1000, 500]);
    const [sum] = await probe.rows(`select sum(n)::varchar s, count(*)::int c from read_parquet('${file}')`);
    expect(sum).toEqual({ s: String((2499 * 2500) / 2), c: 2500 });
  });

  it("writes extra key/value metadata and created_by", async () => {
    const bytes = writeParquet(ints(3), {
      keyValueMetadata: { "floe.writer": "test" },
      createdBy: "floe test",
    });
    const file = probe.file(bytes);
    const kv = await probe.rows(`select decode(key) k, decode(value) v from parquet_kv_metadata('${file}')`);
    expect(kv).toContainEqual({ k: "floe.writer", v: "test" });
    const [meta] = await probe.rows(`select created_by from parquet_file_metadata('${file}')`);
    expect(meta?.created_by).toBe("floe test");
  });

  it("writes multi-batch tables", async () => {
    const a = ints(10);
    const b = ints(5);
    const table = new arrow.Table(a.schema, [...a.batches, ...b.batches]);
    const file = probe.file(writeParquet(table));
    const [r] = await probe.rows(`select count(*)::int c from read_parquet('${file}')`);
    expect(r?.c).toBe(15);
  });

  it("refuses empty tables, oversized inputs and bad numbers", () => {
    const empty = new arrow.Table(ints(1).schema);
    expect(captureError(() => writeParquet(empty))).toMatchObject({ code: "INVALID_ARGUMENT" });
    const big = captureError(() => writeParquet(ints(10_000), { maxInputBytes: 1024 }));
    expect(big).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((big as Error).message).toMatch(/exceeds the 1024-byte cap/);
    expect(captureError(() => writeParquet(ints(1), { rowGroupRows: 0 }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
