/**
 * Every table property Floe reads, with its default, and typed readers. Keys and defaults are Iceberg's
 * (TableProperties) unless marked as Floe's; a reader never throws on a malformed value except where
 * noted: it falls back to the default, as Iceberg's PropertyUtil does.
 */

export type TableProperties = Readonly<Record<string, string>>;

const MiB = 1024 * 1024;

// --- writing data files -------------------------------------------------------------------------

/** Parquet codec for data files. Floe supports zstd (its default, Iceberg's since 1.4), snappy, uncompressed. */
export const PARQUET_COMPRESSION_CODEC = "write.parquet.compression-codec";
export const PARQUET_COMPRESSION_CODEC_DEFAULT = "zstd";
/** Metrics mode for every column: none | counts | truncate(N) | full. */
export const METRICS_MODE_DEFAULT = "write.metadata.metrics.default";
export const METRICS_MODE_DEFAULT_DEFAULT = "truncate(16)";
/** Prefix of the per-column metrics mode: `write.metadata.metrics.column.<dotted name>`. */
export const METRICS_MODE_COLUMN_PREFIX = "write.metadata.metrics.column.";
/**
 * Bytes per Parquet row group. Floe reads it as the Arrow size of the rows in a row group, and its
 * default is Floe's, not Iceberg's 128 MiB: the WASM encoder holds the open row group's encoder state
 * (measured ~100 MB of WASM memory for 32 MiB of Arrow, ~280 MB for 128 MiB), and WASM memory never
 * shrinks.
 */
export const ROW_GROUP_SIZE_BYTES = "write.parquet.row-group-size-bytes";
export const ROW_GROUP_SIZE_BYTES_DEFAULT = 32 * MiB;
/** Size data files aim for (compaction's target). */
export const TARGET_FILE_SIZE_BYTES = "write.target-file-size-bytes";
export const TARGET_FILE_SIZE_BYTES_DEFAULT = 512 * MiB;
/** JSON name mapping for files written without field ids. */
export const NAME_MAPPING_DEFAULT = "schema.name-mapping.default";

// --- table creation -----------------------------------------------------------------------------

/** Requested at create time (REST create-table properties); not stored as a property. */
export const FORMAT_VERSION = "format-version";
/** A table or namespace description (Glue's Description). */
export const COMMENT = "comment";

// --- commits ------------------------------------------------------------------------------------

/** Retries after the first attempt of a commit. */
export const COMMIT_NUM_RETRIES = "commit.retry.num-retries";
export const COMMIT_NUM_RETRIES_DEFAULT = 4;
export const COMMIT_MIN_RETRY_WAIT_MS = "commit.retry.min-wait-ms";
export const COMMIT_MIN_RETRY_WAIT_MS_DEFAULT = 100;
export const COMMIT_MAX_RETRY_WAIT_MS = "commit.retry.max-wait-ms";
export const COMMIT_MAX_RETRY_WAIT_MS_DEFAULT = 60_000;
export const COMMIT_TOTAL_RETRY_TIME_MS = "commit.retry.total-timeout-ms";
export const COMMIT_TOTAL_RETRY_TIME_MS_DEFAULT = 1_800_000;
/** Manifests below this size are merged by manifest rewrites. */
export const MANIFEST_TARGET_SIZE_BYTES = "commit.manifest.target-size-bytes";
export const MANIFEST_TARGET_SIZE_BYTES_DEFAULT = 8 * MiB;

// --- metadata files -----------------------------------------------------------------------------

export const METADATA_DELETE_AFTER_COMMIT_ENABLED = "write.metadata.delete-after-commit.enabled";
export const METADATA_DELETE_AFTER_COMMIT_ENABLED_DEFAULT = false;
export const METADATA_PREVIOUS_VERSIONS_MAX = "write.metadata.previous-versions-max";
export const METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT = 100;

// --- snapshot expiry and garbage collection -----------------------------------------------------

/** False: never delete data or metadata files of the table (expiry still drops snapshots). */
export const GC_ENABLED = "gc.enabled";
export const GC_ENABLED_DEFAULT = true;
export const MAX_SNAPSHOT_AGE_MS = "history.expire.max-snapshot-age-ms";
export const MAX_SNAPSHOT_AGE_MS_DEFAULT = 5 * 86_400_000;
export const MIN_SNAPSHOTS_TO_KEEP = "history.expire.min-snapshots-to-keep";
/** Floe's default: Iceberg keeps 1, Floe 100 (a streaming table commits every few seconds). */
export const MIN_SNAPSHOTS_TO_KEEP_DEFAULT = 100;

// --- Floe's own keys ----------------------------------------------------------------------------

