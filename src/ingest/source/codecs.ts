/**
 * Record-batch codecs kafkajs does not ship: snappy, lz4 and zstd (it has none and gzip only).
 * `registerCodecs()` plugs them into kafkajs's codec table, for consuming and for producing.
 *
 * Packages, chosen on decompression speed measured on record batches librdkafka wrote (~1 MB batches of
 * ~280 B JSON records; bench/results/kafka-clients.md), installed by `npm ci` with no compiler and no
 * download outside the npm registry:
 * - snappy and lz4: `@platformatic/wasm-utils` (Rust snap and lz4_flex compiled to one 57 KB WASM module,
 *   what @platformatic/kafka uses): no platform binaries at all, and faster here than the napi-rs builds
 *   (`snappy`, `lz4-napi`) and the pure-JS ones. Snappy reads raw blocks (librdkafka) and the xerial
 *   framing the Java client writes, and writes the xerial framing, as the Java client does; lz4 is the
 *   LZ4 frame format. A corrupt input traps the WASM decoder ("unreachable"); it stays usable.
 * - zstd: `@toondepauw/node-zstd` (libzstd through napi-rs, prebuilt for linux/macOS/Windows x64 and
 *   arm64, glibc and musl), loaded on first use. Java's zstd-jni writes streamed frames without a content
 *   size; this decoder handles them (the WASM build we measured fails on those above 1 MB).
 * All calls are synchronous: kafkajs awaits the codec anyway, and a thread-pool hop costs more than it
 * saves for a ~1 MB batch.
 */
import { createRequire } from "node:module";
import { lz4Compress, lz4Decompress, snappyCompress, snappyDecompress } from "@platformatic/wasm-utils";
import kafkajs, { type CompressionTypes as CompressionType } from "kafkajs";
import { FloeError } from "../../errors.js";

// kafkajs is CommonJS: Node's ESM loader does not see these two as named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

export const CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

/** A synchronous block codec over one record batch's records section. */
export interface BlockCodec {
  readonly name: CodecName;
  compress(data: Buffer): Buffer;
  decompress(data: Buffer): Buffer;
}

/** kafkajs's codec contract (see kafkajs/src/protocol/message/compression/gzip.js). */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const require = createRequire(import.meta.url);

function load<T>(codec: CodecName, pkg: string): () => T {
  let mod: T | undefined;
  return () => {
    if (mod === undefined) {
      try {
        mod = require(pkg) as T;
      } catch (e) {
        const platform = `${process.platform}-${process.arch}`;
        throw new FloeError(
          "UNSUPPORTED",
          `${codec} codec unavailable: package ${pkg} could not be loaded on ${platform} (reinstall with npm ci on this platform)`,
          { cause: e, retryable: false, context: { codec } },
        );
      }
    }
    return mod;
  };
}

const zstdLib = load<typeof import("@toondepauw/node-zstd")>("zstd", "@toondepauw/node-zstd");

function corrupt(codec: CodecName, data: Buffer, e: unknown): FloeError {
  if (e instanceof FloeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  // A WebAssembly.RuntimeError: the WASM decoder hit invalid input (Rust panics trap as "unreachable").
  const why =
    e instanceof Error && e.name === "RuntimeError"
      ? `corrupt or truncated data (the decoder trapped: ${message})`
      : message;
  return new FloeError(
    "DECODE_FAILED",
    `cannot decompress ${codec} record batch (${data.length} bytes): ${why || "corrupt input"}`,
    { cause: e, retryable: false, context: { codec } },
  );
}

/** xerial snappy-java's stream header: magic "\x82SNAPPY\0", version, min compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;
/** The block size the Java client's SnappyOutputStream uses. */
const XERIAL_BLOCK = 32 * 1024;

export function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function unsnappy(block: Buffer): Buffer {
  return snappyDecompress(block);
}

/** Raw snappy blocks, each prefixed with its 4-byte big-endian length, after the xerial header. */
function unxerial(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Error(`xerial framing: truncated block length at byte ${pos}`);
    const len = data.readUInt32BE(pos);
    pos += 4;
    if (pos + len > data.length) {
      throw new Error(`xerial framing: block of ${len} bytes at byte ${pos} runs past the end`);
    }
    blocks.push(unsnappy(data.subarray(pos, pos + len)));
    pos += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks);
}

/** Writes the xerial framing (what the Java client writes; librdkafka and Java read it). */
export function xerialCompress(data: Buffer, blockSize = XERIAL_BLOCK): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = snappyCompress(data.subarray(pos, pos + blockSize));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export const snappyCodec: BlockCodec = {
  name: "snappy",
  compress: (data) => xerialCompress(data),
  decompress(data) {
    try {
      return isXerial(data) ? unxerial(data) : unsnappy(data);
    } catch (e) {
      throw corrupt("snappy", data, e);
    }
  },
};

export const lz4Codec: BlockCodec = {
  name: "lz4",
  // Independent blocks, no checksums: a frame every client reads (the Java client requires independence).
  compress: (data) => lz4Compress(data),
  decompress(data) {
    try {
      return lz4Decompress(data);
    } catch (e) {
      throw corrupt("lz4", data, e);
    }
  },
};

/** zstd level 3: libzstd's default, and the Java client's. */
const ZSTD_LEVEL = 3;
let zstdEncoder: { encodeSync(data: Buffer): Buffer } | undefined;
let zstdDecoder: { decodeSync(data: Buffer): Buffer } | undefined;

export const zstdCodec: BlockCodec = {
  name: "zstd",
  compress(data) {
    zstdEncoder ??= new (zstdLib().Encoder)(ZSTD_LEVEL);
    return zstdEncoder.encodeSync(data);
  },
  decompress(data) {
    try {
      zstdDecoder ??= new (zstdLib().Decoder)();
      return zstdDecoder.decodeSync(data);
    } catch (e) {
      throw corrupt("zstd", data, e);
    }
  },
};

export const BLOCK_CODECS = { snappy: snappyCodec, lz4: lz4Codec, zstd: zstdCodec } as const;

function forKafkajs(codec: BlockCodec): KafkajsCodec {
  return {
    compress: async (encoder) => codec.compress(encoder.buffer),
    decompress: async (buffer) => codec.decompress(buffer),
  };
}

let registered = false;

/**
 * Registers snappy, lz4 and zstd in kafkajs's codec table (process-wide; idempotent). Call before a
 * kafkajs client consumes or produces compressed batches.
 */
export function registerCodecs(): void {
  if (registered) return;
  const snappy = forKafkajs(snappyCodec);
  const lz4 = forKafkajs(lz4Codec);
  const zstd = forKafkajs(zstdCodec);
  CompressionCodecs[CompressionTypes.Snappy] = () => snappy;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstd;
  registered = true;
}

/** kafkajs's compression attribute for a codec name (for `producer.send({ compression })`). */
export function compressionType(name: CodecName): CompressionType {
  switch (name) {
    case "none":
      return CompressionTypes.None;
    case "gzip":
      return CompressionTypes.GZIP;
    case "snappy":
      return CompressionTypes.Snappy;
    case "lz4":
      return CompressionTypes.LZ4;
    case "zstd":
      return CompressionTypes.ZSTD;
  }
}
