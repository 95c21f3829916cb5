/**
 * The source port over kafkajs: the only place that talks to the Kafka client. The consumer reads
 * read_committed (records of aborted transactions and transaction markers are never delivered), never
 * auto-commits, and reports fetches that held only filtered records as `skipped` so the sink's position
 * moves past them.
 */
import type { CompressionTypes, Consumer, Kafka, Producer } from "kafkajs";
import { FloeError, isFloeError, toFloeError } from "../../errors.js";
import { type CodecName, compressionType } from "./codecs.js";
import type {
  KafkaClient,
  OutgoingRecord,
  RecordProducer,
  Source,
  SourceHandlers,
  TopicPartitionOffset,
} from "./port.js";

export interface KafkajsSourceOptions {
  /** A dead member keeps its partitions this long; kafkajs has no static membership. */
  sessionTimeoutMs?: number;
  /** Record-batch codec of what the producer sends (dead letters); default none. */
  producerCompression?: CodecName;
}

/** The sink's Kafka client over a kafkajs `Kafka`. */
export function kafkajsClient(kafka: Kafka, options: KafkajsSourceOptions = {}): KafkaClient {
  return {
    source: (groupId) => new KafkajsSource(kafka, groupId, options),
    producer: () =>
      new KafkajsProducer(
        kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
        compressionType(options.producerCompression ?? "none"),
      ),
  };
}

/** No fetch for this long, outside batch handling, makes the client count as in trouble. */
const FETCH_STALL_MS = 5000;

class KafkajsSource implements Source {
  private readonly consumer: Consumer;
  private stopWatch: () => void = () => undefined;

  constructor(kafka: Kafka, groupId: string, options: KafkajsSourceOptions) {
    this.consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      // Three heartbeats per session at least (kafkajs's default is every 3 s).
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      rebalanceTimeout: 60_000,
      // Small fetches: a fetch's decoded messages are the memory the buffer limit does not count.
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
      maxWaitTimeInMs: 500,
      // kafkajs's default, stated: aborted transactions and markers are filtered out.
      readUncommitted: false,
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async run(topics: readonly (string | RegExp)[], handlers: SourceHandlers): Promise<void> {
    const { consumer } = this;
    // Emitted before kafkajs fetches for the new generation.
    consumer.on(consumer.events.GROUP_JOIN, (e) => handlers.assigned(e.payload.memberAssignment));
    // kafkajs resolves fetches that held only markers, aborted or compacted records by itself, without
    // calling eachBatch; it announces them with an empty batch event, emitted before its next fetch.
    consumer.on(consumer.events.START_BATCH_PROCESS, (e) => {
      const { topic, partition, batchSize, lastOffset } = e.payload;
      if (batchSize === 0 && lastOffset !== null && /^\d+$/.test(String(lastOffset))) {
        handlers.skipped(topic, partition, BigInt(lastOffset) + 1n);
      }
    });
    let troubled = false;
    const recovered = () => {
      if (!troubled) return;
      troubled = false;
      handlers.trouble(undefined);
    };
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts after a batch it cannot decode, and fails on it again, forever: that one stops.
      const error = classifyCrash(e.payload.error);
      if (!e.payload.restart || error.code === "DECODE_FAILED") {
        handlers.crashed(error);
        return;
      }
      troubled = true;
      handlers.trouble(error.message);
    });
    // Fetching again (even an empty fetch) means the client is back.
    let lastFetch = Date.now();
    let inBatch = 0;
    consumer.on(consumer.events.FETCH, () => {
      lastFetch = Date.now();
      recovered();
    });
    // kafkajs retries a lost broker for a long time before it says so (a crash): no fetch for a while,
    // outside the sink's own batch handling, is trouble too. Fetches come every maxWaitTime (500 ms).
    const watch = setInterval(() => {
      const quiet = Date.now() - lastFetch;
      if (inBatch === 0 && quiet > FETCH_STALL_MS && !troubled) {
        troubled = true;
        handlers.trouble(`no fetch from the brokers for ${Math.round(quiet / 1000)} s`);
      }
    }, 1000);
    watch.unref();
    this.stopWatch = () => clearInterval(watch);
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        inBatch++;
        try {
          await handlers.batch(
            {
              topic: batch.topic,
              partition: batch.partition,
              fetchedOffset: BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset),
              messages: batch.messages,
              // kafkajs resolves the batch's trailing markers with its last record (see resolveOffset).
              nextOffset: BigInt(batch.lastOffset()) + 1n,
            },
            { heartbeat, isRunning, isStale, resolveOffset },
          );
        } finally {
          inBatch--;
          lastFetch = Math.max(lastFetch, Date.now());
        }
      },
    });
  }

  seek(topic: string, partition: number, offset: bigint): void {
    this.consumer.seek({ topic, partition, offset: offset.toString() });
  }

  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
    );
  }

  stop(): Promise<void> {
    this.stopWatch();
    return this.consumer.stop();
  }

  disconnect(): Promise<void> {
    this.stopWatch();
    return this.consumer.disconnect();
  }
}

class KafkajsProducer implements RecordProducer {
  constructor(
    private readonly producer: Producer,
    private readonly compression: CompressionTypes,
  ) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    const { compression } = this;
    try {
      await this.producer.send({ topic, acks: -1, compression, messages: records.map((r) => ({ ...r })) });
    } catch (e) {
      if (!tooLarge(e)) throw e;
      throw new FloeError("INVALID_ARGUMENT", `topic ${topic} refused the record as too large`, {
        cause: e,
        context: { topic, tooLarge: true },
      });
    }
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** The broker's "message too large" answers (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE), however wrapped. */
function tooLarge(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    const { type, message, originalError, cause } = e as {
      type?: string;
      message?: string;
      originalError?: unknown;
      cause?: unknown;
    };
    if (type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE") return true;
    if (/larger than the server will accept|message is too large/i.test(message ?? "")) return true;
    e = originalError ?? cause;
  }
  return false;
}

const CODEC_ERROR =
  /compression|codec|decompress|snappy|lz4|zstd|gzip|unexpected end|incorrect header|buffer bounds|out of range/i;

/**
 * A crash that kafkajs will not recover from. A record batch that cannot be decompressed or parsed is
 * DECODE_FAILED (the sink adds the partitions and offsets it was reading); the rest is the cluster's.
 * kafkajs may wrap the decoder's error (retries exceeded): its causes are looked at too.
 */
export function classifyCrash(error: unknown): FloeError {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    if (undecodable(e)) {
      const message = (e as { message?: string }).message ?? String(e);
      return new FloeError("DECODE_FAILED", `a fetched record batch could not be decoded: ${message}`, {
        cause: error,
        retryable: false,
      });
    }
    const next = e as { originalError?: unknown; cause?: unknown };
    e = next.originalError ?? next.cause;
  }
  return toFloeError(error, "SERVICE_UNAVAILABLE");
}

function undecodable(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: unknown };
  const name = e.name ?? "";
  if (name === "KafkaJSConnectionError" || name === "KafkaJSRequestTimeoutError") return false;
  return (
    name === "KafkaJSNotImplemented" ||
    name === "RangeError" || // a batch whose bytes do not parse (reads past its end)
    e.code === "ERR_OUT_OF_RANGE" ||
    e.code === "ERR_BUFFER_OUT_OF_BOUNDS" ||
    isFloeError(error, "DECODE_FAILED") ||
    CODEC_ERROR.test(e.message ?? "")
  );
}
