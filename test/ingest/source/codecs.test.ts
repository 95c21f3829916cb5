import { createRequire } from "node:module";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  type BlockCodec,
  compressionType,
  isXerial,
  lz4Codec,
  registerCodecs,
  snappyCodec,
  xerialCompress,
  zstdCodec,
} from "../../../src/ingest/source/codecs.js";

const require = createRequire(import.meta.url);

/** ~1 MB of JSON records like the sink's benchmarks produce (~280 B each). */
function jsonRecords(count: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        event_id: `evt-${i.toString(16).padStart(12, "0")}`,
        device_id: `dev-${(i * 7919) % 10_000}`,
        region: ["eu-west-1", "us-east-1", "ap-south-1"][i % 3],
        event_time: new Date(1_700_000_000_000 + i * 137).toISOString(),
        temperature: ((i * 37) % 4000) / 100,
        status: i % 10 === 0 ? "degraded" : "ok",
        note: `reading ${i * 104_729}`,
      }),
    );
  }
  return Buffer.from(lines.join("\n"));
}

/** Bytes that no compressor produces and no decoder accepts. */
const GARBAGE = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff));

const codecs: BlockCodec[] = [snappyCodec, lz4Codec, zstdCodec];

describe.each(codecs)("$name codec", (codec) => {
  it.each([
    ["one byte", Buffer.from([42])],
    ["a short record", Buffer.from('{"a":1}')],
    ["1 MB of JSON records", jsonRecords(3800)],
    ["incompressible bytes", Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24))],
  ])("round-trips %s", (_what, data) => {
    const packed = codec.compress(data);
    expect(codec.decompress(packed).equals(data)).toBe(true);
  });

  it("compresses JSON records", () => {
    const data = jsonRecords(3800);
    expect(codec.compress(data).length).toBeLessThan(data.length / 2);
  });

  it("rejects corrupt input with DECODE_FAILED naming the codec", () => {
    let thrown: unknown;
    try {
      codec.decompress(GARBAGE);
    } catch (e) {
      thrown = e;
    }
    expect(isFloeError(thrown, "DECODE_FAILED")).toBe(true);
    expect((thrown as Error).message).toMatch(
      new RegExp(`cannot decompress ${codec.name} record batch \\(64 bytes\\)`),
    );
    expect((thrown as { retryable: boolean }).retryable).toBe(false);
    // The decoder is still usable afterwards (a WASM trap leaves the instance working).
    const data = jsonRecords(50);
    expect(codec.decompress(codec.compress(data)).equals(data)).toBe(true);
  });

  it("rejects a truncated batch", () => {
    const packed = codec.compress(jsonRecords(500));
    expect(() => codec.decompress(packed.subarray(0, Math.floor(packed.length / 2)))).toThrow(
      new RegExp(`cannot decompress ${codec.name}`),
    );
  });
});

describe("snappy framing", () => {
  // Raw snappy for "hello" and " kafka": varint length, then one literal (tag (len-1)<<2).
  const rawHello = Buffer.from([0x05, 0x10, ...Buffer.from("hello")]);
  const rawKafka = Buffer.from([0x06, 0x14, ...Buffer.from(" kafka")]);
  const be32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const xerialHeader = Buffer.from([0x82, ...Buffer.from("SNAPPY"), 0, 0, 0, 0, 1, 0, 0, 0, 1]);

  it("reads raw snappy (what librdkafka writes)", () => {
    expect(snappyCodec.decompress(rawHello).toString()).toBe("hello");
  });

  it("reads the xerial framing the Java client writes, block by block", () => {
    const framed = Buffer.concat([
      xerialHeader,
      be32(rawHello.length),
      rawHello,
      be32(rawKafka.length),
      rawKafka,
    ]);
    expect(isXerial(framed)).toBe(true);
    expect(snappyCodec.decompress(framed).toString()).toBe("hello kafka");
  });

  it("reads an xerial header with no blocks as empty", () => {
    expect(snappyCodec.decompress(xerialHeader).length).toBe(0);
  });

  it("writes the xerial framing in 32 KiB blocks", () => {
    const data = jsonRecords(1000);
    const framed = snappyCodec.compress(data);
    expect(framed.subarray(0, 16).equals(xerialHeader)).toBe(true);
    let pos = 16;
    let blocks = 0;
    while (pos < framed.length) {
      pos += 4 + framed.readUInt32BE(pos);
      blocks++;
    }
    expect(pos).toBe(framed.length);
    expect(blocks).toBe(Math.ceil(data.length / 32768));
  });

  it("names a truncated xerial block", () => {
    const framed = xerialCompress(jsonRecords(300), 4096);
    expect(() => snappyCodec.decompress(framed.subarray(0, framed.length - 3))).toThrow(
      /cannot decompress snappy record batch .*xerial framing: block of \d+ bytes at byte \d+ runs past the end/,
    );
    expect(() => snappyCodec.decompress(Buffer.concat([xerialHeader, Buffer.from([0, 0])]))).toThrow(
      /xerial framing: truncated block length at byte 16/,
    );
  });
});

