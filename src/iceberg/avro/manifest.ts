/**
 * Iceberg manifests: Avro files of `manifest_entry` rows, each tracking one data or delete file.
 *
 * Writing produces format v2 (v1 for v1 tables, v3 for v3 tables) with the deflate codec by default: deflate is one of the two codecs every
 * Avro reader must support (null being the other), Java's default for Iceberg metadata ("gzip"), built
 * into Node's zlib, and shrinks manifests several-fold (paths and bounds compress well).
 * Reading accepts v1 and v2 (and v3 files, ignoring fields it does not know), written by any writer,
 * with the null, deflate or snappy codec.
 */

import { FloeError } from "../../errors.js";
import {
  type DATA_FILE_MAP_IDS,
  type DataFile,
  DATA_FILE_IDS as DF,
  MANIFEST_ENTRY_IDS as E,
  type EntryStatus,
  type FileContent,
  type ManifestEntry,
  type PartitionType,
} from "../spec/index.js";
import type { WriteCodec } from "./container.js";
import { readContainer, writeContainer } from "./container.js";
import {
  asBuffer,
  intKeyMap,
  intKeyMapToAvro,
  optBigint,
  optBytes,
  optInt,
  reqBigint,
  reqInt,
  reqString,
} from "./decode-util.js";
import { javaFixedPartitionsAsBytes } from "./java-compat.js";
import { partitionFromAvro, partitionToAvro } from "./partition-values.js";
import type { AvroRecordSchema, ManifestFormatVersion } from "./schemas.js";
import { manifestEntrySchema } from "./schemas.js";
import { collectNamedTypes, RecordView } from "./writer-schema.js";

export interface EncodeManifestOptions {
  entries: Iterable<ManifestEntry>;
  /** The table schema as Iceberg JSON (a string), written to the `schema` header key. */
  schemaJson: string;
  /** `schema-id` header value; defaults to the `schema-id` member of schemaJson. */
  schemaId?: number;
  /** JSON of the partition spec's fields array (a whole spec object is accepted: its `fields` are kept). */
  partitionSpecJson: string;
  partitionSpecId: number;
  /** The table's format version: 1 (data only, no sequence numbers), 2 or 3 (row lineage, DV fields). */
  formatVersion: ManifestFormatVersion;
  /** "data" manifests hold content 0 files only, "deletes" manifests content 1 or 2. */
  content: "data" | "deletes";
  /** Result type of the partition spec: decides the `partition` record of the Avro schema. */
  partitionType: PartitionType;
  codec?: WriteCodec;
}

export interface DecodedManifest {
  /** Every header key-value except the Avro ones (`avro.schema`, `avro.codec`). */
  metadata: Record<string, string>;
  /** From `format-version`; 1 when absent (v1 writers may omit it). */
  formatVersion: number;
  /** From `content`; "data" when absent. */
  content: "data" | "deletes";
  /** From `partition-spec-id`; 0 when absent. */
  partitionSpecId: number;
  schemaId: number | null;
  entries: ManifestEntry[];
}

function invalidArg(message: string): FloeError {
  return new FloeError("INVALID_ARGUMENT", message);
}

function specFieldsJson(partitionSpecJson: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(partitionSpecJson);
  } catch (cause) {
    throw new FloeError("INVALID_ARGUMENT", "partitionSpecJson is not JSON", { cause });
  }
  if (Array.isArray(parsed)) return partitionSpecJson;
  const fields = (parsed as { fields?: unknown } | null)?.fields;
  if (Array.isArray(fields)) return JSON.stringify(fields);
  throw invalidArg("partitionSpecJson must be the partition spec's fields array");
}

function schemaIdOf(schemaJson: string, given: number | undefined): number {
  if (given !== undefined) return given;
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaJson);
  } catch (cause) {
    throw new FloeError("INVALID_ARGUMENT", "schemaJson is not JSON", { cause });
  }
  const id = (parsed as Record<string, unknown> | null)?.["schema-id"];
  if (typeof id !== "number") throw invalidArg("schemaId is required when schemaJson has no schema-id");
  return id;
}

/** block_size_in_bytes, required in v1 data files and meaningless: the value Java's writers put there. */
const V1_BLOCK_SIZE = 64n * 1024n * 1024n;

