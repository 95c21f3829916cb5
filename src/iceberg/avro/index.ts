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
export { summarizePartitions } from "./partition-summary.js";
export type {
  AvroField,
  AvroRecordSchema,
  AvroSchema,
  AvroTypeObject,
  ManifestFormatVersion,
} from "./schemas.js";
export {
  dataFileSchema,
  fieldSummarySchema,
  manifestEntrySchema,
  manifestFileSchema,
  partitionRecordSchema,
  partitionValueAvroType,
} from "./schemas.js";
