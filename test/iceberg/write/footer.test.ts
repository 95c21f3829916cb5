import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeParquet } from "../../../src/iceberg/write/arrow-parquet.js";
import { buildTable } from "../../../src/iceberg/write/arrow-table.js";
import { footerLength, type ParquetFooter, readParquetFooter } from "../../../src/iceberg/write/footer.js";
import { openProbe, type ParquetProbe } from "./duckdb-helper.js";
import { NESTED_PARQUET_IDS, nestedTable } from "./fixtures.js";

let probe: ParquetProbe;
beforeAll(async () => {
  probe = await openProbe();
});
afterAll(() => probe.close());

/** DuckDB's view of the same file: per dotted path, summed compressed size and null count. */
async function duckSizes(file: string): Promise<Map<string, { size: bigint; nulls: bigint }>> {
  const rows = await probe.rows(
    `select array_to_string(string_split(path_in_schema, ', '), '.') p,
            sum(total_compressed_size)::varchar size, sum(stats_null_count)::varchar null_count
     from parquet_metadata('${file}') group by 1`,
  );
  return new Map(
    rows.map((r) => [String(r.p), { size: BigInt(String(r.size)), nulls: BigInt(String(r.null_count)) }]),
  );
}

function leafSizesByPath(footer: ParquetFooter): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const rg of footer.rowGroups) {
    for (const c of rg.columns)
      out.set(c.path.join("."), (out.get(c.path.join(".")) ?? 0n) + c.compressedSize);
  }
  return out;
}

describe("readParquetFooter", () => {
  it("reads row count, leaves with field ids, and column sizes that match DuckDB", async () => {
    const bytes = writeParquet(nestedTable());
    const footer = readParquetFooter(bytes);
    expect(footer.rowCount).toBe(3n);
    expect(footer.createdBy).toMatch(/^parquet-rs version/);
    expect(footer.keyValueMetadata.has("ARROW:schema")).toBe(true);
    // Schema elements and ids in the same order DuckDB reports them.
    expect(footer.schema.map((e) => [e.name, e.fieldId ?? null])).toEqual(
      NESTED_PARQUET_IDS.map(([n, id]) => [n, id]),
    );
    const leafIds = footer.leaves.map((l) => l.fieldId);
    expect(leafIds).toEqual([
      1, 2, 4, 6, 7, 9, 10, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31,
    ]);
    expect(footer.leaves.find((l) => l.fieldId === 4)).toMatchObject({
      path: ["tags", "list", "element"],
      physicalType: "BYTE_ARRAY",
      repeated: true,
    });
    expect(footer.leaves.find((l) => l.fieldId === 9)).toMatchObject({
      path: ["payload", "a"],
      repeated: false,
    });

    const duck = await duckSizes(probe.file(bytes));
    expect(duck.size).toBe(footer.leaves.length);
    for (const leaf of footer.leaves) {
      const d = duck.get(leaf.path.join("."))!;
      expect(footer.columnSizes.get(leaf.fieldId!), leaf.path.join(".")).toBe(d.size);
    }
    // Null counts come through the Statistics struct too.
    expect(footer.rowGroups[0]!.columns[1]).toMatchObject({ path: ["name"], nullCount: 1n, codec: "ZSTD" });
    expect(new TextDecoder().decode(footer.rowGroups[0]!.columns[1]!.minValue)).toBe("alpha");
  });

  it("sums column sizes over row groups", async () => {
    const n = 10_000;
    const table = buildTable({
      fields: [
        { id: 7, name: "k", required: true, type: { kind: "long" } },
        { id: 9, name: "v", required: false, type: { kind: "string" } },
      ],
      columns: {
        k: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 7919)),
        v: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `value-${(i * 31) % 1000}`)),
      },
    });
    const bytes = writeParquet(table, { rowGroupRows: 3000, compression: "snappy" });
    const footer = readParquetFooter(bytes);
    expect(footer.rowCount).toBe(BigInt(n));
    expect(footer.rowGroups.map((g) => g.numRows)).toEqual([3000n, 3000n, 3000n, 1000n]);
    const byPath = leafSizesByPath(footer);
    expect(footer.columnSizes).toEqual(
      new Map([
        [7, byPath.get("k")],
        [9, byPath.get("v")],
      ]),
    );
    const duck = await duckSizes(probe.file(bytes));
    expect(footer.columnSizes.get(7)).toBe(duck.get("k")!.size);
    expect(footer.columnSizes.get(9)).toBe(duck.get("v")!.size);
    expect(footer.rowGroups.reduce((s, g) => s + g.columns[1]!.nullCount!, 0n)).toBe(duck.get("v")!.nulls);
    expect(footer.rowGroups[0]!.columns[0]!.codec).toBe("SNAPPY");
    // column sizes cover the data pages, so they sum below the file size
    const total = [...footer.columnSizes.values()].reduce((a, b) => a + b, 0n);
    expect(total).toBeLessThan(BigInt(bytes.length));
    expect(total * 4n).toBeGreaterThan(BigInt(bytes.length));
  });

  it("finds the footer length from a file's tail", () => {
    const bytes = writeParquet(nestedTable());
    const need = footerLength(bytes.subarray(bytes.length - 8));
    expect(need).toBe(readParquetFooter(bytes).metadataLength + 8);
    expect(need).toBeLessThan(bytes.length);
  });

  it("rejects files that are not Parquet or are cut short", () => {
    const bytes = writeParquet(nestedTable());
    const cases: [string, Uint8Array, RegExp][] = [
      ["tiny", new Uint8Array(4), /4 bytes/],
      ["no tail magic", bytes.subarray(0, bytes.length - 1), /no PAR1 magic at the end/],
      ["encrypted", withTail(bytes, "PARE"), /encrypted footers/],
      ["no head magic", withHead(bytes, 0), /no PAR1 magic at the start/],
      ["huge length", withLength(bytes, 0x7fffffff), /exceeds the file/],
      ["garbage metadata", withLength(bytes, 3), /corrupt Thrift data|not a readable Parquet file/],
    ];
    for (const [name, input, message] of cases) {
      let caught: unknown;
      try {
        readParquetFooter(input);
      } catch (e) {
        caught = e;
      }
      expect(caught, name).toMatchObject({ code: "DECODE_FAILED" });
      expect((caught as Error).message, name).toMatch(message);
    }
  });
});

function withTail(bytes: Uint8Array, magic: string): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < 4; i++) out[out.length - 4 + i] = magic.charCodeAt(i);
  return out;
}

function withHead(bytes: Uint8Array, b: number): Uint8Array {
  const out = bytes.slice();
  out[0] = b;
  return out;
}

function withLength(bytes: Uint8Array, len: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 8, len, true);
  return out;
}
