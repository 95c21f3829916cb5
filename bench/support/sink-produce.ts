/**
 * Producer for the sink benchmarks, run as its own process (so the sink's process and its memory
 * figures do not include producing): `npx vite-node bench/support/sink-produce.ts '<json ProduceJob>'`.
 *
 * - rate 0: generate `count` events first (not timed), then send them as fast as the broker takes them,
 *   `inflight` batches of `batch` messages at a time; reports the send rate.
 * - rate R > 0: every 100 ms, generate and send R/10 events stamped with the current time, for
 *   `durationS` seconds; writes a log of what went where (partition, base offset, count, produce time)
 *   to `logFile`, so the benchmark can tell when each record became visible.
 *
 * Record i goes to partition i % partitions, keyed `u<user_id>`. With `changes`, the records are an
 * upsert change stream instead (upsert-changes.ts: keyed by the key, in the key's partition, tombstones
 * for deletes) and the result carries the model; their sends go one at a time (in both modes), since
 * concurrent sends can land out of order in a partition and a key's changes must keep their order.
 * Prints `RESULT <json>` last.
 */
import { writeFile } from "node:fs/promises";
import { Kafka, logLevel, type Message, type Producer } from "kafkajs";
import { avroEncoder, EventSource, eventJson } from "./sink-events.js";
import { type ChangeMix, type ChangeModel, ChangeStream } from "./upsert-changes.js";

export interface ProduceJob {
  brokers: string;
  topic: string;
  format: "json" | "avro";
  partitions: number;
  schemaId?: number;
  seed?: number;
  /** rate 0: this many, as fast as possible. */
  count?: number;
  /** Records per second (paced), for durationS seconds. */
  rate?: number;
  durationS?: number;
  batch?: number;
  inflight?: number;
  /** rate 0: generate everything before sending (default), or each batch as it is sent. */
  pregenerate?: boolean;
  logFile?: string;
  /** Upsert changes (JSON) instead of append events. */
  changes?: ChangeMix;
}

export interface ProduceResult {
  records: number;
  bytes: number;
  /** Wall seconds spent sending (generation excluded for rate 0 unless pregenerate is false). */
  sendSeconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  generateSeconds: number;
  /** Paced mode: how far the sends fell behind the schedule at worst, ms. */
  maxLagMs?: number;
  /** With `changes`: what the table must hold. */
  model?: ChangeModel;
}

/** One send of the paced mode: produce time and where its records landed. */
export interface SendLog {
  tsMs: number;
  parts: { partition: number; baseOffset: string; count: number }[];
}

/** The job's records one after another; `i` is the record's number. */
function recordSource(job: ProduceJob): { next: (i: number) => Message; model?: ChangeModel } {
  if (job.changes) {
    if (job.format !== "json") throw new Error("changes are JSON only");
    const stream = new ChangeStream(job.changes, job.partitions, job.seed ?? 42);
    return { next: () => stream.next(), model: stream.model };
  }
  const encode = job.format === "avro" ? avroEncoder(job.schemaId ?? 1) : eventJson;
  const source = new EventSource(job.seed ?? 42);
  return {
    next: (i) => {
      const e = source.next();
      return { key: `u${e.user_id}`, value: encode(e), partition: i % job.partitions };
    },
  };
}

async function connect(job: ProduceJob): Promise<Producer> {
  const kafka = new Kafka({
    clientId: "floe-bench-producer",
    brokers: [job.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

async function flat(job: ProduceJob): Promise<ProduceResult> {
  const count = job.count ?? 1_000_000;
  const batch = job.batch ?? (job.changes ? 10_000 : 5000);
  const inflight = job.changes ? 1 : (job.inflight ?? 4);
  const pregenerate = job.pregenerate ?? true;
  const source = recordSource(job);
  let bytes = 0;
  let genMs = 0;
  const makeBatch = (start: number): Message[] => {
    const g0 = performance.now();
    const messages: Message[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const m = source.next(i);
      bytes += (m.value as Buffer | null)?.length ?? 0;
      messages.push(m);
    }
    genMs += performance.now() - g0;
    return messages;
  };
  const starts = Array.from({ length: Math.ceil(count / batch) }, (_, k) => k * batch);
  const ready = pregenerate ? starts.map(makeBatch) : undefined;
  const producer = await connect(job);
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const k = next++;
      const messages = ready ? (ready[k] as Message[]) : makeBatch(starts[k] as number);
      if (ready) ready[k] = [];
      const now = String(Date.now());
      for (const m of messages) m.timestamp = now;
      await producer.send({ topic: job.topic, messages, acks: -1 });
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const sendSeconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return {
    records: count,
    bytes,
    sendSeconds,
    recordsPerSec: count / sendSeconds,
    mbPerSec: bytes / 1e6 / sendSeconds,
    generateSeconds: genMs / 1000,
    ...(source.model ? { model: source.model } : {}),
  };
}

async function paced(job: ProduceJob): Promise<ProduceResult> {
  const rate = job.rate ?? 20_000;
  const durationS = job.durationS ?? 60;
  const tick = 100;
  const perTick = Math.round((rate * tick) / 1000);
  const ticks = Math.round((durationS * 1000) / tick);
  const source = recordSource(job);
  const producer = await connect(job);
  const log: SendLog[] = [];
  const pending: Promise<void>[] = [];
  /** Changes: each send after the previous one (order within a partition). */
  let previous: Promise<unknown> = Promise.resolve();
  let bytes = 0;
  let i = 0;
  let maxLagMs = 0;
  let genMs = 0;
  const t0 = Date.now();
  for (let k = 0; k < ticks; k++) {
    const due = t0 + k * tick;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else maxLagMs = Math.max(maxLagMs, -wait);
    const g0 = performance.now();
    const tsMs = Date.now();
    const timestamp = String(tsMs);
    const messages: Message[] = [];
    for (let j = 0; j < perTick; j++, i++) {
      const m = source.next(i);
      bytes += (m.value as Buffer | null)?.length ?? 0;
      messages.push({ ...m, timestamp });
    }
    genMs += performance.now() - g0;
    const send = () => producer.send({ topic: job.topic, messages, acks: -1 });
    const sent = job.changes ? previous.then(send) : send();
    previous = sent;
    pending.push(
      sent.then((meta) => {
        const counts = new Map<number, number>();
        for (const m of messages)
          counts.set(m.partition as number, (counts.get(m.partition as number) ?? 0) + 1);
        log.push({
          tsMs,
          parts: meta.map((m) => ({
            partition: m.partition,
            baseOffset: m.baseOffset ?? "-1",
            count: counts.get(m.partition) ?? 0,
          })),
        });
      }),
    );
  }
  await Promise.all(pending);
  const sendSeconds = (Date.now() - t0) / 1000;
  await producer.disconnect();
  if (job.logFile) await writeFile(job.logFile, JSON.stringify(log));
  return {
    records: i,
    bytes,
    sendSeconds,
    recordsPerSec: i / sendSeconds,
    mbPerSec: bytes / 1e6 / sendSeconds,
    generateSeconds: genMs / 1000,
    maxLagMs,
    ...(source.model ? { model: source.model } : {}),
  };
}

const job = JSON.parse(process.argv[2] ?? "{}") as ProduceJob;
const result = job.rate ? await paced(job) : await flat(job);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
