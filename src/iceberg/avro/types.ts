/**
 * Plain data shapes of Iceberg manifests and manifest lists as this layer reads and writes them.
 *
 * Struct members keep the Iceberg spec's field names (`file_path`, `added_snapshot_id`), so a field here
 * maps one to one to a spec field and its id. 64-bit values (snapshot ids, sequence numbers, counts of
 * rows and bytes) are bigint; 32-bit ones are number.
 */

/** One field of a partition spec's result type: the partition field id, its name and Iceberg type. */
export interface PartitionFieldType {
  /** Partition field id (1000+ by convention); becomes the Avro `field-id`. */
  fieldId: number;
  name: string;
  /**
   * Iceberg primitive type as in the spec JSON: 'int', 'long', 'string', 'date', 'time', 'timestamp',
   * 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'boolean', 'float', 'double', 'decimal(P,S)',
   * 'fixed[L]', 'binary', 'uuid'.
   */
  type: string;
}

/** The struct type of a partition tuple (the partition spec's result type). */
export interface PartitionType {
  fields: PartitionFieldType[];
}

/**
 * A partition value as JS holds it:
 * - int, date (days since epoch), float, double: number
 * - long, time, timestamp, timestamptz (micros), timestamp_ns (nanos): bigint
 * - decimal: bigint, the unscaled value
 * - string: string; uuid: canonical lowercase string ("f79c3e09-677c-4bbd-a479-3f349cb785e7")
 *   (a 16-byte Uint8Array is accepted when encoding); boolean: boolean
 * - binary, fixed[L]: Uint8Array
 */
export type PartitionValue = number | bigint | string | boolean | Uint8Array;

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
  /** Iceberg binary single-value encoding of each column's lower bound. */
  lower_bounds?: Map<number, Uint8Array>;
  upper_bounds?: Map<number, Uint8Array>;
  key_metadata?: Uint8Array;
  split_offsets?: bigint[];
  equality_ids?: number[];
  sort_order_id?: number;
  referenced_data_file?: string;
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
}
