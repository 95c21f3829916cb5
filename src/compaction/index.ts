// Compaction and maintenance: planner, bin-pack, rewriter, expire, orphans, manifests, lease, jobs.
// May import: errors, log, config, iceberg/*, catalog. Never ingest.

export {
  applyDeletes,
  type EqualityDeleteSet,
  equalityDeleteSet,
  positionDeleteTargets,
  positionsFor,
  valueKey,
} from "./apply-deletes.js";
export { type ConformOptions, conformToSchema, parquetToArrow } from "./arrow-read.js";
export {
  type BatchOptions,
  type BatchResult,
  compactAll,
  exitCodeOf,
  listAllTables,
  maintainAll,
} from "./batch.js";
export {
  DAY_MS,
  DEFAULT_MAX_SNAPSHOT_AGE_MS,
  DEFAULT_RETAIN_LAST,
  type ExpireOptions,
  type ExpireResult,
  type ExpireSelectionOptions,
  type ExpirySelection,
  expireSnapshots,
  OFFSETS_PREFIX,
  selectExpiredSnapshots,
  type UnreachableFiles,
  unreachableFiles,
} from "./expire.js";
export { DeleteFileReader, type FileDeletes } from "./file-deletes.js";
export {
  type CompactOptions,
  type CompactResult,
  compactTable,
  type JobCommonOptions,
  type JobStatus,
  type MaintainOptions,
  type MaintainResult,
  maintainTable,
} from "./jobs.js";
export {
  acquireLease,
  DEFAULT_LEASE_SKEW_MS,
  DEFAULT_LEASE_TTL_MS,
  LEASE_FILE,
  Lease,
  type LeaseAttempt,
  type LeaseBody,
  type LeaseOptions,
  leasePath,
} from "./lease.js";
export {
  DEFAULT_TARGET_MANIFEST_SIZE_BYTES,
  type ManifestRewriteOptions,
  type ManifestRewriteResult,
  planManifestMerge,
  rewriteManifests,
} from "./manifest-rewrite.js";
export {
  cleanMetadataFiles,
  DEFAULT_PREVIOUS_VERSIONS_MAX,
  type MetadataCleanupOptions,
  type MetadataCleanupResult,
  selectOldMetadataFiles,
} from "./metadata-cleanup.js";
export { DeleteCoverage, type ReferencedPaths, readReferencedPaths } from "./obsolete-deletes.js";
export {
  DEFAULT_ORPHAN_GRACE_MS,
  type OrphanOptions,
  type OrphanResult,
  type OrphanSelection,
  orphanPrefixes,
  referencedPaths,
  removeOrphanFiles,
  selectOrphans,
} from "./orphans.js";
export { type ByteRanges, fileRanges, parquetBatches } from "./parquet-batches.js";
export {
  type Bin,
  binPackFirstFitDecreasing,
  type CompactionPlan,
  DEFAULT_DELETE_FILE_THRESHOLD,
  DEFAULT_MAX_GROUP_INPUT_BYTES,
  DEFAULT_MIN_FILE_SIZE_RATIO,
  DEFAULT_TARGET_FILE_SIZE_BYTES,
  filePartitionKey,
  MiB,
  type PlannedFile,
  type PlannedGroup,
  type PlannerFile,
  type PlannerOptions,
  planCompaction,
  resolvePlannerOptions,
} from "./planner.js";
export {
  collectReferences,
  ManifestReader,
  mapLimit,
  normalizePath,
  type References,
} from "./reachability.js";
export {
  type GroupOutcome,
  type GroupStatus,
  type RewriteInputs,
  type RewritePhase,
  type RewriteProgress,
  type RewriteResult,
  type RewriteSettings,
  rewriteGroups,
} from "./rewriter.js";
export {
  DeleteIndex,
  plannerFiles,
  type ScannedFile,
  type SnapshotFiles,
  scanSnapshot,
  unpartitionedSpecIds,
} from "./scan.js";
export { type GroupScope, mayAddDeletes, NewDeletesCheck } from "./validate.js";
