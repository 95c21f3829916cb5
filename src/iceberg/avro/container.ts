/**
 * Avro object container files (the Avro spec's "Object Container Files"), synchronous and in memory.
 *
 * Records are encoded and decoded by avsc from the raw JSON schema; every Avro `long` is a bigint
 * (avsc's own long type refuses values above 2^53). The header, the block framing and the codecs are
 * ours: writing supports the `null` and `deflate` codecs, reading also `snappy` (with its CRC32 check).
 * The schema written to the header is the caller's raw JSON, so attributes avsc does not know
 * (`field-id`, `element-id`, `logicalType: map`, `adjust-to-utc`) reach the file unchanged.
 */

import { randomBytes } from "node:crypto";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import type { Type } from "avsc";
import avsc from "avsc";
import { FloeError } from "../../errors.js";
import type { AvroField, AvroSchema, AvroTypeObject } from "./schemas.js";
import { snappyDecompress } from "./snappy.js";

const MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01); // "Obj" 1
const SYNC_SIZE = 16;
/** Uncompressed bytes per block before a new block starts (Java's default sync interval is 64 KiB). */
const DEFAULT_BLOCK_BYTES = 64 * 1024;

export type WriteCodec = "null" | "deflate";

/** avsc long type whose JS values are bigint (reads any int64, writes bigint or safe-integer numbers). */
export const BIGINT_LONG = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(0),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string | number | bigint),
  toJSON: (n: bigint) => (Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()),
  isValid: (n: unknown) =>
    (typeof n === "bigint" && BigInt.asIntN(64, n) === n) ||
    (typeof n === "number" && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

function isLongSchema(schema: unknown): boolean {
  if (schema === "long") return true;
  return (
    typeof schema === "object" &&
    schema !== null &&
    !Array.isArray(schema) &&
    (schema as { type?: unknown }).type === "long"
  );
}

/** avsc `typeHook` that makes every `long` a bigint (BIGINT_LONG); other types are avsc's own. */
export function bigintLongHook(schema: unknown): Type | undefined {
  return isLongSchema(schema) ? BIGINT_LONG : undefined;
}

/** avsc Type for a raw Avro schema; longs are bigint, logical types are left to the caller. */
export function avroType(schema: AvroSchema): Type {
  return avsc.Type.forSchema(schema as never, { typeHook: bigintLongHook } as never);
}

// --- varint helpers -------------------------------------------------------------------------------

function encodeLong(value: number | bigint): Uint8Array {
  let n = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n !== 0n) byte |= 0x80;
    out.push(byte);
  } while (n !== 0n);
  return Uint8Array.from(out);
}

function encodeBytes(bytes: Uint8Array): Uint8Array[] {
  return [encodeLong(bytes.length), bytes];
}

class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  long(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw truncated();
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new FloeError("DECODE_FAILED", "Avro varint longer than 10 bytes");
    }
    return (result >> 1n) ^ -(result & 1n);
  }

  int(): number {
    const v = this.long();
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FloeError("DECODE_FAILED", `Avro length out of range: ${v}`);
    }
    return Number(v);
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw truncated();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function truncated(): FloeError {
  return new FloeError("DECODE_FAILED", "Avro container file is truncated");
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

// --- writing --------------------------------------------------------------------------------------

export interface WriteContainerOptions {
  /** Raw Avro schema JSON, written verbatim to `avro.schema`. */
  schema: AvroSchema;
  /** File metadata besides `avro.schema` and `avro.codec`. */
  metadata: Record<string, string>;
  records: Iterable<unknown>;
  codec?: WriteCodec;
  /** Fixed sync marker (tests); random otherwise. */
  syncMarker?: Uint8Array;
  blockBytes?: number;
}

/** Frames already encoded (and compressed) blocks into a container file. Exposed for tests and tools. */
export function frameContainer(opts: {
  schemaJson: string;
  codecName: string;
  metadata: Record<string, string>;
  blocks: Array<{ count: number; data: Uint8Array }>;
  syncMarker: Uint8Array;
}): Uint8Array {
  const entries: Array<[string, string]> = [
    ["avro.schema", opts.schemaJson],
    ["avro.codec", opts.codecName],
    ...Object.entries(opts.metadata),
  ];
  const chunks: Uint8Array[] = [MAGIC, encodeLong(entries.length)];
  for (const [key, value] of entries) {
    chunks.push(...encodeBytes(Buffer.from(key, "utf8")), ...encodeBytes(Buffer.from(value, "utf8")));
  }
  chunks.push(encodeLong(0), opts.syncMarker);
  for (const block of opts.blocks) {
    chunks.push(encodeLong(block.count), ...encodeBytes(block.data), opts.syncMarker);
  }
  return concat(chunks);
}

/** Encodes records into an Avro object container file. */
export function writeContainer(opts: WriteContainerOptions): Uint8Array {
  const codec = opts.codec ?? "deflate";
  const type = avroType(opts.schema);
  const limit = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
  const syncMarker = opts.syncMarker ?? new Uint8Array(randomBytes(SYNC_SIZE));
  if (syncMarker.length !== SYNC_SIZE) {
    throw new FloeError("INVALID_ARGUMENT", "an Avro sync marker has 16 bytes");
  }
  const blocks: Array<{ count: number; data: Uint8Array }> = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    const raw = Buffer.concat(pending);
    blocks.push({ count: pending.length, data: codec === "deflate" ? deflateRawSync(raw) : raw });
    pending = [];
    pendingBytes = 0;
  };
  for (const record of opts.records) {
    let encoded: Buffer;
    try {
      encoded = type.toBuffer(record);
    } catch (cause) {
      throw new FloeError("INVALID_ARGUMENT", `record does not match the Avro schema: ${String(cause)}`, {
        cause,
      });
    }
    pending.push(encoded);
    pendingBytes += encoded.length;
    if (pendingBytes >= limit) flush();
  }
  flush();
  return frameContainer({
    schemaJson: JSON.stringify(opts.schema),
    codecName: codec,
    metadata: opts.metadata,
    blocks,
    syncMarker,
  });
}

