/**
 * Key index checkpoints: the index (committed and pending state) saved as one binary file under the
 * table's metadata directory, `<location>/metadata/floe-keys-<uuid>.bin`, named by the summary of the
 * commit that carries the pending state (`floe.key-index`, with `floe.key-index.parent` the snapshot
 * the index was at before it). A restart loads it and catches up instead of reading every data file.
 *
 * Layout (little-endian):
 *   "FLOEKIX1"  u32 header length  header JSON  zero padding to a multiple of 16
 *   sorted run   16 bytes an entry (hash hi, hash lo, file id, position; file id DEAD = removed)
 *   hash table   16 bytes an entry (committed changes since the run; file id DEAD = removed)
 *   pending      16 bytes an entry (file id DEAD = the commit removes the key)
 *   u32 CRC-32 of everything before it
 * The header holds the format and hash versions, key columns, file table (id, path, spec id, partition,
 * data sequence number), entry counts, and the snapshot bookkeeping (index snapshot, settled snapshot,
 * the index's own commits since).
 *
 * A run spilled to disk (past the index's memory budget) is written and read in chunks; a checkpoint
 * whose run is past the budget of the index loading it goes straight into a run file.
 */
import { randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import { FloeError } from "../errors.js";
import { type FileIO, openWriteStream, readFileRange } from "../iceberg/io/index.js";
import {
  FLOE_KEY_INDEX,
  FLOE_KEY_INDEX_PARENT,
  type PrimitiveValue,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { STREAM_ENTRIES } from "./disk-run.js";
import { DEAD, SortedEntries } from "./entries.js";
import { KEY_HASH_VERSION } from "./key-hash.js";
import { KeyIndex, type KeyIndexOptions } from "./key-index.js";

const MAGIC = "FLOEKIX1";
const FORMAT_VERSION = 1;

interface Header {
  format: number;
  hash: number;
  keyColumns: string[];
  snapshotId: string | null;
  settled: string | null;
  own: string[];
  files: [number, string, number, unknown[], string | null][];
  counts: [number, number, number];
  duplicateKeys: number;
}

const encodeValue = (v: PrimitiveValue | null): unknown =>
  typeof v === "bigint"
    ? { n: v.toString() }
    : v instanceof Uint8Array
      ? { b: Buffer.from(v).toString("base64") }
      : v;

const decodeValue = (v: unknown): PrimitiveValue | null => {
  if (v !== null && typeof v === "object") {
    const o = v as { n?: string; b?: string };
    if (o.n !== undefined) return BigInt(o.n);
    if (o.b !== undefined) return new Uint8Array(Buffer.from(o.b, "base64"));
  }
  return v as PrimitiveValue | null;
};

const idText = (id: bigint | undefined) => (id === undefined ? null : id.toString());
const idOf = (text: string | null) => (text === null ? undefined : BigInt(text));

/**
 * When every snapshot from the index's snapshot back to its settled one was committed by the index
 * itself, the index is settled at its snapshot (so a checkpoint's list of own commits stays short).
 */
export function settleOwn(index: KeyIndex, metadata: TableMetadata): void {
  if (index.ownSnapshotIds.length > 0 && index.foreignSince(metadata, index.snapshotId)?.size === 0) {
    index.settle(index.snapshotId);
  }
}

function entryBytes(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** Entries of a hash table (removals included: a spilled run's removed keys are DEAD entries there). */
function slotEntries(index: KeyIndex, which: "delta" | "pending"): Uint32Array {
  const table = which === "delta" ? index.committed.delta : index.pending;
  const out = new Uint32Array(4 * table.used);
  let o = 0;
  table.forEach((_s, hi, lo, file, pos) => {
    out[o++] = hi;
    out[o++] = lo;
    out[o++] = file;
    out[o++] = pos;
  });
  return out.subarray(0, o);
}

/**
 * Saves the index (committed + pending state) beside the table. Returns the file's path and the
 * summary properties for the commit that carries the pending state. The index must not change while
 * this runs. A commit that does not land leaves the file orphaned (orphan removal deletes it).
 */
export async function writeCheckpoint(
  io: FileIO,
  metadata: TableMetadata,
  index: KeyIndex,
): Promise<{ path: string; summary: Record<string, string> }> {
  settleOwn(index, metadata);
  const path = `${metadata.location.replace(/\/+$/, "")}/metadata/floe-keys-${randomUUID()}.bin`;
  const delta = slotEntries(index, "delta");
  const pending = slotEntries(index, "pending");
  const header: Header = {
    format: FORMAT_VERSION,
    hash: KEY_HASH_VERSION,
    keyColumns: [...index.keyColumns],
    snapshotId: idText(index.snapshotId),
    settled: idText(index.settledSnapshotId),
    own: index.ownSnapshotIds.map((id) => id.toString()),
    files: [...index.files.entries()].map(([id, f, seq]) => [
      id,
      f.path,
      f.specId,
      f.partition.map(encodeValue),
      seq === undefined ? null : seq.toString(),
    ]),
    counts: [index.committed.runCount, delta.length / 4, pending.length / 4],
    duplicateKeys: index.duplicateKeys,
  };
  const json = Buffer.from(JSON.stringify(header));
  const headLength = Math.ceil((12 + json.length) / 16) * 16;
  const head = new Uint8Array(headLength);
  head.set(Buffer.from(MAGIC, "latin1"), 0);
  new DataView(head.buffer).setUint32(8, json.length, true);
  head.set(json, 12);
  // (zlib's crc32 of an empty view over a zero-length buffer returns 0, whatever the start value.)
  function* parts(): Generator<Uint8Array> {
    yield head;
    for (const chunk of index.committed.runChunks()) yield entryBytes(chunk);
    yield entryBytes(delta);
    yield entryBytes(pending);
  }
  let crc = 0;
  const out = await openWriteStream(io, path);
  try {
    for (const p of parts()) {
      if (p.length === 0) continue;
      crc = crc32(p, crc);
      await out.write(p);
    }
    const tail = new Uint8Array(4);
    new DataView(tail.buffer).setUint32(0, crc, true);
    await out.write(tail);
    await out.close();
  } catch (e) {
    await out.abort().catch(() => undefined);
    throw e;
  }
  const summary: Record<string, string> = { [FLOE_KEY_INDEX]: path };
  if (index.snapshotId !== undefined) summary[FLOE_KEY_INDEX_PARENT] = index.snapshotId.toString();
  return { path, summary };
}

function bad(path: string, why: string): FloeError {
  return new FloeError("DECODE_FAILED", `key index checkpoint ${path}: ${why}`, { context: { path } });
}

/** Entries a checkpoint's run is read by (8 MiB a read). */
const READ_ENTRIES = 8 * STREAM_ENTRIES;

/** Reads ranges of a file: through readRange when the FileIO has it, else from one whole read. */
async function openRanges(
  io: FileIO,
  path: string,
): Promise<{ size: number; read(offset: number, length: number): Promise<Uint8Array> }> {
  if (io.readRange === undefined) {
    const all = await io.read(path);
    return { size: all.length, read: async (o, l) => all.subarray(o, o + l) };
  }
  const { size } = await io.stat(path);
  return { size, read: (o, l) => readFileRange(io, path, o, l) };
}

/** Uint32 words of whole entries in `bytes` (copied only when unaligned). */
function words(bytes: Uint8Array): Uint32Array {
  const n = bytes.length >>> 2;
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint32Array(bytes.slice(0, 4 * n).buffer);
}

/**
 * Loads a checkpoint written by writeCheckpoint as the index of `snapshotId` (the commit whose summary
 * names it, whose changes are the file's pending state), with `options` for the new index (its memory
 * budget: a run past it is streamed into a run file). DECODE_FAILED when the file is not a checkpoint
 * of this format, hash version and key, or is damaged.
 */
export async function readCheckpoint(
  io: FileIO,
  path: string,
  keyColumns: readonly string[],
  snapshotId: bigint,
  options: KeyIndexOptions = {},
): Promise<{ index: KeyIndex; parent: bigint | undefined }> {
  const file = await openRanges(io, path);
  const first = file.size < 16 ? new Uint8Array(0) : await file.read(0, Math.min(file.size, 1 << 16));
  if (first.length < 16 || Buffer.from(first.subarray(0, 8)).toString("latin1") !== MAGIC) {
    throw bad(path, "not a key index checkpoint");
  }
  const jsonLength = new DataView(first.buffer, first.byteOffset, first.byteLength).getUint32(8, true);
  const offset = Math.ceil((12 + jsonLength) / 16) * 16;
  if (offset + 4 > file.size) throw bad(path, "length mismatch");
  const head = offset <= first.length ? first.subarray(0, offset) : await file.read(0, offset);
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(head.subarray(12, 12 + jsonLength)).toString("utf8")) as Header;
  } catch (e) {
    throw bad(path, `unreadable header (${e instanceof Error ? e.message : String(e)})`);
  }
  if (header.format !== FORMAT_VERSION)
    throw bad(path, `format ${header.format}, expected ${FORMAT_VERSION}`);
  if (header.hash !== KEY_HASH_VERSION)
    throw bad(path, `hash version ${header.hash}, expected ${KEY_HASH_VERSION}`);
  if (header.keyColumns.join("\u0000") !== keyColumns.join("\u0000")) {
    throw bad(path, `key (${header.keyColumns.join(",")}) is not the table's (${keyColumns.join(",")})`);
  }
  const [nBase, nDelta, nPending] = header.counts;
  if (offset + 16 * (nBase + nDelta + nPending) + 4 !== file.size) throw bad(path, "length mismatch");
  const index = new KeyIndex(keyColumns, undefined, options);
  try {
    for (const [id, filePath, specId, partition, seq] of header.files) {
      index.files.restore(
        id,
        { path: filePath, specId, partition: partition.map(decodeValue) },
        seq === null ? undefined : BigInt(seq),
      );
    }
    // The run, a chunk at a time: into a run file past the budget, else into one array.
    let crc = crc32(head);
    const writer = index.committed.spill.over(nBase) ? index.committed.runWriter(nBase) : undefined;
    const inMemory = writer === undefined ? new Uint32Array(4 * nBase) : undefined;
    try {
      for (let k = 0; k < nBase; k += READ_ENTRIES) {
        const n = Math.min(READ_ENTRIES, nBase - k);
        const bytes = await file.read(offset + 16 * k, 16 * n);
        crc = crc32(bytes, crc);
        const w = words(bytes);
        if (inMemory !== undefined) inMemory.set(w, 4 * k);
        else
          for (let i = 0; i < 4 * n; i += 4)
            writer?.push(w[i] as number, w[i + 1] as number, w[i + 2] as number, w[i + 3] as number);
      }
    } catch (e) {
      writer?.abort();
      throw e;
    }
    const rest = await file.read(offset + 16 * nBase, 16 * (nDelta + nPending) + 4);
    const stored = new DataView(rest.buffer, rest.byteOffset, rest.byteLength).getUint32(
      rest.length - 4,
      true,
    );
    if (crc32(rest.subarray(0, rest.length - 4), crc) !== stored) {
      writer?.abort();
      throw bad(path, "checksum mismatch");
    }
    if (writer !== undefined) index.resetCommitted(writer.finish());
    else {
      const base = new SortedEntries(inMemory as Uint32Array);
      for (let k = 0; k < nBase; k++) if (base.words[4 * k + 2] === DEAD) base.dead++;
      index.resetCommitted(base);
    }
    const changes = words(rest.subarray(0, rest.length - 4));
    if (index.spilled) {
      // One pass over the run for every changed key, not a block read each.
      const hashes = new Uint32Array(changes.length >>> 1);
      for (let k = 0; k < changes.length; k += 4) {
        hashes[k >>> 1] = changes[k + 1] as number;
        hashes[(k >>> 1) + 1] = changes[k] as number;
      }
      index.prefetch(hashes);
    }
    for (let k = 0; k < changes.length; k += 4) {
      const [hi, lo, fileId, pos] = [
        changes[k] as number,
        changes[k + 1] as number,
        changes[k + 2] as number,
        changes[k + 3] as number,
      ];
      if (fileId === DEAD) index.removeCommitted(hi, lo);
      else index.setCommitted(hi, lo, fileId, pos);
    }
    index.duplicateKeys = header.duplicateKeys;
    const parent = idOf(header.snapshotId);
    const own = header.own.map((id) => BigInt(id));
    index.restore(snapshotId, idOf(header.settled), [...own, snapshotId]);
    return { index, parent };
  } catch (e) {
    index.close(); // (its spill directory)
    throw e;
  }
}
