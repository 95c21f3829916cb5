import type * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { type ByteRanges, fileRanges, parquetBatches } from "../../src/compaction/index.js";
import { BATCH_BYTES, readPlan, SLICE_BYTES } from "../../src/compaction/parquet-batches.js";
import { FloeError } from "../../src/errors.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema } from "../../src/iceberg/spec/index.js";
import { buildTable, writeFieldsFromSchema, writeParquet } from "../../src/iceberg/write/index.js";

const ROWS = 50_000;

/** A file of several row groups: ids 0..ROWS-1, a string, a nullable list. */
function sampleFile(rowGroupRows = 12_000): Uint8Array {
  const schema = makeSchema([
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "name", required: false, type: "string" },
    {
      id: 3,
      name: "tags",
      required: false,
      type: { type: "list", "element-id": 4, element: "string", "element-required": false },
    },
  ]);
  const table = buildTable({
    fields: writeFieldsFromSchema(schema),
    columns: {
      id: Array.from({ length: ROWS }, (_, i) => BigInt(i)),
      name: Array.from({ length: ROWS }, (_, i) => `name-${i % 977}-${i}`),
      tags: Array.from({ length: ROWS }, (_, i) => (i % 5 === 0 ? null : [`t${i % 7}`, `u${i % 3}`])),
    },
  });
  return writeParquet(table, { rowGroupRows });
}

async function collect(batches: AsyncIterable<arrow.Table>) {
  const ids: bigint[] = [];
  const names: string[] = [];
  const tags: unknown[] = [];
  let batchCount = 0;
  for await (const t of batches) {
    batchCount++;
    for (const v of t.getChild("id") ?? []) ids.push(v as bigint);
    for (const v of t.getChild("name") ?? []) names.push(String(v));
    for (const v of t.getChild("tags") ?? []) tags.push(v === null ? null : [...(v as arrow.Vector)]);
  }
  return { ids, names, tags, batchCount };
}

/** Ranged reads of `bytes`, counting them; `failAt` (1-based) throws `error` on that read. */
function ranges(bytes: Uint8Array, failAt?: number, error?: Error): ByteRanges & { reads: number } {
  const r = {
    size: bytes.byteLength,
    reads: 0,
    read: async (offset: number, length: number) => {
      r.reads++;
      if (r.reads === failAt) throw error;
      return bytes.slice(offset, offset + length);
    },
  };
  return r;
}

describe("parquetBatches", () => {
  const file = sampleFile();

  it("reads the same rows, in file order, from bytes and from ranged reads", async () => {
    const whole = await collect(parquetBatches(file, "whole.parquet"));
    expect(whole.ids).toEqual(Array.from({ length: ROWS }, (_, i) => BigInt(i)));
    expect(whole.names[12_345]).toBe(`name-${12_345 % 977}-12345`);
    expect(whole.tags[10]).toBeNull();
    expect(whole.tags[11]).toEqual([`t${11 % 7}`, `u${11 % 3}`]);
    const src = ranges(file);
    expect(await collect(parquetBatches(src, "ranged.parquet"))).toEqual(whole);
    // The footer and one read per row group, not the whole file at once.
    expect(src.reads).toBeGreaterThanOrEqual(5);
  });

  it("reads a row group larger than the slice size in row ranges, same rows", async () => {
    const whole = await collect(parquetBatches(file, "whole.parquet"));
    const sliced = await collect(
      parquetBatches(ranges(file), "sliced.parquet", undefined, undefined, 64 * 1024),
    );
    expect(sliced.ids).toEqual(whole.ids);
    expect(sliced.names).toEqual(whole.names);
    expect(sliced.tags).toEqual(whole.tags);
    expect(sliced.batchCount).toBeGreaterThan(whole.batchCount);
  });

  it("reads through a FileIO by ranges", async () => {
    const io = new MemoryFileIO();
    await io.write("memory://b/f.parquet", file);
    const read = await collect(parquetBatches(fileRanges(io, "memory://b/f.parquet", file.byteLength)));
    expect(read.ids.length).toBe(ROWS);
  });

  it("sizes batches by bytes and honours an explicit row count and projection", async () => {
    for await (const t of parquetBatches(file, "f", 5_000, ["id"])) {
      expect(t.numRows).toBeLessThanOrEqual(5_000);
      expect(t.schema.fields.map((f) => f.name)).toEqual(["id"]);
    }
  });

  it("throws the failed read's error, and parquet-wasm keeps working", async () => {
    const unavailable = new FloeError("SERVICE_UNAVAILABLE", "store went away");
    const clean = ranges(file);
    await collect(parquetBatches(clean, "f"));
    expect(file.byteLength).toBeGreaterThan(128 * 1024);
    expect(clean.reads).toBeGreaterThanOrEqual(6);
    // Whichever read fails (footer, page index, any row group), the read's error comes out.
    for (let failAt = 1; failAt <= clean.reads; failAt++) {
      await expect(collect(parquetBatches(ranges(file, failAt, unavailable), "f"))).rejects.toBe(unavailable);
    }
    const plain = new Error("socket hang up");
    await expect(collect(parquetBatches(ranges(file, 3, plain), "f"))).rejects.toMatchObject({
      code: "IO_ERROR",
      cause: plain,
    });
    expect((await collect(parquetBatches(ranges(file), "f"))).ids.length).toBe(ROWS);
  });

  it("refuses a short read and a file that is not Parquet", async () => {
    const short: ByteRanges = {
      size: file.byteLength,
      read: async (offset, length) => file.slice(offset, offset + Math.max(0, length - 1)),
    };
    await expect(collect(parquetBatches(short, "f"))).rejects.toMatchObject({ code: "IO_ERROR" });
    await expect(collect(parquetBatches(new Uint8Array(100), "junk"))).rejects.toMatchObject({
      code: "IO_ERROR",
      message: expect.stringContaining("junk"),
    });
  });
});

describe("readPlan", () => {
  it("sizes batches to BATCH_BYTES of uncompressed data, within 1k..64k rows", () => {
    expect(readPlan([{ rows: 100_000, bytes: 100_000 * 100 }]).batchRows).toBe(Math.floor(BATCH_BYTES / 100));
    expect(readPlan([{ rows: 1000, bytes: 1000 * 100_000 }]).batchRows).toBe(1024);
    expect(readPlan([{ rows: 1_000_000, bytes: 1_000_000 }]).batchRows).toBe(65_536);
    // The widest row group decides.
    const mixed = readPlan([
      { rows: 1000, bytes: 1000 * 10 },
      { rows: 1000, bytes: 1000 * 1000 },
    ]);
    expect(mixed.batchRows).toBe(Math.floor(BATCH_BYTES / 1000));
    expect(readPlan([{ rows: 10, bytes: 10 }], 77).batchRows).toBe(77);
  });

  it("reads row groups above SLICE_BYTES in row ranges that cover them exactly", () => {
    const { reads } = readPlan([
      { rows: 1000, bytes: SLICE_BYTES },
      { rows: 1_000_001, bytes: 3 * SLICE_BYTES + 1 },
    ]);
    expect(reads[0]).toEqual({ rowGroup: 0 });
    const sliced = reads.slice(1);
    expect(sliced).toHaveLength(4);
    let next = 0;
    for (const r of sliced) {
      expect(r.rowGroup).toBe(1);
      expect(r.offset).toBe(next);
      next += r.limit ?? 0;
    }
    expect(next).toBe(1_000_001);
  });
});
