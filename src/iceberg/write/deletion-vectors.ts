/**
 * Deletion vectors (format v3): the deleted row positions of one data file as a `deletion-vector-v1`
 * blob in a Puffin file — 4-byte big-endian length of what follows up to the checksum, the magic
 * D1 D3 39 64, the positions as a portable 64-bit Roaring bitmap, and a big-endian CRC-32 of magic and
 * bitmap. The manifest tracks each vector as a position delete file (content 1, format PUFFIN) with
 * `referenced_data_file`, `content_offset` and `content_size_in_bytes` locating its blob, and
 * `record_count` the number of deleted rows.
 *
 * A data file has at most one live vector: a new one must hold the old one's positions too, and the
 * commit that adds it removes the old one (FileChangeOperation.removeDeleteFiles with the old DataFile).
 */
import { randomUUID } from "node:crypto";
import { crc32 } from "node:zlib";
import { FloeError } from "../../errors.js";
import type { FileIO } from "../io/index.js";
import type { DataFile, PartitionData, PartitionSpec, PrimitiveValue } from "../spec/index.js";
import { decodePuffinFooter, encodePuffin } from "./puffin.js";
import { deserializePositions, encodePositions } from "./roaring.js";

export const DELETION_VECTOR_BLOB_TYPE = "deletion-vector-v1";
/** The `_pos` metadata column's field id: the field a deletion vector blob applies to. */
export const ROW_POSITION_FIELD_ID = 2147483645;
const DV_MAGIC = new Uint8Array([0xd1, 0xd3, 0x39, 0x64]);

/** True for a deletion vector (a position delete file stored in Puffin). */
export function isDeletionVector(file: DataFile): boolean {
  return file.content === 1 && file.file_format.toUpperCase() === "PUFFIN";
}

/** The `deletion-vector-v1` blob of `positions`. */
export function encodeDeletionVectorBlob(positions: Iterable<number | bigint>): Uint8Array {
  return blobOf(encodePositions(positions).bytes);
}

function blobOf(vector: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + DV_MAGIC.byteLength + vector.byteLength + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, DV_MAGIC.byteLength + vector.byteLength, false);
  out.set(DV_MAGIC, 4);
  out.set(vector, 8);
  const checked = out.subarray(4, 8 + vector.byteLength);
  view.setUint32(8 + vector.byteLength, crc32(checked) >>> 0, false);
  return out;
}

/** The positions (ascending) of a `deletion-vector-v1` blob; checks its length, magic and CRC. */
export function decodeDeletionVectorBlob(blob: Uint8Array): number[] {
  const bad = (m: string) => new FloeError("DECODE_FAILED", `deletion vector: ${m}`);
  if (blob.byteLength < 12) throw bad("blob too short");
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = view.getUint32(0, false);
  if (length + 8 !== blob.byteLength)
    throw bad(`length ${length} does not match the blob's ${blob.byteLength} bytes`);
  if (!DV_MAGIC.every((b, i) => blob[4 + i] === b)) throw bad("bad magic");
  const checked = blob.subarray(4, 4 + length);
  if (crc32(checked) >>> 0 !== view.getUint32(4 + length, false)) throw bad("CRC-32 mismatch");
  return deserializePositions(blob.subarray(8, 4 + length));
}

/** The bytes of a deletion vector's blob (a ranged read where the FileIO has one). */
async function blobBytes(io: FileIO, file: DataFile): Promise<Uint8Array> {
  const offset = file.content_offset;
  const size = file.content_size_in_bytes;
  if (offset === undefined || size === undefined) {
    throw new FloeError(
      "DECODE_FAILED",
      `deletion vector ${file.file_path} lacks content_offset/content_size_in_bytes`,
    );
  }
  if (io.readRange) return io.readRange(file.file_path, Number(offset), Number(size));
  return (await io.read(file.file_path)).subarray(Number(offset), Number(offset + size));
}

/** The deleted positions (ascending) of a deletion vector tracked by `file`. */
export async function readDeletionVector(io: FileIO, file: DataFile): Promise<number[]> {
  if (!isDeletionVector(file)) {
    throw new FloeError("INVALID_ARGUMENT", `${file.file_path} is not a deletion vector (content 1, PUFFIN)`);
  }
  const positions = decodeDeletionVectorBlob(await blobBytes(io, file));
  if (BigInt(positions.length) !== file.record_count) {
    throw new FloeError(
      "DECODE_FAILED",
      `deletion vector for ${file.referenced_data_file} holds ${positions.length} positions, its record_count says ${file.record_count}`,
    );
  }
  return positions;
}

export interface DeletionVectorInput {
  /** Row positions (0-based) of the data file to delete. */
  positions: Iterable<number | bigint>;
  /** The data file's partition: a DataFile partition record, or a tuple in spec field order. */
  partition: PartitionData | readonly (PrimitiveValue | null)[];
  /** The data file's current deletion vector: its positions are kept, and the commit must remove it. */
  previous?: DataFile;
}

