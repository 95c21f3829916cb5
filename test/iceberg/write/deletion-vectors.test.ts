import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import {
  type DeletionVectorInput,
  decodeDeletionVectorBlob,
  decodePuffinFooter,
  deletionVectorsByDataFile,
  deletionVectorsInPuffin,
  deserializePositions,
  encodeDeletionVectorBlob,
  encodePuffin,
  readDeletionVector,
  serializePositions,
  writeDeletionVectors,
} from "../../../src/iceberg/write/index.js";

interface Case {
  name: string;
  ranges: [number, number, number][];
  cardinality: number;
  hex: string;
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/roaring-pyroaring.json", import.meta.url), "utf8"),
) as { cases: Case[] };

function values(ranges: readonly [number, number, number][]): number[] {
  const out: number[] = [];
  for (const [a, b, step] of ranges) for (let v = a; v < b; v += step) out.push(v);
  return out;
}

describe("roaring 64-bit portable serialization", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("matches CRoaring's bytes: %s", (_name, c) => {
    const positions = values(c.ranges);
    expect(positions.length).toBe(c.cardinality);
    const expected = Buffer.from(c.hex, "hex");
    // Reading CRoaring's bytes gives the positions back ...
    expect(deserializePositions(new Uint8Array(expected))).toEqual(positions);
    // ... and writing (smallest container per chunk) gives CRoaring's run-optimized bytes.
    expect(Buffer.from(serializePositions(positions)).toString("hex")).toBe(c.hex);
  });

  it("round-trips unsorted input with duplicates and bigint positions", () => {
    const input = [70_000n, 5n, 5, 2 ** 40 + 3, 1, 65_536, 65_535];
    const sorted = [1, 5, 65_535, 65_536, 70_000, 2 ** 40 + 3];
    expect(deserializePositions(serializePositions(input))).toEqual(sorted);
  });

  it("refuses negative positions and truncated bytes", () => {
    expect(() => serializePositions([-1])).toThrow(/non-negative/);
    const bytes = serializePositions([1, 2, 3]);
    expect(() => deserializePositions(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/truncated/);
  });
});

describe("deletion-vector-v1 blob", () => {
  it("is length (big-endian), magic, bitmap and CRC-32 (big-endian) of magic and bitmap", () => {
    const blob = encodeDeletionVectorBlob([3, 9]);
    const bitmap = serializePositions([3, 9]);
    const view = new DataView(blob.buffer, blob.byteOffset);
    expect(view.getUint32(0, false)).toBe(4 + bitmap.byteLength);
    expect([...blob.subarray(4, 8)]).toEqual([0xd1, 0xd3, 0x39, 0x64]);
    expect(blob.subarray(8, 8 + bitmap.byteLength)).toEqual(bitmap);
    expect(view.getUint32(8 + bitmap.byteLength, false)).toBe(crc32(blob.subarray(4, 8 + bitmap.byteLength)));
    expect(decodeDeletionVectorBlob(blob)).toEqual([3, 9]);
  });

  it("detects a corrupted blob", () => {
    const blob = encodeDeletionVectorBlob([3, 9]);
    blob[10] = (blob[10] ?? 0) ^ 0xff;
    expect(() => decodeDeletionVectorBlob(blob)).toThrow(/CRC-32/);
  });
});

describe("puffin", () => {
  it("lays out magic, blobs and footer, and reads the footer back", () => {
    const { bytes, blobs } = encodePuffin(
      [
        { type: "a", fields: [1], snapshotId: -1, sequenceNumber: -1, data: new Uint8Array([1, 2, 3]) },
        {
          type: "b",
          fields: [],
          snapshotId: 7,
          sequenceNumber: 2,
          data: new Uint8Array([4]),
          properties: { k: "v" },
        },
      ],
      { "created-by": "test" },
    );
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("PFA1");
    expect(new TextDecoder().decode(bytes.subarray(bytes.byteLength - 4))).toBe("PFA1");
    expect(blobs.map((b) => [b.offset, b.length])).toEqual([
      [4, 3],
      [7, 1],
    ]);
    const footer = decodePuffinFooter(bytes);
    expect(footer.blobs).toEqual(blobs);
    expect(footer.properties).toEqual({ "created-by": "test" });
    expect(() => decodePuffinFooter(bytes.subarray(1))).toThrow(/magic/);
  });
});

