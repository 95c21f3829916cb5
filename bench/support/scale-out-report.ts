/** The JSON shape and markdown rendering of bench/scale-out.ts's results. */
import type { machine } from "./measure.js";
import type { ProcessRunResult } from "./scale-out-processes.js";

export interface ScaleOutRun {
  catalog: "rest" | "embedded";
  mode: "independent" | "paced" | "coalesced";
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
    maxAttempts: number;
    pacedIntervalsMs: number[];
    rest: string;
    embedded: string;
  };
  runs: ScaleOutRun[];
  processes?: ProcessRunResult;
}

const MODE: Record<ScaleOutRun["mode"], string> = {
  independent: "independent, back to back",
  paced: "independent, paced",
  coalesced: "one committer (remedy)",
};

function runRow(r: ScaleOutRun): string {
  const pace = r.intervalMs > 0 ? ` every ${r.intervalMs / 1000} s` : "";
  return `| ${r.catalog} | ${MODE[r.mode]}${pace} | ${r.writers} | ${r.commitsPerSec} | ${r.batchesPerSec} | ${r.attemptsPerSec} | ${r.retriesMean} / ${r.retriesP99} / ${r.retriesMax} | ${r.exhausted} | ${r.latencyP50Ms} / ${r.latencyP99Ms} / ${r.latencyMaxMs} | ${r.offsetsMatch ? "yes" : "NO"} | ${r.loadAvg1m} |`;
}

export function renderScaleOut(r: ScaleOutReport, findings: readonly string[] = FINDINGS): string {
  const m = r.machine;
  const p = r.processes;
  const lines = [
    `# scale-out benchmark (${r.started})`,
    "",
    `Writers committing small appends (${r.parameters.rowsPerCommit} rows, one Parquet file each) to ONE table at once for ~${r.parameters.seconds} s per configuration, each on its own catalog client, restaging and retrying on conflict as the sink does (\`Table.newAppend().commit\` -> \`commitWithRetry\`: ${r.parameters.maxAttempts} attempts, full-jitter backoff from 50 ms doubling to 5 s; the group's offsets merged from the freshest base on every attempt). Writers are concurrent tasks in one Node process. REST: ${r.parameters.rest}. Embedded: ${r.parameters.embedded}.`,
    "",
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.totalMemMB} MB, Node ${m.node}; the catalog server, S3 store, Kafka and the writers share the ${m.cpus} cores. Load average per run in the table${m.cpuPressure60sEnd === undefined ? "" : `; CPU pressure ${m.cpuPressure60sStart ?? "?"}% -> ${m.cpuPressure60sEnd}% (PSI avg60) over the whole benchmark`}. Finished ${r.finished}.`,
    "",
    "Columns: snapshots committed per second; writer batches committed per second (differs from commits/s only with one committer, which puts several writers' batches in one snapshot); catalog commit requests per second, conflicts included; conflict retries per committed snapshot; commits that used up their attempts (every attempt a conflict; the sink then re-reads the batch and commits it later); commit latency from the commit call to committed, retries and backoff included (one committer: from the hand-off); whether the table's offsets equal what each writer got committed.",
    "",
    "| catalog | mode | writers | commits/s | batches/s | requests/s | retries mean / p99 / max | exhausted | latency ms p50 / p99 / max | offsets exact | load 1m |",
    "|---|---|---:|---:|---:|---:|---|---:|---|---|---:|",
    ...r.runs.map(runRow),
    "",
  ];
  if (p) {
    const mean = p.conflicts.length > 0 ? p.conflicts.reduce((a, b) => a + b, 0) / p.conflicts.length : 0;
    lines.push(
      "## `floe run` processes in one group",
      "",
      `${p.processes} \`floe run\` processes (bin/floe over dist/, defaults but \`commit.intervalMs: ${p.intervalMs}\`) in one consumer group on a ${p.partitions}-partition topic with a trickle of small JSON records on every partition, all writing one table in the REST catalog; counted over ${Math.round(p.windowSec)} s after 20 s for the group to settle.`,
      "",
      "| processes | commits/s | retries mean / max | superseded | failed commits | commit s p50 / p99 (bucket bound) | offsets reach topic end |",
      "|---:|---:|---|---:|---:|---|---|",
      `| ${p.processes} | ${Math.round((p.commits / p.windowSec) * 10) / 10} | ${Math.round(mean * 100) / 100} / ${Math.max(0, ...p.conflicts)} | ${p.superseded} | ${p.commitErrors} | <= ${p.commitSecondsP50AtMost} / <= ${p.commitSecondsP99AtMost} | ${p.caughtUp ? "yes" : "NO"} |`,
      "",
    );
  }
  lines.push(...findings, "");
  return lines.join("\n");
}

/** Conclusions from the recorded figures (edit when a rerun changes them). */
export const FINDINGS: readonly string[] = [];
