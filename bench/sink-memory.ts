// Sink memory: peak resident set size of `floe run` (the compiled CLI in its own process, default
// settings unless overridden) while it drains a backlog of 12-column events into a local warehouse.
// The backlog is produced first by a separate process. The sink's RSS is sampled from /proc every
// 100 ms, and the kernel's high-water mark (VmHWM) is reported too, as is its RSS once ready (Node and
// the loaded modules). Done when the table's committed offsets (snapshot summary) cover the topic.
//
// Run: npx vite-node bench/sink-memory.ts [records=5000000] [--format json|avro] [--partitions 4]
//        [--commit-max-mb N] [--buffer-max-mb N] [--out name]
// Writes bench/results/<name>.json and .md (name: sink-memory unless --out).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { createCatalog, createFileIO } from "../src/service/wiring.js";
import { buildDist, startFloe } from "./support/floe-process.js";
import { EVENT_STRUCT } from "./support/sink-events.js";
import {
  benchEnv,
  committedCount,
  createTopic,
  deleteTopic,
  endOffsets,
  load,
  loadTable,
  machine,
  pollUntil,
  ROOT,
  round,
  runProducer,
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
/** Overrides of the defaults, to explore (the target is about the defaults). */
const MiB = 2 ** 20;
const COMMIT_MAX_MB = argv.includes("--commit-max-mb") ? Number(option("--commit-max-mb", "0")) : undefined;
const BUFFER_MAX_MB = argv.includes("--buffer-max-mb") ? Number(option("--buffer-max-mb", "0")) : undefined;
const OUT = option("--out", "sink-memory");

buildDist();
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
const warehouse = pathToFileURL(await mkdtemp(join(tmpdir(), "floe-bench-wh-"))).href;
const raw = {
  kafka: { brokers: [env.brokers], groupId: group, clientId: "floe-bench-mem" },
  warehouse: { location: warehouse },
  log: { level: "warn" },
  ...(registry ? { schemaRegistry: { url: registry.url } } : {}),
  ...(COMMIT_MAX_MB === undefined ? {} : { commit: { maxBytes: COMMIT_MAX_MB * MiB } }),
  ...(BUFFER_MAX_MB === undefined ? {} : { buffer: { maxBytes: BUFFER_MAX_MB * MiB } }),
  tables: [
    {
      topics: [topic],
      table: `bench.${FORMAT}_events`,
      format: FORMAT,
      ...(FORMAT === "json" ? { schema: EVENT_STRUCT } : {}),
    },
  ],
};
const config = parseConfig(raw);
const logger = createLogger({ level: "error" });
const catalog = createCatalog(config, createFileIO(config, logger), logger);
const table = { namespace: ["bench"], name: `${FORMAT}_events` };

const loadBefore = load();
const t0 = performance.now();
const floe = await startFloe(raw);
let pauses = 0;
let lastPaused = 0;
const t1 = await pollUntil(
  async () => {
    const p = await floe.metric("floe_consumer_paused");
    if (p === 1 && lastPaused === 0) pauses++;
    lastPaused = p;
    return committedCount((await loadTable(catalog, table))?.metadata, group, topic) >= total;
  },
  250,
  60 * 60_000,
  "all records committed",
  floe.exited,
);
const commits = await floe.metric("floe_commits_total");
const mem = floe.memory();
const exitCode = await floe.stop();
const loadAfter = load();
await registry?.close();
await rm(fileURLToPath(warehouse), { recursive: true, force: true });
await deleteTopic(env.brokers, topic);

const seconds = (t1 - t0) / 1000;
const peak = Math.max(mem.peakRssMB, mem.hwmMB);
const result = {
  machine: machine(),
  date: new Date().toISOString(),
  format: FORMAT,
  records: RECORDS,
  partitions: PARTITIONS,
  avgValueBytes: round(produce.bytes / RECORDS),
  settings: config.commit,
  bufferMaxBytes: config.buffer.maxBytes,
  produce,
  drainSeconds: round(seconds, 1),
  recordsPerSec: Math.round(RECORDS / seconds),
  commits,
  pauses,
  readyRssMB: Math.round(mem.startRssMB),
  peakSampledRssMB: Math.round(mem.peakRssMB),
  kernelPeakRssMB: Math.round(mem.hwmMB),
  exitCode,
  targetMB: TARGET_MB,
  met: peak < TARGET_MB,
  loadBefore,
  loadAfter,
  /** Every second: t (ms from start), rss (MB). */
  series: mem.series.filter((_, i) => i % 10 === 0),
};
const md = [
  "# Sink memory (`floe run` process, backlog drain)",
  "",
  `${RECORDS.toLocaleString("en-US")} ${FORMAT} records (${result.avgValueBytes} B avg) already in Kafka, ${PARTITIONS} partitions, commit ${config.commit.intervalMs / 1000} s / ${config.commit.maxRecords.toLocaleString("en-US")} records / ${config.commit.maxBytes / MiB} MiB, buffer.maxBytes ${config.buffer.maxBytes / MiB} MiB, local warehouse. Target: peak RSS < ${TARGET_MB} MB.`,
  `Machine: ${JSON.stringify(result.machine)}; load ${JSON.stringify(loadBefore)} -> ${JSON.stringify(loadAfter)}.`,
  "",
  "| records | drain s | rec/s | commits | pauses | RSS when ready MB | peak sampled RSS MB | kernel peak RSS (VmHWM) MB | exit code | vs target |",
  "|---|---|---|---|---|---|---|---|---|---|",
  `| ${RECORDS.toLocaleString("en-US")} | ${result.drainSeconds} | ${result.recordsPerSec.toLocaleString("en-US")} | ${commits} | ${pauses} | ${result.readyRssMB} | ${result.peakSampledRssMB} | ${result.kernelPeakRssMB} | ${exitCode} | ${result.met ? "met" : "missed"} |`,
  "",
].join("\n");
const out = join(ROOT, "bench/results");
await writeFile(join(out, `${OUT}.json`), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(out, `${OUT}.md`), md);
process.stdout.write(md);
process.exit(0);
