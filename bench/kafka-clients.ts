/**
 * Kafka clients per record-batch codec: how fast kafkajs (with Floe's codecs, src/ingest/source/codecs.ts)
 * and @platformatic/kafka 1.x consume the same topics, and what decoding a record batch costs per record.
 *
 *   npx vite-node bench/kafka-clients.ts [records=500000] [--repeat 2] [--codecs none,gzip,...]
 *     [--candidates DIR]   also time the codec packages we did not pick, installed in a scratch npm
 *                          project DIR (npm i snappy snappyjs lz4-napi lz4js fzstd @bokuweb/zstd-wasm
 *                          @mongodb-js/zstd@1), on the same batches
 *
 * Per codec, one topic of `records` ~280 B JSON events produced by librdkafka (confluent-kafka in the
 * stack's Python env; batch.size 1 MB, linger 50 ms), kept between runs (`floe-bench-kc-<codec>-<n>`).
 * - consume: a fresh consumer group reads the whole topic, counting records and value bytes; rate =
 *   records after the first fetch / time from the first to the last fetch (group join excluded). kafkajs
 *   runs with the sink's fetch sizes (1 MB per partition, 4 MB per fetch), @platformatic/kafka with the
 *   same. Rounds interleave clients and codecs.
 * - decode: the topic's stored record batches (read from the broker's log segments: the bytes a fetch
 *   returns) decoded in memory by each client's record-batch decoder (decompress + parse records), and
 *   decompression alone; microseconds per record and MB/s of uncompressed records.
 * Writes bench/results/kafka-clients.json and .md.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { BLOCK_CODECS, type CodecName, registerCodecs } from "../src/ingest/source/codecs.js";
import { kafkaLogDir, RECORDS_AT, recordBatches } from "../test/support/kafka-log.js";
import { machine, round, summarize } from "./support/measure.js";
import { createTopic, deleteTopic, endOffsets, MB, ROOT, uniqueName } from "./support/sink-harness.js";

const require = createRequire(import.meta.url);
const CODECS: CodecName[] = ["none", "gzip", "snappy", "lz4", "zstd"];
const PARTITIONS = 1;
const DECODE_ROUNDS = 5;
const FETCH = { maxBytesPerPartition: 1024 * 1024, maxBytes: 4 * 1024 * 1024, maxWaitMs: 500 };

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RECORDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 500_000);
const REPEAT = Number(flag("--repeat") ?? 2);
const codecs = (flag("--codecs")?.split(",") as CodecName[] | undefined) ?? CODECS;
const CANDIDATES = flag("--candidates");

const stack = JSON.parse(
  execFileSync(join(ROOT, "scripts/stack"), ["env", "--json"], { encoding: "utf8" }),
) as Record<string, string>;
const brokers = stack.FLOE_KAFKA_BROKERS ?? "127.0.0.1:9092";

// ---------------------------------------------------------------- topics

function producePython(spec: object): Promise<{ produced: number; seconds: number }> {
  return (async () => {
    const file = join(await mkdtemp(join(tmpdir(), "floe-kc-")), "spec.json");
    await writeFile(file, JSON.stringify(spec));
    return new Promise((resolve, reject) => {
      const child = spawn(stack.FLOE_PYTHON!, [join(ROOT, "test/support/py/produce_librdkafka.py"), file], {
        env: { ...process.env, ...stack },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.on("error", reject);
      child.on("exit", (code) => {
        if (code !== 0) reject(new Error(`librdkafka producer exited ${code}: ${out.slice(-500)}`));
        else resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}"));
      });
    });
  })();
}

async function ensureTopic(codec: CodecName): Promise<{ topic: string; produceRecPerSec?: number }> {
  const topic = `floe-bench-kc-${codec}-${RECORDS}`;
  const have = await endOffsets(brokers, topic).catch(() => undefined);
  const total = have ? [...have.values()].reduce((a, b) => a + b, 0n) : undefined;
  if (total === BigInt(RECORDS)) return { topic };
  if (have) {
    await deleteTopic(brokers, topic);
    await new Promise((r) => setTimeout(r, 3000));
  }
  await createTopic(brokers, topic, PARTITIONS);
  const r = await producePython({
    topic,
    compression: codec,
    generate: { count: RECORDS, partitions: PARTITIONS },
  });
  return { topic, produceRecPerSec: Math.round(r.produced / r.seconds) };
}

// ---------------------------------------------------------------- consume

interface ConsumeRun {
  client: string;
  codec: CodecName;
  records: number;
  recPerSec?: number;
  mbPerSec?: number;
  cpuCores?: number;
  recPerCpuSec?: number;
  error?: string;
}

/** Counts records from the first fetch on; resolves when `total` records have been seen. */
class Meter {
  n = 0;
  bytes = 0;
  private counted = 0;
  private countedBytes = 0;
  private t0 = 0;
  private c0: NodeJS.CpuUsage | undefined;
  private lastProgress = Date.now();
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor(readonly total: number) {
    this.done = new Promise((r) => {
      this.resolve = r;
    });
  }
  /** One fetch's records. */
  add(records: number, bytes: number): void {
    if (this.c0 === undefined) {
      // The first fetch was decoded before we saw it: the clock starts after it.
      this.t0 = performance.now();
      this.c0 = process.cpuUsage();
    } else {
      this.counted += records;
      this.countedBytes += bytes;
    }
    this.n += records;
    this.bytes += bytes;
    this.lastProgress = Date.now();
    if (this.n >= this.total) this.resolve();
  }
  stalledMs(): number {
    return Date.now() - this.lastProgress;
  }
  result(): Pick<ConsumeRun, "recPerSec" | "mbPerSec" | "cpuCores" | "recPerCpuSec"> {
    const s = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.c0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    return {
      recPerSec: Math.round(this.counted / s),
      mbPerSec: round(this.countedBytes / MB / s, 1),
      cpuCores: round(cpuS / s, 2),
      recPerCpuSec: Math.round(this.counted / cpuS),
    };
  }
}

