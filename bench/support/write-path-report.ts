/** Result types of bench/write-path.ts and their markdown rendering. */
import type { Summary } from "./measure.js";

export interface StageResult {
  id: string;
  stage: string;
  rows: number;
  ms: Summary & { runs: number[] };
  cpuMs: number;
  rowsPerSec: number;
  rowsPerCpuSec: number;
  inputMBPerSec?: number;
  arrowMBPerSec?: number;
  parquetMBPerSec?: number;
  cpuPerWall: number;
  note?: string;
}

export interface LatencyStats {
  median: number;
  p90: number;
  min: number;
  max: number;
}

export interface CommitLatency {
  catalog: string;
  rowsPerCommit: number;
  commits: number;
  snapshotsAtEnd: number;
  writeDataFileMs: LatencyStats;
  commitMs: LatencyStats;
  totalMs: LatencyStats;
  totalRunsMs: number[];
}

export interface ColumnResult {
  column: string;
  type: string;
  rowBuildMs: number;
  typedBuildMs: number;
  metricsMs: number;
  encodeAloneMs: number;
  arrowMB: number;
  parquetMB: number;
  parquetShare: number;
}

export interface WritePathReport {
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    loadAvg1mStart: number;
    loadAvg1mEnd: number;
    cpuPressure60sStartPct: number | undefined;
    cpuPressure60sEndPct: number | undefined;
  };
  parameters: {
    rows: number;
    iterations: number;
    warmup: number;
    gcBetweenRuns: string | false;
    s3: { measured: boolean; endpoint?: string };
  };
  schema: readonly { name: string; type: string; data: string }[];
  data: {
    inputJsonMB: number;
    arrowMB: number;
    parquetMB: number;
    parquetBytesPerRow: number;
    compressionVsJson: number;
    rowAndTypedPathParquetIdentical: boolean;
  };
  stages: StageResult[];
  columns: ColumnResult[];
  commits: CommitLatency[];
  memory: {
    rounds: { round: number; peakRssMB: number; wasmMB: number; loadAvg1m: number }[];
    peakRssMB: number;
    rssAfterGeneratingDataMB: number;
    wasmMemoryMB: number;
  };
  targets: {
    basis: string;
    parquetEncode300kRowsPerSec: { met: boolean; rowsPerSec: number; rowsPerCpuSec: number };
    arrowBuildNotBottleneck: {
      met: boolean;
      rowPathVsEncodeCpu: number;
      typedPathVsEncodeCpu: number;
      rowPathVsEncodeWall: number;
      typedPathVsEncodeWall: number;
    };
  };
}

const int = (x: number) => Math.round(x).toLocaleString("en-US");
const opt = (x: number | undefined) => (x === undefined ? "–" : String(x));

export function commitsMarkdown(commits: readonly CommitLatency[]): string {
  const lines = [
    "| catalog | rows/commit | commits | write DataFile p50 ms | commit p50 ms | total p50 ms | total p90 ms | total min..max ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of commits) {
    lines.push(
      `| ${c.catalog} | ${c.rowsPerCommit} | ${c.commits} | ${c.writeDataFileMs.median} | ${c.commitMs.median} | ${c.totalMs.median} | ${c.totalMs.p90} | ${c.totalMs.min}..${c.totalMs.max} |`,
    );
  }
  return lines.join("\n");
}

