import { describe, expect, it } from "vitest";
import type { StructType } from "../../../src/iceberg/spec/index.js";
import { TableBuffer } from "../../../src/ingest/buffer/buffer.js";
import { conformColumns } from "../../../src/ingest/buffer/conform-columns.js";
import { buildRoutes } from "../../../src/ingest/route.js";

const [route] = buildRoutes([
  {
    topics: ["t"],
    table: "db.t",
    format: "json",
    partitionBy: [],
    metadataColumns: true,
    onError: "dlq",
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

const A: StructType = {
  type: "struct",
  fields: [
    { id: 1, name: "id", required: false, type: "long" },
    { id: 2, name: "name", required: false, type: "string" },
  ],
};
const B: StructType = {
  type: "struct",
  fields: [
    { id: 1, name: "id", required: false, type: "long" },
    { id: 2, name: "extra", required: false, type: "int" },
  ],
};

const input = (i: number, partition = 0) => ({
  topic: "t",
  partition,
  offset: BigInt(i),
  timestampMs: 1_700_000_000_000 + i,
  key: i % 2 === 0 ? Buffer.from(`k${i}`) : null,
  headers: i % 3 === 0 ? ([["h", Buffer.from(`v${i}`)]] as [string, Uint8Array][]) : null,
  value: Buffer.from(`{"id":${i}}`),
});

describe("table buffer", () => {
  it("keeps rows as columns aligned by row, with holes where a record lacks a field", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    buf.add({ id: 0n, name: "zero" }, A, input(0));
    buf.add({ id: 1n, extra: 7 }, B, input(1));
    buf.add({ id: 2n, name: "two" }, A, input(2));
    expect(buf.length).toBe(3);
    expect(buf.schemas).toEqual([A, B]);
    expect([...buf.schemaIndex.view()]).toEqual([0, 1, 0]);
    const name = buf.columns.get("name");
    expect([0, 1, 2].map((i) => name?.get(i))).toEqual(["zero", null, "two"]);
    expect(buf.columns.get("extra")?.get(1)).toBe(7);
    expect(buf.columns.get("extra")?.get(2)).toBeNull();
    const rec = buf.recordAt(1);
    expect(rec.row).toEqual({ id: 1n, extra: 7 });
    expect(rec.schema).toBe(B);
    expect(new TextDecoder().decode(rec.value ?? new Uint8Array())).toBe('{"id":1}');
    expect(rec.meta).toMatchObject({
      topic: "t",
      partition: 0,
      offset: 1n,
      timestampMs: 1_700_000_000_001n,
      key: null,
    });
    const first = buf.recordAt(0).meta;
    expect(new TextDecoder().decode(first.key ?? new Uint8Array())).toBe("k0");
    expect(first.headers.map(([k, v]) => [k, new TextDecoder().decode(v ?? new Uint8Array())])).toEqual([
      ["h", "v0"],
    ]);
    expect(buf.ranges.get("t\u00000")).toEqual({ first: 0n, next: 3n });
    expect(buf.newestTimestampMs).toBe(1_700_000_000_002n);
    expect(buf.bytes).toBeGreaterThan(3 * 8 * 3); // at least 3x the value bytes
  });

  it("retains chosen rows in every column, the metadata and the value bytes", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    for (let i = 0; i < 10; i++) buf.add({ id: BigInt(i), name: `n${i}` }, A, input(i));
    buf.retain([1, 4, 9]);
    expect(buf.length).toBe(3);
    expect([0, 1, 2].map((i) => buf.columns.get("name")?.get(i))).toEqual(["n1", "n4", "n9"]);
    expect([...buf.offsets.view()]).toEqual([1, 4, 9]);
    expect(new TextDecoder().decode(buf.recordAt(2).value ?? new Uint8Array())).toBe('{"id":9}');
    expect(new TextDecoder().decode(buf.keyAt(1) ?? new Uint8Array())).toBe("k4");
    expect(buf.keyAt(0)).toBeNull();
  });

  it("buffers into the retained columns after rows were dropped", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    for (let i = 0; i < 4; i++) buf.add({ id: BigInt(i), name: `n${i}` }, A, input(i, i % 2));
    buf.dropPartitions((_t, p) => p === 1);
    buf.add({ id: 9n, name: "n9" }, A, input(9, 1));
    buf.add({ id: 10n, extra: 3 }, B, input(10, 1));
    expect(buf.length).toBe(4);
    expect([0, 1, 2, 3].map((i) => buf.columns.get("name")?.get(i))).toEqual(["n1", "n3", "n9", null]);
    expect([0, 1, 2, 3].map((i) => buf.columns.get("id")?.get(i))).toEqual([1n, 3n, 9n, 10n]);
    expect(buf.columns.get("extra")?.get(3)).toBe(3);
    expect([...buf.schemaIndex.view()]).toEqual([0, 0, 0, 1]);
  });

  it("drops a revoked partition's records and ranges in place, even for 300k records", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    const empty: StructType = { type: "struct", fields: [] };
    for (let i = 0; i < 300_000; i++) buf.add({}, empty, { ...input(i, i % 2), key: null, headers: null });
    const before = buf.bytes;
    buf.dropPartitions((_t, p) => p === 0);
    expect(buf.length).toBe(150_000);
    expect(buf.partitions.view().every((p) => p === 0)).toBe(true);
    expect(buf.offsets.at(1)).toBe(2);
    expect(buf.bytes).toBe(before / 2);
    expect([...buf.ranges.keys()]).toEqual(["t\u00000"]);
  });
});

