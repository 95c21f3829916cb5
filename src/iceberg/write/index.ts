// Arrow record batches -> Parquet data files with field ids and Iceberg metrics; rolling and
// partitioned writers; location provider. May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io.

export type { BuildContext, NullMask } from "./arrow-builders.js";
export {
  binaryData,
  boolData,
  decimalData,
  fixedData,
  floatData,
  int32Data,
  int64Data,
  NullTracker,
  utf8Data,
} from "./arrow-builders.js";
export type { ParquetCompression, ParquetStatistics, ParquetWriteOptions } from "./arrow-parquet.js";
export { DEFAULT_MAX_INPUT_BYTES, parquetWasm, writeParquet } from "./arrow-parquet.js";
export type {
  ColumnInput,
  DecimalColumn,
  FixedColumn,
  ListColumn,
  MapColumn,
  StructColumn,
  TableInput,
  TypedColumn,
  TypedValues,
  Utf8Column,
} from "./arrow-table.js";
export { buildColumn, buildTable, columnLength } from "./arrow-table.js";
export type {
  WriteField,
  WriteListType,
  WriteMapType,
  WritePrimitiveType,
  WriteStructType,
  WriteType,
} from "./arrow-types.js";
export {
  ARROW_EXTENSION_NAME_KEY,
  arrowField,
  arrowSchema,
  arrowType,
  isUuidField,
  LIST_ELEMENT_NAME,
  MAP_ENTRIES_NAME,
  MAP_KEY_NAME,
  MAP_VALUE_NAME,
  UUID_EXTENSION_NAME,
} from "./arrow-types.js";
export type { FileSettings, Placement } from "./data-file-stream.js";
export { OpenDataFile, RollingDataFile } from "./data-file-stream.js";
export type { ColumnSource, DataFileWriterOptions, Row } from "./data-file-writer.js";
export {
  DataFileWriter,
  PartitionedAppender,
  type PartitionPlacement,
  partitionKey,
} from "./data-file-writer.js";
export type { DeleteWriterOptions, PositionDelete } from "./delete-files.js";
export {
  DELETE_FILE_PATH_ID,
  DELETE_POS_ID,
  POSITION_DELETE_SCHEMA,
  writeEqualityDeletes,
  writePositionDeletes,
} from "./delete-files.js";
export type { DeletionVectorInput, DeletionVectorWriterOptions } from "./deletion-vectors.js";
export {
  DELETION_VECTOR_BLOB_TYPE,
  decodeDeletionVectorBlob,
  deletionVectorsByDataFile,
  deletionVectorsInPuffin,
  encodeDeletionVectorBlob,
  isDeletionVector,
  ROW_POSITION_FIELD_ID,
  readDeletionVector,
  writeDeletionVectors,
} from "./deletion-vectors.js";
export type { VisitedField } from "./field-id.js";
export { assertFieldIds, fieldIdMetadata, fieldIdOf, PARQUET_FIELD_ID_KEY, walkFields } from "./field-id.js";
export type {
  ParquetColumnChunk,
  ParquetFooter,
  ParquetLeaf,
  ParquetRowGroup,
  ParquetSchemaElement,
} from "./footer.js";
export {
  CODECS,
  footerLength,
  PHYSICAL_TYPES,
  parseFileMetaData,
  REPETITIONS,
  readParquetFooter,
  rowGroupOffset,
} from "./footer.js";
export type { BoundValue, FileMetrics, MetricsOptions } from "./metrics.js";
export { computeMetrics, MetricsCollector } from "./metrics.js";
export type { MetricsMode } from "./metrics-mode.js";
export {
  DEFAULT_METRICS_MODE,
  formatMetricsMode,
  METRICS_COUNTS,
  METRICS_FULL,
  METRICS_NONE,
  metricsTruncate,
  parseMetricsMode,
  recordsBounds,
} from "./metrics-mode.js";
export type { PuffinBlobInput, PuffinBlobMetadata, PuffinFooter } from "./puffin.js";
export { decodePuffinFooter, encodePuffin, PUFFIN_MAGIC } from "./puffin.js";
export { deserializePositions, encodePositions, serializePositions } from "./roaring.js";
export {
  METRICS_COLUMN_PREFIX,
  METRICS_DEFAULT_PROPERTY,
  metricsModesFromProperties,
  writeFieldsFromSchema,
} from "./schema-mapping.js";