async function until(meter: Meter, failed: () => string | undefined): Promise<void> {
  const timer = { id: undefined as NodeJS.Timeout | undefined };
  const watchdog = new Promise<void>((_, reject) => {
    timer.id = setInterval(() => {
      const why = failed();
      if (why !== undefined || meter.stalledMs() > 20_000) {
        reject(new Error(why ?? `no progress for 20 s at ${meter.n} records`));
      }
    }, 250);
  });
  try {
    await Promise.race([meter.done, watchdog]);
  } finally {
    clearInterval(timer.id);
  }
}

async function consumeKafkajs(topic: string, codec: CodecName): Promise<ConsumeRun> {
  registerCodecs();
  const kafka = new Kafka({ clientId: "floe-bench-kc", brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: uniqueName("floe-bench-kc"),
    allowAutoTopicCreation: false,
    maxBytesPerPartition: FETCH.maxBytesPerPartition,
    maxBytes: FETCH.maxBytes,
    maxWaitTimeInMs: FETCH.maxWaitMs,
  });
  const meter = new Meter(RECORDS);
  let crash: string | undefined;
  consumer.on(consumer.events.CRASH, (e) => {
    crash = String(e.payload.error);
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        let bytes = 0;
        for (const m of batch.messages) bytes += m.value?.length ?? 0;
        meter.add(batch.messages.length, bytes);
      },
    });
    await until(meter, () => crash);
    return { client: "kafkajs", codec, records: meter.n, ...meter.result() };
  } catch (e) {
    return { client: "kafkajs", codec, records: meter.n, error: (e as Error).message.slice(0, 200) };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

async function consumePlatformatic(topic: string, codec: CodecName): Promise<ConsumeRun> {
  const { Consumer } = await import("@platformatic/kafka");
  const consumer = new Consumer({
    groupId: uniqueName("floe-bench-kc-p"),
    clientId: "floe-bench-kc-p",
    bootstrapBrokers: [brokers],
    maxBytes: FETCH.maxBytes,
    maxWaitTime: FETCH.maxWaitMs,
  });
  const meter = new Meter(RECORDS);
  let error: string | undefined;
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: "earliest",
      autocommit: false,
      maxBytesPerPartition: FETCH.maxBytesPerPartition,
    } as never);
    const s = stream as unknown as NodeJS.EventEmitter & { close(): Promise<void> };
    // The stream emits one message at a time; a fetch's messages arrive in one tick, so counting per
    // message with the clock started at the first is the same measure as kafkajs's per batch.
    s.on("data", (m: { value?: Buffer | null }) => meter.add(1, m.value?.length ?? 0));
    s.on("error", (e: Error) => {
      error = e.message;
    });
    consumer.on(
      "client:error" as never,
      ((e: Error) => {
        error = e.message;
      }) as never,
    );
    await until(meter, () => error);
    await s.close().catch(() => undefined);
    return { client: "@platformatic/kafka", codec, records: meter.n, ...meter.result() };
  } catch (e) {
    return {
      client: "@platformatic/kafka",
      codec,
      records: meter.n,
      error: (e as Error).message.slice(0, 200),
    };
  } finally {
    await (consumer.close(true) as unknown as Promise<void>).catch(() => undefined);
  }
}

