/**
 * Reading and writing the manifests of a snapshot: the live manifest files of a snapshot, entries with
 * inherited sequence numbers resolved, new manifests for added files, and rewritten manifests that mark
 * removed files DELETED.
 */
import { randomUUID } from "node:crypto";
import { FloeError } from "../../errors.js";
import {
  decodeManifest,
  decodeManifestList,
  encodeManifest,
  type ManifestFormatVersion,
  summarizePartitions,
} from "../avro/index.js";
import type { FileIO } from "../io/index.js";
import {
  type DataFile,
  ENTRY_STATUS,
  type ManifestEntry,
  type ManifestFile,
  type PartitionSpec,
  partitionType,
  type Schema,
  type Snapshot,
  stringifyJson,
  type TableMetadata,
} from "../spec/index.js";
import { deletionVectorsByDataFile } from "../write/index.js";

/** The manifest files of a snapshot (an empty list for no snapshot). */
export async function readManifestList(io: FileIO, snapshot: Snapshot | undefined): Promise<ManifestFile[]> {
  if (snapshot === undefined) return [];
  const list = snapshot["manifest-list"];
  if (list === undefined) {
    throw new FloeError(
      "UNSUPPORTED",
      `snapshot ${snapshot["snapshot-id"]} lists its manifests inline (format v1 without a manifest list); upgrade the table first`,
    );
  }
  return decodeManifestList(await io.read(list)).manifests;
}

/**
 * A manifest's entries with sequence numbers resolved: ADDED entries with a null data or file sequence
 * number inherit the manifest's, so they can be carried into a rewritten manifest as EXISTING. In a
 * data manifest with a first_row_id (v3), data files without one get theirs too: the manifest's plus
 * the record counts of the live files before them that had none (row lineage inheritance).
 */
export async function readManifestEntries(io: FileIO, manifest: ManifestFile): Promise<ManifestEntry[]> {
  const decoded = decodeManifest(await io.read(manifest.manifest_path));
  let nextRowId = manifest.content === 0 ? manifest.first_row_id : undefined;
  return decoded.entries.map((e) => {
    let dataFile = e.data_file;
    const live = e.status !== ENTRY_STATUS.DELETED;
    if (nextRowId !== undefined && live && dataFile.content === 0 && dataFile.first_row_id === undefined) {
      // The manifest's row id range covers its live (added and existing) rows only.
      dataFile = { ...dataFile, first_row_id: nextRowId };
      nextRowId += dataFile.record_count;
    }
    return {
      ...e,
      snapshot_id: e.snapshot_id ?? manifest.added_snapshot_id,
      sequence_number: e.sequence_number ?? manifest.sequence_number,
      file_sequence_number:
        e.file_sequence_number ?? (e.status === ENTRY_STATUS.ADDED ? manifest.sequence_number : null),
      data_file: dataFile,
    };
  });
}

export interface ManifestContext {
  io: FileIO;
  /** Table location: manifests go to `<location>/metadata/`. */
  location: string;
  schema: Schema;
  spec: PartitionSpec;
  snapshotId: bigint;
  /** The table's format version (writeVersion): v1 tables get v1 manifests, v3 tables v3. Default 2. */
  formatVersion?: ManifestFormatVersion;
}

/** The manifest format to write for a table: its format version. */
export function writeVersion(md: Pick<TableMetadata, "format-version">): ManifestFormatVersion {
  return md["format-version"];
}

/** The sequence number of the table's next snapshot: always 0 in v1, the last one plus one after. */
export function nextSequenceNumber(
  md: Pick<TableMetadata, "format-version" | "last-sequence-number">,
): bigint {
  return md["format-version"] === 1 ? 0n : md["last-sequence-number"] + 1n;
}

/**
 * Writes one manifest of `entries` and returns its manifest-list entry. `sequenceNumber` is filled in
 * per attempt by the producer (ADDED entries inherit it), so the file can be reused across retries.
 */
