// Snapshot producers: fast append, overwrite/replace, row delta, expire.
// May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io, iceberg/write.

export type { ManifestContext } from "./manifests.js";
export {
  addedEntries,
  avroPartitionType,
  hasLiveFiles,
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
export { newSnapshotId, SnapshotProducer } from "./producer.js";
export type { SummaryChanges } from "./summary.js";
export { buildSummary } from "./summary.js";