export interface DeletionVectorWriterOptions {
  io: FileIO;
  /** Table location: the Puffin file goes to `<location>/data/`. */
  location: string;
  /** The data files' partition spec (needed when partitions are given as tuples). */
  spec?: PartitionSpec;
  /** Written to the footer's `created-by`. */
  createdBy?: string;
}

function partitionRecord(input: DeletionVectorInput, spec: PartitionSpec | undefined): PartitionData {
  if (!Array.isArray(input.partition)) return { ...(input.partition as PartitionData) };
  const tuple = input.partition as readonly (PrimitiveValue | null)[];
  if (spec === undefined || spec.fields.length !== tuple.length) {
    throw new FloeError("INVALID_ARGUMENT", "a partition tuple needs the spec it follows");
  }
  const out: PartitionData = {};
  spec.fields.forEach((f, i) => {
    out[f.name] = tuple[i] ?? null;
  });
  return out;
}

/**
 * Writes one Puffin file with a deletion vector per data file of `deletes` (keyed by data file path)
 * and returns the delete files to add. A file's `previous` vector is read and merged into the new one;
 * the caller removes the previous ones in the same commit. Data files with no positions are skipped.
 */
export async function writeDeletionVectors(
  opts: DeletionVectorWriterOptions,
  deletes: ReadonlyMap<string, DeletionVectorInput>,
): Promise<DataFile[]> {
  const entries: { path: string; vector: Uint8Array; cardinality: number; partition: PartitionData }[] = [];
  for (const [path, input] of deletes) {
    let positions: Iterable<number | bigint> = input.positions;
    const prev = input.previous;
    if (prev !== undefined) {
      if (prev.referenced_data_file !== path) {
        throw new FloeError(
          "INVALID_ARGUMENT",
          `the previous deletion vector of ${path} refers to ${prev.referenced_data_file ?? "no data file"}`,
        );
      }
      positions = [...(await readDeletionVector(opts.io, prev)), ...input.positions];
    }
    const { bytes: vector, cardinality } = encodePositions(positions);
    if (cardinality > 0)
      entries.push({ path, vector, cardinality, partition: partitionRecord(input, opts.spec) });
  }
  if (entries.length === 0) return [];
  const { bytes, blobs } = encodePuffin(
    entries.map((e) => ({
      type: DELETION_VECTOR_BLOB_TYPE,
      fields: [ROW_POSITION_FIELD_ID],
      // Both inherited from the manifest entry, as the blob type requires.
      snapshotId: -1,
      sequenceNumber: -1,
      data: blobOf(e.vector),
      properties: { "referenced-data-file": e.path, cardinality: String(e.cardinality) },
    })),
    { "created-by": opts.createdBy ?? "Floe" },
  );
  const path = `${opts.location.replace(/\/+$/, "")}/data/${randomUUID()}-deletes.puffin`;
  await opts.io.write(path, bytes, { ifNoneMatch: true, contentType: "application/octet-stream" });
  return entries.map((e, i) => ({
    content: 1,
    file_path: path,
    file_format: "PUFFIN",
    partition: e.partition,
    record_count: BigInt(e.cardinality),
    file_size_in_bytes: BigInt(bytes.byteLength),
    referenced_data_file: e.path,
    content_offset: BigInt(blobs[i]?.offset ?? 0),
    content_size_in_bytes: BigInt(blobs[i]?.length ?? 0),
  }));
}

/** The blobs of a whole Puffin file as deletion vectors (for inspection and tests). */
export function deletionVectorsInPuffin(
  bytes: Uint8Array,
): { referencedDataFile: string; positions: number[] }[] {
  return decodePuffinFooter(bytes)
    .blobs.filter((b) => b.type === DELETION_VECTOR_BLOB_TYPE)
    .map((b) => ({
      referencedDataFile: b.properties?.["referenced-data-file"] ?? "",
      positions: decodeDeletionVectorBlob(bytes.subarray(b.offset, b.offset + b.length)),
    }));
}

/**
 * The deletion vector of each data file among `deleteFiles` (a snapshot's live delete files), keyed
 * by the data file's path. Two live vectors for one data file break the spec: FloeError.
 */
export function deletionVectorsByDataFile(deleteFiles: Iterable<DataFile>): Map<string, DataFile> {
  const out = new Map<string, DataFile>();
  for (const f of deleteFiles) {
    if (!isDeletionVector(f) || f.referenced_data_file === undefined) continue;
    if (out.has(f.referenced_data_file)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `data file ${f.referenced_data_file} has two live deletion vectors`,
      );
    }
    out.set(f.referenced_data_file, f);
  }
  return out;
}