describe("table buffer: values in field order (addValues)", () => {
  const T: StructType = {
    type: "struct",
    fields: [
      { id: 1, name: "id", required: false, type: "long" },
      { id: 2, name: "at", required: false, type: "timestamptz" },
      { id: 3, name: "name", required: false, type: "string" },
    ],
  };
  /** "at" as text: its builder stores strings, not 64-bit integers. */
  const S: StructType = {
    type: "struct",
    fields: [{ id: 1, name: "at", required: false, type: "string" }],
  };

  it("buffers the same columns, sizes and metadata as add; numbers for 64-bit fields land exactly", () => {
    const byRow = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    const byValues = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    for (let i = 0; i < 3; i++) {
      const at = 1_700_000_000_123_000 + i;
      const a = byRow.add({ id: BigInt(i), at: BigInt(at), name: i === 1 ? null : `n${i}` }, T, input(i));
      const b = byValues.addDecoded(
        { row: {}, schema: T, values: [i, at, i === 1 ? null : `n${i}`] },
        input(i),
      );
      expect(b).toBe(a);
    }
    for (const name of ["id", "at", "name"])
      for (let i = 0; i < 3; i++)
        expect(byValues.columns.get(name)?.get(i)).toEqual(byRow.columns.get(name)?.get(i));
    expect(byValues.columns.get("at")?.get(2)).toBe(1_700_000_000_123_002n);
    expect(byValues.metaAt(2)).toEqual(byRow.metaAt(2));
    expect(byValues.bytes).toBe(byRow.bytes);
  });

  it("gives a builder that does not store 64-bit integers a bigint, as add would", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    buf.add({ at: "2024-01-01" }, S, input(0));
    buf.addValues([5, 1_700_000_000_000_000, "x"], T, input(1));
    // The column turned into plain values; the timestamp is still micros as a bigint, not a number.
    expect(buf.columns.get("at")?.get(1)).toBe(1_700_000_000_000_000n);
    expect(buf.recordAt(1).row).toEqual({ id: 5n, at: 1_700_000_000_000_000n, name: "x" });
  });

  it("keeps a column of doubles when a record's value there is a JSON integer (inferred long)", () => {
    const field = (type: "double" | "long"): StructType => ({
      type: "struct",
      fields: [{ id: 1, name: "amount", required: false, type }],
    });
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    buf.addValues([1.5], field("double"), input(0));
    buf.addValues([2], field("long"), input(1));
    buf.addValues([2.25], field("double"), input(2));
    const col = buf.columns.get("amount");
    expect(col?.float64).toBe(true);
    expect([0, 1, 2].map((i) => col?.get(i))).toEqual([1.5, 2, 2.25]);
  });
});

describe("table buffer: conforming to the table", () => {
  it("converts the records that need it and leaves the string columns in their layout", () => {
    const schema = (amount: "double" | "long"): StructType => ({
      type: "struct",
      fields: [
        { id: 1, name: "name", required: false, type: "string" },
        { id: 2, name: "amount", required: false, type: amount },
      ],
    });
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    buf.add({ name: "a", amount: 1.5 }, schema("double"), input(0));
    buf.add({ name: "b", amount: 2n }, schema("long"), input(1)); // a JSON integer: inferred long
    buf.add({ name: null, amount: 3n }, schema("long"), input(2));
    buf.add({ name: "d", amount: 4.5 }, schema("double"), input(3));
    const table = { "schema-id": 0, ...schema("double") };
    expect(buf.columns.get("amount")?.jsValues).toBe(false); // 2n and 3n are doubles exactly
    expect(conformColumns(buf, table, new Map())).toEqual([]);
    const name = buf.columns.get("name");
    expect([0, 1, 2, 3].map((i) => name?.get(i))).toEqual(["a", "b", null, "d"]);
    expect(name?.jsValues).toBe(false);
    expect([0, 1, 2, 3].map((i) => buf.columns.get("amount")?.get(i))).toEqual([1.5, 2, 3, 4.5]);
  });
});

describe("table buffer: original values", () => {
  const table = { "schema-id": 0, type: "struct" as const, fields: A.fields };
  const routeWith = (onError: "dlq" | "skip") => {
    const [r] = buildRoutes([{ ...(route?.config ?? {}), topics: ["t"], table: "db.t", onError } as never]);
    if (!r) throw new Error("no route");
    return r;
  };

  it("keeps a record's value for a dead letter until the table's schema is known to fit it", () => {
    const unknown = new TableBuffer({ namespace: ["db"], name: "t" }, routeWith("dlq"));
    unknown.add({ id: 1n, name: "a" }, A, input(1));
    expect(unknown.valueKept(0)).toBe(true);

    const known = new TableBuffer({ namespace: ["db"], name: "t" }, routeWith("dlq"), table);
    const fitted = known.add({ id: 1n, name: "a" }, A, input(1));
    known.add({ id: 2n, extra: 1 }, B, input(2)); // `extra` is not a column yet: it may fail at commit
    expect(known.valueKept(0)).toBe(false);
    expect(known.recordAt(0).value).toBeNull();
    expect(known.valueKept(1)).toBe(true);
    expect(new TextDecoder().decode(known.recordAt(1).value ?? new Uint8Array())).toBe('{"id":2}');
    expect(fitted).toBeLessThan(unknown.bytes);
  });

  it("keeps no values when failed records are skipped, not dead-lettered", () => {
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, routeWith("skip"));
    buf.add({ id: 1n, name: "a" }, A, input(1));
    expect(buf.valueKept(0)).toBe(false);
  });
});
