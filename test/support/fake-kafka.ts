/**
 * An in-memory Kafka behind the sink's source port, for unit tests of the exactly-once logic. It acts
 * like kafkajs where the sink depends on it: fetches begin at the position (the last resolved offset
 * + 1, or a pending seek), batches of a partition with a pending seek are stale, transaction markers
 * and aborted records are never delivered, and a fetch that held only those is announced as skipped.
 */
import { FloeError } from "../../src/errors.js";
import type {
  BatchControl,
  KafkaClient,
  OutgoingRecord,
  RecordProducer,
  Source,
  SourceHandlers,
  SourceMessage,
  TopicPartitionOffset,
} from "../../src/ingest/index.js";

/** A log entry: a record, or an offset that holds nothing deliverable (a marker, an aborted record). */
export type LogEntry = { offset: bigint; message: SourceMessage } | { offset: bigint; hidden: true };

const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class FakeKafka implements KafkaClient {
  /** topic\0partition -> entries in offset order (gaps allowed: compacted away). */
  readonly logs = new Map<string, LogEntry[]>();
  readonly produced: { topic: string; record: OutgoingRecord }[] = [];
  readonly sources: FakeSource[] = [];
  /** Records per fetch. */
  fetchSize = 50;

  /** Appends records with values `values` (JSON-encoded unless bytes or null) at the next offsets. */
  append(
    topic: string,
    partition: number,
    values: readonly unknown[],
    key?: (i: number) => string,
  ): bigint[] {
    const log = this.log(topic, partition);
    const offsets: bigint[] = [];
    values.forEach((v, i) => {
      const offset = this.nextOffset(topic, partition);
      const value = v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v));
      log.push({
        offset,
        message: {
          offset: offset.toString(),
          timestamp: String(1_700_000_000_000 + Number(offset)),
          key: key ? Buffer.from(key(i)) : null,
          value,
        },
      });
      offsets.push(offset);
    });
    return offsets;
  }

  /** Offsets that hold nothing a reader sees (transaction markers, aborted records). */
  hide(topic: string, partition: number, count = 1): void {
    const log = this.log(topic, partition);
    for (let i = 0; i < count; i++) log.push({ offset: this.nextOffset(topic, partition), hidden: true });
  }

  /** Offsets that no longer exist (a compacted topic). */
  skipOffsets(topic: string, partition: number, count: number): void {
    this.gaps.set(tp(topic, partition), (this.gaps.get(tp(topic, partition)) ?? 0n) + BigInt(count));
  }

  private readonly gaps = new Map<string, bigint>();

  nextOffset(topic: string, partition: number): bigint {
    const log = this.log(topic, partition);
    const last = log.at(-1);
    const gap = this.gaps.get(tp(topic, partition)) ?? 0n;
    this.gaps.delete(tp(topic, partition));
    return (last === undefined ? 0n : last.offset + 1n) + gap;
  }

  log(topic: string, partition: number): LogEntry[] {
    let log = this.logs.get(tp(topic, partition));
    if (log === undefined) {
      log = [];
      this.logs.set(tp(topic, partition), log);
    }
    return log;
  }

  source(groupId: string): Source {
    const s = new FakeSource(this, groupId);
    this.sources.push(s);
    return s;
  }

  /** Records above this many bytes (key, value, headers) are refused as too large, as a broker does. */
  maxRecordBytes = Number.POSITIVE_INFINITY;

  producer(): RecordProducer {
    return {
      connect: async () => undefined,
      send: async (topic, records) => {
        for (const record of records) {
          const size =
            (record.key?.length ?? 0) +
            (record.value?.length ?? 0) +
            Object.entries(record.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
          if (size > this.maxRecordBytes) {
            throw new FloeError("INVALID_ARGUMENT", `topic ${topic} refused the record as too large`, {
              context: { topic, tooLarge: true },
            });
          }
        }
        for (const record of records) this.produced.push({ topic, record });
      },
      disconnect: async () => undefined,
    };
  }
}

export class FakeSource implements Source {
  handlers: SourceHandlers | undefined;
  topics: readonly (string | RegExp)[] = [];
  running = false;
  readonly commits: TopicPartitionOffset[][] = [];
  private assignment: Record<string, number[]> = {};
  /** The client's fetch position per partition. */
  private readonly positions = new Map<string, bigint>();
  private readonly seeks = new Map<string, bigint>();

