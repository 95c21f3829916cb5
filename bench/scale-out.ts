// Scale-out benchmark: several writers committing small appends (1-10 rows) to ONE table at once, each
// restaging and retrying on conflict as the sink does (Table API -> commitWithRetry, 10 attempts,
// jittered backoff from 50 ms), so that the catalog's commit path is the limit. For 2, 4, 8 and 16
// writers against (a) the stack's Apache Iceberg REST reference server (S3 warehouse) and (b) the
// embedded catalog (local warehouse directory, fsync on):
//   - independent, back to back: the ceiling (commits/s), conflict retries per commit, commits that
//     used up their attempts, p50/p99 commit latency;
//   - independent, paced: each writer commits once per --interval-ms (the sink's commit.intervalMs);
//   - coalesced (the remedy): the writers hand their files to one committer per table.
// Then real `floe run` processes in one consumer group on the REST catalog (--processes N) to confirm.
//
// Run: npx vite-node bench/scale-out.ts [--writers 2,4,8,16] [--seconds 25] [--catalogs rest,embedded]
//        [--interval-ms 1000,10000] [--modes independent,paced,coalesced] [--processes 8] [--rows 1-10]
//        [--merge]
// Needs `scripts/stack up`. Writes bench/results/scale-out.json and bench/results/scale-out.md;
// `--render` only rewrites the .md from the recorded .json.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Catalog, EmbeddedCatalog, RestCatalog } from "../src/catalog/index.js";
import { type FileIO, LocalFileIO, S3FileIO } from "../src/iceberg/io/index.js";
import { retryPolicyFor } from "../src/iceberg/table/index.js";
import { cpuPressure60s, machine, percentile, round } from "./support/measure.js";
import { runProcesses } from "./support/scale-out-processes.js";
import { renderScaleOut, type ScaleOutReport, type ScaleOutRun } from "./support/scale-out-report.js";
import { runWriters, scaleSchema } from "./support/scale-out-writers.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? (argv[i + 1] ?? fallback) : fallback;
};
const WRITERS = option("--writers", "2,4,8,16").split(",").map(Number);
const SECONDS = Number(option("--seconds", "25"));
const CATALOGS = option("--catalogs", "rest,embedded").split(",") as ("rest" | "embedded")[];
/** Paced runs (and the process runs): one commit per writer per interval, for each of these intervals. */
const INTERVALS_MS = option("--interval-ms", "1000,10000").split(",").map(Number);
const MODES = option("--modes", "independent,paced,coalesced,reload-after-backoff").split(",");
const PROCESSES = Number(option("--processes", "8"));
const [ROWS_MIN, ROWS_MAX] = option("--rows", "1-10").split("-").map(Number) as [number, number];

const here = dirname(fileURLToPath(import.meta.url));
const stack: Record<string, string> = (() => {
  try {
    const out = execFileSync(join(here, "..", "scripts", "stack"), ["env", "--json"], { encoding: "utf8" });
    return { ...(JSON.parse(out) as Record<string, string>), ...(process.env as Record<string, string>) };
  } catch {
    return process.env as Record<string, string>;
  }
})();
const s3 = {
  endpoint: stack.FLOE_S3_ENDPOINT ?? "http://127.0.0.1:9000",
  region: stack.FLOE_S3_REGION ?? "us-east-1",
  accessKeyId: stack.FLOE_S3_ACCESS_KEY_ID ?? "floe-local",
  secretAccessKey: stack.FLOE_S3_SECRET_ACCESS_KEY ?? "floe-local-secret",
};
const REST_URI = stack.FLOE_REST_URI ?? "http://127.0.0.1:8181";

interface Target {
  catalog: () => Catalog;
  io: FileIO;
  cleanup: () => Promise<void>;
}

