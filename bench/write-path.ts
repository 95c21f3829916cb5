// Write-path benchmark: decoded events -> Arrow -> metrics -> Parquet (zstd, field ids) -> uploaded
// DataFile -> table commit, stage by stage, for a realistic 12-column event schema (bench/support/events.ts).
//
// One Node process, JS and parquet-wasm on one thread: every figure is per core. Stages run in
// interleaved rounds (every stage once per round; `warmup` rounds unrecorded, then `iterations` recorded)
// so that they share the machine's load alike; the tables give the median and the spread (min..max).
// Run with NODE_OPTIONS=--expose-gc so every run of a stage starts from a collected heap.
//
// Run: npx vite-node bench/write-path.ts [rows=500000] [iterations=3]
//        [--warmup N=1] [--commits N=20] [--commit-rows N=1000] [--s3 | --no-s3]
// S3 (stages 5c/5d and the S3 commit) is measured with --s3, or when FLOE_S3_ENDPOINT is set (e.g. after
// `eval "$(scripts/stack env)"`); connection from FLOE_S3_* with the local stack's values as defaults.
// Writes bench/results/write-path.json and bench/results/write-path.md.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as arrow from "apache-arrow";
import { wasmMemory } from "parquet-wasm";
import { EmbeddedCatalog, Table } from "../src/catalog/index.js";
import {
  type FileIO,
  LocalFileIO,
  listAll,
  S3FileIO,
  type S3FileIOOptions,
} from "../src/iceberg/io/index.js";
import { type DataFile, unpartitionedSpec } from "../src/iceberg/spec/index.js";
import {
  buildColumn,
  buildTable,
  type ColumnInput,
  computeMetrics,
  DataFileWriter,
  metricsModesFromProperties,
  type Row,
  readParquetFooter,
  writeFieldsFromSchema,
  writeParquet,
} from "../src/iceberg/write/index.js";
import {
  decodeMessages,
  EVENT_COLUMNS,
  eventSchema,
  generateMessages,
  typedColumns,
} from "./support/events.js";
import {
  canCollect,
  cpuPressure60s,
  MB,
  machine,
  measureRounds,
  peakRssMB,
  percentile,
  type Runs,
  round,
  SETTLE_MS,
  type Step,
  summarize,
} from "./support/measure.js";
import {
  type CommitLatency,
  commitsMarkdown,
  renderMarkdown,
  type StageResult,
} from "./support/write-path-report.js";

// ---- parameters -------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const ROWS = Number(positional[0] ?? 500_000);
const ITERATIONS = Number(positional[1] ?? 3);
const WARMUP = option("--warmup", 1);
const COMMITS = option("--commits", 20);
const COMMIT_ROWS = option("--commit-rows", 1000);
const env = process.env;
const S3_ON =
  flag("--s3") || (!flag("--no-s3") && (env.FLOE_BENCH_S3 === "1" || env.FLOE_S3_ENDPOINT !== undefined));
const S3: (S3FileIOOptions & { bucket: string }) | undefined = S3_ON
  ? {
      endpoint: env.FLOE_S3_ENDPOINT ?? "http://127.0.0.1:9000",
      region: env.FLOE_S3_REGION ?? "us-east-1",
      pathStyle: true,
      credentials: {
        accessKeyId: env.FLOE_S3_ACCESS_KEY_ID ?? "floe-local",
        secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY ?? "floe-local-secret",
      },
      bucket: env.FLOE_S3_BUCKET ?? "warehouse",
    }
  : undefined;
for (const [name, v] of Object.entries({ ROWS, ITERATIONS, WARMUP, COMMITS, COMMIT_ROWS })) {
  if (!Number.isSafeInteger(v) || v < (name === "WARMUP" ? 0 : 1)) throw new Error(`bad ${name}: ${v}`);
}

// ---- results ----------------------------------------------------------------------------------------

interface Per {
  input?: boolean;
  arrow?: boolean;
  parquet?: boolean;
}

interface StageSpec extends Step {
  id: string;
  stage: string;
  per: Per;
  note?: string;
}

const stages: StageResult[] = [];
const wasmMB = () => Math.round(wasmMemory().buffer.byteLength / 2 ** 20);
const sizes = { inputMB: 0, arrowMB: 0, parquetMB: 0 };

