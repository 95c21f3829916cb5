// Snapshot producers: the manifests and manifest list of a new snapshot, staged per commit attempt
// (append, overwrite, replace, delete, row delta; manifest merges) with reusable work kept.
// May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io, iceberg/write.

export type { ManifestMergePlan, MergeCounts, StagedMerge } from "./manifest-merge.js";
export { ManifestMerger } from "./manifest-merge.js";
export type { ManifestContext } from "./manifests.js";
export {
  addedEntries,
  hasLiveFiles,
  liveDeletionVectors,
  liveEntries,
  nextSequenceNumber,
  readManifestEntries,
  readManifestList,
  writeManifest,
  writeVersion,
} from "./manifests.js";
export type {
  ProducerOperation,
  ProducerOptions,
  SnapshotChanges,
  StagedSnapshot,
} from "./producer.js";
export { deleteFileKey, newSnapshotId, SnapshotProducer } from "./producer.js";
export type { SnapshotCommitInput, StagedSnapshotCommit } from "./snapshot-commit.js";
export { assignRowIds, stageSnapshotCommit, WrittenFiles } from "./snapshot-commit.js";
export type { SummaryChanges } from "./summary.js";
export { buildSummary } from "./summary.js";
