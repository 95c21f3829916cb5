/** The JSON shape and markdown rendering of bench/scale-out.ts's results. */
import type { machine } from "./measure.js";
import type { ProcessRunResult } from "./scale-out-processes.js";

export interface ScaleOutRun {
  catalog: "rest" | "embedded";
  mode: "independent" | "paced" | "coalesced";
  /** The variant that waits out the backoff before reloading (see scale-out-writers.ts). */
  reloadAfterBackoff?: boolean;
  /** Attempts per commit (absent in runs recorded before the transaction API: 10). */
  maxAttempts?: number;
  writers: number;
  /** 0: back to back. */
  intervalMs: number;
  seconds: number;
  /** Snapshots committed. */
  commits: number;
  commitsPerSec: number;
  /** Writer batches committed per second (= commits/s unless coalesced). */
  batchesPerSec: number;
  rowsPerSec: number;
  /** Catalog commit requests per second, conflicts included. */
  attemptsPerSec: number;
  retriesMean: number;
  retriesP99: number;
  retriesMax: number;
  exhausted: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  offsetsMatch: boolean;
  loadAvg1m: number;
}

export interface ScaleOutReport {
  benchmark: "scale-out";
  started: string;
  finished: string;
  machine: ReturnType<typeof machine> & {
    cpuPressure60sStart?: number | undefined;
    cpuPressure60sEnd?: number | undefined;
  };
  parameters: {
    seconds: number;
    rowsPerCommit: string;
    pacedIntervalsMs: number[];
    rest: string;
    embedded: string;
  };
  runs: ScaleOutRun[];
  /** One entry per commit interval. */
  processes: ProcessRunResult[];
}

const MODE: Record<ScaleOutRun["mode"], string> = {
  independent: "independent, back to back",
  paced: "independent, paced",
  coalesced: "one committer (remedy)",
};

function runRow(r: ScaleOutRun): string {
  const maxAttempts = r.maxAttempts ?? 10;
  const pace = `${r.intervalMs > 0 ? ` every ${r.intervalMs / 1000} s` : ""}${r.reloadAfterBackoff ? ", reload after backoff" : ""}`;
  const tries = r.commits + r.exhausted;
  // Conflicts per commit with the exhausted ones counted too (each had maxAttempts conflicts).
  const all = tries > 0 ? (r.retriesMean * r.commits + r.exhausted * maxAttempts) / tries : 0;
  const share = tries > 0 ? Math.round((r.exhausted / tries) * 1000) / 10 : 0;
  return `| ${r.catalog} | ${MODE[r.mode]}${pace} | ${r.writers} | ${maxAttempts} | ${r.commitsPerSec} | ${r.batchesPerSec} | ${r.attemptsPerSec} | ${r.retriesMean} / ${r.retriesP99} / ${r.retriesMax} | ${Math.round(all * 100) / 100} | ${r.exhausted} (${share}%) | ${r.latencyP50Ms} / ${r.latencyP99Ms} / ${r.latencyMaxMs} | ${r.offsetsMatch ? "yes" : "NO"} | ${r.loadAvg1m} |`;
}

export function renderScaleOut(r: ScaleOutReport, findings: readonly string[] = FINDINGS): string {
  const m = r.machine;
  const ps = r.processes ?? [];
  const lines = [
    `# scale-out benchmark (${r.started})`,
    "",
    `Writers committing small appends (${r.parameters.rowsPerCommit} rows, one Parquet file each) to ONE table at once for ~${r.parameters.seconds} s per configuration, each on its own catalog client, restaging and retrying on conflict as the sink does (\`Table.newAppend().commit\` -> the transaction API's commit loop with the table's \`commit.retry.*\` policy, Iceberg's defaults on these new tables: 5 attempts, backoff 100 ms doubling to 60 s jittered to 50-100%; the group's offsets merged from the freshest base on every attempt; the loop reloads the table after a conflict, then waits). The "reload after backoff" rows wait first and reload after the wait (what Iceberg's Java SnapshotProducer does). Writers are concurrent tasks in one Node process. REST: ${r.parameters.rest}. Embedded: ${r.parameters.embedded}.`,
    "",
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.totalMemMB} MB, Node ${m.node}; the catalog server, S3 store, Kafka and the writers share the ${m.cpus} cores. Load average per run in the table${m.cpuPressure60sEnd === undefined ? "" : `; CPU pressure ${m.cpuPressure60sStart ?? "?"}% -> ${m.cpuPressure60sEnd}% (PSI avg60) over the whole benchmark`}. Finished ${r.finished}.`,
    "",
    `Columns: attempts per commit; snapshots committed per second; writer batches committed per second (differs from commits/s only with one committer, which puts several writers' batches in one snapshot); catalog commit requests per second, conflicts included; conflict retries per committed snapshot; the mean conflicts per commit counting the exhausted ones (one per attempt); commits that used up their attempts (every attempt a conflict; the sink then re-reads the batch and commits it later); commit latency from the commit call to committed, retries and backoff included (one committer: from the hand-off); whether the table's offsets equal what each writer got committed.`,
    "",
    "| catalog | mode | writers | attempts | commits/s | batches/s | requests/s | retries per commit mean / p99 / max | conflicts per commit incl. exhausted | exhausted (% of commits) | latency ms p50 / p99 / max | offsets exact | load 1m |",
    "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|---|---:|",
    ...r.runs.map(runRow),
    "",
  ];
  if (ps.length > 0) {
    const first = ps[0] as ProcessRunResult;
    lines.push(
      "## `floe run` processes in one group",
      "",
      `${first.processes} \`floe run\` processes (bin/floe over dist/, defaults but \`commit.intervalMs\`) in one consumer group on a ${first.partitions}-partition topic with a trickle of small JSON records on every partition (one batch per partition every 100 ms), all writing one table in the REST catalog; counted after 20 s for the group to settle. Conflicts are the sink's "commit conflict, restaging" warnings before each committed snapshot; failed commits are table commits that used up their attempts (the sink reads their records again and retries after a backoff); final commits are those of the ${first.processes} processes stopping at once.`,
      "",
      "| processes | commit interval | window s | commits/s | retries mean / max | failed commits (errors) | commit s p50 / p99 (bucket bound) | failed final commits | offsets reach topic end |",
      "|---:|---:|---:|---:|---|---|---|---:|---|",
      ...ps.map((p) => {
        const mean = p.conflicts.length > 0 ? p.conflicts.reduce((a, b) => a + b, 0) / p.conflicts.length : 0;
        const codes = Object.entries(p.errorCodes ?? {})
          .map(([c, n]) => `${c} x${n}`)
          .join(", ");
        return `| ${p.processes} | ${p.intervalMs / 1000} s | ${Math.round(p.windowSec)} | ${Math.round((p.commits / p.windowSec) * 10) / 10} | ${Math.round(mean * 100) / 100} / ${Math.max(0, ...p.conflicts)} | ${p.commitErrors}${codes ? ` (${codes})` : ""} | <= ${p.commitSecondsP50AtMost} / <= ${p.commitSecondsP99AtMost} | ${p.finalCommitFailures ?? "?"} | ${p.caughtUp ? "yes" : "no"} |`;
      }),
      "",
    );
  }
  lines.push(...findings, "");
  return lines.join("\n");
}

/** Conclusions from the recorded figures (edit when a rerun changes them). */
export const FINDINGS: readonly string[] = [];