function record(spec: StageSpec, runs: Runs): StageResult {
  const ms = summarize(runs.ms);
  const cpu = summarize(runs.cpuMs).median;
  const sec = ms.median / 1000;
  const { per } = spec;
  const r: StageResult = {
    id: spec.id,
    stage: spec.stage,
    rows: ROWS,
    ms: { ...ms, runs: runs.ms.map((x) => round(x, 1)) },
    cpuMs: round(cpu, 1),
    rowsPerSec: Math.round(ROWS / sec),
    rowsPerCpuSec: Math.round(ROWS / (cpu / 1000)),
    ...(per.input ? { inputMBPerSec: round(sizes.inputMB / sec) } : {}),
    ...(per.arrow ? { arrowMBPerSec: round(sizes.arrowMB / sec) } : {}),
    ...(per.parquet ? { parquetMBPerSec: round(sizes.parquetMB / sec, 2) } : {}),
    cpuPerWall: round(cpu / ms.median, 2),
    ...(spec.note === undefined ? {} : { note: spec.note }),
  };
  stages.push(r);
  const spread = `${Math.round(ms.min)}..${Math.round(ms.max)}`;
  console.error(
    `  ${spec.id} ${spec.stage.trim()}: ${Math.round(ms.median)} ms (${spread}), ${r.rowsPerSec.toLocaleString("en-US")} rows/s`,
  );
  return r;
}

function expectRows(got: unknown) {
  const n = Array.isArray(got) ? got.length : (got as { numRows: number }).numRows;
  if (n !== ROWS) throw new Error(`expected ${ROWS} rows, got ${n}`);
}

function expectFile(files: DataFile[]) {
  if (files.length !== 1 || files[0]!.record_count !== BigInt(ROWS)) {
    throw new Error(
      `expected one data file of ${ROWS} rows, got ${files.map((f) => f.record_count).join(",")}`,
    );
  }
  if (Number(files[0]!.file_size_in_bytes) !== Math.round(sizes.parquetMB * MB)) {
    throw new Error(
      `data file has ${files[0]!.file_size_in_bytes} bytes, stage 4 wrote ${sizes.parquetMB * MB}`,
    );
  }
}

const load1m = () => round(loadavg()[0] ?? 0, 2);
const arrowBytes = (t: arrow.Table) => t.batches.reduce((sum, b) => sum + b.data.byteLength, 0);

// ---- data -------------------------------------------------------------------------------------------

const startedAt = new Date();
const loadStart = load1m();
const pressureStart = cpuPressure60s();
console.error(
  `write-path: ${ROWS} rows, ${ITERATIONS} iterations (+${WARMUP} warm-up), S3 ${S3 ? "on" : "off"}`,
);
const schema = eventSchema();
const fields = writeFieldsFromSchema(schema);
const modes = metricsModesFromProperties(schema, {});
const messages = generateMessages(ROWS);
const rows = decodeMessages(messages);
const typed = typedColumns(rows, fields);
sizes.inputMB = messages.bytes.length / MB;
const rssAfterData = Math.round(peakRssMB());

/** Exactly what DataFileWriter.writeRows does for an unpartitioned table before buildTable. */
function transpose(input: readonly Row[]): Record<string, ColumnInput> {
  const group = [...input];
  const columns: Record<string, ColumnInput> = {};
  for (const field of fields) columns[field.name] = group.map((r) => r[field.name] ?? null);
  return columns;
}

const rowColumns = transpose(rows);
const table = buildTable({ fields, columns: rowColumns });
sizes.arrowMB = arrowBytes(table) / MB;
const parquet = writeParquet(table, { compression: "zstd" });
const footer = readParquetFooter(parquet);
sizes.parquetMB = parquet.byteLength / MB;
const typedParquet = writeParquet(buildTable({ fields, columns: typed }), { compression: "zstd" });
const identical = Buffer.compare(Buffer.from(parquet), Buffer.from(typedParquet)) === 0;
if (!identical) console.error("  warning: row path and typed path Parquet bytes differ");

// ---- stages 0..5, interleaved ----------------------------------------------------------------------

