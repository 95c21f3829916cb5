/**
 * One flush's table commits, table by table: dead letters acknowledged before any offset moves, each
 * table committed with its offsets, metrics and logs per outcome. The outcomes go back to the sink,
 * which re-reads what another writer committed first and retries what failed.
 */
import type { Catalog } from "../../catalog/index.js";
import { formatIdentifier } from "../../catalog/index.js";
import { type FloeError, toFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import type { Schema } from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import { splitTp, type TableBatch } from "../buffer/index.js";
import type { DeadLetterQueue } from "../dlq.js";
import type { RecordErrors } from "../record-errors.js";
import type { SinkMetricsLike } from "../sink-metrics.js";
import type { Source } from "../source/index.js";
import type { OffsetMap } from "./offsets.js";
import { commitPrepared, prepareTableCommit, type TableCommitResult } from "./table-committer.js";

export interface TableCommitsDeps {
  catalog: Catalog;
  io: FileIO;
  logger: Logger;
  metrics: SinkMetricsLike;
  group: string;
  dlq: DeadLetterQueue;
  recordErrors: RecordErrors;
}

/** How one table's commit ended (`table` is its formatted identifier). */
export type TableOutcome =
  | {
      kind: "committed";
      table: string;
      /** The table's schema as committed. */
      schema: Schema;
    }
  | {
      kind: "superseded";
      table: string;
      /** Another writer committed these partitions past our batch: read them again from here. */
      reseek: OffsetMap;
    }
  | {
      kind: "failed";
      table: string;
      batch: TableBatch;
      /** An error that may pass (the catalog or the store unreachable, an unresolved outcome). */
      error: FloeError;
    };

export interface TableCommitsResult {
  /** One per table, in commit order. */
  outcomes: TableOutcome[];
  /** The next offset per `topic\u0000partition` the committed tables cover. */
  offsets: Map<string, bigint>;
}

/**
 * Commits every batch. A table whose commit fails with a retryable error is reported as failed (the
 * others still commit): its records are to be read again and retried later. Any other error, or one in
 * a table whose records depend on their content for their table (`tableField`: re-reading a partition
 * would redo other tables' rows), is thrown.
 */
export async function commitTables(
  deps: TableCommitsDeps,
  batches: readonly TableBatch[],
): Promise<TableCommitsResult> {
  const { logger, metrics, dlq } = deps;
  await dlq.drain(); // dead letters are acknowledged before their offsets are committed
  const offsets = new Map<string, bigint>();
  const outcomes: TableOutcome[] = [];
  for (const batch of batches) {
    const t0 = performance.now();
    const table = formatIdentifier(batch.table);
    let result: TableCommitResult;
    try {
      result = await commitTable(deps, batch, logger.child({ table }));
    } catch (e) {
      const error = toFloeError(e);
      metrics.commits.inc({ table, outcome: "error" });
      if (!error.retryable || batch.route.config.tableField !== undefined) throw e;
      outcomes.push({ kind: "failed", table, batch, error });
      continue;
    }
    metrics.commitSeconds.observe({ table }, (performance.now() - t0) / 1000);
    if (result.superseded) {
      metrics.commits.inc({ table, outcome: "superseded" });
      logger.warn("another writer committed this range first; re-reading", { table });
      outcomes.push({ kind: "superseded", table, reseek: result.reseek });
      continue;
    }
    outcomes.push({ kind: "committed", table, schema: result.schema });
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
    for (const [k, r] of batch.ranges) {
      const prev = offsets.get(k);
      if (prev === undefined || r.next > prev) offsets.set(k, r.next);
    }
  }
  return { outcomes, offsets };
}

/**
 * One table: prepared, then its failed records through their route's onError (fail throws here, before
 * anything is written) with their dead letters acknowledged, then written and committed.
 */
async function commitTable(
  deps: TableCommitsDeps,
  batch: TableBatch,
  logger: Logger,
): Promise<TableCommitResult> {
  const committer = { catalog: deps.catalog, io: deps.io, group: deps.group, logger };
  const prepared = await prepareTableCommit(committer, batch);
  if (prepared.superseded) return prepared;
  for (const f of prepared.failures) deps.recordErrors.commitFailure(batch.route, f);
  await deps.dlq.drain();
  return commitPrepared(committer, prepared);
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