  constructor(
    private readonly kafka: FakeKafka,
    readonly groupId: string,
  ) {}

  async connect(): Promise<void> {}

  async run(topics: readonly (string | RegExp)[], handlers: SourceHandlers): Promise<void> {
    this.topics = topics;
    this.handlers = handlers;
    this.running = true;
  }

  /** A new generation: the partitions of `assignment` start at `from` (the group's offsets) unless sought. */
  assign(assignment: Record<string, number[]>, from = 0n): void {
    this.assignment = assignment;
    for (const [topic, parts] of Object.entries(assignment)) {
      for (const p of parts) if (!this.positions.has(tp(topic, p))) this.positions.set(tp(topic, p), from);
    }
    this.handlers?.assigned(assignment);
  }

  /** Moves the client's position without the sink knowing (as a fetch from elsewhere would). */
  jump(topic: string, partition: number, offset: bigint): void {
    this.positions.set(tp(topic, partition), offset);
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.seeks.set(tp(topic, partition), offset);
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.commits.push([...offsets]);
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  async disconnect(): Promise<void> {}

  /** A seek not yet applied (it is, at the next fetch). */
  pendingSeek(topic: string, partition: number): bigint | undefined {
    return this.seeks.get(tp(topic, partition));
  }

  position(topic: string, partition: number): bigint | undefined {
    return this.positions.get(tp(topic, partition));
  }

  /** Fetches and hands over batches until every assigned partition is at its log's end. */
  async drain(maxFetches = 10_000): Promise<void> {
    for (let n = 0; n < maxFetches; n++) if (!(await this.fetchOnce())) return;
    throw new Error("FakeSource.drain: the sink never reached the end of the logs");
  }

  /** One fetch per assigned partition; false when no position moved (nothing more to do). */
  async fetchOnce(): Promise<boolean> {
    const handlers = this.handlers;
    if (!handlers || !this.running) return false;
    let moved = false;
    for (const [topic, parts] of Object.entries(this.assignment)) {
      for (const partition of parts) {
        const k = tp(topic, partition);
        const seek = this.seeks.get(k);
        if (seek !== undefined) {
          this.positions.set(k, seek);
          this.seeks.delete(k);
        }
        const from = this.positions.get(k) ?? 0n;
        const entries = this.kafka
          .log(topic, partition)
          .filter((e) => e.offset >= from)
          .slice(0, this.kafka.fetchSize);
        const last = entries.at(-1);
        if (last === undefined) continue;
        const messages = entries.flatMap((e) => ("message" in e ? [e.message] : []));
        if (messages.length === 0) {
          this.positions.set(k, last.offset + 1n);
          handlers.skipped(topic, partition, last.offset + 1n);
          moved = true;
          continue;
        }
        let resolved: string | undefined;
        const control: BatchControl = {
          heartbeat: async () => undefined,
          isRunning: () => this.running,
          isStale: () => this.seeks.has(k),
          resolveOffset: (o) => {
            resolved = o;
          },
        };
        const nextOffset = last.offset + 1n;
        await handlers.batch({ topic, partition, fetchedOffset: from, messages, nextOffset }, control);
        // kafkajs moves on from the last resolved offset (past trailing hidden ones when it is the
        // batch's last record); nothing resolved means the same fetch again.
        if (resolved !== undefined && !this.seeks.has(k)) {
          const all = resolved === messages.at(-1)?.offset;
          this.positions.set(k, all ? nextOffset : BigInt(resolved) + 1n);
        }
        if (this.seeks.has(k) || this.positions.get(k) !== from) moved = true;
      }
    }
    return moved;
  }

  /** The client fails and restarts itself (a broker down); `undefined` once it fetches again. */
  trouble(message: string | undefined): void {
    this.handlers?.trouble(message);
  }

  /** The client gives up (as kafkajs does on a batch it cannot decode). */
  crash(message: string): void {
    this.handlers?.crashed(new FloeError("DECODE_FAILED", message, { retryable: false }));
  }
}
