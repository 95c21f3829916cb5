// Upsert sink throughput, freshness and key index restart, against the local stack's Kafka (same machine).
// 1. Drain: a backlog of changes (bench/support/upsert-changes.ts: over a 1M key space, 50% updates and
//    5% deletes of live keys as tombstones keyed by the key, the rest inserts; a key's changes always in
//    the key's partition), JSON events keyed by user_id, drained by an in-process Sink with default
//    settings (mode upsert, key user_id), timed as bench/sink-throughput.ts times a drain; interleaved
//    with the same number of plain append events drained the same way (append, upsert, append, ...), so
//    upsert/append compares runs under the same machine conditions. Per commit: data and delete files
//    from the snapshot summaries. DuckDB then checks the upsert table against the generator's model
//    (rows = distinct keys = live keys, and every row its key's last change).
// 2. Restart: on the last drained upsert table, loadKeyIndex (what a new sink does on its first commit)
//    from the checkpoint the sink wrote at stop, then with that file deleted (a rebuild from the table).
// 3. Freshness at 1 s commits (commit.intervalMs 1000) under a steady change stream, measured as
//    bench/sink-freshness.ts does (catalog polled every 100 ms), and the same for append events.
//
// Run: npx vite-node bench/upsert-throughput.ts [changes=2000000] [--keys 1000000] [--updates 0.5]
//        [--deletes 0.05] [--partitions 4] [--repeat 2] [--rate 15000] [--duration 40] [--warmup 10]
//        [--no-freshness] [--no-append-freshness] [--only append,upsert] [--out name]
//   (changes 0: freshness only)
// Profile: node --cpu-prof --cpu-prof-dir=/tmp/floe-prof node_modules/vite-node/vite-node.mjs
//   bench/upsert-throughput.ts 500000 --repeat 1 --no-freshness --only upsert, then
//   npx vite-node bench/support/cpuprofile.ts /tmp/floe-prof/<file>.cpuprofile
// Writes bench/results/<name>.json and .md (name: upsert-throughput unless --out).
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Snapshot } from "../src/iceberg/spec/index.js";
import { offsetsKey } from "../src/ingest/index.js";
import { loadKeyIndex } from "../src/upsert/index.js";
import { type Latency, latencies, snapshotGaps, watchSnapshots } from "./support/freshness.js";
import {
  type BenchEnv,
  type BenchSink,
  benchEnv,
  buildSink,
  commitSecondsSum,
  committedCount,
  cpuSeconds,
  createTopic,
  deleteTopic,
  drainBacklog,
  drainRates,
  duckdbRow,
  endOffsets,
  load,
  loadTable,
  machine,
  maxRssMB,
  pollUntil,
  ROOT,
  round,
  runProducer,
  uniqueName,
} from "./support/sink-harness.js";
import type { ProduceJob, ProduceResult, SendLog } from "./support/sink-produce.js";
import { type ChangeMix, type ChangeModel, UPSERT_CHECK_SQL } from "./support/upsert-changes.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const CHANGES = Number(positional[0] ?? 2_000_000);
const MIX: ChangeMix = {
  keys: Number(option("--keys", "1000000")),
  updates: Number(option("--updates", "0.5")),
  deletes: Number(option("--deletes", "0.05")),
};
const PARTITIONS = Number(option("--partitions", "4"));
const REPEAT = Math.max(1, Number(option("--repeat", "2")));
const ONLY = option("--only", "append,upsert").split(",") as Kind[];
const RATE = Number(option("--rate", "15000"));
const DURATION_S = Number(option("--duration", "40"));
const WARMUP_S = Number(option("--warmup", "10"));
const FRESHNESS = !argv.includes("--no-freshness");
const APPEND_FRESHNESS = !argv.includes("--no-append-freshness");
const OUT = option("--out", "upsert-throughput");
const KEY = ["user_id"];
const TARGET_RATIO = 0.6;
const POLL_MS = 100;

type Kind = "append" | "upsert";

const route = (kind: Kind) => (kind === "upsert" ? { mode: "upsert", key: KEY } : {});

interface CommitShape {
  snapshots: number;
  dataFiles: { mean: number; max: number };
  deleteFiles: { mean: number; max: number };
  positionDeletes: { mean: number; max: number };
}