// ---------------------------------------------------------------- decode

interface DecodeResult {
  what: string;
  codec: CodecName;
  records: number;
  usPerRecord?: number;
  /** MB/s of uncompressed records section. */
  mbPerSec?: number;
  error?: string;
}

type Decode = (batch: Buffer) => unknown;

/** CPU seconds per record of `fn` over the batches, for at least `ms` of wall time. */
async function timeDecode(batches: Buffer[], records: number, fn: Decode, ms: number): Promise<number> {
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const b of batches) await fn(b);
    n += records;
  }
  // CPU time of the process (the async zstd candidate's thread-pool work included): steadier than wall
  // time on a shared machine.
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / 1e6 / n;
}

function decoders(): Record<string, (codec: CodecName) => Decode | undefined> {
  const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (
    d: unknown,
  ) => Promise<unknown>;
  const KDecoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => unknown;
  return {
    "kafkajs (record batch decoder)": () => (b) => decodeBatch(new KDecoder(b)),
    "Floe's codec alone (decompression only)": (codec) => {
      const c = codec === "gzip" || codec === "none" ? undefined : BLOCK_CODECS[codec];
      if (codec === "gzip") return (b) => require("node:zlib").unzipSync(b.subarray(RECORDS_AT));
      return c ? (b) => c.decompress(b.subarray(RECORDS_AT)) : undefined;
    },
  };
}

async function platformaticDecoder(): Promise<Decode> {
  const p = (await import("@platformatic/kafka")) as unknown as {
    readRecordsBatch(r: unknown): unknown;
    Reader: { from(b: Buffer): unknown };
  };
  return (b) => p.readRecordsBatch(p.Reader.from(b));
}

/** Codec packages we did not pick, from `--candidates DIR` (a scratch npm project). */
async function candidateDecoders(
  dir: string,
): Promise<Record<string, (codec: CodecName) => Decode | undefined>> {
  const req = createRequire(pathToFileURL(join(dir, "package.json")).href);
  const tryLoad = <T>(name: string): T | undefined => {
    try {
      return req(name) as T;
    } catch {
      return undefined;
    }
  };
  const snappyjs = tryLoad<{ uncompress(b: Buffer): Uint8Array }>("snappyjs");
  const lz4js = tryLoad<{ decompress(b: Buffer): Uint8Array }>("lz4js");
  const fzstd = tryLoad<{ decompress(b: Uint8Array): Uint8Array }>("fzstd");
  const boku = tryLoad<{ init(): Promise<void>; decompress(b: Uint8Array): Uint8Array }>(
    "@bokuweb/zstd-wasm",
  );
  await boku?.init();
  const mongo = tryLoad<{ decompress(b: Buffer): Promise<Buffer> }>("@mongodb-js/zstd");
  const snappy = tryLoad<{ uncompressSync(b: Buffer): Buffer }>("snappy");
  const lz4napi = tryLoad<{ decompressFrameSync(b: Buffer): Buffer }>("lz4-napi");
  const body = (b: Buffer) => b.subarray(RECORDS_AT);
  return {
    "snappyjs (pure JS)": (c) =>
      c === "snappy" && snappyjs ? (b) => snappyjs.uncompress(body(b)) : undefined,
    "snappy (napi-rs)": (c) => (c === "snappy" && snappy ? (b) => snappy.uncompressSync(body(b)) : undefined),
    "lz4js (pure JS)": (c) => (c === "lz4" && lz4js ? (b) => lz4js.decompress(body(b)) : undefined),
    "lz4-napi (napi-rs)": (c) =>
      c === "lz4" && lz4napi ? (b) => lz4napi.decompressFrameSync(body(b)) : undefined,
    "fzstd (pure JS)": (c) => (c === "zstd" && fzstd ? (b) => fzstd.decompress(body(b)) : undefined),
    "@bokuweb/zstd-wasm (WASM)": (c) => (c === "zstd" && boku ? (b) => boku.decompress(body(b)) : undefined),
    "@mongodb-js/zstd 1.x (napi, async)": (c) =>
      c === "zstd" && mongo ? (b) => mongo.decompress(body(b)) : undefined,
  };
}

