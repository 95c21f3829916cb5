// End-to-end sink throughput against the local stack's Kafka (same machine): a backlog of 12-column
// events (JSON ~270 B with a declared schema, and the Avro equivalent ~130 B served by an in-process
// Schema Registry) is produced first by a separate process (its rate measured on its own), then an
// in-process Sink with default settings, wired as `floe run` wires it, drains it into a local warehouse.
// Timed from sink start until the table's committed offsets (snapshot summary) reach the end of the
// topic. "Sustained" is from the first record consumed (startup and group join excluded).
// A kafkajs consumer that only counts messages gives the consume ceiling on the same topic. DuckDB then
// counts the rows: every record exactly once.
//
// Run: npx vite-node bench/sink-throughput.ts [records=1000000] [--formats json,avro] [--partitions 4]
//        [--no-baseline] [--no-duckdb] [--max-records N (commit.maxRecords)] [--repeat N] [--out name]
// Profile (Node 20 refuses --cpu-prof in NODE_OPTIONS): node --cpu-prof --cpu-prof-dir=/tmp/floe-prof
//   node_modules/vite-node/vite-node.mjs bench/sink-throughput.ts 300000 --formats json --no-baseline,
//   then npx vite-node bench/support/cpuprofile.ts /tmp/floe-prof/<file>.cpuprofile
// Writes bench/results/<name>.json and .md (name: sink-throughput unless --out).
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import type { Config } from "../src/config.js";
import {
  type BenchEnv,
  type BenchSink,
  benchEnv,
  buildSink,
  commitSecondsSum,
  createTopic,
  deleteTopic,
  drainBacklog,
  drainRates,
  duckdbCount,
  endOffsets,
  loadTable,
  MB,
  machine,
  ROOT,
  round,
  runProducer,
  type SinkEvents,
  startRegistry,
  uniqueName,
} from "./support/sink-harness.js";
import type { ProduceResult } from "./support/sink-produce.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const RECORDS = Number(positional[0] ?? 1_000_000);
const FORMATS = option("--formats", "json,avro").split(",") as ("json" | "avro")[];
const PARTITIONS = Number(option("--partitions", "4"));
const BASELINE = !argv.includes("--no-baseline");
/** Overrides of the commit section (defaults otherwise). */
const MAX_RECORDS = argv.includes("--max-records") ? Number(option("--max-records", "0")) : undefined;
const OUT = option("--out", "sink-throughput");
const DUCKDB = !argv.includes("--no-duckdb");
/** Runs per format, interleaved (json, avro, json, ...) so that they share the machine's conditions. */
const REPEAT = Math.max(1, Number(option("--repeat", "1")));
const TARGET = 100_000;

interface Failed {
  format: "json" | "avro";
  error: string;
  events?: SinkEvents;
}

interface Run {
  format: "json" | "avro";
  records: number;
  valueBytes: number;
  avgValueBytes: number;
  produce: ProduceResult;
  consumeOnly?: { seconds: number; recordsPerSec: number; mbPerSec: number };
  sink: {
    /** sink.start() until everything committed. */
    totalSeconds: number;
    /** First record consumed until everything committed: the sustained rate (startup excluded). */
    drainSeconds: number;
    recordsPerSec: number;
    mbPerSec: number;
    /** sink.start() until everything committed (group join and first fetch included). */
    endToEndRecordsPerSec: number;
    /** Records committed between the first and the last commit over that time; only with >= 3 commits. */
    commitToCommitRecordsPerSec?: number;
    /** First record consumed until the last size-triggered commit. */
    steadyRecordsPerSec?: number;
    startupSeconds: number;
    cpuSeconds: number;
    /** cpuSeconds / totalSeconds: 1.0 is one core busy. */
    cpuCores: number;
    recordsPerCpuSecond: number;
    commits: number;
    filesWritten: number;
    commitSecondsTotal: number;
    /** Sampled every 100 ms during this run. */
    peakRssMB: number;
    peakHeapUsedMB: number;
    rejoins: number;
    reseeks: number;
  };
  settings: { commit: Config["commit"]; bufferMaxBytes: number };
  duckdb?: { rows: number; distinct: number } | { error: string };
  loadBefore: number[];
  loadAfter: number[];
}