describe("writeDeletionVectors", () => {
  const opts = (io: MemoryFileIO) => ({ io, location: "memory://wh/db/t" });

  it("writes one Puffin file with a vector per data file, located by offset and size", async () => {
    const io = new MemoryFileIO();
    const files = await writeDeletionVectors(
      opts(io),
      new Map<string, DeletionVectorInput>([
        ["memory://wh/db/t/data/a.parquet", { positions: [5, 1, 5], partition: { day: 3 } }],
        ["memory://wh/db/t/data/b.parquet", { positions: [0n], partition: { day: 4 } }],
        ["memory://wh/db/t/data/c.parquet", { positions: [], partition: {} }],
      ]),
    );
    expect(files).toHaveLength(2);
    expect(new Set(files.map((f) => f.file_path)).size).toBe(1);
    const [a, b] = files;
    expect(a).toMatchObject({
      content: 1,
      file_format: "PUFFIN",
      record_count: 2n,
      referenced_data_file: "memory://wh/db/t/data/a.parquet",
      partition: { day: 3 },
      content_offset: 4n,
    });
    expect(b?.partition).toEqual({ day: 4 });
    expect(await readDeletionVector(io, a!)).toEqual([1, 5]);
    expect(await readDeletionVector(io, b!)).toEqual([0]);
    const whole = await io.read(a!.file_path);
    expect(BigInt(whole.byteLength)).toBe(a!.file_size_in_bytes);
    const footer = decodePuffinFooter(whole);
    expect(footer.blobs[0]).toMatchObject({
      type: "deletion-vector-v1",
      "snapshot-id": -1,
      "sequence-number": -1,
      properties: { "referenced-data-file": "memory://wh/db/t/data/a.parquet", cardinality: "2" },
    });
    expect(deletionVectorsInPuffin(whole).map((d) => d.positions)).toEqual([[1, 5], [0]]);
    expect(deletionVectorsByDataFile(files).get("memory://wh/db/t/data/b.parquet")).toBe(b);
  });

  it("merges a file's previous vector into the new one", async () => {
    const io = new MemoryFileIO();
    const path = "memory://wh/db/t/data/a.parquet";
    const [first] = await writeDeletionVectors(
      opts(io),
      new Map([[path, { positions: [1, 2], partition: {} }]]),
    );
    const [second] = await writeDeletionVectors(
      opts(io),
      new Map([[path, { positions: [2, 7], partition: {}, previous: first }]]),
    );
    expect(second?.record_count).toBe(3n);
    expect(await readDeletionVector(io, second!)).toEqual([1, 2, 7]);
    const wrong = await writeDeletionVectors(
      opts(io),
      new Map([["memory://other.parquet", { positions: [1], partition: {}, previous: first }]]),
    ).catch((e: unknown) => e);
    expect(isFloeError(wrong, "INVALID_ARGUMENT")).toBe(true);
  });

  it("refuses two live vectors for one data file", () => {
    const dv = {
      content: 1 as const,
      file_path: "x.puffin",
      file_format: "PUFFIN",
      partition: {},
      record_count: 1n,
      file_size_in_bytes: 10n,
      referenced_data_file: "d.parquet",
      content_offset: 4n,
      content_size_in_bytes: 2n,
    };
    expect(() => deletionVectorsByDataFile([dv, { ...dv, content_offset: 6n }])).toThrow(/two live/);
  });
});

describe("a Puffin file Spark 4.0 (Iceberg 1.10.0) wrote", () => {
  // DELETE ... WHERE id % 7 = 0 on two files holding ids 0..4999 and 5000..5999 in order.
  const bytes = new Uint8Array(
    readFileSync(new URL("./fixtures/spark-iceberg-1.10-dv.puffin", import.meta.url)),
  );

  it("reads as the deleted positions, and Floe writes the same blob bytes for them", () => {
    const footer = decodePuffinFooter(bytes);
    expect(footer.blobs.map((b) => [b.fields, b["snapshot-id"], b["sequence-number"]])).toEqual([
      [[2147483645], -1, -1],
      [[2147483645], -1, -1],
    ]);
    const dvs = deletionVectorsInPuffin(bytes);
    const sevens = (from: number, to: number) => {
      const out: number[] = [];
      for (let id = from; id < to; id++) if (id % 7 === 0) out.push(id - from);
      return out;
    };
    expect(dvs.map((d) => d.positions)).toEqual([sevens(0, 5000), sevens(5000, 6000)]);
    expect(dvs.map((d) => d.referencedDataFile.endsWith(".parquet"))).toEqual([true, true]);
    footer.blobs.forEach((b, i) => {
      const blob = bytes.subarray(b.offset, b.offset + b.length);
      expect(Buffer.from(encodeDeletionVectorBlob(dvs[i]?.positions ?? [])).equals(Buffer.from(blob))).toBe(
        true,
      );
    });
  });
});