describe("reference encoders' output", () => {
  it("lz4: reads a frame with content checksum written by the lz4 CLI", () => {
    const frame = Buffer.from(
      "04224d186440a70f0000006e68656c6c6f200600506b61666b6100000000" + "3484af03",
      "hex",
    );
    expect(lz4Codec.decompress(frame).toString()).toBe("hello hello hello hello kafka");
  });

  it("lz4: writes frames of independent blocks (the Java client reads no other kind)", () => {
    const frame = lz4Codec.compress(jsonRecords(2000));
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    const flg = frame[4]!;
    expect(flg >> 6).toBe(1); // frame format version 01
    expect(flg & 0x20).toBe(0x20); // block independence
    expect((frame[5]! >> 4) & 0x07).toBeGreaterThanOrEqual(4); // block max size 64 KiB..4 MiB
  });

  it("lz4: a wrong content checksum is corrupt input", () => {
    const frame = Buffer.from(
      "04224d186440a70f0000006e68656c6c6f200600506b61666b6100000000" + "3484af04",
      "hex",
    );
    expect(() => lz4Codec.decompress(frame)).toThrow(/cannot decompress lz4/);
  });

  it("zstd: reads a streamed frame (no content size) written by the zstd CLI", () => {
    const frame = Buffer.from("28b52ffd04588d00005868656c6c6f206b61666b610100f14a1135620eae", "hex");
    expect(zstdCodec.decompress(frame).toString()).toBe("hello hello hello hello kafka");
  });

  it("zstd: reads a streamed frame of 2 MiB without a content size (what zstd-jni writes)", () => {
    // Magic, frame header descriptor 0 (no content size, not single-segment), window 2^17, then raw blocks.
    const block = 128 * 1024;
    const data = jsonRecords(12_000).subarray(0, 16 * block);
    expect(data.length).toBe(16 * block);
    const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
    for (let pos = 0; pos < data.length; pos += block) {
      const last = pos + block >= data.length ? 1 : 0;
      const header = (block << 3) | last; // block type 0: raw
      parts.push(Buffer.from([header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff]));
      parts.push(data.subarray(pos, pos + block));
    }
    expect(zstdCodec.decompress(Buffer.concat(parts)).equals(data)).toBe(true);
  });
});

describe("registerCodecs", () => {
  type Codec = { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
  const lookup = (t: CompressionTypes) => (CompressionCodecs as Record<number, () => Codec>)[t]!();

  it("plugs snappy, lz4 and zstd into kafkajs and is idempotent", async () => {
    registerCodecs();
    registerCodecs();
    for (const t of [CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]) {
      const codec = lookup(t);
      const data = jsonRecords(100);
      expect((await codec.decompress(await codec.compress({ buffer: data }))).equals(data)).toBe(true);
    }
  });

  it.each([
    ["snappy", CompressionTypes.Snappy],
    ["lz4", CompressionTypes.LZ4],
    ["zstd", CompressionTypes.ZSTD],
    ["gzip", CompressionTypes.GZIP],
  ] as const)("kafkajs encodes and decodes a %s record batch", async (name, type) => {
    registerCodecs();
    expect(compressionType(name)).toBe(type);
    const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
      RecordBatch: (o: object) => Promise<{ buffer: Buffer }>;
    };
    const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (d: unknown) => Promise<{
      records: { key: Buffer; value: Buffer; offset: string; headers: Record<string, Buffer> }[];
    }>;
    const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (o: object) => unknown;
    const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => unknown;
    const records = Array.from({ length: 300 }, (_, i) => ({
      offsetDelta: i,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(JSON.stringify({ i, text: "x".repeat(i % 50) })),
      headers: { h: Buffer.from(String(i)) },
    }));
    const batch = await RecordBatch({ compression: type, records: records.map((r) => Record(r)) });
    const attributes = batch.buffer.readInt16BE(8 + 4 + 4 + 1 + 4);
    expect(attributes & 0x07).toBe(type);
    const decoded = await decodeBatch(new Decoder(batch.buffer));
    expect(decoded.records.map((r) => r.value.toString())).toEqual(records.map((r) => r.value.toString()));
    expect(decoded.records.map((r) => r.key.toString())).toEqual(records.map((r) => r.key.toString()));
    expect(decoded.records[299]!.headers.h!.toString()).toBe("299");
  });

  it("maps none to no compression", () => {
    expect(compressionType("none")).toBe(CompressionTypes.None);
  });
});