/** A kafkajs consumer that only counts: the ceiling the sink's consumer settings allow. */
async function consumeOnly(env: BenchEnv, topic: string, total: number, bytes: number) {
  const kafka = new Kafka({
    clientId: "floe-bench-count",
    brokers: [env.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: uniqueName("count"),
    maxBytesPerPartition: 4 * 1024 * 1024,
    sessionTimeout: 30_000,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let t0 = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (t0 === 0) t0 = performance.now();
      for (const m of batch.messages) {
        seen++;
        resolveOffset(m.offset);
      }
      if (seen >= total) done();
    },
  });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return {
    seconds: round(seconds, 2),
    recordsPerSec: Math.round(total / seconds),
    mbPerSec: round(bytes / MB / seconds),
  };
}

async function runFormat(env: BenchEnv, format: "json" | "avro", baseline: boolean): Promise<Run> {
  state.current = undefined;
  const topic = uniqueName(`bench_tp_${format}`);
  await createTopic(env.brokers, topic, PARTITIONS);
  state.topic = topic;
  console.error(`[${format}] producing ${RECORDS} records to ${topic} ...`);
  const produce = await runProducer({
    brokers: env.brokers,
    topic,
    format,
    partitions: PARTITIONS,
    count: RECORDS,
    schemaId: 1,
  });
  console.error(`[${format}] produced at ${Math.round(produce.recordsPerSec)} records/s`);
  const ends = await endOffsets(env.brokers, topic);
  const total = [...ends.values()].reduce((a, b) => a + b, 0n);
  if (total !== BigInt(RECORDS)) throw new Error(`topic holds ${total} records, expected ${RECORDS}`);

  const consume = baseline ? await consumeOnly(env, topic, RECORDS, produce.bytes) : undefined;
  if (consume) console.error(`[${format}] consume-only: ${consume.recordsPerSec} records/s`);

  const registry = format === "avro" ? await startRegistry() : undefined;
  const group = uniqueName("bench");
  const b = await buildSink(env, {
    topic,
    format,
    group,
    ...(registry ? { registryUrl: registry.url } : {}),
    ...(MAX_RECORDS ? { commit: { maxRecords: MAX_RECORDS } } : {}),
  });
  state.current = b;
  const drain = await drainBacklog(b, group, topic, total);
  const { cpuSeconds: cpu, peak, loadBefore, loadAfter } = drain;
  const loaded = await loadTable(b.catalog, b.table);
  await b.sink.stop();
  await registry?.close();
  const rates = drainRates(drain, RECORDS);
  const duckdb = DUCKDB && loaded ? await duckdbCount(env, loaded.metadataLocation) : undefined;
  await rm(fileURLToPath(b.warehouse), { recursive: true, force: true });
  await deleteTopic(env.brokers, topic);
  const run: Run = {
    format,
    records: RECORDS,
    valueBytes: produce.bytes,
    avgValueBytes: round(produce.bytes / RECORDS),
    produce,
    ...(consume ? { consumeOnly: consume } : {}),
    sink: {
      ...rates,
      mbPerSec: round(produce.bytes / MB / rates.drainSeconds),
      cpuSeconds: round(cpu, 1),
      cpuCores: round(cpu / rates.totalSeconds, 2),
      recordsPerCpuSecond: Math.round(RECORDS / cpu),
      commits: b.events.commits,
      filesWritten:
        b.metrics.filesWritten.get({ table: "bench.json_events" }) +
        b.metrics.filesWritten.get({ table: "bench.avro_events" }),
      commitSecondsTotal: round(commitSecondsSum(b.metrics.registry.render()), 1),
      peakRssMB: Math.round(peak.rssMB),
      peakHeapUsedMB: Math.round(peak.heapUsedMB),
      rejoins: b.events.rejoins,
      reseeks: b.events.reseeks,
    },
    settings: { commit: b.config.commit, bufferMaxBytes: b.config.buffer.maxBytes },
    ...(duckdb ? { duckdb } : {}),
    loadBefore,
    loadAfter,
  };
  console.error(`[${format}]`, JSON.stringify(run.sink));
  return run;
}

