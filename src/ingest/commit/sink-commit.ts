/**
 * One flush's table commits, table by table: dead letters acknowledged before any offset moves, each
 * table committed with its offsets, metrics and logs per outcome. A table whose range another writer
 * committed first is re-read from where that writer left it.
 */
import type { Catalog } from "../../catalog/index.js";
import { formatIdentifier } from "../../catalog/index.js";
import { type FloeError, toFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import type { Schema } from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import { type RecordFailure, splitTp, type TableBuffer } from "../buffer/index.js";
import type { DeadLetterQueue } from "../dlq.js";
import type { RecordErrors } from "../record-errors.js";
import type { SinkMetricsLike } from "../sink-metrics.js";
import type { Source } from "../source/index.js";
import { commitTableBuffer } from "./table-committer.js";

export interface TableCommitsDeps {
  catalog: Catalog;
  io: FileIO;
  logger: Logger;
  metrics: SinkMetricsLike;
  group: string;
  dlq: DeadLetterQueue;
  recordErrors: RecordErrors;
}

export interface TableCommitsHooks {
  /** Another writer committed this partition past our batch: read it again from `offset`. */
  reseek(topic: string, partition: number, offset: bigint): void;
  /** The last commit's error message, or undefined once a commit succeeds (readiness). */
  commitError(message: string | undefined): void;
  /** A table committed; its schema as committed. */
  committed(table: string, schema: Schema | undefined): void;
}

export interface TableCommitsResult {
  /** The next offset per `topic\u0000partition` the committed tables cover. */
  offsets: Map<string, bigint>;
  /**
   * Tables whose commit failed with an error that may pass (the catalog or the store unreachable, an
   * outcome that could not be resolved): their records are to be read again and retried later.
   */
  failed: { buffer: TableBuffer; error: FloeError }[];
}

/**
 * Commits every buffer. A table whose commit fails with a retryable error is reported in `failed`
 * (the others still commit); any other error, or one in a table whose records depend on their content
 * for their table (`tableField`: re-reading a partition would redo other tables' rows), is thrown.
 */
export async function commitTables(
  deps: TableCommitsDeps,
  batch: readonly TableBuffer[],
  hooks: TableCommitsHooks,
): Promise<TableCommitsResult> {
  const { catalog, io, logger, metrics, group, dlq, recordErrors } = deps;
  await dlq.drain(); // dead letters are acknowledged before their offsets are committed
  const kafkaOffsets = new Map<string, bigint>();
  const failed: TableCommitsResult["failed"] = [];
  for (const buf of batch) {
    const t0 = performance.now();
    const route = buf.route;
    const table = formatIdentifier(buf.table);
    let result: Awaited<ReturnType<typeof commitTableBuffer>>;
    try {
      result = await commitTableBuffer(
        {
          catalog,
          io,
          group,
          logger: logger.child({ table }),
          onRecordError: (f: RecordFailure) => recordErrors.commitFailure(route, f),
        },
        buf,
      );
    } catch (e) {
      const error = toFloeError(e);
      hooks.commitError(error.message);
      metrics.commits.inc({ table, outcome: "error" });
      if (!error.retryable || route.config.tableField !== undefined) throw e;
      failed.push({ buffer: buf, error });
      continue;
    }
    await dlq.drain();
    metrics.commitSeconds.observe({ table }, (performance.now() - t0) / 1000);
    if (result.reseek) {
      metrics.commits.inc({ table, outcome: "superseded" });
      logger.warn("another writer committed this range first; re-reading", { table });
      for (const [topic, parts] of result.reseek) {
        for (const [partition, offset] of parts) hooks.reseek(topic, partition, offset);
      }
      continue;
    }
    hooks.commitError(undefined);
    hooks.committed(table, result.schema);
    metrics.commits.inc({ table, outcome: "committed" });
    metrics.recordsCommitted.inc({ table }, result.rows);
    metrics.filesWritten.inc({ table }, result.files);
    if (result.newestTimestampMs > 0n) {
      metrics.freshness.set({ table }, Math.max(0, (Date.now() - Number(result.newestTimestampMs)) / 1000));
    }
    logger.info("committed", {
      table,
      rows: result.rows,
      files: result.files,
      snapshotId: result.snapshotId,
    });
    for (const [k, r] of buf.ranges) {
      const prev = kafkaOffsets.get(k);
      if (prev === undefined || r.next > prev) kafkaOffsets.set(k, r.next);
    }
  }
  return { offsets: kafkaOffsets, failed };
}

/**
 * Advisory Kafka group offsets (for lag tools), committed only after the table commits they describe
 * and only for partitions still assigned; a failure is logged, as the tables hold the real positions.
 */
export async function commitGroupOffsets(
  source: Source,
  offsets: ReadonlyMap<string, bigint>,
  assigned: ReadonlySet<string>,
  logger: Logger,
): Promise<void> {
  const commits = [...offsets]
    .filter(([k]) => assigned.has(k))
    .map(([k, offset]) => {
      const [topic, partition] = splitTp(k);
      return { topic, partition, offset };
    });
  if (commits.length === 0) return;
  await source.commitOffsets(commits).catch((e: unknown) => {
    logger.warn("could not commit Kafka group offsets (advisory only)", { error: e });
  });
}