async function decodeBench(topic: string, codec: CodecName, logDir: string): Promise<DecodeResult[]> {
  // ~16 MB of records: enough batches to be representative, small enough to stay in cache-friendly sizes.
  const all = recordBatches(logDir, topic);
  const batches: Buffer[] = [];
  let records = 0;
  let raw = 0;
  const unzip = require("node:zlib").unzipSync as (b: Buffer) => Buffer;
  for (const b of all) {
    if (raw > 16 * MB) break;
    batches.push(b);
    records += b.readInt32BE(RECORDS_AT - 4);
    const body = b.subarray(RECORDS_AT);
    raw +=
      codec === "none"
        ? body.length
        : codec === "gzip"
          ? unzip(body).length
          : BLOCK_CODECS[codec].decompress(body).length;
  }
  const table: Record<string, (codec: CodecName) => Decode | undefined> = {
    ...decoders(),
    "@platformatic/kafka (record batch decoder)": () => platformatic,
    ...(CANDIDATES ? await candidateDecoders(CANDIDATES) : {}),
  };
  const out: DecodeResult[] = [];
  const live: [string, Decode, number[]][] = [];
  for (const [what, make] of Object.entries(table)) {
    const fn = make(codec);
    if (!fn) continue;
    try {
      for (const b of batches) await fn(b); // warm-up, and it must work
      live.push([what, fn, []]);
    } catch (e) {
      out.push({ what, codec, records, error: (e as Error).message.slice(0, 160) });
    }
  }
  // Interleaved rounds, so that every decoder sees the machine's changing load alike; median per decoder.
  const failed = new Map<string, string>();
  for (let r = 0; r < DECODE_ROUNDS; r++) {
    for (const [what, fn, samples] of live) {
      if (failed.has(what)) continue;
      try {
        samples.push(await timeDecode(batches, records, fn, 250));
      } catch (e) {
        // A decoder that worked once and then failed on the same input is not one to depend on.
        failed.set(
          what,
          `failed in round ${r + 1} on input it decoded before: ${(e as Error).message.slice(0, 120)}`,
        );
      }
    }
  }
  for (const [what, , samples] of live) {
    const error = failed.get(what);
    if (error !== undefined) {
      out.push({ what, codec, records, error });
      continue;
    }
    const s = summarize(samples).median;
    out.push({
      what,
      codec,
      records,
      usPerRecord: round(s * 1e6, 3),
      mbPerSec: round(raw / records / MB / s, 0),
    });
  }
  return out;
}

let platformatic: Decode;

// ---------------------------------------------------------------- main

async function main() {
  registerCodecs();
  platformatic = await platformaticDecoder();
  const logDir = kafkaLogDir(stack.FLOE_STACK_HOME!);
  const topics: Partial<Record<CodecName, { topic: string; produceRecPerSec?: number }>> = {};
  for (const codec of codecs) {
    topics[codec] = await ensureTopic(codec);
    console.error(`topic ${topics[codec]!.topic} ready`);
  }
  const batchInfo: Record<string, { batches: number; avgBatchKB: number; ratio: number }> = {};
  const decode: DecodeResult[] = [];
  for (const codec of codecs) {
    const batches = recordBatches(logDir, topics[codec]!.topic);
    const stored = batches.reduce((a, b) => a + b.length, 0);
    const none = topics.none
      ? recordBatches(logDir, topics.none.topic).reduce((a, b) => a + b.length, 0)
      : NaN;
    batchInfo[codec] = {
      batches: batches.length,
      avgBatchKB: round(stored / batches.length / 1024, 0),
      ratio: round(none / stored, 2),
    };
    decode.push(...(await decodeBench(topics[codec]!.topic, codec, logDir)));
    console.error(`decode ${codec} done`);
  }
  const consume: ConsumeRun[] = [];
  for (let r = 0; r < REPEAT; r++) {
    for (const codec of codecs) {
      for (const run of [consumeKafkajs, consumePlatformatic]) {
        const res = await run(topics[codec]!.topic, codec);
        console.error(JSON.stringify(res));
        consume.push(res);
      }
    }
  }
  const result = {
    machine: machine(),
    date: new Date().toISOString(),
    records: RECORDS,
    partitions: PARTITIONS,
    fetch: FETCH,
    producer: "librdkafka (confluent-kafka), batch.size 1000000, linger.ms 50",
    topics,
    batches: batchInfo,
    consume,
    decode,
  };
  await writeFile(join(ROOT, "bench/results/kafka-clients.json"), `${JSON.stringify(result, null, 2)}\n`);
  const md = report(result);
  await writeFile(join(ROOT, "bench/results/kafka-clients.md"), md);
  console.log(md);
}