const localRoot = await mkdtemp(join(tmpdir(), "floe-bench-"));
const localIO = new LocalFileIO();
const s3IO = S3 ? new S3FileIO(S3) : undefined;
const s3Root = S3 ? `s3://${S3.bucket}/floe-bench/write-path-${Date.now().toString(36)}` : undefined;
const writer = (io: FileIO, location: string) =>
  new DataFileWriter({ io, location, schema, spec: unpartitionedSpec(), compression: "zstd" });

/** DataFileWriter end to end: rows (5a/5c) and an Arrow table (5b/5d) to an uploaded DataFile. */
function endToEnd(io: FileIO, location: string, where: string, ids: [string, string]): StageSpec[] {
  const w = writer(io, location);
  const check = expectFile as (r: never) => void;
  return [
    {
      id: ids[0],
      stage: `writeRows(rows) -> DataFile on ${where}`,
      fn: () => w.writeRows(rows),
      check,
      per: { input: true, parquet: true },
    },
    {
      id: ids[1],
      stage: `writeTable(Arrow) -> DataFile on ${where}`,
      fn: () => w.writeTable(table),
      check,
      per: { input: true, arrow: true, parquet: true },
    },
  ];
}

const plan: StageSpec[] = [
  {
    id: "0",
    stage: "context: JSON.parse + value conversion (decoder, not the write path)",
    fn: () => decodeMessages(messages),
    check: expectRows,
    per: { input: true },
  },
  {
    id: "1",
    stage: "rows -> Arrow (row path: transpose + buildTable)",
    fn: () => buildTable({ fields, columns: transpose(rows) }),
    check: expectRows,
    per: { input: true, arrow: true },
  },
  {
    id: "1a",
    stage: "  of which transpose rows -> column arrays (as writeRows)",
    fn: () => transpose(rows),
    check: (c: Record<string, unknown>) => expectRows(c.event_id),
    per: { input: true },
  },
  {
    id: "1b",
    stage: "  of which buildTable(row-value columns)",
    fn: () => buildTable({ fields, columns: rowColumns }),
    check: expectRows,
    per: { input: true, arrow: true },
  },
  {
    id: "2",
    stage: "typed columns -> Arrow (buildTable fast path)",
    fn: () => buildTable({ fields, columns: typed }),
    check: expectRows,
    per: { input: true, arrow: true },
    note: "strings, bool, decimal, uuid have no bulk input form: still per-value arrays",
  },
  {
    id: "3",
    stage: "metrics (computeMetrics, truncate(16))",
    fn: () => computeMetrics(table, modes),
    check: (m: { recordCount: bigint }) => {
      if (m.recordCount !== BigInt(ROWS)) throw new Error("metrics record count");
    },
    per: { input: true, arrow: true },
  },
  {
    id: "4",
    stage: "Parquet encode zstd (writeParquet = IPC + parquet-wasm)",
    fn: () => writeParquet(table, { compression: "zstd" }),
    check: (b: Uint8Array) => {
      if (b.byteLength !== parquet.byteLength) throw new Error("Parquet size changed between runs");
    },
    per: { input: true, arrow: true, parquet: true },
  },
  {
    id: "4a",
    stage: "  of which Arrow -> IPC stream (tableToIPC)",
    fn: () => arrow.tableToIPC(table, "stream"),
    per: { arrow: true },
  },
  { id: "4b", stage: "footer parse (readParquetFooter)", fn: () => readParquetFooter(parquet), per: {} },
  ...endToEnd(localIO, `${pathToFileURL(localRoot).href}/db/events`, "LocalFileIO (fsync)", ["5a", "5b"]),
  ...(s3IO && s3Root ? endToEnd(s3IO, `${s3Root}/db/events`, `S3 (${S3?.endpoint})`, ["5c", "5d"]) : []),
];

