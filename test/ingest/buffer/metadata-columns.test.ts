import { describe, expect, it } from "vitest";
import type { StructType } from "../../../src/iceberg/spec/index.js";
import { buildTable } from "../../../src/iceberg/write/index.js";
import { writeFieldsFromSchema } from "../../../src/iceberg/write/schema-mapping.js";
import { TableBuffer } from "../../../src/ingest/buffer/buffer.js";
import { Float64s, Int32s, int64Of, setInt64 } from "../../../src/ingest/buffer/growable.js";
import { metadataColumns, metadataStruct } from "../../../src/ingest/buffer/metadata-columns.js";
import { buildRoutes } from "../../../src/ingest/route.js";

const [route] = buildRoutes([
  {
    topics: ["a", "b"],
    table: "db.t",
    format: "json",
    partitionBy: [],
    metadataColumns: true,
    onError: "skip",
    evolve: true,
    maxColumns: 1000,
    properties: {},
    mode: "append",
    envelope: "none",
    keyIndexCheckpointSeconds: 60,
    keyIndexMemoryMB: 256,
  },
]);
if (!route) throw new Error("no route");

const EMPTY: StructType = { type: "struct", fields: [] };
const meta = metadataStruct(1);
const fields = writeFieldsFromSchema({ ...meta, "schema-id": 0 });

/** Arrow's view of the metadata columns, row by row. */
function arrowRows(buf: TableBuffer, types = fields): Record<string, unknown>[] {
  const cols = metadataColumns(buf);
  const columns = Object.fromEntries(types.map((f) => [f.name, cols.get(f.name)!.input(f, buf.length)]));
  const table = buildTable({ fields: types, columns });
  return Array.from({ length: buf.length }, (_, i) => {
    const row: Record<string, unknown> = table.get(i)?.toJSON() ?? {};
    const headers = row._kafka_headers as { toJSON(): unknown } | null;
    return { ...row, _kafka_headers: headers ? headers.toJSON() : headers };
  });
}

describe("metadata columns", () => {
  it("hands Arrow typed columns: topics, partitions, offsets, microsecond timestamps, keys, headers", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    const keys = [Buffer.from("k0"), null, Buffer.from([0x66, 0xff, 0x6f]), Buffer.from("ключ")];
    for (let i = 0; i < 4; i++) {
      buf.add({}, EMPTY, {
        topic: i === 2 ? "b" : "a",
        partition: i,
        offset: BigInt(10_000_000_000 + i),
        timestampMs: i === 3 ? -1 : 1_700_000_000_000 + i,
        key: keys[i] ?? null,
        headers:
          i === 1
            ? [
                ["h", Buffer.from("v")],
                ["empty", null],
              ]
            : null,
        value: null,
      });
    }
    const rows = arrowRows(buf);
    expect(rows.map((r) => r._kafka_topic)).toEqual(["a", "a", "b", "a"]);
    expect(rows.map((r) => r._kafka_partition)).toEqual([0, 1, 2, 3]);
    expect(rows.map((r) => r._kafka_offset)).toEqual([0, 1, 2, 3].map((i) => BigInt(10_000_000_000 + i)));
    // Arrow JS reads timestamp[us] back as epoch milliseconds.
    expect(rows.map((r) => r._kafka_timestamp)).toEqual([
      1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002, -1,
    ]);
    const ts = buildTable({
      fields: fields.filter((f) => f.name === "_kafka_timestamp"),
      columns: { _kafka_timestamp: metadataColumns(buf).get("_kafka_timestamp")!.input(fields[3]!, 4) },
    });
    expect([...(ts.getChild("_kafka_timestamp")?.data[0]?.values ?? [])]).toEqual([
      1_700_000_000_000_000n,
      1_700_000_000_001_000n,
      1_700_000_000_002_000n,
      -1000n,
    ]);
    expect(rows.map((r) => r._kafka_key)).toEqual(["k0", null, "f\ufffdo", "ключ"]);
    expect(rows.map((r) => r._kafka_headers)).toEqual([{}, { h: "v", empty: null }, {}, {}]);
  });

  it("checks keys one by one, even when their bytes together would be valid UTF-8", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    const keys = [Buffer.from([0xc3]), Buffer.from([0xa9]), Buffer.from("é"), Buffer.alloc(0)];
    keys.forEach((key, i) => {
      buf.add({}, EMPTY, {
        topic: "a",
        partition: 0,
        offset: BigInt(i),
        timestampMs: 0,
        key,
        headers: null,
        value: null,
      });
    });
    expect(arrowRows(buf).map((r) => r._kafka_key)).toEqual(["\ufffd", "\ufffd", "é", ""]);
  });

  it("repeats a single topic's name for every row", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    for (let i = 0; i < 1000; i++)
      buf.add({}, EMPTY, {
        topic: "a",
        partition: 0,
        offset: BigInt(i),
        timestampMs: 0,
        key: null,
        headers: null,
        value: null,
      });
    const rows = arrowRows(buf);
    expect(new Set(rows.map((r) => r._kafka_topic))).toEqual(new Set(["a"]));
    expect(rows.length).toBe(1000);
  });

  it("gives row values when the table's column has another type (a partition widened to long)", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    buf.add({}, EMPTY, {
      topic: "a",
      partition: 7,
      offset: 1n,
      timestampMs: 0,
      key: null,
      headers: null,
      value: null,
    });
    const widened = fields.map((f) =>
      f.name === "_kafka_partition" ? { ...f, type: { kind: "long" as const } } : f,
    );
    expect(arrowRows(buf, widened as typeof fields)[0]?._kafka_partition).toBe(7n);
    expect(metadataColumns(buf).get("_kafka_offset")?.get(0)).toBe(1n);
  });
});

describe("growable typed arrays", () => {
  it("grow past their capacity, pick rows and write 64-bit integers without BigInts", () => {
    const ints = new Int32s(2);
    const floats = new Float64s(2);
    for (let i = 0; i < 1000; i++) {
      ints.push(-i);
      floats.push(i + 0.5);
    }
    expect(ints.length).toBe(1000);
    expect(ints.at(999)).toBe(-999);
    expect(ints.at(1000)).toBe(0);
    expect([...floats.pick([3, 1]).view()]).toEqual([3.5, 1.5]);
    const edge = [
      0,
      1,
      -1,
      2 ** 32,
      -(2 ** 32),
      2 ** 32 + 5,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    expect([...int64Of(edge)]).toEqual(edge.map((v) => BigInt(v)));
    const out = new BigInt64Array(1);
    setInt64(out, new Uint32Array(out.buffer), 0, -123456789012);
    expect(out[0]).toBe(-123456789012n);
    expect([...int64Of([1_700_000_000_000], 1000)]).toEqual([1_700_000_000_000_000n]);
  });
});
