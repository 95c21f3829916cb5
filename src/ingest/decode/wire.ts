/**
 * Confluent Schema Registry wire format: magic byte 0, the schema id as a 4-byte big-endian integer,
 * then the payload. For Protobuf the payload starts with the message indexes (which message of the
 * .proto file): a zigzag varint count and that many zigzag varints; a single 0 byte means [0].
 */

import { decodeFailed } from "./errors.js";

export interface WireHeader {
  schemaId: number;
  /** Where the payload starts (5 for Avro and JSON Schema). */
  payloadOffset: number;
}

export const WIRE_HEADER_SIZE = 5;

export function readWireHeader(bytes: Uint8Array): WireHeader {
  if (bytes.length < WIRE_HEADER_SIZE || bytes[0] !== 0) {
    const why = bytes.length === 0 ? "empty value" : bytes[0] !== 0 ? `magic byte ${bytes[0]}` : "too short";
    throw decodeFailed(`value is not in Schema Registry wire format (${why})`);
  }
  const schemaId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1, false);
  return { schemaId, payloadOffset: WIRE_HEADER_SIZE };
}

/** The 5-byte header for a schema id. */
export function wireHeader(schemaId: number): Uint8Array {
  const out = new Uint8Array(WIRE_HEADER_SIZE);
  new DataView(out.buffer).setInt32(1, schemaId, false);
  return out;
}

function readZigzagVarint(bytes: Uint8Array, offset: number): { value: number; offset: number } {
  let result = 0;
  let shift = 0;
  for (let pos = offset; pos < bytes.length && shift < 35; pos++) {
    const b = bytes[pos] as number;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value: (result >>> 1) ^ -(result & 1), offset: pos + 1 };
    shift += 7;
  }
  throw decodeFailed("truncated or oversized varint in the Protobuf message indexes");
}

/** Reads the Protobuf message-index array that follows the wire header. */
export function readMessageIndexes(bytes: Uint8Array, offset: number): { indexes: number[]; offset: number } {
  const count = readZigzagVarint(bytes, offset);
  if (count.value === 0) return { indexes: [0], offset: count.offset };
  if (count.value < 0 || count.value > 100) {
    throw decodeFailed(`invalid Protobuf message index count ${count.value}`);
  }
  const indexes: number[] = [];
  let pos = count.offset;
  for (let i = 0; i < count.value; i++) {
    const next = readZigzagVarint(bytes, pos);
    if (next.value < 0) throw decodeFailed(`invalid Protobuf message index ${next.value}`);
    indexes.push(next.value);
    pos = next.offset;
  }
  return { indexes, offset: pos };
}