const memory: { round: number; peakRssMB: number; wasmMB: number; loadAvg1m: number }[] = [];
try {
  if (s3IO && s3Root) {
    // Fail fast with a clear reason when the store is not there.
    await s3IO.write(`${s3Root}/probe`, new Uint8Array([1])).catch((e: unknown) => {
      throw new Error(`S3 at ${S3?.endpoint} is not reachable (start it with scripts/stack up): ${e}`);
    });
  }
  console.error(`stages: ${WARMUP + ITERATIONS} rounds of ${plan.length} stages`);
  const runs = await measureRounds(plan, ITERATIONS, WARMUP, true, (round) => {
    const m = {
      round,
      peakRssMB: Math.round(peakRssMB()),
      wasmMB: wasmMB(),
      loadAvg1m: load1m(),
    };
    memory.push(m);
    console.error(
      `  round ${round + 1}/${WARMUP + ITERATIONS} done, load ${m.loadAvg1m}, peak RSS ${m.peakRssMB} MB`,
    );
  });
  plan.forEach((spec, i) => {
    record(spec, runs[i]!);
  });

  // ---- 6: append commits through the Table API ------------------------------------------------------

  console.error("commits");
  const commits = [
    await commitLatency(localIO, `${pathToFileURL(localRoot).href}/wh`, "embedded, LocalFileIO"),
  ];
  if (s3IO && s3Root) commits.push(await commitLatency(s3IO, `${s3Root}/wh`, "embedded, S3"));

  // ---- per column ---------------------------------------------------------------------------------------

  console.error("columns");
  const columns = [];
  const leafIds: Record<string, number[]> = { device: [13, 14], labels: [15] };
  for (const [i, field] of fields.entries()) {
    const one = buildTable({ fields: [field], columns: [rowColumns[field.name]!] });
    // Small garbage per run, so no forced GC here (gc() would cost these short runs more than they take).
    const [rowBuild, typedBuild, metrics, encode] = await measureRounds(
      [
        { fn: () => buildColumn(field, rowColumns[field.name]!) },
        { fn: () => buildColumn(field, typed[i]!) },
        { fn: () => computeMetrics(one, modes) },
        { fn: () => writeParquet(one, { compression: "zstd" }) },
      ],
      ITERATIONS,
      WARMUP,
      false,
    );
    const med = (r: Runs | undefined) => round(summarize(r!.ms).median, 1);
    const bytes = (leafIds[field.name] ?? [field.id]).reduce(
      (s, id) => s + Number(footer.columnSizes.get(id) ?? 0n),
      0,
    );
    columns.push({
      column: field.name,
      type: EVENT_COLUMNS[i]!.type,
      rowBuildMs: med(rowBuild),
      typedBuildMs: med(typedBuild),
      metricsMs: med(metrics),
      encodeAloneMs: med(encode),
      arrowMB: round(arrowBytes(one) / MB, 2),
      parquetMB: round(bytes / MB, 2),
      parquetShare: round((bytes / parquet.byteLength) * 100, 1),
    });
  }

  // ---- report -------------------------------------------------------------------------------------------

  const byId = (id: string) => stages.find((s) => s.id === id)!;
  const encode = byId("4");
  const rowBuild = byId("1");
  const typedBuild = byId("2");
  const result = {
    bench: "write-path",
    date: startedAt.toISOString(),
    machine: {
      ...machine(),
      loadAvg1mStart: loadStart,
      loadAvg1mEnd: load1m(),
      cpuPressure60sStartPct: pressureStart,
      cpuPressure60sEndPct: cpuPressure60s(),
    },
    parameters: {
      rows: ROWS,
      iterations: ITERATIONS,
      warmup: WARMUP,
      compression: "zstd (arrow-rs default level 1)",
      rowGroupRows: "arrow-rs default (1,048,576)",
      metricsMode: "truncate(16) (Iceberg default)",
      partitioning: "unpartitioned (one data file per batch)",
      perCore: "one Node process; JS and parquet-wasm run on one thread (GC and fs use helper threads)",
      gcBetweenRuns: canCollect ? `gc() + ${SETTLE_MS} ms idle before each run` : (false as const),
      localFileIO: `fsync on, ${tmpdir()}`,
      s3: S3 ? { measured: true, endpoint: S3.endpoint, bucket: S3.bucket } : { measured: false },
      commits: COMMITS,
      commitRows: COMMIT_ROWS,
    },
    schema: EVENT_COLUMNS,
    data: {
      inputJsonMB: round(sizes.inputMB, 1),
      inputJsonBytesPerRow: Math.round((sizes.inputMB * MB) / ROWS),
      arrowMB: round(sizes.arrowMB, 1),
      parquetMB: round(sizes.parquetMB, 2),
      parquetBytesPerRow: round((sizes.parquetMB * MB) / ROWS, 1),
      compressionVsJson: round(sizes.inputMB / sizes.parquetMB, 1),
      rowGroups: footer.rowGroups.length,
      rowAndTypedPathParquetIdentical: identical,
    },
    stages,
    columns,
    commits,
    memory: {
      rounds: memory,
      peakRssMB: Math.round(peakRssMB()),
      rssAfterGeneratingDataMB: rssAfterData,
      wasmMemoryMB: wasmMB(),
      note: "peak RSS includes the benchmark's own data (JSON, row objects, typed columns); WASM memory never shrinks",
    },
    targets: {
      basis: "CPU time of this process (per core on a shared machine); wall-clock figures alongside",
      parquetEncode300kRowsPerSec: {
        met: encode.rowsPerCpuSec >= 300_000,
        rowsPerCpuSec: encode.rowsPerCpuSec,
        rowsPerSec: encode.rowsPerSec,
      },
      arrowBuildNotBottleneck: {
        met: rowBuild.cpuMs < encode.cpuMs && typedBuild.cpuMs < encode.cpuMs,
        rowPathVsEncodeCpu: round(rowBuild.cpuMs / encode.cpuMs, 2),
        typedPathVsEncodeCpu: round(typedBuild.cpuMs / encode.cpuMs, 2),
        rowPathVsEncodeWall: round(rowBuild.ms.median / encode.ms.median, 2),
        typedPathVsEncodeWall: round(typedBuild.ms.median / encode.ms.median, 2),
      },
    },
  };
  const here = dirname(fileURLToPath(import.meta.url));
  await mkdir(join(here, "results"), { recursive: true });
  await writeFile(join(here, "results", "write-path.json"), `${JSON.stringify(result, null, 2)}\n`);
  const md = renderMarkdown(result);
  await writeFile(join(here, "results", "write-path.md"), md);
  console.log(md);
} finally {
  await rm(localRoot, { recursive: true, force: true });
  if (s3IO && s3Root) {
    const left = await listAll(s3IO, `${s3Root}/`).catch(() => []);
    await s3IO.deleteMany(left.map((f) => f.path)).catch(() => undefined);
    s3IO.close();
  }
}

