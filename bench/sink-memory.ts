// Sink memory: peak resident set size while an in-process Sink with default settings (commit every 10 s
// or 500k records or 128 MB per table, consumption paused above 256 MB buffered) drains a backlog of
// 12-column JSON events into a local warehouse. The backlog is produced first by a separate process, so
// this process holds only the sink. RSS, V8 heap and external memory are sampled every 100 ms; the
// kernel's high-water mark (maxRSS) is reported too, as is the RSS before the sink started (Node,
// vite-node's TypeScript loader and the imported modules), which `floe run` would not pay in full.
//
// Run: NODE_OPTIONS=--expose-gc npx vite-node bench/sink-memory.ts [records=5000000] [--format json]
//        [--partitions 4]
// Writes bench/results/sink-memory.json and bench/results/sink-memory.md.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  benchEnv,
  buildSink,
  committedCount,
  cpuSeconds,
  createTopic,
  deleteTopic,
  endOffsets,
  load,
  loadTable,
  MB,
  machine,
  maxRssMB,
  pollUntil,
  ROOT,
  round,
  runProducer,
  sampleMemory,
  startRegistry,
  uniqueName,
} from "./support/sink-harness.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const RECORDS = Number(positional[0] ?? 5_000_000);
const FORMAT = option("--format", "json") as "json" | "avro";
const PARTITIONS = Number(option("--partitions", "4"));
const TARGET_MB = 500;

const env = benchEnv();
const topic = uniqueName(`bench_mem_${FORMAT}`);
await createTopic(env.brokers, topic, PARTITIONS);
console.error(`producing ${RECORDS} records to ${topic} ...`);
const produce = await runProducer({
  brokers: env.brokers,
  topic,
  format: FORMAT,
  partitions: PARTITIONS,
  count: RECORDS,
  schemaId: 1,
  pregenerate: false,
  batch: 10_000,
});
console.error(`produced at ${Math.round(produce.recordsPerSec)} records/s (generation included)`);
const total = [...(await endOffsets(env.brokers, topic)).values()].reduce((a, c) => a + c, 0n);

const registry = FORMAT === "avro" ? await startRegistry() : undefined;
const group = uniqueName("bench");
const b = await buildSink(env, {
  topic,
  format: FORMAT,
  group,
  ...(registry ? { registryUrl: registry.url } : {}),
});
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 200));
const before = process.memoryUsage();
const maxRssBefore = maxRssMB();
const loadBefore = load();
const sampler = sampleMemory(100);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await b.sink.start();
let paused = 0;
let lastPaused = 0;
const t1 = await pollUntil(
  async () => {
    const p = b.metrics.paused.get({}) ?? 0;
    if (p === 1 && lastPaused === 0) paused++;
    lastPaused = p;
    return committedCount((await loadTable(b.catalog, b.table))?.metadata, group, topic) >= total;
  },
  250,
  60 * 60_000,
  "all records committed",
  b.failure,
);
const cpu = cpuSeconds(cpu0);
const peak = sampler.stop();
const loadAfter = load();
await b.sink.stop();
await registry?.close();
await rm(fileURLToPath(b.warehouse), { recursive: true, force: true });
await deleteTopic(env.brokers, topic);

const seconds = (t1 - t0) / 1000;
const result = {
  machine: machine(),
  date: new Date().toISOString(),
  format: FORMAT,
  records: RECORDS,
  partitions: PARTITIONS,
  avgValueBytes: round(produce.bytes / RECORDS),
  settings: b.config.commit,
  bufferMaxBytes: b.config.buffer.maxBytes,
  produce,
  drainSeconds: round(seconds, 1),
  recordsPerSec: Math.round(RECORDS / seconds),
  cpuCores: round(cpu / seconds, 2),
  commits: b.events.commits,
  pauses: paused,
  baselineRssMB: Math.round(before.rss / MB),
  baselineHeapUsedMB: Math.round(before.heapUsed / MB),
  peakRssMB: Math.round(peak.rssMB),
  maxRssMB: Math.round(maxRssMB()),
  maxRssBeforeSinkMB: Math.round(maxRssBefore),
  peakHeapUsedMB: Math.round(peak.heapUsedMB),
  peakExternalMB: Math.round(peak.externalMB),
  peakArrayBuffersMB: Math.round(peak.arrayBuffersMB),
  peakAboveBaselineMB: Math.round(peak.rssMB - before.rss / MB),
  targetMB: TARGET_MB,
  met: peak.rssMB < TARGET_MB,
  loadBefore,
  loadAfter,
  /** Every second: t (ms from start), rss, heapUsed, external (MB). */
  series: peak.series
    .filter((_, i) => i % 10 === 0)
    .map((s) => ({
      t: s.t,
      rss: Math.round(s.rss),
      heapUsed: Math.round(s.heapUsed),
      external: Math.round(s.external),
    })),
};
const md = [
  "# Sink memory (backlog drain, default settings)",
  "",
  `${RECORDS.toLocaleString("en-US")} ${FORMAT} records (${result.avgValueBytes} B avg) already in Kafka, ${PARTITIONS} partitions, commit ${b.config.commit.intervalMs / 1000} s / ${b.config.commit.maxRecords.toLocaleString("en-US")} records / ${b.config.commit.maxBytes / 2 ** 20} MiB, buffer.maxBytes ${b.config.buffer.maxBytes / 2 ** 20} MiB, local warehouse. Target: peak RSS < ${TARGET_MB} MB.`,
  `Machine: ${JSON.stringify(result.machine)}; load ${JSON.stringify(loadBefore)} -> ${JSON.stringify(loadAfter)}.`,
  "",
  "| records | drain s | rec/s | commits | pauses | RSS before sink MB | peak RSS MB | kernel maxRSS MB | peak heap used MB | peak external MB | peak - baseline MB | vs target |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
  `| ${RECORDS.toLocaleString("en-US")} | ${result.drainSeconds} | ${result.recordsPerSec.toLocaleString("en-US")} | ${result.commits} | ${result.pauses} | ${result.baselineRssMB} | ${result.peakRssMB} | ${result.maxRssMB} | ${result.peakHeapUsedMB} | ${result.peakExternalMB} | ${result.peakAboveBaselineMB} | ${result.met ? "met" : "missed"} |`,
  "",
].join("\n");
const out = join(ROOT, "bench/results");
await writeFile(join(out, "sink-memory.json"), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(out, "sink-memory.md"), md);
process.stdout.write(md);
process.exit(0);