function entryToAvro(entry: ManifestEntry, partitionType: PartitionType): Record<string, unknown> {
  const f = entry.data_file;
  return {
    status: entry.status,
    snapshot_id: entry.snapshot_id ?? null,
    sequence_number: entry.sequence_number ?? null,
    file_sequence_number: entry.file_sequence_number ?? null,
    data_file: {
      content: f.content,
      file_path: f.file_path,
      file_format: f.file_format,
      partition: partitionToAvro(partitionType, f.partition),
      record_count: f.record_count,
      file_size_in_bytes: f.file_size_in_bytes,
      block_size_in_bytes: V1_BLOCK_SIZE,
      column_sizes: intKeyMapToAvro(f.column_sizes),
      value_counts: intKeyMapToAvro(f.value_counts),
      null_value_counts: intKeyMapToAvro(f.null_value_counts),
      nan_value_counts: intKeyMapToAvro(f.nan_value_counts),
      lower_bounds: intKeyMapToAvro(f.lower_bounds, asBuffer),
      upper_bounds: intKeyMapToAvro(f.upper_bounds, asBuffer),
      key_metadata: f.key_metadata ? asBuffer(f.key_metadata) : null,
      split_offsets: f.split_offsets ?? null,
      equality_ids: f.equality_ids ?? null,
      sort_order_id: f.sort_order_id ?? null,
      referenced_data_file: f.referenced_data_file ?? null,
      first_row_id: f.first_row_id ?? null,
      content_offset: f.content_offset ?? null,
      content_size_in_bytes: f.content_size_in_bytes ?? null,
    },
  };
}

function* checkedEntries(
  entries: Iterable<ManifestEntry>,
  content: "data" | "deletes",
  partitionType: PartitionType,
): Generator<Record<string, unknown>> {
  for (const entry of entries) {
    const fileContent = entry.data_file.content;
    if ((content === "data") !== (fileContent === 0)) {
      throw invalidArg(
        `a ${content} manifest cannot hold a file with content ${fileContent}: ${entry.data_file.file_path}`,
      );
    }
    yield entryToAvro(entry, partitionType);
  }
}

/** Writes a v1, v2 or v3 manifest; the bytes' length is the manifest_length of its manifest list entry. */
export function encodeManifest(opts: EncodeManifestOptions): Uint8Array {
  const v = opts.formatVersion;
  if (v !== 1 && v !== 2 && v !== 3) throw invalidArg(`cannot write manifest format ${String(v)}`);
  if (opts.content !== "data" && opts.content !== "deletes") {
    throw invalidArg(`manifest content must be "data" or "deletes", got ${String(opts.content)}`);
  }
  if (v === 1 && opts.content !== "data") throw invalidArg("format v1 tables have no delete files");
  return writeContainer({
    schema: manifestEntrySchema(opts.partitionType, v),
    metadata: {
      schema: opts.schemaJson,
      "schema-id": String(schemaIdOf(opts.schemaJson, opts.schemaId)),
      "partition-spec": specFieldsJson(opts.partitionSpecJson),
      "partition-spec-id": String(opts.partitionSpecId),
      "format-version": String(v),
      ...(v >= 2 ? { content: opts.content } : {}),
    },
    records: checkedEntries(opts.entries, opts.content, opts.partitionType),
    codec: opts.codec ?? "deflate",
  });
}

/** Partition field names by field id from the `partition-spec` header (v1 ids default to 1000 + index). */
function specNames(partitionSpecJson: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!partitionSpecJson) return out;
  let fields: unknown;
  try {
    fields = JSON.parse(partitionSpecJson);
  } catch {
    return out;
  }
  if (!Array.isArray(fields)) fields = (fields as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return out;
  fields.forEach((f: { name?: unknown; "field-id"?: unknown }, i) => {
    if (typeof f?.name !== "string") return;
    out.set(typeof f["field-id"] === "number" ? f["field-id"] : 1000 + i, f.name);
  });
  return out;
}

