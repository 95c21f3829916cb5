// Sink freshness: how long after a record is produced it is visible to readers, under a steady load.
// A separate process produces 12-column JSON events at a fixed rate (default 20k records/s in 100 ms
// ticks, each record stamped with its produce time) for a fixed time, while an in-process Sink (defaults
// except commit.intervalMs) commits them into a local warehouse. Every 100 ms the benchmark loads the
// table through the catalog, as a reader (DuckDB via the catalog pointer) would: a record is visible from
// the first poll that sees a snapshot whose summary offsets cover it. Latency = that poll's time minus
// the record's produce time (same machine, same clock). Also given: the same from the snapshot's own
// timestamp-ms (when the commit was made, without the polling delay). Records produced in the first
// `--warmup` seconds (sink JIT, table creation) are left out of the "steady" percentiles. DuckDB counts
// the rows at the end.
//
// Run: npx vite-node bench/sink-freshness.ts [--rate 20000] [--duration 60] [--intervals 1000,10000]
//        [--format json] [--partitions 4] [--warmup 10] [--out name]
// Writes bench/results/<name>.json and .md (name: sink-freshness unless --out).
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Latency, latencies, snapshotGaps, watchSnapshots } from "./support/freshness.js";
import {
  type BenchEnv,
  benchEnv,
  buildSink,
  committedCount,
  cpuSeconds,
  createTopic,
  deleteTopic,
  duckdbCount,
  endOffsets,
  load,
  loadTable,
  machine,
  maxRssMB,
  pollUntil,
  ROOT,
  round,
  runProducer,
  startRegistry,
  uniqueName,
} from "./support/sink-harness.js";
import type { ProduceResult, SendLog } from "./support/sink-produce.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const RATE = Number(option("--rate", "20000"));
const DURATION_S = Number(option("--duration", "60"));
const INTERVALS = option("--intervals", "1000,10000").split(",").map(Number);
const FORMAT = option("--format", "json") as "json" | "avro";
const PARTITIONS = Number(option("--partitions", "4"));
const WARMUP_S = Number(option("--warmup", "10"));
const OUT = option("--out", "sink-freshness");
const POLL_MS = 100;

interface Run {
  intervalMs: number;
  format: string;
  produce: ProduceResult;
  snapshots: number;
  commitsPerMinute: number;
  /** Observed by the 100 ms catalog poll (what a reader sees), seconds. */
  visible: { all: Latency; steady: Latency };
  /** From the snapshot's timestamp-ms (commit time, no polling delay), seconds. */
  committed: { all: Latency; steady: Latency };
  targetP99Seconds: number;
  met: boolean;
  sinkCpuCores: number;
  maxRssMB: number;
  /** Gaps between consecutive snapshots, seconds (median, max). */
  snapshotGap: { median: number; max: number };
  duckdb?: { rows: number; distinct: number } | { error: string };
  loadBefore: number[];
  loadAfter: number[];
}

