// Kafka -> Iceberg: source (the only Kafka-client code), decode, schema, route, buffer, commit, dlq,
// and the sink loop at the top level.
// May import: errors, log, config, iceberg/*, catalog. Never compaction.

export { metadataColumns, metadataStruct, ROW_BYTES } from "./buffer/index.js";
export type { OffsetMap } from "./commit/index.js";
export {
  committedOffsets,
  formatOffsets,
  OFFSETS_PREFIX,
  offsetsKey,
  parseOffsets,
  parsePartitionBy,
} from "./commit/index.js";
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
export type { KafkaMeta } from "./kafka-meta.js";
export type { Route } from "./route.js";
export { buildRoutes, routeFor } from "./route.js";
export type { EvolveResult } from "./schema/index.js";
export { conformRow, evolveSchema, inferJsonSchema } from "./schema/index.js";
export type { SinkOptions } from "./sink.js";
export { Sink } from "./sink.js";
export type { SinkMetricsLike } from "./sink-metrics.js";
export * from "./source/index.js";
