import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  avroType,
  frameContainer,
  readContainer,
  writeContainer,
} from "../../../src/iceberg/avro/container.js";
import { snappyDecompress } from "../../../src/iceberg/avro/snappy.js";

// Vectors compressed by the C++ snappy library (through pyarrow), covering literals, 1-byte and
// 2-byte offset copies, copies that overlap their own output, and long literals.
const SNAPPY_VECTORS: Array<[string, string]> = [
  ["abc".repeat(18), "3608616263ca0300"],
  [
    "Iceberg manifests: hello hello hello world, manifests manifests! ".repeat(3),
    "c3015c49636562657267206d616e6966657374733a2068656c6c6f32060014776f726c642c1924190a042120fe4100ee41000941",
  ],
  [
    "The quick brown fox jumps over the lazy dog. ".repeat(40),
    `880eb054686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672e20${"fe2d00".repeat(27)}6a2d00`,
  ],
];

/** Literal-only snappy: valid for any input; chunks of 60+ bytes exercise the long literal tags. */
function snappyLiteral(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let n = data.length;
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  for (let i = 0; i < data.length; i += 1000) {
    const chunk = data.subarray(i, i + 1000);
    out.push(61 << 2, (chunk.length - 1) & 0xff, (chunk.length - 1) >> 8, ...chunk);
  }
  return Uint8Array.from(out);
}

describe("snappyDecompress", () => {
  it.each(SNAPPY_VECTORS)("decodes snappy's own output (%#)", (text, hex) => {
    expect(Buffer.from(snappyDecompress(Buffer.from(hex, "hex"))).toString("latin1")).toBe(text);
  });

  it("decodes a copy with a 4-byte offset and an overlapping copy", () => {
    // length 8; literal "ab"; copy (tag 3) len 6 offset 2.
    const block = Uint8Array.of(8, 1 << 2, 0x61, 0x62, ((6 - 1) << 2) | 3, 2, 0, 0, 0);
    expect(Buffer.from(snappyDecompress(block)).toString()).toBe("abababab");
  });

  it("rejects corrupt input", () => {
    expect(() => snappyDecompress(Uint8Array.of(4, 0, 0x61))).toThrow(/expected 4 bytes/);
    expect(() => snappyDecompress(Uint8Array.of(4, 0x0d, 9, 0))).toThrow(/offset/);
    expect(() => snappyDecompress(Uint8Array.of(2, 3 << 2, 0x61))).toThrow(/literal/);
  });
});

describe("Avro container", () => {
  const schema = {
    type: "record",
    name: "row",
    fields: [
      { name: "id", type: "long", "field-id": 1 },
      { name: "tag", type: ["null", "string"], default: null, "field-id": 2 },
    ],
  };
  const rows = Array.from({ length: 500 }, (_, i) => ({
    id: i % 2 ? -(2n ** 63n) + BigInt(i) : 2n ** 62n + BigInt(i),
    tag: i % 3 ? `tag-${i}` : null,
  }));

  it("writes many blocks and reads them back, longs as bigint", () => {
    const bytes = writeContainer({ schema, metadata: { k: "v" }, records: rows, blockBytes: 512 });
    const back = readContainer(bytes);
    expect(back.records.map((r) => ({ ...(r as object) }))).toEqual(rows);
    expect(back.metadata.k).toBe("v");
    expect(back.codec).toBe("deflate");
    expect(back.schema).toEqual(schema);
  });

  it("encodes a long as a zig-zag varint, bigint or safe number alike", () => {
    const t = avroType("long");
    expect([...t.toBuffer(-1n)]).toEqual([1]);
    expect([...t.toBuffer(64)]).toEqual([0x80, 1]);
    expect(t.fromBuffer(t.toBuffer(2n ** 63n - 1n))).toBe(2n ** 63n - 1n);
    expect(() => t.toBuffer(2n ** 63n)).toThrow();
  });

  function snappyFile(corruptCrc: boolean): Uint8Array {
    const type = avroType(schema as never);
    const raw = Buffer.concat(rows.slice(0, 50).map((r) => type.toBuffer(r)));
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((crc32(raw) ^ (corruptCrc ? 1 : 0)) >>> 0);
    const data = Buffer.concat([snappyLiteral(raw), crc]);
    return frameContainer({
      schemaJson: JSON.stringify(schema),
      codecName: "snappy",
      metadata: {},
      blocks: [{ count: 50, data }],
      syncMarker: new Uint8Array(16).fill(7),
    });
  }

  it("reads snappy blocks and checks their CRC32", () => {
    expect(readContainer(snappyFile(false)).records.map((r) => ({ ...(r as object) }))).toEqual(
      rows.slice(0, 50),
    );
    let caught: unknown;
    try {
      readContainer(snappyFile(true));
    } catch (e) {
      caught = e;
    }
    expect(isFloeError(caught, "DECODE_FAILED")).toBe(true);
    expect(String(caught)).toMatch(/CRC32/);
  });

  it("refuses unknown codecs and blocks without the file's sync marker", () => {
    const file = (codecName: string, marker: number) => {
      const good = frameContainer({
        schemaJson: '"long"',
        codecName,
        metadata: {},
        blocks: [{ count: 1, data: Uint8Array.of(2) }],
        syncMarker: new Uint8Array(16).fill(1),
      });
      good[good.length - 1] = marker;
      return good;
    };
    expect(readContainer(file("null", 1)).records).toEqual([1n]);
    expect(() => readContainer(file("zstandard", 1))).toThrow(/codec not supported: zstandard/);
    expect(() => readContainer(file("null", 2))).toThrow(/sync marker/);
  });
});