/** Per-commit latency of small appends (appendRows then commit) on a fresh embedded-catalog table. */
async function commitLatency(io: FileIO, warehouse: string, where: string): Promise<CommitLatency> {
  const catalog = new EmbeddedCatalog({ warehouse, io });
  await catalog.createNamespace(["bench"]);
  const t = new Table(catalog, await catalog.createTable(["bench"], { name: "events", schema }), io);
  const write: number[] = [];
  const commit: number[] = [];
  const total: number[] = [];
  const batches = Math.max(1, Math.floor(ROWS / COMMIT_ROWS));
  for (let i = 0; i < WARMUP + COMMITS; i++) {
    const from = (i % batches) * COMMIT_ROWS;
    const batch = decodeMessages(messages, from, Math.min(ROWS, from + COMMIT_ROWS));
    const t0 = performance.now();
    const op = await t.newAppend().appendRows(batch);
    const t1 = performance.now();
    const res = await op.commit();
    const t2 = performance.now();
    if (!res.committed) throw new Error("append was not committed");
    if (i < WARMUP) continue;
    write.push(t1 - t0);
    commit.push(t2 - t1);
    total.push(t2 - t0);
  }
  const stat = (xs: number[]) => ({
    median: round(summarize(xs).median, 1),
    p90: round(percentile(xs, 90), 1),
    min: round(summarize(xs).min, 1),
    max: round(summarize(xs).max, 1),
  });
  const r: CommitLatency = {
    catalog: where,
    rowsPerCommit: Math.min(ROWS, COMMIT_ROWS),
    commits: COMMITS,
    snapshotsAtEnd: t.metadata.snapshots.length,
    writeDataFileMs: stat(write),
    commitMs: stat(commit),
    totalMs: stat(total),
    totalRunsMs: total.map((x) => round(x, 1)),
  };
  console.error(commitsMarkdown([r]).split("\n").at(-1));
  return r;
}
