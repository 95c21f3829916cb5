/**
 * The sink's flush pipeline: one flush at a time (at most one more queued). A flush takes the sink's
 * buffers and writes them into the tables' open commits; when a commit is due (the interval, the end of
 * a drain, an assignment, stop) it then commits them, and the Kafka group offsets after. Outcomes are
 * acted on here: partitions another writer committed first, or whose write or commit failed with an
 * error that may pass, are read again (the latter after the commit backoff).
 */
import { toFloeError } from "../errors.js";
import type { Logger } from "../log.js";
import { splitTp, type TableBatch, tpKey } from "./buffer/index.js";
import {
  CommitBackoff,
  commitGroupOffsets,
  commitOpenTables,
  type OpenCommits,
  type TableOutcome,
  writeTables,
} from "./commit/index.js";
import type { SinkHealth } from "./sink-health.js";
import type { Source } from "./source/index.js";

type Failed = Extract<TableOutcome, { kind: "failed" }>;

/** What the pipeline needs from the sink. */
export interface FlushHost {
  logger: Logger;
  source: Source;
  health: SinkHealth;
  commitDeps: Parameters<typeof writeTables>[0];
  /** Hands over the buffered batches (the sink starts new buffers) and holds their bytes as committing. */
  take(): TableBatch[];
  /** The taken batches are written (or failed): their bytes are free. */
  released(): void;
  assigned(): ReadonlySet<string>;
  seek(topic: string, partition: number, offset: bigint): void;
  /** The sink is consuming (not starting, stopping or failed). */
  running(): boolean;
  /** The sink is stopping or failed: the consumer may be gone. */
  ending(): boolean;
  /** A table committed: its schema as committed. */
  committed(table: string, schema: NonNullable<Extract<TableOutcome, { kind: "committed" }>["schema"]>): void;
  /** A flush threw: the sink stops. */
  fail(e: unknown): void;
}

export class FlushPipeline {
  readonly backoff = new CommitBackoff();
  /** The tables' commits in the making: flushes write into their open files until the commit. */
  readonly open: OpenCommits = new Map();
  #queued: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** The next flush also commits. */
  #commitDue = false;
  /** Set once a flush failed: no later flush may commit (see `flush`). */
  #failed = false;

  constructor(private readonly host: FlushHost) {}

  /** Frees what the commits hold beyond memory (key index runs spilled to disk); once no flush runs. */
  close(): void {
    this.host.commitDeps.keyIndexes?.close();
  }

  /** A flush is waiting to run. */
  get queued(): boolean {
    return this.#queued !== undefined;
  }

  /**
   * Queues a flush after any running one (at most one waits); resolves when it is done. With `commit`,
   * or if a commit was asked for meanwhile, the flush also commits.
   */
  request(commit: boolean): Promise<void> {
    if (commit) this.#commitDue = true;
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#chain
      .then(() => {
        this.#queued = undefined;
        return this.flush();
      })
      .catch(async (e: unknown) => {
        this.#failed = true;
        this.host.fail(toFloeError(e));
        // Nothing more is committed: the open files never appear (no upload or temporary file lingers).
        const open = [...this.open.values()];
        this.open.clear();
        for (const c of open) await c.abort();
      });
    this.#queued = queued;
    this.#chain = queued;
    return queued;
  }

  private async flush(): Promise<void> {
    // A batch failed to commit and is gone from memory: committing later records would move the
    // tables' offsets past it. Nothing more is committed; a restart re-reads from the tables.
    if (this.#failed) return;
    // After a failed commit, the next waits out its backoff (records keep arriving meanwhile).
    await this.backoff.wait(() => !this.host.running());
    const batches = this.host.take();
    const commit = this.#commitDue;
    this.#commitDue = false;
    try {
      if (batches.length > 0) this.apply(await writeTables(this.host.commitDeps, batches, this.open));
    } finally {
      this.host.released();
    }
    if (commit && this.open.size > 0) await this.commit();
  }

  private async commit(): Promise<void> {
    const { outcomes, offsets } = await commitOpenTables(this.host.commitDeps, this.open);
    if (!this.apply(outcomes)) this.backoff.succeeded();
    if (this.host.ending()) return; // the consumer may be gone; table offsets rule
    await commitGroupOffsets(this.host.source, offsets, this.host.assigned(), this.host.logger);
  }

  /** Acts on write or commit outcomes; true if any failed. */
  private apply(outcomes: readonly TableOutcome[]): boolean {
    const failed: Failed[] = [];
    const assigned = this.host.assigned();
    for (const o of outcomes) {
      if (o.kind === "superseded") {
        for (const [topic, parts] of o.reseek) {
          for (const [partition, offset] of parts) {
            if (assigned.has(tpKey(topic, partition))) this.host.seek(topic, partition, offset);
          }
        }
        continue;
      }
      // Readiness follows the latest table write or commit: failing, or fine again.
      this.host.health.setProblem(o.kind === "failed" ? o.error.message : undefined);
      if (o.kind === "failed") failed.push(o);
      else this.host.committed(o.table, o.schema);
    }
    if (failed.length > 0) this.retryLater(failed);
    return failed.length > 0;
  }

  /**
   * Tables whose write or commit failed with an error that may pass: their records are read again from
   * where the lost commit began (what was buffered since for those partitions goes too), and the next
   * flush waits out the backoff. If the failed commit did land after all, the next one finds its
   * offsets committed and moves past them (never a duplicate).
   */
  private retryLater(failed: Failed[]): void {
    const delay = this.backoff.failed();
    const assigned = this.host.assigned();
    for (const { table, ranges, error } of failed) {
      const context = {
        table,
        error,
        attempt: this.backoff.attempts,
        failingForS: Math.round(this.backoff.failingForMs / 1000),
      };
      if (!this.host.running()) {
        this.host.logger.warn("final commit failed; its records will be read again on restart", context);
        continue;
      }
      this.host.logger.error("table commit failed; reading its records again and retrying", {
        ...context,
        retryInMs: delay,
      });
      for (const [k, range] of ranges) {
        if (!assigned.has(k)) continue;
        const [topic, partition] = splitTp(k);
        this.host.seek(topic, partition, range.first);
      }
    }
  }
}