function verdict(recordsPerSec: number): string {
  return recordsPerSec >= TARGET ? "met" : `missed (${Math.round((recordsPerSec / TARGET) * 100)}%)`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** `median (min-max)`, rounded. */
function spread(xs: number[]): string {
  const f = (x: number) => Math.round(x).toLocaleString("en-US");
  return `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
}

function markdown(runs: (Run | Failed)[], meta: Record<string, unknown>): string {
  const lines = [
    "# Sink throughput (end to end, broker on the same machine)",
    "",
    `${RECORDS.toLocaleString("en-US")} records per run, ${PARTITIONS} partitions, ${MAX_RECORDS ? `default sink settings except commit.maxRecords ${MAX_RECORDS.toLocaleString("en-US")}` : "default sink settings"}, local warehouse, ${REPEAT} run(s) per format. Target: >= ${TARGET.toLocaleString("en-US")} records/s sustained.`,
    "Sustained = first record consumed -> the last commit a size trigger made (records in that commit / time): the rate at which a backlog goes from produced to committed. To final commit = first record consumed -> table offsets cover the whole topic; it adds the final partial batch, which commits once no record has come for commit.idleMs (1 s). End to end also counts sink start and group join. Rec per CPU-s = records / CPU seconds of the sink process (user + system), which depends less on what else runs on the machine.",
    `Machine: ${JSON.stringify(meta.machine)}; load average before/after each run in the JSON.`,
    "",
    "| format | avg value B | produce rec/s | consume-only rec/s | to final commit rec/s | sustained rec/s | sustained MB/s (values) | end to end rec/s | startup s | sink CPU cores | rec per CPU-s | commits (s in commits) | rebalances | peak RSS MB | DuckDB rows | vs target |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of runs) {
    if ("error" in r) {
      lines.push(`| ${r.format} | failed: ${r.error.replaceAll("|", "/")} |`);
      continue;
    }
    const duck = r.duckdb
      ? "error" in r.duckdb
        ? `error`
        : `${r.duckdb.rows} (${r.duckdb.distinct} distinct)`
      : "-";
    lines.push(
      `| ${r.format} | ${r.avgValueBytes} | ${Math.round(r.produce.recordsPerSec).toLocaleString("en-US")} | ${r.consumeOnly?.recordsPerSec.toLocaleString("en-US") ?? "-"} | ${r.sink.recordsPerSec.toLocaleString("en-US")} | ${r.sink.steadyRecordsPerSec?.toLocaleString("en-US") ?? "-"} | ${round(((r.sink.steadyRecordsPerSec ?? r.sink.recordsPerSec) * r.avgValueBytes) / MB)} | ${r.sink.endToEndRecordsPerSec.toLocaleString("en-US")} | ${r.sink.startupSeconds} | ${r.sink.cpuCores} | ${r.sink.recordsPerCpuSecond.toLocaleString("en-US")} | ${r.sink.commits} (${r.sink.commitSecondsTotal}) | ${r.sink.rejoins} | ${r.sink.peakRssMB} | ${duck} | ${verdict(r.sink.steadyRecordsPerSec ?? r.sink.recordsPerSec)} |`,
    );
  }
  const ok = runs.filter((r): r is Run => !("error" in r));
  for (const format of FORMATS) {
    const of = ok.filter((r) => r.format === format);
    if (of.length < 2) continue;
    const sustained = of.map((r) => r.sink.steadyRecordsPerSec ?? r.sink.recordsPerSec);
    lines.push(
      "",
      `${format}, ${of.length} runs: sustained median ${spread(sustained)} rec/s, to final commit ${spread(of.map((r) => r.sink.recordsPerSec))}, rec per CPU-s ${spread(of.map((r) => r.sink.recordsPerCpuSecond))}; ${verdict(median(sustained))} (median)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const env = benchEnv();
const runs: (Run | Failed)[] = [];
const state: { current?: BenchSink; topic?: string } = {};
for (let k = 0; k < REPEAT; k++) {
  for (const format of FORMATS) {
    try {
      runs.push(await runFormat(env, format, BASELINE && k === 0));
    } catch (e) {
      console.error(`[${format}] failed:`, e);
      runs.push({
        format,
        error: (e as Error).message,
        ...(state.current ? { events: state.current.events } : {}),
      });
      await state.current?.sink.stop().catch(() => undefined);
      if (state.current) await rm(fileURLToPath(state.current.warehouse), { recursive: true, force: true });
      if (state.topic) await deleteTopic(env.brokers, state.topic);
    }
  }
}
const meta = {
  machine: machine(),
  date: new Date().toISOString(),
  partitions: PARTITIONS,
  records: RECORDS,
  ...(MAX_RECORDS ? { commitMaxRecords: MAX_RECORDS } : {}),
};
const out = join(ROOT, "bench/results");
await writeFile(join(out, `${OUT}.json`), `${JSON.stringify({ ...meta, runs }, null, 2)}\n`);
const md = markdown(runs, meta);
await writeFile(join(out, `${OUT}.md`), md);
process.stdout.write(md);
process.exit(0);