function decodeDataFile(view: RecordView, rec: unknown, partitionNames: Map<number, string>): DataFile {
  const partitionView = view.child(DF.partition, "partition");
  const file: DataFile = {
    content: (optInt(view.get(rec, DF.content, "content")) ?? 0) as FileContent,
    file_path: reqString(view.get(rec, DF.file_path, "file_path"), "file_path"),
    file_format: reqString(view.get(rec, DF.file_format, "file_format"), "file_format"),
    partition: partitionView
      ? partitionFromAvro(partitionView, view.get(rec, DF.partition, "partition"), partitionNames)
      : {},
    record_count: reqBigint(view.get(rec, DF.record_count, "record_count"), "record_count"),
    file_size_in_bytes: reqBigint(
      view.get(rec, DF.file_size_in_bytes, "file_size_in_bytes"),
      "file_size_in_bytes",
    ),
  };
  const longs = (x: unknown) => reqBigint(x, "map value");
  const bytes = (x: unknown) => optBytes(x) ?? new Uint8Array();
  const maps: Array<[keyof typeof DATA_FILE_MAP_IDS, (x: unknown) => unknown]> = [
    ["column_sizes", longs],
    ["value_counts", longs],
    ["null_value_counts", longs],
    ["nan_value_counts", longs],
    ["lower_bounds", bytes],
    ["upper_bounds", bytes],
  ];
  const target = file as unknown as Record<string, unknown>;
  for (const [name, conv] of maps) {
    const m = intKeyMap(view.get(rec, DF[name], name), conv);
    if (m) target[name] = m;
  }
  const keyMetadata = optBytes(view.get(rec, DF.key_metadata, "key_metadata"));
  if (keyMetadata) file.key_metadata = keyMetadata;
  const splits = view.get(rec, DF.split_offsets, "split_offsets");
  if (Array.isArray(splits)) file.split_offsets = splits.map((s) => reqBigint(s, "split offset"));
  const eq = view.get(rec, DF.equality_ids, "equality_ids");
  if (Array.isArray(eq)) file.equality_ids = eq.map((s) => reqInt(s, "equality id"));
  const sortOrderId = optInt(view.get(rec, DF.sort_order_id, "sort_order_id"));
  if (sortOrderId !== null) file.sort_order_id = sortOrderId;
  const referenced = view.get(rec, DF.referenced_data_file, "referenced_data_file");
  if (typeof referenced === "string") file.referenced_data_file = referenced;
  // v3 fields (row lineage, deletion vectors), present in v3 manifests.
  const longFields = ["first_row_id", "content_offset", "content_size_in_bytes"] as const;
  for (const name of longFields) {
    const v = optBigint(view.get(rec, DF[name], name));
    if (v !== null) file[name] = v;
  }
  return file;
}

/** `schema-id`, or (Java v1 and PyIceberg leave that key out) the `schema-id` inside `schema`. */
function headerSchemaId(metadata: Record<string, string>): number | null {
  const direct = metadata["schema-id"];
  if (direct !== undefined && /^-?\d+$/.test(direct)) return Number(direct);
  try {
    const id = (JSON.parse(metadata.schema ?? "null") as Record<string, unknown> | null)?.["schema-id"];
    return typeof id === "number" ? id : null;
  } catch {
    return null;
  }
}

/** Reads a manifest written by any Iceberg writer (v1, v2; null, deflate or snappy codec). */
export function decodeManifest(bytes: Uint8Array): DecodedManifest {
  const container = readContainer(bytes, javaFixedPartitionsAsBytes);
  const schema = container.schema;
  if (typeof schema !== "object" || Array.isArray(schema) || schema.type !== "record") {
    throw new FloeError("DECODE_FAILED", "a manifest's Avro schema must be a record");
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(container.metadata)) if (!k.startsWith("avro.")) metadata[k] = v;

  const entryView = new RecordView(schema as AvroRecordSchema, collectNamedTypes(schema));
  const dataFileView = entryView.child(E.data_file, "data_file");
  if (!dataFileView) throw new FloeError("DECODE_FAILED", "manifest schema has no data_file (field 2)");
  const partitionNames = specNames(metadata["partition-spec"]);

  const entries = container.records.map(
    (rec): ManifestEntry => ({
      status: reqInt(entryView.get(rec, E.status, "status"), "status") as EntryStatus,
      snapshot_id: optBigint(entryView.get(rec, E.snapshot_id, "snapshot_id")),
      sequence_number: optBigint(entryView.get(rec, E.sequence_number, "sequence_number")),
      file_sequence_number: optBigint(entryView.get(rec, E.file_sequence_number, "file_sequence_number")),
      data_file: decodeDataFile(dataFileView, entryView.get(rec, E.data_file, "data_file"), partitionNames),
    }),
  );

  return {
    metadata,
    formatVersion: metadata["format-version"] ? Number(metadata["format-version"]) : 1,
    content: metadata.content === "deletes" ? "deletes" : "data",
    partitionSpecId: metadata["partition-spec-id"] ? Number(metadata["partition-spec-id"]) : 0,
    schemaId: headerSchemaId(metadata),
    entries,
  };
}