function report(r: {
  machine: unknown;
  records: number;
  batches: Record<string, { batches: number; avgBatchKB: number; ratio: number }>;
  consume: ConsumeRun[];
  decode: DecodeResult[];
}): string {
  const fmt = (n: number | undefined) => (n === undefined ? "-" : n.toLocaleString("en-US"));
  const lines: string[] = [];
  lines.push("# Kafka clients per record-batch codec (broker on the same machine)");
  lines.push("");
  lines.push(
    `${r.records.toLocaleString("en-US")} JSON records (~280 B) per codec, one topic each, produced by librdkafka ` +
      "(batch.size 1 MB, linger 50 ms). Consume: a fresh group reads the whole topic with the sink's fetch sizes " +
      "(1 MB per partition, 4 MB per fetch), counting records and value bytes, from the first fetch to the last " +
      `(group join excluded); median (min-max) of ${REPEAT} interleaved run(s). ` +
      "Decode: the topic's stored record batches (the bytes a fetch returns, read from the broker's log) decoded " +
      `in memory, ~16 MB of records per codec; CPU microseconds per record and MB/s of uncompressed records, median of ${DECODE_ROUNDS} interleaved rounds.`,
  );
  lines.push(`Machine: ${JSON.stringify(r.machine)}.`);
  lines.push("");
  lines.push("## Consume rate");
  lines.push("");
  lines.push(
    "| codec | batches (avg KB stored, ratio) | client | records/s | MB/s (values) | CPU cores | records per CPU-s |",
  );
  lines.push("|---|---|---|---|---|---|---|");
  for (const codec of CODECS) {
    for (const client of ["kafkajs", "@platformatic/kafka"]) {
      const runs = r.consume.filter((c) => c.codec === codec && c.client === client);
      if (runs.length === 0) continue;
      const ok = runs.filter((c) => c.error === undefined);
      const b = r.batches[codec];
      const info = b ? `${b.batches} (${b.avgBatchKB} KB, ${b.ratio}x)` : "-";
      if (ok.length === 0) {
        lines.push(`| ${codec} | ${info} | ${client} | fails: ${runs[0]!.error} | | | |`);
        continue;
      }
      const med = (k: "recPerSec" | "mbPerSec" | "cpuCores" | "recPerCpuSec") =>
        summarize(ok.map((c) => c[k] ?? 0)).median;
      const range = (k: "recPerSec" | "recPerCpuSec") => {
        const x = summarize(ok.map((c) => c[k] ?? 0));
        return `${fmt(Math.round(x.min))}-${fmt(Math.round(x.max))}`;
      };
      lines.push(
        `| ${codec} | ${info} | ${client} | ${fmt(Math.round(med("recPerSec")))} (${range("recPerSec")}) | ${round(med("mbPerSec"), 1)} | ${round(med("cpuCores"), 2)} | ${fmt(Math.round(med("recPerCpuSec")))} (${range("recPerCpuSec")}) |`,
      );
    }
  }
  lines.push("");
  lines.push("## Record-batch decode cost");
  lines.push("");
  lines.push("| codec | decoder | µs per record | MB/s (uncompressed) |");
  lines.push("|---|---|---|---|");
  for (const d of r.decode) {
    lines.push(
      `| ${d.codec} | ${d.what} | ${d.error ? `fails: ${d.error}` : d.usPerRecord} | ${d.error ? "" : fmt(d.mbPerSec)} |`,
    );
  }
  lines.push("");
  return `${lines.join("\n")}\n`;
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
