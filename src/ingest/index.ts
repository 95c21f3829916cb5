// Kafka -> Iceberg: source, decode, schema, route, buffer, offsets, dlq, sink loop.
// May import: errors, log, config, iceberg/*, catalog. Never compaction.

export { ROW_BYTES } from "./buffer.js";
export type {
  DecodedRecord,
  DecodeInput,
  Decoder,
  DecoderConfig,
  RegisteredSchema,
  SchemaRegistryOptions,
} from "./decode/index.js";
export { createDecoder, SchemaRegistryClient } from "./decode/index.js";
export type { DeadLetter, ErrorStage } from "./dlq.js";
export { DLQ_HEADERS } from "./dlq.js";
export type { KafkaMeta } from "./metadata-columns.js";
export { metadataColumns, metadataStruct } from "./metadata-columns.js";
export type { OffsetMap } from "./offsets.js";
export { committedOffsets, formatOffsets, OFFSETS_PREFIX, offsetsKey, parseOffsets } from "./offsets.js";
export { parsePartitionBy } from "./partitioning.js";
export type { Route } from "./route.js";
export { buildRoutes, routeFor } from "./route.js";
export type { EvolveResult } from "./schema/index.js";
export { conformRow, evolveSchema, inferJsonSchema } from "./schema/index.js";
export type { SinkOptions } from "./sink.js";
export { Sink } from "./sink.js";
export type { SinkMetricsLike } from "./sink-metrics.js";
export * from "./source/index.js";
