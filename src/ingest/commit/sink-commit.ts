/**
 * The sink's two steps per table: `writeTables` puts one flush's batches into the tables' open commits
 * (schema evolved, failed records through their error path with dead letters acknowledged, rows into
 * the open files); `commitOpenTables` commits every open commit with its offsets, metrics and logs per
 * outcome. The outcomes go back to the sink, which re-reads what another writer committed first and
 * retries what failed.
 */
import type { Catalog } from "../../catalog/index.js";
import { formatIdentifier } from "../../catalog/index.js";
import { FloeError, toFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import {
  computePartition,
  defaultSpec,
  FLOE_UPSERT_DELETES,
  type PartitionSpec,
  type PrimitiveValue,
  type Schema,
} from "../../iceberg/spec/index.js";
import type { Row } from "../../iceberg/write/index.js";
import type { Logger } from "../../log.js";
import { checkKeyColumns, KeyIndex } from "../../upsert/index.js";
import { type PartitionRange, splitTp, type TableBatch } from "../buffer/index.js";
import type { DeadLetterQueue } from "../dlq.js";
import type { RecordErrors } from "../record-errors.js";
import type { SinkMetricsLike } from "../sink-metrics.js";
import type { Source } from "../source/index.js";
import type { KeyIndexes } from "./key-indexes.js";
import type { OffsetMap } from "./offsets.js";
import { OpenTableCommit } from "./open-commit.js";
import {
  commitOpen,
  type PreparedCommit,
  prepareTableCommit,
  type TableCommitResult,
} from "./table-committer.js";
import { UpsertCommit } from "./upsert-commit.js";

export interface TableCommitsDeps {
  catalog: Catalog;
  io: FileIO;
  logger: Logger;
  metrics: SinkMetricsLike;
  group: string;
  dlq: DeadLetterQueue;
  recordErrors: RecordErrors;
  /** Upsert tables' key indexes. */
  keyIndexes?: KeyIndexes;
  /** Whether the sink is stopping (its last commit). */
  stopping?: () => boolean;
  /** A table's schema as a flush found (or evolved) it, before its commit. */
  prepared?: (table: string, schema: Schema) => void;
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
      /** The offsets the lost records cover: they are to be read again. */
      ranges: ReadonlyMap<string, PartitionRange>;
      /** An error that may pass (the catalog or the store unreachable, an unresolved outcome). */
      error: FloeError;
    };

export interface TableCommitsResult {
  /** One per table, in commit order. */
  outcomes: TableOutcome[];
  /** The next offset per `topic\u0000partition` the committed tables cover. */
  offsets: Map<string, bigint>;
}

/** The tables' commits in the making, by formatted table identifier. */
export type OpenCommits = Map<string, OpenTableCommit>;

/**
 * Writes one flush: each batch goes into its table's open commit (opened on its first flush). A table
 * whose write fails with a retryable error loses its whole open commit (reported as failed with the
 * offsets to read again); any other error, or one in a table whose records depend on their content
 * for their table (`tableField`: re-reading would redo other tables' rows), is thrown.
 */
export async function writeTables(
  deps: TableCommitsDeps,
  batches: readonly TableBatch[],
  open: OpenCommits,
): Promise<TableOutcome[]> {
  const outcomes: TableOutcome[] = [];
  await deps.dlq.drain(); // a dead letter that cannot be written stops the sink before any table work
  for (const batch of batches) {
    const table = formatIdentifier(batch.table);
    const logger = deps.logger.child({ table });
    const committer = {
      catalog: deps.catalog,
      io: deps.io,
      group: deps.group,
      logger,
      ...(deps.keyIndexes ? { keyIndexes: deps.keyIndexes } : {}),
    };
    let current = open.get(table);
    if (current?.overlaps(batch)) {
      // A partition was read again after a seek: the open commit already holds some of these records.
      const reseek = current.restartPoints(batch);
      open.delete(table);
      await current.abort();
      logger.warn("records read again overlap the open commit; dropping it and re-reading", { table });
      outcomes.push({ kind: "superseded", table, reseek });
      continue;
    }
    try {
      const prepared = await prepareTableCommit(committer, batch, current?.table);
      if (prepared.superseded) {
        deps.metrics.commits.inc({ table, outcome: "superseded" });
        logger.warn("another writer committed this range first; re-reading", { table });
        outcomes.push({ kind: "superseded", table, reseek: prepared.reseek });
        continue;
      }
      deps.prepared?.(table, prepared.schema);
      for (const f of prepared.failures) deps.recordErrors.commitFailure(batch.route, f);
      await deps.dlq.drain();
      if (current === undefined) {
        current = new OpenTableCommit(prepared.table, batch.route, await upsertFor(deps, prepared));
        open.set(table, current);
      }
      await current.write(prepared);
    } catch (e) {
      const error = toFloeError(e);
      deps.metrics.commits.inc({ table, outcome: "error" });
      if (!error.retryable || batch.route.config.tableField !== undefined) throw e;
      // Read again from the earliest offset the open commit or this batch covers.
      const ranges = new Map(current?.ranges ?? []);
      for (const [k, r] of batch.ranges) {
        const have = ranges.get(k);
        if (have === undefined || r.first < have.first) ranges.set(k, r);
      }
      open.delete(table);
      await current?.abort();
      outcomes.push({ kind: "failed", table, ranges, error });
    }
  }
  return outcomes;
}

/** An upsert route's state for a new open commit: the table's key index, its key checked. */
async function upsertFor(
  deps: TableCommitsDeps,
  prepared: PreparedCommit,
): Promise<UpsertCommit | undefined> {
  const route = prepared.batch.route;
  if (route.config.mode !== "upsert") return undefined;
  if (deps.keyIndexes === undefined) throw new FloeError("INTERNAL", "upsert route without key indexes");
  const key = route.config.key ?? [];
  checkKeyColumns(prepared.schema, key);
  const md = prepared.table.metadata;
  const deletes = md.properties[FLOE_UPSERT_DELETES] ?? "position";
  if (deletes === "position")
    return new UpsertCommit(await deps.keyIndexes.forTable(prepared.table, route), key);
  if (deletes !== "equality") {
    throw new FloeError(
      "CONFIG_INVALID",
      `table property ${FLOE_UPSERT_DELETES} is ${deletes}: use position or equality`,
      {
        context: { key: FLOE_UPSERT_DELETES },
      },
    );
  }
  return new UpsertCommit(new KeyIndex(key), key, equalityDeletes(prepared.schema, defaultSpec(md), key));
}

/**
 * Equality deletes on the key: a key's rows must all be in the partition its key determines (the
 * deletes are written there), so the spec may only use key columns.
 */
function equalityDeletes(schema: Schema, spec: PartitionSpec, key: readonly string[]) {
  const fields = key.map((name) => schema.fields.find((f) => f.name === name));
  const ids = fields.map((f) => f?.id ?? -1);
  for (const f of spec.fields) {
    if (!ids.includes(f["source-id"])) {
      throw new FloeError(
        "CONFIG_INVALID",
        `${FLOE_UPSERT_DELETES}=equality needs a partition spec of key columns only; ${f.name} is not`,
        { context: { key: FLOE_UPSERT_DELETES } },
      );
    }
  }
  const nameOf = new Map(fields.map((f) => [f?.id ?? -1, f?.name ?? ""]));
  return {
    ids,
    partitionOf: (row: Row) =>
      computePartition(spec, schema, (id) => (row[nameOf.get(id) ?? ""] ?? null) as PrimitiveValue | null),
  };
}

/**
 * Commits every open commit (and empties `open`). A table whose commit fails with a retryable error is
 * reported as failed (the others still commit); any other error, or one in a `tableField` route, is
 * thrown.
 */
export async function commitOpenTables(
  deps: TableCommitsDeps,
  open: OpenCommits,
): Promise<TableCommitsResult> {
  const { logger, metrics, dlq } = deps;
  await dlq.drain(); // dead letters are acknowledged before their offsets are committed
  const offsets = new Map<string, bigint>();
  const outcomes: TableOutcome[] = [];
  const commits = [...open];
  open.clear();
  for (const [table, current] of commits) {
    const t0 = performance.now();
    let result: TableCommitResult;
    try {
      const committer = {
        catalog: deps.catalog,
        io: deps.io,
        group: deps.group,
        logger: logger.child({ table }),
        ...(deps.keyIndexes ? { keyIndexes: deps.keyIndexes } : {}),
        final: deps.stopping?.() ?? false,
      };
      result = await commitOpen(committer, current);
    } catch (e) {
      const error = toFloeError(e);
      metrics.commits.inc({ table, outcome: "error" });
      await current.abort();
      if (!error.retryable || current.route.config.tableField !== undefined) {
        // The sink stops: the commits after this one are dropped too.
        for (const [, rest] of commits.slice(commits.findIndex(([t]) => t === table) + 1)) await rest.abort();
        throw e;
      }
      outcomes.push({ kind: "failed", table, ranges: current.ranges, error });
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
    const upsert = current.upsert?.counts;
    if (upsert !== undefined) {
      metrics.upsertDeletedRows.inc({ table }, upsert.deletedRows);
      if (upsert.crossPartition > 0) metrics.upsertCrossPartitionKeys.inc({ table }, upsert.crossPartition);
    }
    logger.info("committed", {
      table,
      rows: result.rows,
      files: result.files,
      snapshotId: result.snapshotId,
      ...(upsert === undefined ? {} : { upsert }),
    });
    for (const [k, r] of current.ranges) {
      const prev = offsets.get(k);
      if (prev === undefined || r.next > prev) offsets.set(k, r.next);
    }
  }
  return { outcomes, offsets };
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
