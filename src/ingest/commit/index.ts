// The commit: when to commit (the commit clock, the backoff after failing commits), writing a table's
// batch and committing it to the catalog with the Kafka offsets it covers (table-committer.ts: prepare,
// write, commit; catalog-commit.ts: the schema and snapshot commits), then the consumer group's
// offsets. Offsets in snapshot summaries and partition specs from config live here. The committer sees
// a buffer only as a TableBatch and returns results (outcomes) instead of calling back into the sink.
// May import: errors, log, catalog, iceberg/* (through their index.ts), ingest's top-level files, and
// ingest/buffer (its TableBatch interface and key helpers), ingest/schema, ingest/source through their
// index.ts. Never the sink loop (sink.ts).

export { CommitBackoff } from "./commit-backoff.js";
export { CommitClock } from "./commit-clock.js";
export { KeyIndexes } from "./key-indexes.js";
export {
  committedOffsets,
  formatOffsets,
  getOffset,
  OFFSETS_PREFIX,
  type OffsetMap,
  offsetsKey,
  parseOffsets,
} from "./offsets.js";
export { OpenTableCommit } from "./open-commit.js";
export { parsePartitionBy } from "./partitioning.js";
export {
  commitGroupOffsets,
  commitOpenTables,
  type OpenCommits,
  type TableOutcome,
  writeTables,
} from "./sink-commit.js";
