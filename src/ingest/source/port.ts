/**
 * The source port: what the sink needs from a Kafka client, and nothing more. The exactly-once logic
 * (seeks to the tables' offsets, batch offset ranges, gap and zombie checks, revocation) works against
 * these interfaces; `kafkajs.ts` is the only adapter, and tests drive the sink with a fake one.
 */
import type { FloeError } from "../../errors.js";

/** Header values as a Kafka client hands them over (several values per name allowed). */
export type SourceHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** One record as fetched. Offsets and timestamps stay strings: most records never need them parsed. */
export interface SourceMessage {
  offset: string;
  /** Milliseconds since the epoch, as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: SourceHeaders;
}

/**
 * The records of one fetch for one partition, in offset order. Offsets may skip numbers: records a
 * compacted topic removed, records of aborted transactions and transaction markers are never
 * delivered. Every offset from `fetchedOffset` up to the last record's is accounted for by the batch.
 */
export interface SourceBatch {
  topic: string;
  partition: number;
  /** Where the fetch began: the broker returned every surviving record from here on. */
  fetchedOffset: bigint;
  messages: readonly SourceMessage[];
  /**
   * One past the last offset the fetch accounted for, trailing transaction markers and aborted records
   * included: resolving the batch's last record moves the client's position here.
   */
  nextOffset: bigint;
}

/** What a batch handler may do while it works through a batch. */
export interface BatchControl {
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once a seek for this partition is pending: the rest of the batch must not be used. */
  isStale(): boolean;
  /** The client's in-memory fetch position moves past `offset` (group offsets are committed separately). */
  resolveOffset(offset: string): void;
}

export interface SourceHandlers {
  /**
   * A new generation's assignment, before anything is fetched for it. The handler starts its seeks
   * from here; batches of the new generation wait for them in `batch`.
   */
  assigned(assignment: Record<string, number[]>): void;
  /** A fetch with at least one record. */
  batch(batch: SourceBatch, control: BatchControl): Promise<void>;
  /**
   * A fetch that began at `fetchedOffset` (when known) held no deliverable record, only transaction
   * markers, aborted or compacted-away records; the client moved its position to `nextOffset`.
   */
  skipped(topic: string, partition: number, nextOffset: bigint): void;
  /** The client stopped for good (it will not restart by itself). */
  crashed(error: FloeError): void;
  /**
   * The client failed and is restarting itself (a broker down, a lost connection): `message` says
   * why; undefined once it fetches again.
   */
  trouble(message: string | undefined): void;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: bigint;
}

/** A consumer in a group, with offsets managed by the caller (no auto-commit). */
export interface Source {
  connect(): Promise<void>;
  /** Subscribes to topic names and patterns, then starts fetching into `handlers`. */
  run(topics: readonly (string | RegExp)[], handlers: SourceHandlers): Promise<void>;
  /** Moves the fetch position of an assigned partition; batches already fetched become stale. */
  seek(topic: string, partition: number, offset: bigint): void;
  /** Commits the group's (advisory) offsets. */
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching; waits for the batch being handled. */
  stop(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface OutgoingRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** The dead-letter producer: acknowledged (acks=all) sends. */
export interface RecordProducer {
  connect(): Promise<void>;
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Makes the sink's consumer and producer; one per sink. */
export interface KafkaClient {
  source(groupId: string): Source;
  producer(): RecordProducer;
}
