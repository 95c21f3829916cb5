/**
 * Dead letters: a record that cannot be decoded, routed or written goes to the dead-letter topic with
 * its original key, value and headers, plus headers saying why and where it came from. Sends are
 * tracked so a commit can wait for them: a record's offset is never committed before its dead letter
 * is acknowledged.
 */
import type { KafkaMeta } from "./metadata-columns.js";
import type { RecordProducer } from "./source/index.js";

export const DLQ_HEADERS = {
  reason: "floe.error.reason",
  message: "floe.error.message",
  stage: "floe.error.stage",
  topic: "floe.source.topic",
  partition: "floe.source.partition",
  offset: "floe.source.offset",
  timestamp: "floe.source.timestamp",
} as const;

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
    headers[DLQ_HEADERS.reason] = Buffer.from(letter.reason);
    headers[DLQ_HEADERS.message] = Buffer.from(letter.message.slice(0, 4000));
    headers[DLQ_HEADERS.stage] = Buffer.from(letter.stage);
    headers[DLQ_HEADERS.topic] = Buffer.from(letter.meta.topic);
    headers[DLQ_HEADERS.partition] = Buffer.from(String(letter.meta.partition));
    headers[DLQ_HEADERS.offset] = Buffer.from(letter.meta.offset.toString());
    headers[DLQ_HEADERS.timestamp] = Buffer.from(letter.meta.timestampMs.toString());
    const p = this.producer
      .send(topic, [
        {
          key: letter.meta.key === null ? null : Buffer.from(letter.meta.key),
          value: letter.value === null ? null : Buffer.from(letter.value),
          headers,
        },
      ])
      .catch((e: unknown) => {
        this.failure ??= e instanceof Error ? e : new Error(String(e));
      });
    this.pending.push(p);
  }

  /** Waits for every dead letter sent so far; throws if one could not be delivered. */
  async drain(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.failure) throw this.failure;
  }
}