interface Drained {
  kind: Kind;
  records: number;
  avgValueBytes: number;
  produce: ProduceResult;
  sink: ReturnType<typeof drainRates> & {
    cpuSeconds: number;
    cpuCores: number;
    recordsPerCpuSecond: number;
    commits: number;
    commitSecondsTotal: number;
    peakRssMB: number;
    peakHeapUsedMB: number;
    upsertDeletedRows: number;
    rejoins: number;
  };
  commitShape: CommitShape;
  check?:
    | { rows: number; keys: number; lastChangeSum: number; model: ChangeModel; ok: boolean }
    | { error: string };
  loadBefore: number[];
  loadAfter: number[];
}

interface Restart {
  keys: number;
  indexMB: number;
  checkpoint: { source: string; ms: number[]; caughtUpFiles: number };
  rebuilt: { source: string; ms: number[]; caughtUpFiles: number };
  dataFiles: number;
}

interface Freshness {
  kind: Kind;
  produce: ProduceResult;
  snapshots: number;
  visible: { all: Latency; steady: Latency };
  committed: { all: Latency; steady: Latency };
  snapshotGap: { median: number; max: number };
  sinkCpuCores: number;
  check?: Drained["check"];
  loadBefore: number[];
  loadAfter: number[];
}

const stats = (xs: number[]) => ({
  mean: xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 1) : 0,
  max: Math.max(0, ...xs),
});

/** Data files, delete files and position deletes per snapshot of `group` (from the summaries). */
function commitShape(snapshots: readonly Snapshot[], group: string): CommitShape {
  const ours = snapshots.filter((s) => (s.summary as Record<string, string>)[offsetsKey(group)]);
  const field = (k: string) => ours.map((s) => Number((s.summary as Record<string, string>)[k] ?? 0));
  return {
    snapshots: ours.length,
    dataFiles: stats(field("added-data-files")),
    deleteFiles: stats(field("added-delete-files")),
    positionDeletes: stats(field("added-position-deletes")),
  };
}

/** DuckDB against the model: rows = distinct keys = live keys, every row its key's last change. */
async function check(env: BenchEnv, metadataLocation: string, model: ChangeModel): Promise<Drained["check"]> {
  const row = await duckdbRow(env, UPSERT_CHECK_SQL(metadataLocation));
  if ("error" in row) return { error: String(row.error) };
  const rows = Number(row.n);
  const keys = Number(row.keys);
  const lastChangeSum = Number(row.last_change_sum);
  const ok = rows === model.liveKeys && keys === model.liveKeys && lastChangeSum === model.lastChangeSum;
  return { rows, keys, lastChangeSum, model, ok };
}

async function produceBacklog(env: BenchEnv, kind: Kind, topic: string): Promise<ProduceResult> {
  const job: ProduceJob = {
    brokers: env.brokers,
    topic,
    format: "json",
    partitions: PARTITIONS,
    count: CHANGES,
    ...(kind === "upsert" ? { changes: MIX } : {}),
  };
  console.error(`[${kind}] producing ${CHANGES} records to ${topic} ...`);
  const produce = await runProducer(job);
  console.error(`[${kind}] produced at ${Math.round(produce.recordsPerSec)} records/s`);
  return produce;
}

async function drain(
  env: BenchEnv,
  kind: Kind,
  restart: boolean,
): Promise<{ run: Drained; restart?: Restart }> {
  const topic = uniqueName(`bench_up_${kind}`);
  await createTopic(env.brokers, topic, PARTITIONS);
  let b: BenchSink | undefined;
  try {
    const produce = await produceBacklog(env, kind, topic);
    const total = [...(await endOffsets(env.brokers, topic)).values()].reduce((a, c) => a + c, 0n);
    if (total !== BigInt(CHANGES)) throw new Error(`topic holds ${total} records, expected ${CHANGES}`);
    const group = uniqueName("bench");
    b = await buildSink(env, { topic, format: "json", group, route: route(kind) });
    const d = await drainBacklog(b, group, topic, total);
    await b.sink.stop(); // upsert: writes the key index checkpoint when a commit is left to make
    const loaded = await loadTable(b.catalog, b.table);
    if (loaded === undefined) throw new Error("no table");
    const model = produce.model;
    const checked = model ? await check(env, loaded.metadataLocation, model) : undefined;
    const restarted = restart && kind === "upsert" ? await restartTimes(b) : undefined;
    const run: Drained = {
      kind,
      records: CHANGES,
      avgValueBytes: round(produce.bytes / CHANGES),
      produce,
      sink: {
        ...drainRates(d, CHANGES),
        cpuSeconds: round(d.cpuSeconds, 1),
        cpuCores: round(d.cpuSeconds / ((d.t1 - d.t0) / 1000), 2),
        recordsPerCpuSecond: Math.round(CHANGES / d.cpuSeconds),
        commits: b.events.commits,
        commitSecondsTotal: round(commitSecondsSum(b.metrics.registry.render()), 1),
        peakRssMB: Math.round(d.peak.rssMB),
        peakHeapUsedMB: Math.round(d.peak.heapUsedMB),
        upsertDeletedRows: b.metrics.upsertDeletedRows.get({ table: "bench.json_events" }),
        rejoins: b.events.rejoins,
      },
      commitShape: commitShape(loaded.metadata.snapshots ?? [], group),
      ...(checked ? { check: checked } : {}),
      loadBefore: d.loadBefore,
      loadAfter: d.loadAfter,
    };
    console.error(`[${kind}]`, JSON.stringify({ sink: run.sink, shape: run.commitShape, check: run.check }));
    return { run, ...(restarted ? { restart: restarted } : {}) };
  } finally {
    await b?.sink.stop().catch(() => undefined);
    if (b) await rm(fileURLToPath(b.warehouse), { recursive: true, force: true });
    await deleteTopic(env.brokers, topic);
  }
}