// --- reading --------------------------------------------------------------------------------------

export interface ContainerContents {
  /** The writer's schema, parsed from `avro.schema`. */
  schema: AvroSchema;
  /** Every header key-value, decoded as UTF-8 (`avro.schema` and `avro.codec` included). */
  metadata: Record<string, string>;
  codec: string;
  records: unknown[];
}

function decompress(codec: string, data: Uint8Array): Uint8Array {
  switch (codec) {
    case "null":
      return data;
    case "deflate":
      return inflateRawSync(data);
    case "snappy": {
      if (data.length < 4) throw truncated();
      const body = snappyDecompress(data.subarray(0, data.length - 4));
      const expected = Buffer.from(data.buffer, data.byteOffset + data.length - 4, 4).readUInt32BE(0);
      if (crc32(body) >>> 0 !== expected) {
        throw new FloeError("DECODE_FAILED", "Avro snappy block fails its CRC32 check");
      }
      return body;
    }
    default:
      throw new FloeError("UNSUPPORTED", `Avro codec not supported: ${codec}`, { context: { codec } });
  }
}

/** Reads the header of an Avro container file. */
export function readContainerHeader(bytes: Uint8Array): {
  metadata: Record<string, string>;
  syncMarker: Uint8Array;
  dataStart: number;
} {
  const cur = new Cursor(bytes);
  const magic = cur.take(4);
  if (!MAGIC.every((b, i) => magic[i] === b)) {
    throw new FloeError("DECODE_FAILED", "not an Avro container file (bad magic)");
  }
  const metadata: Record<string, string> = {};
  const text = new TextDecoder();
  for (;;) {
    let count = cur.long();
    if (count === 0n) break;
    if (count < 0n) {
      count = -count;
      cur.long(); // block size in bytes, not needed
    }
    for (let i = 0n; i < count; i++) {
      const key = text.decode(cur.take(cur.int()));
      metadata[key] = text.decode(cur.take(cur.int()));
    }
  }
  const syncMarker = cur.take(SYNC_SIZE);
  return { metadata, syncMarker, dataStart: cur.pos };
}

/**
 * The writer schema as it drives decoding: field defaults dropped (reading with the writer's own schema
 * never uses them, and some writers put invalid ones) and a named type defined a second time renamed
 * (PyIceberg defines `decimal_10_2` once per field that has the type; Avro allows one definition).
 */
function readingSchema(schema: AvroSchema, seen = new Set<string>()): AvroSchema {
  if (Array.isArray(schema)) return schema.map((s) => readingSchema(s, seen));
  if (typeof schema !== "object" || schema === null) return schema;
  const out: AvroTypeObject = { ...schema };
  const plainName = typeof out.name === "string" && !out.name.includes(".") && out.namespace === undefined;
  if (plainName && ["record", "error", "enum", "fixed"].includes(out.type)) {
    let name = out.name as string;
    for (let i = 1; seen.has(name); i++) name = `${out.name as string}__${i}`;
    seen.add(name);
    out.name = name;
  }
  if (Array.isArray(out.fields)) {
    out.fields = (out.fields as AvroField[]).map(({ default: _unused, ...field }) => ({
      ...field,
      type: readingSchema(field.type, seen),
    }));
  }
  if (out.items !== undefined) out.items = readingSchema(out.items as AvroSchema, seen);
  if (out.values !== undefined) out.values = readingSchema(out.values as AvroSchema, seen);
  return out;
}

/**
 * Decodes a whole Avro container file with its own (writer) schema. `adjustSchema` may rewrite the
 * schema that drives decoding (to read around a writer's known encoding bug); `schema` in the result
 * stays the header's.
 */
export function readContainer(
  bytes: Uint8Array,
  adjustSchema?: (schema: AvroSchema, metadata: Record<string, string>) => AvroSchema,
): ContainerContents {
  const { metadata, syncMarker, dataStart } = readContainerHeader(bytes);
  const schemaJson = metadata["avro.schema"];
  if (schemaJson === undefined) throw new FloeError("DECODE_FAILED", "Avro header has no avro.schema");
  const codec = metadata["avro.codec"] ?? "null";
  let schema: AvroSchema;
  let type: Type;
  try {
    schema = JSON.parse(schemaJson) as AvroSchema;
    const reading = readingSchema(schema);
    type = avroType(adjustSchema ? adjustSchema(reading, metadata) : reading);
  } catch (cause) {
    throw new FloeError("DECODE_FAILED", `unusable Avro schema in header: ${String(cause)}`, { cause });
  }
  const cur = new Cursor(bytes);
  cur.pos = dataStart;
  const records: unknown[] = [];
  while (cur.pos < bytes.length) {
    const count = cur.int();
    const data = decompress(codec, cur.take(cur.int()));
    const sync = cur.take(SYNC_SIZE);
    if (!sync.every((b, i) => syncMarker[i] === b)) {
      throw new FloeError("DECODE_FAILED", "Avro block does not end with the file's sync marker");
    }
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const { value, offset } = type.decode(buf, pos);
      if (offset < 0) throw new FloeError("DECODE_FAILED", "Avro block ends inside a record");
      records.push(value);
      pos = offset;
    }
  }
  return { schema, metadata, codec, records };
}
