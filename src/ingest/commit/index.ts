// The commit: when to commit (the commit clock, the backoff after failing commits), writing a table's
// buffered rows and committing them to the catalog with the Kafka offsets they cover, then committing
// the consumer group's offsets. Offsets in snapshot summaries and partition specs from config live here.
// May import: errors, log, catalog, iceberg/* (through their index.ts), ingest's top-level files, and
// ingest/buffer, ingest/schema, ingest/source through their index.ts. Never the sink loop (sink.ts).

export { CommitBackoff } from "./commit-backoff.js";
export { CommitClock } from "./commit-clock.js";
export {
  committedOffsets,
  formatOffsets,
  getOffset,
  OFFSETS_PREFIX,
  type OffsetMap,
  offsetsKey,
  parseOffsets,
} from "./offsets.js";
export { parsePartitionBy } from "./partitioning.js";
export { commitGroupOffsets, commitTables } from "./sink-commit.js";
