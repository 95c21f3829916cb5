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

/** Conclusions from the recorded figures (edit when a rerun changes them; `--render` rewrites the .md). */
export const FINDINGS: readonly string[] = [
  "## Findings",
  "",
  "The machine was shared with other work: load average 8-17 on 2 cores during the runs, so absolute rates are low and noisy (a catalog on its own hardware commits faster); the shapes are what carry over. The first run of this benchmark (the commit loop before the transaction API: 10 attempts, 50 ms doubling to 5 s) is summarised where it differs (its figures: bench/results/scale-out-10-attempts.json).",
  "",
  "- **A table has a commit capacity, and more writers do not raise it.** Back to back, one table took 5.5-7 commits/s on the REST reference server and 9-11.5 on the embedded catalog whatever the number of writers, falling to ~4/s at 16 writers as conflicts eat the catalog's time (requests/s keep rising). One committer reaches the same 6-11 commits/s with no conflicts.",
  "- **Conflicts hit a few commits hard rather than all a little.** Most commits go through at the first attempt (mean retries per committed snapshot stays below 2 everywhere), but a writer that lost tends to keep losing: the commit loop reloads the table right after the conflict and then sleeps the backoff, so the base it restages on is already as old as the sleep, and with others committing every few hundred ms it conflicts again. With the sink's budget (the table's `commit.retry.*`, Iceberg's defaults: 5 attempts) such commits give up: the sink then reads their records again and retries after its own backoff (1 s doubling), so nothing is lost or doubled (the offsets were exact in every run), but freshness suffers and the retries add load.",
  "- **Paced as the sink commits (once per interval per writer)**, what matters is the offered commit rate per table, writers / interval. Clean (no exhausted commit): REST 4 writers at 1 s (p99 0.2 s) and 16 at 10 s; embedded 2 at 1 s and 8 at 10 s, with a single exhausted commit at 4 writers / 1 s (1 of 80) and 16 / 10 s (1 of 33). Overloaded: 8 writers at 1 s (REST 24% of commits exhausted, embedded 13%) and 16 at 1 s (65% / 41%; the REST table then commits 1.9/s, half of what 4 writers got). With the older 10-attempt loop the same overload exhausted 7% / 0.5% at 8 writers: the smaller default budget makes the cliff steeper.",
  "- **`floe run` processes confirm it.** 8 processes in one group writing one table on the REST server: at a 1 s interval the table committed 2 snapshots/s of the 8 offered and 22 commits (35%) used up their attempts (COMMIT_CONFLICT, re-read and retried by the sink), p99 commit time up to 5 s; at the default 10 s, 0.8 commits/s with no conflict at all and p99 <= 0.5 s. In both, some of the final commits of 8 processes stopping at the same moment conflicted out (2-4), so the table's offsets stopped short of the topic's end: those records are read again at the next start, as designed.",
  "",
  "### Safe writers per table",
  "",
  "A writer per table is a process that owns at least one partition of a topic feeding the table, so writers per table = min(processes in the group, partitions feeding the table). Keep the offered rate at or below about 2 commits/s per table: **writers per table <= 2 x commit.intervalMs in seconds**, i.e. up to 2 at a 1 s interval (4 is the edge) and up to 16-20 at the default 10 s (16 measured). For another catalog, scale by its single-writer commit latency L (`floe_commit_duration_seconds` p50 with one writer; ~50-70 ms here): keep writers x L / interval below ~0.1-0.15. Past that, adding processes makes the table slower, not faster: raise `commit.intervalMs` (also larger files) or split the table's topics over fewer processes.",
  "",
  "### Remedies",
  "",
  "1. **Wait, then reload (measured, rows \"reload after backoff\").** Moving the backoff before the reload in the commit loop (src/iceberg/table/commit-loop.ts; Iceberg's Java SnapshotProducer waits, then refreshes and re-applies) cut exhausted commits at 8 writers / 1 s from 24% to 5% (REST) and from 13% to 0% (embedded) and raised the table's commits/s (REST 16 writers / 1 s: 1.9 -> 4.8). A one-line reorder; not made here.",
  "2. **A sink budget for its own appends.** The sink's appends are small and cheap to restage; Iceberg's default budget (4 retries) suits long Spark jobs. The older 10-attempt loop exhausted 3-4x fewer commits under the same overload.",
  '3. **One committer per table within a group (measured, rows "one committer").** The writers write their data files and hand them to one committer, which commits everything handed in since its last commit as one snapshot. No conflicts at any writer count, commits at the single-writer rate, and the batches committed grow with the writers: at 16 writers 52.8 batches/s on REST and 56 on embedded against 3.9 and 4.0 independently (13-14x), p99 from hand-off to committed 0.45-0.9 s. Design for the sink:',
  "   - Role: for each table, the member that owns partition 0 of the first topic of the table's route commits it (each member knows from its own assignment; exactly one owns it per generation).",
  "   - Workers (every member, the committer too) keep buffering and writing data files as now, and at each commit interval publish a `files written` record to a control topic (`<group>.floe-control`, keyed by table): table, group generation, data file entries, and the offset range (first, next) per partition.",
  "   - The committer consumes the control topic and, per interval, commits one append snapshot with every file whose ranges start where the table's offsets for those partitions stand (the contiguity check the sink already applies to zombies), the summary carrying the merged offsets as today: the table stays the only record of progress, so exactly-once is unchanged. Files from an older generation or a non-contiguous range are deleted and their partitions re-read by their current owner.",
  "   - Workers learn what is committed from the table's offsets (or a `committed` record on the control topic), then release their buffers and commit the advisory Kafka offsets.",
  "   - Failure: a dead committer loses the role with its partition at the rebalance; the new owner starts from the table's offsets; announced but uncommitted files are orphans for `floe maintain`.",
  "   - Cost: one more topic, up to one more interval of latency, one committer per table (which is the catalog's limit anyway). This is the shape of the Iceberg Kafka Connect sink (a coordinator commits what workers report on a control topic). Until then, remedies 1 and 2 and the writers-per-table rule above keep independent commits safe.",
];