export async function writeManifest(
  ctx: ManifestContext,
  entries: readonly ManifestEntry[],
  content: "data" | "deletes",
): Promise<ManifestFile> {
  const type = partitionType(ctx.spec, ctx.schema);
  const bytes = encodeManifest({
    entries,
    schemaJson: stringifyJson(ctx.schema),
    partitionSpecJson: stringifyJson(ctx.spec.fields),
    partitionSpecId: ctx.spec["spec-id"],
    formatVersion: ctx.formatVersion ?? 2,
    content,
    partitionType: type,
  });
  const path = `${ctx.location.replace(/\/+$/, "")}/metadata/${randomUUID()}-m0.avro`;
  await ctx.io.write(path, bytes, { ifNoneMatch: true, contentType: "application/avro" });
  let addedFiles = 0;
  let existingFiles = 0;
  let deletedFiles = 0;
  let addedRows = 0n;
  let existingRows = 0n;
  let deletedRows = 0n;
  let minSeq: bigint | undefined;
  for (const e of entries) {
    const rows = e.data_file.record_count;
    if (e.status === ENTRY_STATUS.ADDED) {
      addedFiles++;
      addedRows += rows;
    } else if (e.status === ENTRY_STATUS.EXISTING) {
      existingFiles++;
      existingRows += rows;
    } else {
      deletedFiles++;
      deletedRows += rows;
    }
    if (e.status !== ENTRY_STATUS.DELETED && e.sequence_number !== null) {
      minSeq = minSeq === undefined || e.sequence_number < minSeq ? e.sequence_number : minSeq;
    }
  }
  return {
    manifest_path: path,
    manifest_length: BigInt(bytes.byteLength),
    partition_spec_id: ctx.spec["spec-id"],
    content: content === "data" ? 0 : 1,
    sequence_number: -1n,
    min_sequence_number: minSeq ?? -1n,
    added_snapshot_id: ctx.snapshotId,
    added_files_count: addedFiles,
    existing_files_count: existingFiles,
    deleted_files_count: deletedFiles,
    added_rows_count: addedRows,
    existing_rows_count: existingRows,
    deleted_rows_count: deletedRows,
    partitions: summarizePartitions(
      type,
      entries.map((e) => e.data_file.partition),
    ),
  };
}

/** ADDED entries for new files of this snapshot (sequence numbers inherited at commit). */
export function addedEntries(files: readonly DataFile[], snapshotId: bigint): ManifestEntry[] {
  return files.map((data_file) => ({
    status: ENTRY_STATUS.ADDED,
    snapshot_id: snapshotId,
    sequence_number: null,
    file_sequence_number: null,
    data_file,
  }));
}

/** True when a manifest (by its summary) may hold live entries. */
export function hasLiveFiles(m: ManifestFile): boolean {
  return (m.added_files_count ?? 1) > 0 || (m.existing_files_count ?? 1) > 0;
}

/** Every live (ADDED or EXISTING) entry of a snapshot, data and delete files, sequence numbers resolved. */
export async function liveEntries(io: FileIO, snapshot: Snapshot | undefined): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const m of await readManifestList(io, snapshot)) {
    if (!hasLiveFiles(m)) continue;
    for (const e of await readManifestEntries(io, m)) if (e.status !== ENTRY_STATUS.DELETED) out.push(e);
  }
  return out;
}

/** The live deletion vectors of a snapshot, keyed by the data file each one refers to. */
export async function liveDeletionVectors(
  io: FileIO,
  snapshot: Snapshot | undefined,
): Promise<Map<string, DataFile>> {
  const deletes: DataFile[] = [];
  for (const m of await readManifestList(io, snapshot)) {
    if (m.content !== 1 || !hasLiveFiles(m)) continue;
    for (const e of await readManifestEntries(io, m))
      if (e.status !== ENTRY_STATUS.DELETED) deletes.push(e.data_file);
  }
  return deletionVectorsByDataFile(deletes);
}