export function renderMarkdown(r: WritePathReport): string {
  const p = r.parameters;
  const m = r.machine;
  const out: string[] = [];
  out.push(`# write-path benchmark (${r.date})`, "");
  out.push(
    `${p.rows.toLocaleString("en-US")} rows x 12 columns, median of ${p.iterations} runs after ${p.warmup} warm-up` +
      ` (spread = min..max). One Node process, one thread for JS and parquet-wasm: **figures are per core**.` +
      ` Machine: ${m.cpus} x ${m.cpuModel}, Node ${m.node}, load average ${m.loadAvg1mStart} at start,` +
      ` ${m.loadAvg1mEnd} at end${m.cpuPressure60sEndPct === undefined ? "" : `, CPU pressure (PSI some, 60 s) ${m.cpuPressure60sStartPct}% at start, ${m.cpuPressure60sEndPct}% at end`}. GC between runs: ${p.gcBetweenRuns || "no (run with NODE_OPTIONS=--expose-gc)"}.` +
      ` S3: ${p.s3.measured ? `measured (${p.s3.endpoint}, S3Proxy on the same machine)` : "not measured"}.`,
    "",
  );
  const d = r.data;
  out.push(
    `Data: ${d.inputJsonMB} MB as JSON, ${d.arrowMB} MB as Arrow, ${d.parquetMB} MB as Parquet zstd` +
      ` (${d.parquetBytesPerRow} B/row, ${d.compressionVsJson}x smaller than JSON). Row and typed paths give` +
      ` ${d.rowAndTypedPathParquetIdentical ? "byte-identical" : "DIFFERENT"} Parquet.`,
    "",
  );
  out.push("## Stages", "");
  out.push(
    "| # | stage | median ms | min..max ms | spread | rows/s | rows/CPU-s | input (JSON) MB/s | Arrow MB/s | Parquet MB/s | CPU/wall |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const s of r.stages) {
    out.push(
      `| ${s.id} | ${s.stage.trim()}${s.note ? ` (${s.note})` : ""} | ${int(s.ms.median)} | ${int(s.ms.min)}..${int(s.ms.max)} | ${Math.round(s.ms.spreadPct)}% | ${int(s.rowsPerSec)} | ${int(s.rowsPerCpuSec)} | ${opt(s.inputMBPerSec)} | ${opt(s.arrowMBPerSec)} | ${opt(s.parquetMBPerSec)} | ${s.cpuPerWall} |`,
    );
  }
  out.push(
    "",
    "Stages run in interleaved rounds (each round runs every stage once), so they share the machine's load alike." +
      " 1a and 1b are parts of 1; 4a is part of 4. Input MB/s normalises every stage to the JSON bytes it stands for." +
      " rows/CPU-s counts this process's CPU on all threads (GC helpers included), so it is the conservative per-core figure" +
      " when the machine is shared; CPU/wall below 1 means the process waited (I/O, S3, or other work on the machine).",
    "",
  );
  out.push("## Per column (each column alone)", "");
  out.push(
    "| column | type | row build ms | typed build ms | metrics ms | Parquet encode alone ms | Arrow MB | Parquet MB | share of file |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const c of r.columns) {
    out.push(
      `| ${c.column} | ${c.type} | ${c.rowBuildMs} | ${c.typedBuildMs} | ${c.metricsMs} | ${c.encodeAloneMs} | ${c.arrowMB} | ${c.parquetMB} | ${c.parquetShare}% |`,
    );
  }
  out.push("", "## Append commit latency (Table API, newAppend().appendRows(rows).commit())", "");
  out.push(commitsMarkdown(r.commits), "");
  out.push("## Memory", "");
  out.push(
    `Peak RSS ${r.memory.peakRssMB} MB (${r.memory.rssAfterGeneratingDataMB} MB of it reached while generating the` +
      ` benchmark's own data); WASM memory ${r.memory.wasmMemoryMB} MB (never shrinks). Peak RSS MB / WASM MB / 1-min load after each round:` +
      ` ${r.memory.rounds.map((m) => `${m.peakRssMB}/${m.wasmMB}/${m.loadAvg1m}`).join(", ")}.`,
    "",
  );
  const t = r.targets;
  const a = t.arrowBuildNotBottleneck;
  out.push("## Targets", "", `Judged on ${t.basis}.`, "");
  out.push(
    `- Parquet encode >= 300k rows/s per core: **${t.parquetEncode300kRowsPerSec.met ? "met" : "not met"}**` +
      ` (${int(t.parquetEncode300kRowsPerSec.rowsPerCpuSec)} rows/CPU-s, ${int(t.parquetEncode300kRowsPerSec.rowsPerSec)} rows/s wall).`,
    `- Arrow building not the bottleneck: **${a.met ? "met" : "not met"}**` +
      ` (build / encode time, CPU: row path ${a.rowPathVsEncodeCpu}, typed path ${a.typedPathVsEncodeCpu};` +
      ` wall: row path ${a.rowPathVsEncodeWall}, typed path ${a.typedPathVsEncodeWall}).`,
    "",
  );
  out.push("## Schema", "", "| column | Iceberg type | data |", "|---|---|---|");
  for (const c of r.schema) out.push(`| ${c.name} | ${c.type} | ${c.data} |`);
  out.push("");
  return out.join("\n");
}
