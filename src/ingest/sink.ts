/**
 * The sink loop: consume the routed topics, decode and buffer records per table (sink-buffers.ts); a
 * size limit flushes the buffers into the tables' open files, and every commit interval (or the end of
 * a drain) commits each table once, then the Kafka group offsets (sink-flush.ts). Positions come from
 * the tables: on every assignment each partition is sought to the offset its tables last committed.
 * Consumption pauses while the buffers (and the batch being flushed) hold more than `buffer.maxBytes`.
 */
import type { Catalog } from "../catalog/index.js";
import type { Config } from "../config.js";
import { FloeError, toFloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";
import type { Logger } from "../log.js";
import { type RecordInput, splitTp, tpKey } from "./buffer/index.js";
import { CommitClock, KeyIndexes } from "./commit/index.js";
import type { Decoder } from "./decode/index.js";
import { DeadLetterQueue, type ErrorStage } from "./dlq.js";
import { headersOf, metaOf, RecordErrors } from "./record-errors.js";
import { buildRoutes, type Route, routeFor } from "./route.js";
import { checkNesting, checkRecordNames } from "./schema/index.js";
import { Backpressure } from "./sink-backpressure.js";
import { SinkBuffers } from "./sink-buffers.js";
import { SinkChanges, skipsEmptyValues } from "./sink-changes.js";
import { type FlushHost, FlushPipeline } from "./sink-flush.js";
import { describeCrash, SinkHealth, settled } from "./sink-health.js";
import type { SinkMetricsLike } from "./sink-metrics.js";
import { buildDecoders, decodeWithRetry, subscriptions, tablePositions } from "./sink-setup.js";
import type { BatchControl, KafkaClient, RecordProducer, Source, SourceBatch } from "./source/index.js";

export interface SinkOptions {
  config: Config;
  /** The Kafka client (see `kafkajsClient`); tests pass a fake. */
  client: KafkaClient;
  catalog: Catalog;
  io: FileIO;
  logger: Logger;
  metrics: SinkMetricsLike;
}

/** Lets pending I/O callbacks (timers, file and socket completions, worker messages) run. */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

type State = "starting" | "running" | "stopping" | "stopped" | "failed";

export class Sink {
  private readonly routes: Route[];
  private readonly decoders: Map<number, Decoder>;
  private readonly changes: SinkChanges;
  private readonly source: Source;
  private readonly producer: RecordProducer;
  private readonly dlq: DeadLetterQueue;
  private readonly recordErrors: RecordErrors;
  private readonly buffers = new SinkBuffers();
  /** Next offset to process per assigned partition. */
  private readonly positions = new Map<string, bigint>();
  /** Bumped when a seek or revoke moves a partition: a batch in progress stops (no record twice). */
  private readonly epochs = new Map<string, number>();
  /** The latest assignment's table lookups and seeks; batches wait for it. */
  private assigning: Promise<void> = Promise.resolve();
  private assigned = new Set<string>();
  private readonly pipeline: FlushPipeline;
  private readonly room: Backpressure;
  private readonly clock: CommitClock;
  private state: State = "starting";
  /** The start-up in progress (settles, never rejects), for stop() to wait on. */
  private startingUp: Promise<void> = Promise.resolve();
  private fatal: FloeError | undefined;
  private readonly health: SinkHealth;
  /** Partitions stopped by a record with onError: fail. */
  private readonly halted = new Set<string>();
  private stopWaiters: ((e?: FloeError) => void)[] = [];

  constructor(private readonly opts: SinkOptions) {
    const { config } = opts;
    if (config.tables.length === 0) {
      const message = "tables: at least one route (topics -> table) is required to run the sink";
      throw new FloeError("CONFIG_INVALID", message, { context: { key: "tables" } });
    }
    this.routes = buildRoutes(config.tables);
    this.decoders = buildDecoders(config, this.routes);
    this.changes = new SinkChanges(config, this.routes);
    this.source = opts.client.source(config.kafka.groupId);
    this.producer = opts.client.producer();
    this.dlq = new DeadLetterQueue(this.producer);
    this.health = new SinkHealth(opts.logger, config.commit.unreadyAfterMs);
    this.clock = new CommitClock({
      intervalMs: config.commit.intervalMs,
      idleMs: config.commit.idleMs,
      flush: () => void this.requestFlush(true),
      // Offsets alone (dead letters, skipped markers) are worth a commit too: they move the position.
      worthFlushing: () =>
        this.state === "running" &&
        !this.pipeline.queued &&
        (this.pipeline.open.size > 0 || this.buffers.any),
    });
    this.recordErrors = new RecordErrors({
      config,
      dlq: this.dlq,
      metrics: opts.metrics,
      logger: opts.logger,
      halt: (k, error) => this.halt(k, error),
      cover: (route, table, meta) =>
        this.buffers.tableBuffer(route, table).cover(meta.topic, meta.partition, meta.offset),
    });
    this.pipeline = new FlushPipeline(this.flushHost());
    this.room = new Backpressure({
      config,
      buffers: this.buffers,
      clock: this.clock,
      metrics: opts.metrics,
      logger: opts.logger,
      flush: () => this.requestFlush(false),
    });
  }

  ready(): { ready: boolean; reason?: string } {
    if (this.state !== "running") return { ready: false, reason: this.state };
    const reason = this.health.reason();
    return reason === undefined ? { ready: true } : { ready: false, reason };
  }

  /**
   * Connects, joins the group and starts consuming. A stop() while this runs wins: start-up ends
   * quietly (whatever the client throws as it is disconnected) and the sink never becomes running.
   */
  async start(): Promise<void> {
    const startUp = this.startUp();
    this.startingUp = startUp.catch(() => undefined);
    try {
      await startUp;
    } catch (e) {
      if (this.state === "starting") throw e;
      this.opts.logger.debug("start-up interrupted by a stop", { error: e });
    }
  }

  private async startUp(): Promise<void> {
    const { config, logger } = this.opts;
    const stopped = () => this.state !== "starting";
    if (stopped()) return;
    await this.producer.connect();
    if (stopped()) return;
    await this.source.connect();
    if (stopped()) return;
    await this.source.run(subscriptions(this.routes), {
      assigned: (assignment) => {
        // Batches of the new generation wait for these seeks (see onBatch).
        this.assigning = this.assigning
          .then(() => this.onAssignment(assignment))
          .catch((err) => this.fail(toFloeError(err)));
      },
      batch: (batch, control) => this.onBatch(batch, control),
      skipped: (topic, partition, next) => this.onSkipped(topic, partition, next),
      trouble: (message) => this.health.trouble(message),
      crashed: (error) =>
        this.fail(
          describeCrash(
            error,
            [...this.assigned].filter((k) => !this.halted.has(k)),
            this.positions,
          ),
        ),
    });
    if (stopped()) return;
    this.clock.start();
    this.state = "running";
    logger.info("sink running", { group: config.kafka.groupId, routes: this.routes.length });
  }

  /** Resolves when the sink stops (with the error that stopped it, if any). */
  waitUntilStopped(): Promise<FloeError | undefined> {
    if (this.state === "stopped" || this.state === "failed") return Promise.resolve(this.fatal);
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** Stops consuming, commits what is buffered (within the deadline) and disconnects. */
  async stop(deadlineMs = 30_000): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return;
    const failing = this.state === "failed";
    this.state = "stopping";
    this.clock.stop();
    await this.source.stop().catch(() => undefined);
    const final = this.requestFlush(true);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), deadlineMs).unref());
    if ((await Promise.race([final.then(() => "done" as const), timeout])) === "timeout") {
      this.opts.logger.warn(
        "shutdown deadline passed before the final commit finished; uncommitted records will be re-read",
      );
    } else this.pipeline.close(); // (not while a flush still runs)
    await this.source.disconnect().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    // A start-up that was still connecting or joining ends with the disconnect; never leave it behind.
    await Promise.race([this.startingUp, new Promise((r) => setTimeout(r, 5000).unref())]);
    this.state = failing || this.fatal ? "failed" : "stopped";
    for (const w of this.stopWaiters) w(this.fatal);
    this.stopWaiters = [];
  }

  private fail(error: FloeError): void {
    if (this.fatal) return;
    this.fatal = error;
    this.opts.logger.error("sink failed", { error });
    void this.stop();
  }

  private async onAssignment(assignment: Record<string, number[]>): Promise<void> {
    const next = new Set<string>();
    for (const [topic, parts] of Object.entries(assignment)) for (const p of parts) next.add(tpKey(topic, p));
    // Drop what we buffered for partitions that moved to another consumer: they will re-read it.
    for (const k of new Set([...this.assigned, ...this.positions.keys()])) {
      if (next.has(k)) continue;
      this.positions.delete(k);
      this.bump(k);
    }
    this.buffers.drop((k) => !next.has(k));
    this.assigned = next;
    // What the open commits hold is committed now (revoked partitions' records too: if their new owner
    // commits them first, ours loses), so that the positions below include it and nothing is re-read.
    if (this.pipeline.open.size > 0) await this.requestFlush(true);
    const { catalog, config } = this.opts;
    const schemas = this.buffers.tableSchemas;
    const seeks = await this.health.retryWhileUnavailable(
      "loading the tables' committed offsets",
      () => tablePositions(catalog, this.routes, config.kafka.groupId, assignment, schemas),
      () => this.state === "running" || this.state === "starting",
    );
    // Every partition with a table position restarts there, kept partitions included: what we buffered
    // for them is dropped (re-read below), as a kept partition may have been another consumer's in a
    // generation we missed (we were evicted) and our buffer may be stale.
    for (const [k, offset] of seeks) {
      const [topic, partition] = splitTp(k);
      if (this.assigned.has(k)) this.seekPartition(topic, partition, offset);
    }
    this.opts.logger.info("partitions assigned", { partitions: next.size, seeks: seeks.size });
  }

  private bump(k: string): void {
    this.epochs.set(k, (this.epochs.get(k) ?? 0) + 1);
  }

  /**
   * Moves a partition to `offset`: records buffered for it are dropped (they will be read again from
   * `offset`), and a batch of it still being processed stops, so nothing is buffered twice.
   */
  private seekPartition(topic: string, partition: number, offset: bigint): void {
    const k = tpKey(topic, partition);
    this.buffers.drop((key) => key === k);
    this.positions.set(k, offset);
    this.bump(k);
    this.source.seek(topic, partition, offset);
  }

  private async onBatch(batch: SourceBatch, control: BatchControl): Promise<void> {
    const { heartbeat, isRunning, isStale, resolveOffset } = control;
    const { topic, partition } = batch;
    const k = tpKey(topic, partition);
    // Positions come from the tables: never read a partition before its seek (heartbeating meanwhile,
    // as loading the tables waits out a catalog outage).
    await settled(this.assigning, heartbeat);
    if (this.halted.has(k) || !this.assigned.has(k)) return;
    const route = routeFor(this.routes, topic);
    const decoder = route ? this.decoders.get(route.index) : undefined;
    // A seek or revoke since this batch began: stop; the records are read again from the new position.
    const epoch = this.epochs.get(k);
    const moved = () => this.epochs.get(k) !== epoch;
    let expected = this.positions.get(k);
    let records = 0;
    let bytes = 0;
    // kafkajs's in-memory fetch position (group offsets are committed after table commits), moved
    // once per batch: resolving parses the offset string each time, a tenth of the sink's CPU per record.
    let resolved: string | undefined;
    // Nothing below changes without an await in between, so the checks run after each await only
    // (kafkajs's isStale builds a JSON key per call).
    const live = () => isRunning() && !isStale() && !moved() && this.state === "running";
    try {
      if (!live()) return;
      for (const message of batch.messages) {
        if (this.room.full() && !(await this.room.waitForRoom(heartbeat, live))) return;
        const offset = BigInt(message.offset);
        if (expected !== undefined && offset < expected) {
          resolved = message.offset; // already covered by a commit
          continue;
        }
        if (expected !== undefined && offset > expected && batch.fetchedOffset > expected) {
          // The fetch began past our position: records could be missing. Seek back; never skip records.
          // (A gap inside what the fetch returned is records that do not exist: compacted away,
          // aborted transactions, transaction markers.)
          this.source.seek(topic, partition, expected);
          return;
        }
        const value = message.value ?? null;
        records++;
        bytes += value?.length ?? 0;
        const rec: RecordInput = {
          topic,
          partition,
          offset,
          timestampMs: Number(message.timestamp),
          key: message.key ?? null,
          headers: headersOf(message.headers),
          value,
        };
        if (!route || !decoder) {
          this.halt(k, new FloeError("INTERNAL", `no route for topic ${topic}`));
          return;
        }
        // Which step a failure belongs to, for the dead letter's floe.error.stage.
        let stage: ErrorStage = "decode";
        try {
          const empty = (value === null || value.length === 0) && skipsEmptyValues(route);
          const upsert = route.config.mode === "upsert";
          if (empty && !upsert) {
            this.skipEmpty(route, rec);
          } else {
            let decoded = empty ? null : decoder.decodeSync?.(rec);
            if (decoded === undefined) {
              decoded = await decodeWithRetry(decoder, rec, () => this.state === "running");
              if (!live()) return;
            }
            if (upsert) {
              // A tombstone is a delete here; the change's own row is checked (a Debezium event's `after`).
              stage = "convert";
              let bytes = this.changes.buffer(this.buffers.bufferFor(route, topic, {}), route, decoded, rec);
              if (bytes instanceof Promise) {
                bytes = await bytes;
                if (!live()) return;
              }
              if (bytes === null) this.skipEmpty(route, rec, "no-change");
              else this.buffers.buffered += bytes;
            } else if (decoded !== null) {
              stage = "schema";
              checkNesting(decoded.schema);
              checkRecordNames(decoded.schema, route.config.metadataColumns);
              stage = "route";
              const buf = this.buffers.bufferForRecord(route, topic, decoded);
              stage = "convert";
              this.buffers.buffered += buf.addDecoded(decoded, rec);
            }
          }
        } catch (e) {
          if (!live()) return;
          const err = toFloeError(e, "DECODE_FAILED");
          if (err.retryable) {
            // The registry (or another service) is down: not the record's fault. Stop without committing it.
            this.fail(err);
            return;
          }
          if (!this.recordErrors.handle(route, { meta: metaOf(rec), value }, stage, err)) return;
        }
        expected = offset + 1n;
        this.positions.set(k, expected);
        resolved = message.offset;
        if ((records & 255) === 0) {
          // While a commit runs, let its I/O callbacks in: they would otherwise wait for the whole batch.
          if (this.buffers.flushing > 0) await yieldToIo();
          if ((records & 511) === 0) await heartbeat();
          if (!live()) return;
        }
      }
      // The whole batch is handled: offsets after its last record (markers, aborted records) are too.
      if (resolved !== undefined && batch.nextOffset > (expected ?? batch.nextOffset)) {
        this.onSkipped(topic, partition, batch.nextOffset);
      }
    } finally {
      if (resolved !== undefined) resolveOffset(resolved);
      if (records > 0) this.clock.sawRecords();
      this.opts.metrics.recordsIn.inc({ topic }, records);
      this.opts.metrics.bytesIn.inc({ topic }, bytes);
    }
    this.room.afterBatch();
  }

  /**
   * A fetch of this partition held nothing to deliver (transaction markers, aborted or compacted
   * records) and the client moved past it: so does our position, and the partition's table covers
   * those offsets in its next commit, so the committed offset (and the group's lag) reaches the end
   * of the partition instead of pointing at a record that will never come.
   */
  private onSkipped(topic: string, partition: number, next: bigint): void {
    const k = tpKey(topic, partition);
    const expected = this.positions.get(k);
    if (expected === undefined || next <= expected || this.halted.has(k)) return;
    this.positions.set(k, next);
    const route = routeFor(this.routes, topic);
    if (route === undefined || route.config.tableField !== undefined) return;
    this.buffers.tableBuffer(route, route.tableFor(topic, {})).cover(topic, partition, next - 1n);
  }

  /** A tombstone or empty value its route's format cannot hold, or a no-change event: counted, skipped. */
  private skipEmpty(route: Route, rec: RecordInput, why?: string): void {
    const reason = why ?? (rec.value === null ? "tombstone" : "empty-value");
    this.opts.metrics.skipped.inc({ topic: rec.topic, reason });
    if (route.config.tableField === undefined) {
      this.buffers
        .tableBuffer(route, route.tableFor(rec.topic, {}))
        .cover(rec.topic, rec.partition, rec.offset);
    }
  }

  /** onError: fail: stop consuming this partition, commit what came before, then stop the sink. */
  private halt(k: string, error: FloeError): void {
    this.halted.add(k);
    this.opts.logger.error("record failed with onError: fail; stopping after committing earlier records", {
      error,
    });
    this.fatal ??= error;
    void this.requestFlush().then(() => this.stop());
  }

  /**
   * Queues a flush after any running one (at most one waits); resolves when it is done. A flush writes
   * the buffers into the tables' open files; with `commit` (the default; size limits pass false), or if
   * a commit was asked for meanwhile, it then commits them.
   */
  requestFlush(commit = true): Promise<void> {
    return this.pipeline.request(commit);
  }

  private flushHost(): FlushHost {
    const { catalog, io, logger, metrics, config } = this.opts;
    return {
      logger,
      source: this.source,
      health: this.health,
      commitDeps: {
        catalog,
        io,
        logger,
        metrics,
        group: config.kafka.groupId,
        dlq: this.dlq,
        recordErrors: this.recordErrors,
        keyIndexes: new KeyIndexes(io, logger),
        stopping: () => this.state !== "running",
        prepared: (table, schema) => this.buffers.tableSchemas.set(table, schema),
      },
      take: () => this.buffers.take(),
      released: () => {
        this.buffers.released();
        metrics.bufferBytes.set({}, this.buffers.buffered);
      },
      assigned: () => this.assigned,
      seek: (topic, partition, offset) => this.seekPartition(topic, partition, offset),
      running: () => this.state === "running",
      ending: () => this.fatal !== undefined || this.state === "stopping",
      committed: (table, schema) => this.buffers.tableSchemas.set(table, schema),
      fail: (e) => this.fail(toFloeError(e)),
    };
  }
}
