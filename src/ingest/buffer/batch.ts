/**
 * One table's buffered records as the committer sees them: the table and route, the record schemas to
 * evolve the table by, the offsets the batch covers, and its rows as columns once conformed to the
 * table's schema. The committer (ingest/commit) works through this interface only, never a TableBuffer.
 */
import type { FloeError } from "../../errors.js";
import type { Schema, StructType } from "../../iceberg/spec/index.js";
import type { ColumnSource } from "../../iceberg/write/index.js";
import type { Route } from "../route.js";
import type { PartitionRange, TableBuffer } from "./buffer.js";
import { conformColumns, type RecordFailure } from "./conform-columns.js";
import { metadataColumns, metadataStruct } from "./metadata-columns.js";

export interface TableBatch {
  readonly table: { readonly namespace: readonly string[]; readonly name: string };
  readonly route: Route;
  /** The record schemas of the rows, each once: the table's schema evolves by these. */
  readonly schemas: readonly StructType[];
  /** The Kafka metadata columns' schema (local field ids) when the route writes them. */
  readonly metadataSchema: StructType | undefined;
  /** Offsets covered per `topic\u0000partition`: rows, dead letters and skipped records alike. */
  readonly ranges: ReadonlyMap<string, PartitionRange>;
  /** Epoch milliseconds of the newest record timestamp (0 when none). */
  readonly newestTimestampMs: bigint;
  /** Rows to write (fewer after `conform` took some out). */
  readonly rows: number;
  /**
   * Brings the rows into `schema`'s representation and takes out those that cannot be written (their
   * record schema is in `bad`, or a value does not convert); returns those, for their error path.
   */
  conform(schema: Schema, bad: ReadonlyMap<StructType, FloeError>): RecordFailure[];
  /** The rows as columns by name, with the metadata columns when the route writes them. */
  columns(): ReadonlyMap<string, ColumnSource | unknown[]>;
  /**
   * Upsert routes: per row (as `conform` left them) CHANGE_UPSERT or CHANGE_DELETE (a row holding only its
   * key); undefined for append routes.
   */
  ops(): Int32Array | undefined;
  /** Keeps only the rows `keep` lists (ascending); the offsets covered stay as they are. */
  retain(keep: readonly number[]): void;
  /** Row i's Kafka topic partition as a number (equal for rows of one topic partition). */
  sourceOf(i: number): number;
}

/** A buffer that is no longer added to (the sink swapped in new buffers) as a batch to commit. */
export function tableBatch(buf: TableBuffer): TableBatch {
  const withMetadata = buf.route.config.metadataColumns;
  return {
    table: buf.table,
    route: buf.route,
    schemas: buf.schemas,
    metadataSchema: withMetadata ? metadataStruct(1) : undefined,
    ranges: buf.ranges,
    newestTimestampMs: buf.newestTimestampMs,
    get rows() {
      return buf.length;
    },
    conform: (schema, bad) => conformColumns(buf, schema, bad),
    ops: () => buf.ops?.view(),
    retain: (keep) => buf.retain(keep),
    sourceOf: (i) => buf.topicIndex.at(i) * 0x100000 + buf.partitions.at(i),
    columns: () => {
      const columns = new Map<string, ColumnSource | unknown[]>(buf.columns);
      if (withMetadata) for (const [name, col] of metadataColumns(buf)) columns.set(name, col);
      return columns;
    },
  };
}
