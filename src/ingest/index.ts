// Kafka -> Iceberg: source, decode, schema, route, buffer, offsets, dlq, sink loop.
// May import: errors, log, config, iceberg/*, catalog. Never compaction.

export {};