async function target(kind: "rest" | "embedded"): Promise<Target> {
  if (kind === "rest") {
    const io = new S3FileIO({
      endpoint: s3.endpoint,
      region: s3.region,
      pathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    return { catalog: () => new RestCatalog({ uri: REST_URI }), io, cleanup: async () => undefined };
  }
  const dir = await mkdtemp(join(tmpdir(), "floe-bench-scale-"));
  const io = new LocalFileIO();
  const warehouse = pathToFileURL(dir).href;
  return {
    catalog: () => new EmbeddedCatalog({ warehouse, io }),
    io,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function measureRun(
  kind: "rest" | "embedded",
  t: Target,
  mode: "independent" | "paced" | "coalesced",
  writers: number,
  pacedMs = 0,
  reloadAfterBackoff = false,
): Promise<ScaleOutRun> {
  const namespace = [`bench_scale_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`];
  const setup = t.catalog();
  await setup.createNamespace(namespace);
  const created = await setup.createTable(namespace, { name: "events", schema: scaleSchema() });
  // As the sink commits: the table's commit.retry.* policy (Iceberg's defaults on a new table).
  const maxAttempts = retryPolicyFor(created.metadata).numRetries + 1;
  const intervalMs = mode === "paced" ? pacedMs : 0;
  const load0 = loadavg()[0] ?? 0;
  const r = await runWriters({
    mode: mode === "coalesced" ? "coalesced" : "independent",
    catalog: t.catalog,
    io: t.io,
    table: created.identifier,
    writers,
    seconds: SECONDS,
    intervalMs,
    rowsMin: ROWS_MIN,
    rowsMax: ROWS_MAX,
    maxAttempts,
    group: "scale",
    reloadAfterBackoff,
  });
  const conflicts = r.conflicts.length > 0 ? r.conflicts : [0];
  const latency = r.latencyMs.length > 0 ? r.latencyMs : [0];
  const run: ScaleOutRun = {
    catalog: kind,
    mode,
    reloadAfterBackoff,
    maxAttempts,
    writers,
    intervalMs,
    seconds: round(r.elapsedSec, 1),
    commits: r.commits,
    commitsPerSec: round(r.commits / r.elapsedSec, 1),
    batchesPerSec: round(r.batches / r.elapsedSec, 1),
    rowsPerSec: round(r.rows / r.elapsedSec, 0),
    attemptsPerSec: round(r.attempts / r.elapsedSec, 1),
    retriesMean: round(conflicts.reduce((a, b) => a + b, 0) / conflicts.length, 2),
    retriesP99: percentile(conflicts, 99),
    retriesMax: Math.max(...conflicts),
    exhausted: r.exhausted,
    latencyP50Ms: round(percentile(latency, 50), 0),
    latencyP99Ms: round(percentile(latency, 99), 0),
    latencyMaxMs: round(Math.max(...latency), 0),
    offsetsMatch: r.offsetsMatch,
    loadAvg1m: round(((loadavg()[0] ?? 0) + load0) / 2, 2),
  };
  process.stderr.write(`${JSON.stringify(run)}\n`);
  return run;
}

async function main() {
  if (argv.includes("--render")) {
    // Re-renders the markdown from the recorded JSON (after editing the findings).
    const recorded = JSON.parse(await readFile(join(here, "results", "scale-out.json"), "utf8"));
    await writeFile(join(here, "results", "scale-out.md"), renderScaleOut(recorded as ScaleOutReport));
    return;
  }
  const started = new Date().toISOString();
  const pressureStart = cpuPressure60s();
  const runs: ScaleOutRun[] = [];
  for (const kind of CATALOGS) {
    const t = await target(kind);
    try {
      for (const mode of ["independent", "paced", "coalesced"] as const) {
        if (!MODES.includes(mode)) continue;
        for (const ms of mode === "paced" ? INTERVALS_MS : [0]) {
          for (const n of WRITERS) runs.push(await measureRun(kind, t, mode, n, ms));
        }
      }
      if (MODES.includes("reload-after-backoff")) {
        for (const ms of [0, INTERVALS_MS[0] ?? 1000]) {
          const mode = ms === 0 ? "independent" : "paced";
          for (const n of WRITERS) runs.push(await measureRun(kind, t, mode, n, ms, true));
        }
      }
    } finally {
      await t.cleanup();
    }
  }
  const processes = [];
  for (const intervalMs of PROCESSES > 0 ? INTERVALS_MS : []) {
    const p = await runProcesses({
      brokers: stack.FLOE_KAFKA_BROKERS ?? "127.0.0.1:9092",
      restUri: REST_URI,
      restWarehouse: stack.FLOE_REST_WAREHOUSE ?? "s3://warehouse/rest",
      s3,
      processes: PROCESSES,
      intervalMs,
      settleSec: 20,
      seconds: Math.max(SECONDS, Math.ceil((intervalMs / 1000) * 4)),
    });
    process.stderr.write(`${JSON.stringify(p)}\n`);
    processes.push(p);
  }
  // --merge: keep the recorded figures of configurations this run did not measure.
  const recorded: ScaleOutReport | undefined = argv.includes("--merge")
    ? JSON.parse(await readFile(join(here, "results", "scale-out.json"), "utf8"))
    : undefined;
  const key = (r: ScaleOutRun) =>
    `${r.catalog}/${r.mode}/${r.writers}/${r.intervalMs}/${r.reloadAfterBackoff === true}`;
  const measured = new Set(runs.map(key));
  const keep = (recorded?.runs ?? []).filter((r) => !measured.has(key(r)));
  const report: ScaleOutReport = {
    benchmark: "scale-out",
    started,
    finished: new Date().toISOString(),
    machine: { ...machine(), cpuPressure60sStart: pressureStart, cpuPressure60sEnd: cpuPressure60s() },
    parameters: {
      seconds: SECONDS,
      rowsPerCommit: `${ROWS_MIN}-${ROWS_MAX}`,
      pacedIntervalsMs: INTERVALS_MS,
      rest: `${REST_URI} (Apache Iceberg REST reference server, S3 warehouse ${stack.FLOE_REST_WAREHOUSE ?? "s3://warehouse/rest"} on ${s3.endpoint})`,
      embedded: "EmbeddedCatalog on a local temp directory, LocalFileIO with fsync",
    },
    runs: [...keep, ...runs],
    processes: processes.length > 0 ? processes : (recorded?.processes ?? []),
  };
  await mkdir(join(here, "results"), { recursive: true });
  await writeFile(join(here, "results", "scale-out.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderScaleOut(report);
  await writeFile(join(here, "results", "scale-out.md"), md);
  process.stdout.write(md);
}

await main();
