/**
 * Puffin files (Iceberg's Puffin spec): the magic `PFA1`, the blobs back to back, then the footer —
 * magic, a UTF-8 JSON payload listing each blob (type, fields, snapshot id, sequence number, offset,
 * length, properties), the payload's length (4 bytes little-endian), 4 flag bytes (bit 0 of the first:
 * payload compressed) and the magic again. Written uncompressed; compressed blobs or footers are refused
 * on read (deletion vectors are never compressed).
 */
import { FloeError } from "../../errors.js";

export const PUFFIN_MAGIC = new Uint8Array([0x50, 0x46, 0x41, 0x31]);

export interface PuffinBlobMetadata {
  type: string;
  fields: number[];
  "snapshot-id": number;
  "sequence-number": number;
  offset: number;
  length: number;
  "compression-codec"?: string;
  properties?: Record<string, string>;
}

export interface PuffinFooter {
  blobs: PuffinBlobMetadata[];
  properties?: Record<string, string>;
}

export interface PuffinBlobInput {
  type: string;
  fields: number[];
  snapshotId: number;
  sequenceNumber: number;
  data: Uint8Array;
  properties?: Record<string, string>;
}

function bad(message: string): FloeError {
  return new FloeError("DECODE_FAILED", `puffin file: ${message}`);
}

function hasMagic(bytes: Uint8Array, at: number): boolean {
  return PUFFIN_MAGIC.every((b, i) => bytes[at + i] === b);
}

/** A whole Puffin file of `blobs`, and each blob's metadata (offset and length in the file). */
export function encodePuffin(
  blobs: readonly PuffinBlobInput[],
  properties: Record<string, string> = {},
): { bytes: Uint8Array; blobs: PuffinBlobMetadata[] } {
  const meta: PuffinBlobMetadata[] = [];
  let offset = PUFFIN_MAGIC.byteLength;
  for (const b of blobs) {
    meta.push({
      type: b.type,
      fields: b.fields,
      "snapshot-id": b.snapshotId,
      "sequence-number": b.sequenceNumber,
      offset,
      length: b.data.byteLength,
      ...(b.properties === undefined ? {} : { properties: b.properties }),
    });
    offset += b.data.byteLength;
  }
  const payload = new TextEncoder().encode(JSON.stringify({ blobs: meta, properties }));
  const out = new Uint8Array(offset + 4 + payload.byteLength + 12);
  out.set(PUFFIN_MAGIC, 0);
  let at = PUFFIN_MAGIC.byteLength;
  for (const b of blobs) {
    out.set(b.data, at);
    at += b.data.byteLength;
  }
  out.set(PUFFIN_MAGIC, at);
  out.set(payload, at + 4);
  at += 4 + payload.byteLength;
  new DataView(out.buffer).setUint32(at, payload.byteLength, true);
  // Flags stay 0: the payload is not compressed.
  out.set(PUFFIN_MAGIC, at + 8);
  return { bytes: out, blobs: meta };
}

/** The footer of a whole Puffin file. */
export function decodePuffinFooter(bytes: Uint8Array): PuffinFooter {
  const n = bytes.byteLength;
  if (n < 16 || !hasMagic(bytes, 0) || !hasMagic(bytes, n - 4)) throw bad("missing PFA1 magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const payloadSize = view.getUint32(n - 12, true);
  const flags = view.getUint8(n - 8);
  const start = n - 12 - payloadSize;
  if (start < 8 || !hasMagic(bytes, start - 4)) throw bad("bad footer payload size");
  if ((flags & 1) !== 0)
    throw new FloeError("UNSUPPORTED", "puffin file: compressed footers are not supported");
  let footer: unknown;
  try {
    footer = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + payloadSize)));
  } catch (cause) {
    throw new FloeError("DECODE_FAILED", "puffin file: footer is not JSON", { cause });
  }
  const blobs = (footer as { blobs?: unknown } | null)?.blobs;
  if (!Array.isArray(blobs)) throw bad("footer has no blobs list");
  return footer as PuffinFooter;
}