/**
 * Snapshot summary key prefix (Floe's): `floe.offsets.<consumer group>` holds the next offset per
 * topic partition a sink commit covers, JSON `{"topic":{"0":"1234"}}`.
 */
export const FLOE_OFFSETS_PREFIX = "floe.offsets.";

/**
 * Snapshot summary keys of an upsert table's commit that saved its key index: the checkpoint file's
 * path (under the table's metadata/ directory), and the snapshot the index was at before that commit.
 */
export const FLOE_KEY_INDEX = "floe.key-index";
export const FLOE_KEY_INDEX_PARENT = "floe.key-index.parent";

/** Table properties of upsert tables: the key (comma-separated top-level columns, set by Floe on create). */
export const FLOE_UPSERT_KEY = "floe.upsert.key";
/**
 * How upserts delete the rows they replace: `position` (default; position deletes, or deletion vectors
 * in v3, which every reader applies) or `equality` (equality deletes on the key, for engines that want
 * them: no key index, but PyIceberg and Snowflake cannot read such tables).
 */
export const FLOE_UPSERT_DELETES = "floe.upsert.deletes";

// --- readers ------------------------------------------------------------------------------------

/** A non-negative integer property, or `fallback` when absent or not a plain integer. */
export function intProperty(properties: TableProperties, key: string, fallback: number): number;
export function intProperty(properties: TableProperties, key: string): number | undefined;
export function intProperty(properties: TableProperties, key: string, fallback?: number): number | undefined {
  const raw = properties[key]?.trim();
  if (raw === undefined || !/^\d+$/.test(raw)) return fallback;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : fallback;
}

/** A boolean property (`true`/`false`, any case), or `fallback` when absent or neither. */
export function boolProperty(properties: TableProperties, key: string, fallback: boolean): boolean {
  const raw = properties[key]?.trim().toLowerCase();
  return raw === "true" ? true : raw === "false" ? false : fallback;
}

/** How often and how patiently a commit is retried (Iceberg's commit.retry.* properties). */
export interface CommitRetryPolicy {
  /** Retries after the first attempt. */
  readonly numRetries: number;
  readonly minWaitMs: number;
  readonly maxWaitMs: number;
  /** No retry starts after this long since the first attempt. */
  readonly totalTimeoutMs: number;
}

export function commitRetryPolicy(properties: TableProperties): CommitRetryPolicy {
  const minWaitMs = intProperty(properties, COMMIT_MIN_RETRY_WAIT_MS, COMMIT_MIN_RETRY_WAIT_MS_DEFAULT);
  return {
    numRetries: intProperty(properties, COMMIT_NUM_RETRIES, COMMIT_NUM_RETRIES_DEFAULT),
    minWaitMs,
    maxWaitMs: Math.max(
      minWaitMs,
      intProperty(properties, COMMIT_MAX_RETRY_WAIT_MS, COMMIT_MAX_RETRY_WAIT_MS_DEFAULT),
    ),
    totalTimeoutMs: intProperty(properties, COMMIT_TOTAL_RETRY_TIME_MS, COMMIT_TOTAL_RETRY_TIME_MS_DEFAULT),
  };
}

/** False only when `gc.enabled` is explicitly false. */
export function gcEnabled(properties: TableProperties): boolean {
  return boolProperty(properties, GC_ENABLED, GC_ENABLED_DEFAULT);
}

/** `write.target-file-size-bytes` when set to a positive integer, else `fallback` (Iceberg's 512 MiB). */
export function targetFileSizeBytes(
  properties: TableProperties,
  fallback = TARGET_FILE_SIZE_BYTES_DEFAULT,
): number {
  const n = intProperty(properties, TARGET_FILE_SIZE_BYTES, fallback);
  return n > 0 ? n : fallback;
}

/** `commit.manifest.target-size-bytes` when set to a positive integer, else 8 MiB. */
export function manifestTargetSizeBytes(properties: TableProperties): number {
  const n = intProperty(properties, MANIFEST_TARGET_SIZE_BYTES, MANIFEST_TARGET_SIZE_BYTES_DEFAULT);
  return n > 0 ? n : MANIFEST_TARGET_SIZE_BYTES_DEFAULT;
}

/** `write.metadata.previous-versions-max` when a positive integer, else 100. */
export function previousVersionsMax(properties: TableProperties): number {
  const n = intProperty(properties, METADATA_PREVIOUS_VERSIONS_MAX, METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT);
  return n >= 1 ? n : METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT;
}

export function deleteMetadataAfterCommit(properties: TableProperties): boolean {
  return boolProperty(
    properties,
    METADATA_DELETE_AFTER_COMMIT_ENABLED,
    METADATA_DELETE_AFTER_COMMIT_ENABLED_DEFAULT,
  );
}