async function runInterval(env: BenchEnv, intervalMs: number): Promise<Run> {
  const topic = uniqueName(`bench_fr_${intervalMs}`);
  await createTopic(env.brokers, topic, PARTITIONS);
  const registry = FORMAT === "avro" ? await startRegistry() : undefined;
  const group = uniqueName("bench");
  const b = await buildSink(env, {
    topic,
    format: FORMAT,
    group,
    commit: { intervalMs },
    ...(registry ? { registryUrl: registry.url } : {}),
  });
  await b.sink.start();
  await pollUntil(async () => b.events.assignments > 0, 50, 60_000, "partition assignment", b.failure);
  const { seen, stop } = watchSnapshots(b.catalog, b.table, group, topic, POLL_MS);
  const logFile = join(tmpdir(), `${topic}.sends.json`);
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  console.error(`[${intervalMs} ms] producing ${RATE} records/s for ${DURATION_S} s to ${topic} ...`);
  const produce = await runProducer({
    brokers: env.brokers,
    topic,
    format: FORMAT,
    partitions: PARTITIONS,
    rate: RATE,
    durationS: DURATION_S,
    schemaId: 1,
    logFile,
  });
  const total = [...(await endOffsets(env.brokers, topic)).values()].reduce((a, c) => a + c, 0n);
  await pollUntil(
    async () => committedCount((await loadTable(b.catalog, b.table))?.metadata, group, topic) >= total,
    100,
    intervalMs * 3 + 120_000,
    "all records committed",
    b.failure,
  );
  await new Promise((r) => setTimeout(r, POLL_MS * 3)); // the poller sees the last snapshot
  await stop();
  const cpu = cpuSeconds(cpu0);
  const wall = (performance.now() - w0) / 1000;
  const loadAfter = load();
  const loaded = await loadTable(b.catalog, b.table);
  await b.sink.stop();
  await registry?.close();
  const log = JSON.parse(await readFile(logFile, "utf8")) as SendLog[];
  await rm(logFile, { force: true });
  const start = Math.min(...log.map((s) => s.tsMs));
  const steadyFrom = start + WARMUP_S * 1000;
  const gaps = snapshotGaps(seen);
  const visible = {
    all: latencies(log, seen, "observedMs", 0),
    steady: latencies(log, seen, "observedMs", steadyFrom),
  };
  const committed = {
    all: latencies(log, seen, "snapshotMs", 0),
    steady: latencies(log, seen, "snapshotMs", steadyFrom),
  };
  const duckdb = loaded ? await duckdbCount(env, loaded.metadataLocation) : undefined;
  await rm(fileURLToPath(b.warehouse), { recursive: true, force: true });
  await deleteTopic(env.brokers, topic);
  const targetP99Seconds = intervalMs / 1000 + 2;
  const run: Run = {
    intervalMs,
    format: FORMAT,
    produce,
    snapshots: gaps.snapshots,
    commitsPerMinute: round(gaps.snapshots / (wall / 60), 1),
    visible,
    committed,
    targetP99Seconds,
    met: visible.steady.p99 <= targetP99Seconds,
    sinkCpuCores: round(cpu / wall, 2),
    maxRssMB: Math.round(maxRssMB()),
    snapshotGap: { median: gaps.median, max: gaps.max },
    ...(duckdb ? { duckdb } : {}),
    loadBefore,
    loadAfter,
  };
  console.error(
    `[${intervalMs} ms]`,
    JSON.stringify({ visible, snapshots: run.snapshots, gaps: run.snapshotGap }),
  );
  return run;
}

function markdown(runs: Run[], meta: Record<string, unknown>): string {
  const lines = [
    "# Sink freshness (produce -> visible through the catalog)",
    "",
    `${FORMAT} events at ${RATE.toLocaleString("en-US")} records/s for ${DURATION_S} s, ${PARTITIONS} partitions, default settings except commit.intervalMs, local warehouse, catalog polled every ${POLL_MS} ms. "steady" leaves out records produced in the first ${WARMUP_S} s. Target: p99 <= interval + 2 s.`,
    `Machine: ${JSON.stringify(meta.machine)}; load averages in the JSON.`,
    "",
    "| commit interval | produced rec/s | snapshots | visible p50 s | p90 s | p99 s | max s | p99 (all records) s | commit-time p50 / p99 s | target p99 s | vs target | sink CPU cores | DuckDB rows |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of runs) {
    const duck = r.duckdb
      ? "error" in r.duckdb
        ? "error"
        : `${r.duckdb.rows} (${r.duckdb.distinct} distinct)`
      : "-";
    lines.push(
      `| ${r.intervalMs / 1000} s | ${Math.round(r.produce.recordsPerSec).toLocaleString("en-US")} | ${r.snapshots} | ${r.visible.steady.p50} | ${r.visible.steady.p90} | ${r.visible.steady.p99} | ${r.visible.steady.max} | ${r.visible.all.p99} | ${r.committed.steady.p50} / ${r.committed.steady.p99} | ${r.targetP99Seconds} | ${r.met ? "met" : "missed"} | ${r.sinkCpuCores} | ${duck} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

const env = benchEnv();
const runs: Run[] = [];
for (const interval of INTERVALS) runs.push(await runInterval(env, interval));
const meta = {
  machine: machine(),
  date: new Date().toISOString(),
  rate: RATE,
  durationS: DURATION_S,
  partitions: PARTITIONS,
  pollMs: POLL_MS,
  warmupS: WARMUP_S,
};
const out = join(ROOT, "bench/results");
await writeFile(join(out, `${OUT}.json`), `${JSON.stringify({ ...meta, runs }, null, 2)}\n`);
const md = markdown(runs, meta);
await writeFile(join(out, `${OUT}.md`), md);
process.stdout.write(md);
process.exit(0);
