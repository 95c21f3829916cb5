import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAll, MemoryFileIO } from "../../../src/iceberg/io/index.js";
import {
  decodeSingleValue,
  makeSchema,
  parsePartitionSpec,
  type Schema,
  unpartitionedSpec,
} from "../../../src/iceberg/spec/index.js";
import { readParquetFooter } from "../../../src/iceberg/write/footer.js";
import { DataFileWriter } from "../../../src/iceberg/write/index.js";
import { openProbe, type ParquetProbe } from "./duckdb-helper.js";

const schema: Schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "region", required: false, type: "string" },
  { id: 3, name: "payload", required: false, type: "string" },
]);

/** Rows [start, start + n): ids, 4 regions, a payload that compresses poorly. */
function batch(start: number, n: number) {
  const id: bigint[] = [];
  const region: string[] = [];
  const payload: string[] = [];
  let x = start * 2654435761;
  for (let i = start; i < start + n; i++) {
    id.push(BigInt(i));
    region.push(`r${i % 4}`);
    x = (x * 1103515245 + 12345) % 2147483648;
    payload.push(`${i}-${x.toString(36)}-${(x * 7).toString(36)}`);
  }
  return new Map<string, unknown[]>([
    ["id", id],
    ["region", region],
    ["payload", payload],
  ]);
}

let probe: ParquetProbe;
beforeAll(async () => {
  probe = await openProbe();
});
afterAll(() => probe.close());

describe("data files written as streams of row groups", () => {
  it("keeps one file per partition open across appends and closes it with merged metrics", async () => {
    const io = new MemoryFileIO();
    const spec = parsePartitionSpec({
      "spec-id": 0,
      fields: [{ "source-id": 2, "field-id": 1000, name: "region", transform: "identity" }],
    });
    const writer = new DataFileWriter({ io, location: "memory://w/t", schema, spec, rowGroupRows: 1000 });
    const appender = writer.openAppender();
    for (let k = 0; k < 5; k++) await appender.append(batch(k * 4000, 4000), 4000);
    expect(appender.partitions).toBe(4);
    // Nothing is visible before the close (a sink commit).
    expect(await listAll(io, "memory://w/t/")).toEqual([]);
    const files = await appender.close();
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(f.record_count).toBe(5000n);
      const bytes = await io.read(f.file_path);
      expect(BigInt(bytes.length)).toBe(f.file_size_in_bytes);
      // 5,000 rows in row groups of 1,000: five row groups, each a split offset.
      expect(readParquetFooter(bytes).rowGroups).toHaveLength(5);
      expect(f.split_offsets).toHaveLength(5);
      const region = f.partition.region as string;
      const k = Number(region.slice(1));
      // Bounds span every append: the first and last id of this region.
      expect(decodeSingleValue("long", f.lower_bounds?.get(1) as Uint8Array)).toBe(BigInt(k));
      expect(decodeSingleValue("long", f.upper_bounds?.get(1) as Uint8Array)).toBe(BigInt(19996 + k));
      expect(f.value_counts?.get(3)).toBe(5000n);
      const path = probe.file(bytes);
      const [row] = await probe.rows(
        `select count(*)::int as n, count(distinct id)::int as ids, min(region) as lo, max(region) as hi from '${path}'`,
      );
      expect(row).toEqual({ n: 5000, ids: 5000, lo: region, hi: region });
    }
  });

  it("cuts files at the target size and streams them out as row groups fill", async () => {
    const io = new MemoryFileIO();
    const target = 256 * 1024;
    const writer = new DataFileWriter({
      io,
      location: "memory://w/u",
      schema,
      spec: unpartitionedSpec(),
      rowGroupRows: 2000,
      targetFileSizeBytes: target,
    });
    const appender = writer.openAppender();
    let rows = 0;
    for (let k = 0; k < 12; k++) {
      await appender.append(batch(rows, 5000), 5000);
      rows += 5000;
    }
    const files = await appender.close();
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files.reduce((n, f) => n + Number(f.record_count), 0)).toBe(rows);
    // Every file but the last reaches about the target; none overshoots it by much.
    for (const f of files.slice(0, -1)) {
      expect(Number(f.file_size_in_bytes)).toBeGreaterThan(target * 0.6);
      expect(Number(f.file_size_in_bytes)).toBeLessThan(target * 1.6);
    }
    const paths: string[] = [];
    for (const f of files) paths.push(`'${probe.file(await io.read(f.file_path))}'`);
    const [row] = await probe.rows(
      `select count(*)::int as n, count(distinct id)::int as ids from read_parquet([${paths.join(", ")}])`,
    );
    expect(row).toEqual({ n: rows, ids: rows });
  });

  it("abort leaves nothing behind, including files already cut", async () => {
    const io = new MemoryFileIO();
    const writer = new DataFileWriter({
      io,
      location: "memory://w/v",
      schema,
      spec: unpartitionedSpec(),
      rowGroupRows: 1000,
      targetFileSizeBytes: 64 * 1024,
    });
    const appender = writer.openAppender();
    for (let k = 0; k < 6; k++) await appender.append(batch(k * 5000, 5000), 5000);
    expect((await listAll(io, "memory://w/v/")).length).toBeGreaterThan(0);
    await appender.abort();
    expect(await listAll(io, "memory://w/v/")).toEqual([]);
  });
});
