/**
 * Iceberg manifest lists: one Avro file per snapshot, a `manifest_file` row per manifest.
 * Written as format v2 (v1 for v1 tables: no content or sequence numbers; v3 for v3 tables: first_row_id) with the deflate codec (see manifest.ts for why); read from v1 and v2 files.
 */

import { FloeError } from "../../errors.js";
import {
  type FieldSummary,
  MANIFEST_FILE_IDS as M,
  type ManifestContent,
  type ManifestFile,
  FIELD_SUMMARY_IDS as S,
} from "../spec/index.js";
import type { WriteCodec } from "./container.js";
import { readContainer, writeContainer } from "./container.js";
import { asBuffer, optBigint, optBytes, optInt, reqBigint, reqInt, reqString } from "./decode-util.js";
import type { AvroRecordSchema, ManifestFormatVersion } from "./schemas.js";
import { manifestFileSchema } from "./schemas.js";
import { collectNamedTypes, RecordView } from "./writer-schema.js";

export interface EncodeManifestListOptions {
  manifests: Iterable<ManifestFile>;
  snapshotId: bigint;
  /** Null for a table's first snapshot: written as "null", as the Java and Python writers do. */
  parentSnapshotId: bigint | null;
  /** Ignored for v1 (no sequence numbers). */
  sequenceNumber: bigint;
  formatVersion: ManifestFormatVersion;
  /** v3: the snapshot's first-row-id (written to the `first-row-id` header key). */
  firstRowId?: bigint;
  codec?: WriteCodec;
}

export interface DecodedManifestList {
  /** Every header key-value except the Avro ones. */
  metadata: Record<string, string>;
  /** From `format-version`; 1 when absent. */
  formatVersion: number;
  snapshotId: bigint | null;
  parentSnapshotId: bigint | null;
  sequenceNumber: bigint | null;
  manifests: ManifestFile[];
}

function summaryToAvro(s: FieldSummary): Record<string, unknown> {
  return {
    contains_null: s.contains_null,
    contains_nan: s.contains_nan ?? null,
    lower_bound: s.lower_bound ? asBuffer(s.lower_bound) : null,
    upper_bound: s.upper_bound ? asBuffer(s.upper_bound) : null,
  };
}

function requireV2Count<T>(value: T | null | undefined, name: string, path: string): T {
  if (value === null || value === undefined) {
    throw new FloeError("INVALID_ARGUMENT", `v2 manifest lists require ${name} (manifest ${path})`);
  }
  return value;
}

function* manifestRecords(
  manifests: Iterable<ManifestFile>,
  v: ManifestFormatVersion,
): Generator<Record<string, unknown>> {
  const requireCount = v >= 2 ? requireV2Count : <T>(x: T | null | undefined) => x ?? null;
  for (const m of manifests) {
    const p = m.manifest_path;
    if (v === 1 && m.content !== 0) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `format v1 manifest lists hold data manifests only (manifest ${p})`,
      );
    }
    yield {
      manifest_path: m.manifest_path,
      manifest_length: m.manifest_length,
      partition_spec_id: m.partition_spec_id,
      content: m.content,
      sequence_number: m.sequence_number,
      min_sequence_number: m.min_sequence_number,
      added_snapshot_id: m.added_snapshot_id,
      added_files_count: requireCount(m.added_files_count, "added_files_count", p),
      existing_files_count: requireCount(m.existing_files_count, "existing_files_count", p),
      deleted_files_count: requireCount(m.deleted_files_count, "deleted_files_count", p),
      added_rows_count: requireCount(m.added_rows_count, "added_rows_count", p),
      existing_rows_count: requireCount(m.existing_rows_count, "existing_rows_count", p),
      deleted_rows_count: requireCount(m.deleted_rows_count, "deleted_rows_count", p),
      partitions: m.partitions ? m.partitions.map(summaryToAvro) : null,
      key_metadata: m.key_metadata ? asBuffer(m.key_metadata) : null,
      first_row_id: m.first_row_id ?? null,
    };
  }
}

/** Writes a v1, v2 or v3 manifest list for one snapshot. */
export function encodeManifestList(opts: EncodeManifestListOptions): Uint8Array {
  const v = opts.formatVersion;
  if (v !== 1 && v !== 2 && v !== 3) {
    throw new FloeError("INVALID_ARGUMENT", `cannot write manifest list format ${String(v)}`);
  }
  return writeContainer({
    schema: manifestFileSchema(v),
    metadata: {
      "snapshot-id": opts.snapshotId.toString(),
      "parent-snapshot-id": opts.parentSnapshotId === null ? "null" : opts.parentSnapshotId.toString(),
      ...(v >= 2 ? { "sequence-number": opts.sequenceNumber.toString() } : {}),
      ...(v === 3 && opts.firstRowId !== undefined ? { "first-row-id": opts.firstRowId.toString() } : {}),
      "format-version": String(v),
    },
    records: manifestRecords(opts.manifests, v),
    codec: opts.codec ?? "deflate",
  });
}

