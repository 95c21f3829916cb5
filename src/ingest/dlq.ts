/**
 * Dead letters: a record that cannot be decoded, routed or written goes to the dead-letter topic with
 * its original key, value and headers, plus headers saying why and where it came from. Sends are
 * tracked so a commit can wait for them: a record's offset is never committed before its dead letter
 * is acknowledged.
 */
import { FloeError, isFloeError } from "../errors.js";
import type { KafkaMeta } from "./kafka-meta.js";
import type { OutgoingRecord, RecordProducer } from "./source/index.js";

export const DLQ_HEADERS = {
  reason: "floe.error.reason",
  message: "floe.error.message",
  stage: "floe.error.stage",
  topic: "floe.source.topic",
  partition: "floe.source.partition",
  offset: "floe.source.offset",
  timestamp: "floe.source.timestamp",
  /** Set when the topic refused the whole record and a cut value was sent instead. */
  truncated: "floe.dlq.truncated",
  /** The original value's size in bytes (with `truncated`). */
  originalSize: "floe.dlq.original-size",
  /** Whether the record's own headers are in the bounded form (with `truncated`). */
  originalHeadersKept: "floe.dlq.original-headers",
} as const;

/** The largest value a bounded dead letter starts from (it is halved until the topic accepts it). */
export const MAX_BOUNDED_VALUE = 256 * 1024;
/** Original headers (and key) above this many bytes are left out of a bounded dead letter. */
const MAX_BOUNDED_HEADERS = 16 * 1024;

export type ErrorStage = "decode" | "route" | "schema" | "convert";

export interface DeadLetter {
  meta: KafkaMeta;
  value: Uint8Array | null;
  stage: ErrorStage;
  /** A short machine-friendly reason (the FloeError code), used as a metrics label. */
  reason: string;
  message: string;
}

export class DeadLetterQueue {
  private pending: Promise<unknown>[] = [];
  private failure: Error | undefined;

  constructor(private readonly producer: RecordProducer) {}

  send(topic: string, letter: DeadLetter): void {
    const headers: Record<string, Buffer> = {};
    for (const [k, v] of letter.meta.headers) if (v !== null) headers[k] = Buffer.from(v);
    const own: Record<string, Buffer> = {
      [DLQ_HEADERS.reason]: Buffer.from(letter.reason),
      [DLQ_HEADERS.message]: Buffer.from(letter.message.slice(0, 4000)),
      [DLQ_HEADERS.stage]: Buffer.from(letter.stage),
      [DLQ_HEADERS.topic]: Buffer.from(letter.meta.topic),
      [DLQ_HEADERS.partition]: Buffer.from(String(letter.meta.partition)),
      [DLQ_HEADERS.offset]: Buffer.from(letter.meta.offset.toString()),
      [DLQ_HEADERS.timestamp]: Buffer.from(letter.meta.timestampMs.toString()),
    };
    const record: OutgoingRecord = {
      key: letter.meta.key === null ? null : Buffer.from(letter.meta.key),
      value: letter.value === null ? null : Buffer.from(letter.value),
      headers: { ...headers, ...own },
    };
    const p = this.deliver(topic, record, letter).catch((e: unknown) => {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
    });
    this.pending.push(p);
  }

  /**
   * Sends a dead letter; one the topic refuses as too large goes again in a bounded form: the value
   * cut (halved until it fits, from at most MAX_BOUNDED_VALUE bytes, then none), the original headers
   * kept only while small, and headers saying what was cut. If even that fails, the error names the
   * record: the sink stops before its offset is committed.
   */
  private async deliver(topic: string, record: OutgoingRecord, letter: DeadLetter): Promise<void> {
    try {
      await this.producer.send(topic, [record]);
      return;
    } catch (e) {
      if (!isFloeError(e) || e.context.tooLarge !== true) throw this.undeliverable(topic, letter, e);
    }
    const original = record.value?.length ?? 0;
    const ownHeaders = Object.fromEntries(
      Object.entries(record.headers).filter(([k]) => k.startsWith("floe.")),
    );
    const headerBytes = Object.entries(record.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);
    const headers = headerBytes <= MAX_BOUNDED_HEADERS ? record.headers : ownHeaders;
    let keep = Math.min(original, MAX_BOUNDED_VALUE);
    let last: unknown;
    for (let attempt = 0; attempt < 12; attempt++) {
      const value = record.value === null ? null : record.value.subarray(0, keep);
      const bounded: OutgoingRecord = {
        key: record.key !== null && record.key.length > MAX_BOUNDED_HEADERS ? null : record.key,
        value,
        headers: {
          ...(attempt < 6 ? headers : ownHeaders),
          [DLQ_HEADERS.truncated]: Buffer.from("true"),
          [DLQ_HEADERS.originalSize]: Buffer.from(String(original)),
          [DLQ_HEADERS.originalHeadersKept]: Buffer.from(String(headers === record.headers && attempt < 6)),
        },
      };
      try {
        await this.producer.send(topic, [bounded]);
        return;
      } catch (e) {
        last = e;
        if (!isFloeError(e) || e.context.tooLarge !== true) break;
      }
      keep = keep > 1024 ? Math.floor(keep / 2) : 0;
    }
    throw this.undeliverable(topic, letter, last);
  }

  private undeliverable(topic: string, letter: DeadLetter, cause: unknown): FloeError {
    const { meta } = letter;
    return new FloeError(
      "IO_ERROR",
      `dead letter for ${meta.topic}/${meta.partition}@${meta.offset} could not be written to ${topic}: ${
        (cause as Error)?.message ?? String(cause)
      }`,
      { cause, context: { topic: meta.topic, partition: meta.partition, offset: meta.offset } },
    );
  }

  /** Waits for every dead letter sent so far; throws if one could not be delivered. */
  async drain(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.failure) throw this.failure;
  }
}
