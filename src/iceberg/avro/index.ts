// Avro encoding of Iceberg manifests and manifest lists, with field ids.
// May import: errors, log, iceberg/spec.

export type { ContainerContents, WriteCodec, WriteContainerOptions } from "./container.js";
export {
  BIGINT_LONG,
  bigintLongHook,
  readContainer,
  readContainerHeader,
  writeContainer,
} from "./container.js";
export type { DecodedManifest, EncodeManifestOptions } from "./manifest.js";
export { decodeManifest, encodeManifest } from "./manifest.js";
export type { DecodedManifestList, EncodeManifestListOptions } from "./manifest-list.js";
export { decodeManifestList, encodeManifestList } from "./manifest-list.js";
export type { SingleValueEncoder } from "./partition-summary.js";
export { summarizePartitions } from "./partition-summary.js";
export type { AvroField, AvroRecordSchema, AvroSchema, AvroTypeObject } from "./schemas.js";
export {
  dataFileSchema,
  fieldSummarySchema,
  manifestEntrySchema,
  manifestFileSchema,
  partitionRecordSchema,
  partitionValueAvroType,
} from "./schemas.js";
export type {
  DataFile,
  EntryStatus,
  FieldSummary,
  FileContent,
  ManifestContent,
  ManifestEntry,
  ManifestFile,
  PartitionData,
  PartitionFieldType,
  PartitionType,
  PartitionValue,
} from "./types.js";
export { ENTRY_STATUS, FILE_CONTENT, MANIFEST_CONTENT } from "./types.js";