function decodeSummary(view: RecordView, rec: unknown): FieldSummary {
  const summary: FieldSummary = { contains_null: view.get(rec, S.contains_null, "contains_null") === true };
  const nan = view.get(rec, S.contains_nan, "contains_nan");
  if (typeof nan === "boolean") summary.contains_nan = nan;
  const lower = optBytes(view.get(rec, S.lower_bound, "lower_bound"));
  if (lower) summary.lower_bound = lower;
  const upper = optBytes(view.get(rec, S.upper_bound, "upper_bound"));
  if (upper) summary.upper_bound = upper;
  return summary;
}

function headerLong(value: string | undefined): bigint | null {
  return value !== undefined && /^-?\d+$/.test(value) ? BigInt(value) : null;
}

/** Reads a manifest list written by any Iceberg writer (v1 or v2). */
export function decodeManifestList(bytes: Uint8Array): DecodedManifestList {
  const container = readContainer(bytes);
  const schema = container.schema;
  if (typeof schema !== "object" || Array.isArray(schema) || schema.type !== "record") {
    throw new FloeError("DECODE_FAILED", "a manifest list's Avro schema must be a record");
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(container.metadata)) if (!k.startsWith("avro.")) metadata[k] = v;
  const view = new RecordView(schema as AvroRecordSchema, collectNamedTypes(schema));
  const summaryView = view.elementRecord(M.partitions, "partitions");

  const manifests = container.records.map((rec): ManifestFile => {
    const m: ManifestFile = {
      manifest_path: reqString(view.get(rec, M.manifest_path, "manifest_path"), "manifest_path"),
      manifest_length: reqBigint(view.get(rec, M.manifest_length, "manifest_length"), "manifest_length"),
      partition_spec_id: reqInt(view.get(rec, M.partition_spec_id, "partition_spec_id"), "partition_spec_id"),
      content: (optInt(view.get(rec, M.content, "content")) ?? 0) as ManifestContent,
      sequence_number: optBigint(view.get(rec, M.sequence_number, "sequence_number")) ?? 0n,
      min_sequence_number: optBigint(view.get(rec, M.min_sequence_number, "min_sequence_number")) ?? 0n,
      added_snapshot_id: reqBigint(
        view.get(rec, M.added_snapshot_id, "added_snapshot_id"),
        "added_snapshot_id",
      ),
      // Early Java v1 writers named these added_data_files_count etc.; ids are the same.
      added_files_count: optInt(
        view.get(rec, M.added_files_count, "added_files_count", "added_data_files_count"),
      ),
      existing_files_count: optInt(
        view.get(rec, M.existing_files_count, "existing_files_count", "existing_data_files_count"),
      ),
      deleted_files_count: optInt(
        view.get(rec, M.deleted_files_count, "deleted_files_count", "deleted_data_files_count"),
      ),
      added_rows_count: optBigint(view.get(rec, M.added_rows_count, "added_rows_count")),
      existing_rows_count: optBigint(view.get(rec, M.existing_rows_count, "existing_rows_count")),
      deleted_rows_count: optBigint(view.get(rec, M.deleted_rows_count, "deleted_rows_count")),
    };
    const partitions = view.get(rec, M.partitions, "partitions");
    if (Array.isArray(partitions) && summaryView) {
      m.partitions = partitions.map((p) => decodeSummary(summaryView, p));
    }
    const keyMetadata = optBytes(view.get(rec, M.key_metadata, "key_metadata"));
    if (keyMetadata) m.key_metadata = keyMetadata;
    const firstRowId = optBigint(view.get(rec, M.first_row_id, "first_row_id")); // v3 lists only
    if (firstRowId !== null) m.first_row_id = firstRowId;
    return m;
  });

  return {
    metadata,
    formatVersion: metadata["format-version"] ? Number(metadata["format-version"]) : 1,
    snapshotId: headerLong(metadata["snapshot-id"]),
    parentSnapshotId: headerLong(metadata["parent-snapshot-id"]),
    sequenceNumber: headerLong(metadata["sequence-number"]),
    manifests,
  };
}
