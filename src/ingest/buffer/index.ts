// The buffer: decoded records of one table kept as Arrow-layout columns until the next commit, the Kafka
// metadata columns, the conversion of buffered columns into the table schema before a write, and the
// TableBatch interface through which the committer sees a buffer.
// May import: errors, iceberg/spec, iceberg/write (through their index.ts), ingest's own top-level files
// (route, dlq's types, kafka-meta) and ingest/schema through its index.ts. Never commit/ or the sink.

export { type TableBatch, tableBatch } from "./batch.js";
export {
  type BufferedRecord,
  CHANGE_DELETE,
  CHANGE_UPSERT,
  type Headers,
  type PartitionRange,
  type RecordInput,
  ROW_BYTES,
  splitTp,
  TableBuffer,
  tpKey,
} from "./buffer.js";
export type { RecordFailure } from "./conform-columns.js";
export { metadataColumns, metadataStruct } from "./metadata-columns.js";