/** loadKeyIndex on the drained table: from the sink's checkpoint, then with the checkpoint file deleted. */
async function restartTimes(b: BenchSink): Promise<Restart> {
  const loaded = await loadTable(b.catalog, b.table);
  if (loaded === undefined) throw new Error("no table");
  const md = loaded.metadata;
  const times = async (n: number) => {
    const ms: number[] = [];
    let last: Awaited<ReturnType<typeof loadKeyIndex>> | undefined;
    for (let i = 0; i < n; i++) {
      last = undefined;
      (globalThis as { gc?: () => void }).gc?.();
      last = await loadKeyIndex(b.io, md, KEY);
      ms.push(Math.round(last.ms));
    }
    if (last === undefined) throw new Error("no load");
    return { last, ms };
  };
  const fromCheckpoint = await times(3);
  const named = (md.snapshots ?? [])
    .map((s) => (s.summary as Record<string, string>)["floe.key-index"])
    .filter((p): p is string => p !== undefined);
  for (const path of named) await rm(path.startsWith("file:") ? fileURLToPath(path) : path, { force: true });
  const rebuilt = await times(2);
  const summary = (md.snapshots?.at(-1)?.summary ?? {}) as Record<string, string>;
  const dataFiles = Number(summary["total-data-files"] ?? 0);
  const r: Restart = {
    keys: fromCheckpoint.last.index.size,
    indexMB: round(fromCheckpoint.last.index.memoryBytes / 1e6, 1),
    checkpoint: {
      source: fromCheckpoint.last.source,
      ms: fromCheckpoint.ms,
      caughtUpFiles: fromCheckpoint.last.caughtUpFiles,
    },
    rebuilt: { source: rebuilt.last.source, ms: rebuilt.ms, caughtUpFiles: rebuilt.last.caughtUpFiles },
    dataFiles,
  };
  console.error("[restart]", JSON.stringify(r));
  return r;
}

