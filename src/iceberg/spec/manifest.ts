/**
 * The structs of Iceberg manifests and manifest lists (spec "Manifests", "Manifest Lists"): data and
 * delete files, manifest entries, manifest-list entries and partition field summaries, with their field
 * ids. iceberg/avro encodes them; the writers and the snapshot producer build them.
 *
 * Struct members keep the spec's field names (`file_path`, `added_snapshot_id`), so a member maps one to
 * one to a spec field and its id. 64-bit values (snapshot ids, sequence numbers, counts of rows and
 * bytes, offsets) are bigint; 32-bit ones are number.
 */

import type { StructType } from "./types.js";
import type { PrimitiveValue } from "./values.js";

/**
 * The struct type of a partition tuple, the partition spec's result type (partitionType() in
 * partition.ts): one optional field per partition field, with its partition field id (1000+) and
 * primitive type. It decides the `partition` record of a manifest's Avro schema.
 */
export type PartitionType = StructType;

/**
 * A partition value: the JS representation of its Iceberg type (values.ts). Encoding also accepts a
 * safe-integer number for a 64-bit type and 16 bytes for a uuid.
 */
export type PartitionValue = PrimitiveValue;

/** Partition tuple keyed by partition field name; null for a null value. */
export type PartitionData = Record<string, PartitionValue | null>;

/** data_file.content (field 134). */
export const FILE_CONTENT = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const;
export type FileContent = (typeof FILE_CONTENT)[keyof typeof FILE_CONTENT];

/** manifest_entry.status (field 0). */
export const ENTRY_STATUS = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatus = (typeof ENTRY_STATUS)[keyof typeof ENTRY_STATUS];

/** manifest_file.content (field 517). */
export const MANIFEST_CONTENT = { DATA: 0, DELETES: 1 } as const;
export type ManifestContent = (typeof MANIFEST_CONTENT)[keyof typeof MANIFEST_CONTENT];

/** The `data_file` struct (field 2 of manifest_entry). Maps are keyed by table column field id. */
export interface DataFile {
  /** 0 data, 1 position deletes, 2 equality deletes. v1 manifests have no content: read as 0. */
  content: FileContent;
  file_path: string;
  /** As Java writes it: "PARQUET", "AVRO", "ORC", "PUFFIN" (readers compare case-insensitively). */
  file_format: string;
  partition: PartitionData;
  record_count: bigint;
  file_size_in_bytes: bigint;
  column_sizes?: Map<number, bigint>;
  value_counts?: Map<number, bigint>;
  null_value_counts?: Map<number, bigint>;
  nan_value_counts?: Map<number, bigint>;
  /** Iceberg binary single-value encoding (single-value.ts) of each column's lower bound. */
  lower_bounds?: Map<number, Uint8Array>;
  upper_bounds?: Map<number, Uint8Array>;
  key_metadata?: Uint8Array;
  split_offsets?: bigint[];
  /** Equality delete files: the field ids whose values identify a deleted row. */
  equality_ids?: number[];
  sort_order_id?: number;
  /** v3: the row id of the file's first row (row lineage). */
  first_row_id?: bigint;
  /** Position delete files and deletion vectors: the one data file all of its deletes refer to. */
  referenced_data_file?: string;
  /** v3 deletion vectors: where the vector's blob starts in the Puffin file, and its length. */
  content_offset?: bigint;
  content_size_in_bytes?: bigint;
}

/** One entry of a manifest. A null snapshot id or sequence number is inherited from the manifest list. */
export interface ManifestEntry {
  status: EntryStatus;
  snapshot_id: bigint | null;
  /** Data sequence number; null for ADDED entries so that it is inherited at commit. */
  sequence_number: bigint | null;
  file_sequence_number: bigint | null;
  data_file: DataFile;
}

/** Summary of one partition field over a manifest's entries (manifest_file.partitions element). */
export interface FieldSummary {
  contains_null: boolean;
  contains_nan?: boolean;
  lower_bound?: Uint8Array;
  upper_bound?: Uint8Array;
}

/** One entry of a manifest list. */
export interface ManifestFile {
  manifest_path: string;
  manifest_length: bigint;
  partition_spec_id: number;
  /** 0 data, 1 deletes; 0 when read from a v1 list. */
  content: ManifestContent;
  /** 0 when read from a v1 list. */
  sequence_number: bigint;
  min_sequence_number: bigint;
  added_snapshot_id: bigint;
  /** Null only when read from a v1 list that left the count out (then "assumed non-zero"). */
  added_files_count: number | null;
  existing_files_count: number | null;
  deleted_files_count: number | null;
  added_rows_count: bigint | null;
  existing_rows_count: bigint | null;
  deleted_rows_count: bigint | null;
  partitions?: FieldSummary[];
  key_metadata?: Uint8Array;
  /** v3: the first row id assigned to the manifest's added rows (row lineage). */
  first_row_id?: bigint;
}

// ---- field ids --------------------------------------------------------------------------------------

/** Field ids of `manifest_entry`. */
export const MANIFEST_ENTRY_IDS = {
  status: 0,
  snapshot_id: 1,
  data_file: 2,
  sequence_number: 3,
  file_sequence_number: 4,
} as const;

/** Field ids of `data_file` (`partition` is the struct of the spec's partition fields). */
export const DATA_FILE_IDS = {
  file_path: 100,
  file_format: 101,
  partition: 102,
  record_count: 103,
  file_size_in_bytes: 104,
  block_size_in_bytes: 105,
  column_sizes: 108,
  value_counts: 109,
  null_value_counts: 110,
  lower_bounds: 125,
  upper_bounds: 128,
  key_metadata: 131,
  split_offsets: 132,
  content: 134,
  equality_ids: 135,
  nan_value_counts: 137,
  sort_order_id: 140,
  first_row_id: 142,
  referenced_data_file: 143,
  content_offset: 144,
  content_size_in_bytes: 145,
} as const;

/** Key and value ids of the `data_file` maps (all `map<int, …>` keyed by column field id). */
export const DATA_FILE_MAP_IDS = {
  column_sizes: { key: 117, value: 118 },
  value_counts: { key: 119, value: 120 },
  null_value_counts: { key: 121, value: 122 },
  nan_value_counts: { key: 138, value: 139 },
  lower_bounds: { key: 126, value: 127 },
  upper_bounds: { key: 129, value: 130 },
} as const;

/** Element ids of the `data_file` lists. */
export const DATA_FILE_LIST_IDS = { split_offsets: 133, equality_ids: 136 } as const;

/** Field ids of `manifest_file` (a manifest list's rows); `partitions` elements are `field_summary`. */
export const MANIFEST_FILE_IDS = {
  manifest_path: 500,
  manifest_length: 501,
  partition_spec_id: 502,
  added_snapshot_id: 503,
  added_files_count: 504,
  existing_files_count: 505,
  deleted_files_count: 506,
  partitions: 507,
  added_rows_count: 512,
  existing_rows_count: 513,
  deleted_rows_count: 514,
  sequence_number: 515,
  min_sequence_number: 516,
  content: 517,
  key_metadata: 519,
  first_row_id: 520,
} as const;

/** Element id of `manifest_file.partitions`. */
export const MANIFEST_FILE_PARTITIONS_ELEMENT_ID = 508;

/** Field ids of `field_summary`. */
export const FIELD_SUMMARY_IDS = {
  contains_null: 509,
  lower_bound: 510,
  upper_bound: 511,
  contains_nan: 518,
} as const;