/** A steady stream at RATE for DURATION_S into a sink committing every second. */
async function freshness(env: BenchEnv, kind: Kind): Promise<Freshness> {
  const topic = uniqueName(`bench_upfr_${kind}`);
  await createTopic(env.brokers, topic, PARTITIONS);
  const group = uniqueName("bench");
  const b = await buildSink(env, {
    topic,
    format: "json",
    group,
    commit: { intervalMs: 1000 },
    route: route(kind),
  });
  try {
    await b.sink.start();
    await pollUntil(async () => b.events.assignments > 0, 50, 60_000, "partition assignment", b.failure);
    const watch = watchSnapshots(b.catalog, b.table, group, topic, POLL_MS);
    const logFile = join(tmpdir(), `${topic}.sends.json`);
    const loadBefore = load();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    console.error(`[fresh ${kind}] producing ${RATE} records/s for ${DURATION_S} s to ${topic} ...`);
    const produce = await runProducer({
      brokers: env.brokers,
      topic,
      format: "json",
      partitions: PARTITIONS,
      rate: RATE,
      durationS: DURATION_S,
      logFile,
      ...(kind === "upsert" ? { changes: MIX } : {}),
    });
    const total = [...(await endOffsets(env.brokers, topic)).values()].reduce((a, c) => a + c, 0n);
    await pollUntil(
      async () => committedCount((await loadTable(b.catalog, b.table))?.metadata, group, topic) >= total,
      100,
      120_000,
      "all records committed",
      b.failure,
    );
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
    await watch.stop();
    const cpu = cpuSeconds(cpu0);
    const wall = (performance.now() - w0) / 1000;
    const loadAfter = load();
    await b.sink.stop();
    const log = JSON.parse(await readFile(logFile, "utf8")) as SendLog[];
    await rm(logFile, { force: true });
    const steadyFrom = Math.min(...log.map((s) => s.tsMs)) + WARMUP_S * 1000;
    const loaded = await loadTable(b.catalog, b.table);
    const checked =
      produce.model && loaded ? await check(env, loaded.metadataLocation, produce.model) : undefined;
    const gaps = snapshotGaps(watch.seen);
    const run: Freshness = {
      kind,
      produce,
      snapshots: gaps.snapshots,
      visible: {
        all: latencies(log, watch.seen, "observedMs", 0),
        steady: latencies(log, watch.seen, "observedMs", steadyFrom),
      },
      committed: {
        all: latencies(log, watch.seen, "snapshotMs", 0),
        steady: latencies(log, watch.seen, "snapshotMs", steadyFrom),
      },
      snapshotGap: { median: gaps.median, max: gaps.max },
      sinkCpuCores: round(cpu / wall, 2),
      ...(checked ? { check: checked } : {}),
      loadBefore,
      loadAfter,
    };
    console.error(`[fresh ${kind}]`, JSON.stringify({ visible: run.visible, gaps, check: run.check }));
    return run;
  } finally {
    await b.sink.stop().catch(() => undefined);
    await rm(fileURLToPath(b.warehouse), { recursive: true, force: true });
    await deleteTopic(env.brokers, topic);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");

function checkText(c: Drained["check"]): string {
  if (c === undefined) return "-";
  if ("error" in c) return `error: ${c.error.slice(0, 80).replaceAll("|", "/")}`;
  return `${c.ok ? "ok" : "WRONG"}: ${n(c.rows)} rows, ${n(c.keys)} keys (model ${n(c.model.liveKeys)})`;
}

function markdown(
  runs: Drained[],
  restart: Restart | undefined,
  fresh: Freshness[],
  failures: string[],
  meta: Record<string, unknown>,
): string {
  const upserts = runs.filter((r) => r.kind === "upsert");
  const model = upserts[0]?.check && !("error" in upserts[0].check) ? upserts[0].check.model : undefined;
  const lines = [
    "# Upsert sink throughput (end to end, broker on the same machine)",
    "",
    `${n(CHANGES)} changes per run over a ${n(MIX.keys)} key space (${MIX.updates * 100}% updates and ${MIX.deletes * 100}% deletes of live keys, the rest inserts${model ? `: ${n(model.inserts)} inserts, ${n(model.updates)} updates, ${n(model.deletes)} tombstones, ${n(model.liveKeys)} live keys at the end` : ""}), JSON (the sink benchmarks' 12-column event keyed by user_id), ${PARTITIONS} partitions with every key in one partition; default sink settings, local warehouse. The append runs drain as many plain events with the same harness, interleaved (append, upsert, ...). Target: upsert >= ${TARGET_RATIO * 100}% of the append rate.`,
    "To final commit = first record consumed -> table offsets cover the topic; sustained = to the last size-triggered commit (see bench/sink-throughput.ts). Changes per CPU-s = records / CPU seconds of the sink process. Files per commit from the snapshot summaries (added-data-files, added-delete-files, added-position-deletes).",
    `Machine: ${JSON.stringify(meta.machine)}.`,
    "",
    "| run | avg value B | to final commit rec/s | sustained rec/s | CPU s | CPU cores | rec per CPU-s | peak RSS MB | commits (s in commits) | data files / commit mean (max) | delete files / commit mean (max) | position deletes / commit mean | load avg before -> after | table check (DuckDB) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  runs.forEach((r, i) => {
    const s = r.sink;
    const c = r.commitShape;
    lines.push(
      `| ${i + 1}. ${r.kind} | ${r.avgValueBytes} | ${n(s.recordsPerSec)} | ${s.steadyRecordsPerSec === undefined ? "-" : n(s.steadyRecordsPerSec)} | ${s.cpuSeconds} | ${s.cpuCores} | ${n(s.recordsPerCpuSecond)} | ${s.peakRssMB} | ${s.commits} (${s.commitSecondsTotal}) | ${c.dataFiles.mean} (${c.dataFiles.max}) | ${c.deleteFiles.mean} (${c.deleteFiles.max}) | ${n(c.positionDeletes.mean)} | ${r.loadBefore[0]} -> ${r.loadAfter[0]} | ${checkText(r.check)} |`,
    );
  });
  for (const f of failures) lines.push(`| failed: ${f.replaceAll("|", "/").slice(0, 200)} |`);
  const rate = (k: Kind, f: (r: Drained) => number) => median(runs.filter((r) => r.kind === k).map(f));
  if (upserts.length > 0 && runs.some((r) => r.kind === "append")) {
    const toFinal = rate("upsert", (r) => r.sink.recordsPerSec) / rate("append", (r) => r.sink.recordsPerSec);
    const perCpu =
      rate("upsert", (r) => r.sink.recordsPerCpuSecond) / rate("append", (r) => r.sink.recordsPerCpuSecond);
    lines.push(
      "",
      `Upsert / append (medians): to final commit ${round(toFinal * 100, 0)}%, per CPU-s ${round(perCpu * 100, 0)}% -> target (>= ${TARGET_RATIO * 100}%) ${toFinal >= TARGET_RATIO ? "met" : "missed"}.`,
    );
  }
  if (restart) {
    lines.push(
      "",
      `## Restart: key index load (loadKeyIndex, as a new sink does on its first commit)`,
      "",
      `Last drained upsert table: ${n(restart.keys)} live keys in ${restart.dataFiles} data files; index ${restart.indexMB} MB resident.`,
      "",
      "| from | source | ms (runs) | files caught up |",
      "|---|---|---|---|",
      `| the checkpoint the sink wrote at stop | ${restart.checkpoint.source} | ${restart.checkpoint.ms.join(", ")} | ${restart.checkpoint.caughtUpFiles} |`,
      `| checkpoint file deleted (rebuild from the table) | ${restart.rebuilt.source} | ${restart.rebuilt.ms.join(", ")} | ${restart.rebuilt.caughtUpFiles} |`,
    );
  }
  if (fresh.length > 0) {
    lines.push(
      "",
      `## Freshness at 1 s commits (commit.intervalMs 1000, other settings default)`,
      "",
      `${n(RATE)} records/s for ${DURATION_S} s (upsert: the same change mix), catalog polled every ${POLL_MS} ms (as bench/sink-freshness.ts); "steady" leaves out the first ${WARMUP_S} s. Target p99 <= 3 s (interval + 2 s).`,
      "",
      "| stream | produced rec/s | snapshots | visible p50 s | p90 s | p99 s | max s | commit-time p50 / p99 s | snapshot gap median / max s | sink CPU cores | load avg before -> after | table check |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const f of fresh) {
      const v = f.visible.steady;
      lines.push(
        `| ${f.kind} | ${n(f.produce.recordsPerSec)} | ${f.snapshots} | ${v.p50} | ${v.p90} | ${v.p99} | ${v.max} | ${f.committed.steady.p50} / ${f.committed.steady.p99} | ${f.snapshotGap.median} / ${f.snapshotGap.max} | ${f.sinkCpuCores} | ${f.loadBefore[0]} -> ${f.loadAfter[0]} | ${checkText(f.check)} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

const env = benchEnv();
const runs: Drained[] = [];
const failures: string[] = [];
let restart: Restart | undefined;
for (let k = 0; k < (CHANGES > 0 ? REPEAT : 0); k++) {
  for (const kind of ONLY) {
    try {
      const r = await drain(env, kind, k === REPEAT - 1);
      runs.push(r.run);
      restart = r.restart ?? restart;
    } catch (e) {
      console.error(`[${kind}] failed:`, e);
      failures.push(`${kind}: ${(e as Error).message}`);
    }
  }
}
const fresh: Freshness[] = [];
if (FRESHNESS) {
  for (const kind of APPEND_FRESHNESS ? (["upsert", "append"] as Kind[]) : (["upsert"] as Kind[])) {
    try {
      fresh.push(await freshness(env, kind));
    } catch (e) {
      console.error(`[fresh ${kind}] failed:`, e);
      failures.push(`freshness ${kind}: ${(e as Error).message}`);
    }
  }
}
const meta = {
  machine: machine(),
  date: new Date().toISOString(),
  changes: CHANGES,
  mix: MIX,
  partitions: PARTITIONS,
  maxRssMB: Math.round(maxRssMB()),
};
const out = join(ROOT, "bench/results");
await writeFile(
  join(out, `${OUT}.json`),
  `${JSON.stringify({ ...meta, runs, restart, fresh, failures }, null, 2)}\n`,
);
const md = markdown(runs, restart, fresh, failures, meta);
await writeFile(join(out, `${OUT}.md`), md);
process.stdout.write(md);
process.exit(0);
