// Compaction benchmark: a table made of many small appends (one file each, as a sink flushing often
// makes them), compacted by compactTable; rewrite throughput, and DuckDB query times on the table
// before vs after (target: >= 5x faster after).
//
// Run: npx vite-node bench/compaction.ts [files=1000] [rowsPerFile=200] [--iterations N=5] [--warmup N=1]
//        [--s3]
// Local warehouse by default (a temp dir, LocalFileIO with fsync for the measured rewrite); --s3 puts
// the table on the stack's S3 store (FLOE_S3_* with the local stack's values as defaults). DuckDB
// 1.4.4 loads its iceberg/avro/httpfs extensions from FLOE_DUCKDB_EXTENSION_DIR, else from
// `scripts/stack env --json`. Writes bench/results/compaction.json and bench/results/compaction.md.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DuckDBConnection } from "@duckdb/node-api";
import { EmbeddedCatalog, Table } from "../src/catalog/index.js";
import { type CompactResult, compactTable, scanSnapshot } from "../src/compaction/index.js";
import { type FileIO, LocalFileIO, S3FileIO } from "../src/iceberg/io/index.js";
import { readManifestList } from "../src/iceberg/snapshot/index.js";
import { currentSnapshot } from "../src/iceberg/spec/index.js";
import { openDuck as openDuckWith, stackEnv, timeQuery as timeQueryRuns } from "./support/duck.js";
import { decodeMessages, eventSchema, generateMessages } from "./support/events.js";
import { cpuPressure60s, MB, machine, peakRssMB, round, summarize } from "./support/measure.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const FILES = Number(positional[0] ?? 1000);
const ROWS_PER_FILE = Number(positional[1] ?? 200);
const ITERATIONS = option("--iterations", 5);
const WARMUP = option("--warmup", 1);
const S3_ON = argv.includes("--s3");

const env = stackEnv();
const openDuck = () => openDuckWith(env, S3_ON);

const QUERIES = [
  { id: "count", sql: (t: string) => `SELECT count(*) AS n FROM iceberg_scan('${t}')` },
  {
    id: "group-by",
    sql: (t: string) =>
      `SELECT event_type, count(*) AS n, sum(amount) AS amount, avg(duration_ms) AS d FROM iceberg_scan('${t}') GROUP BY 1 ORDER BY 1`,
  },
  {
    id: "point lookup",
    sql: (t: string) => `SELECT count(*) AS n FROM iceberg_scan('${t}') WHERE user_id = 42`,
  },
] as const;

interface QueryTiming {
  id: string;
  sql: string;
  beforeMs: ReturnType<typeof summarize>;
  afterMs: ReturnType<typeof summarize>;
  speedup: number;
  sameResult: boolean;
}

const timeQuery = (conn: DuckDBConnection, sql: string) => timeQueryRuns(conn, sql, ITERATIONS, WARMUP);

async function main() {
  const started = new Date().toISOString();
  const pressureStart = cpuPressure60s();
  const local = !S3_ON;
  const dir = local ? await mkdtemp(join(tmpdir(), "floe-bench-compaction-")) : undefined;
  const warehouse = local
    ? pathToFileURL(dir as string).href
    : `s3://${env.FLOE_S3_BUCKET ?? "warehouse"}/bench-compaction-${Date.now().toString(36)}`;
  const s3 = () =>
    new S3FileIO({
      endpoint: env.FLOE_S3_ENDPOINT ?? "http://127.0.0.1:9000",
      region: env.FLOE_S3_REGION ?? "us-east-1",
      pathStyle: true,
      credentials: {
        accessKeyId: env.FLOE_S3_ACCESS_KEY_ID ?? "floe-local",
        secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY ?? "floe-local-secret",
      },
    });
  // Setup without fsync (not measured); the rewrite runs on a FileIO with the default fsync.
  const setupIO: FileIO = local ? new LocalFileIO({ fsync: false }) : s3();
  const io: FileIO = local ? new LocalFileIO() : s3();
  const setupCatalog = new EmbeddedCatalog({ warehouse, io: setupIO });
  await setupCatalog.createNamespace(["bench"]);
  const schema = eventSchema();
  const created = await setupCatalog.createTable(["bench"], { name: "events", schema });
  const writer = new Table(setupCatalog, created, setupIO);
  const messages = generateMessages(FILES * ROWS_PER_FILE);
  const t0 = performance.now();
  for (let f = 0; f < FILES; f++) {
    const rows = decodeMessages(messages, f * ROWS_PER_FILE, (f + 1) * ROWS_PER_FILE);
    await (await writer.newAppend().appendRows(rows)).commit({
      summary: { "floe.offsets.bench": JSON.stringify({ events: { "0": String((f + 1) * ROWS_PER_FILE) } }) },
    });
    if ((f + 1) % 100 === 0) process.stderr.write(`appended ${f + 1}/${FILES} files\n`);
  }
  const setupSec = (performance.now() - t0) / 1000;
  const catalog = new EmbeddedCatalog({ warehouse, io });
  const table = new Table(catalog, await catalog.loadTable(created.identifier), io);
  const beforeLocation = table.metadataLocation;
  const before = await scanSnapshot(io, currentSnapshot(table.metadata));
  const beforeManifests = (await readManifestList(io, currentSnapshot(table.metadata))).length;
  const beforeBytes = before.data.reduce((n, d) => n + Number(d.file.file_size_in_bytes), 0);

  const duck = await openDuck();
  const beforeTimes = [];
  for (const q of QUERIES) beforeTimes.push(await timeQuery(duck.conn, q.sql(beforeLocation)));

  const c0 = process.cpuUsage();
  const r0 = performance.now();
  const result: CompactResult = await compactTable(table);
  const rewriteMs = performance.now() - r0;
  const cpu = process.cpuUsage(c0);
  if (result.status !== "ok" || result.rewrite === undefined)
    throw new Error(`compaction failed: ${result.error}`);
  const after = await scanSnapshot(io, currentSnapshot(table.metadata));
  const afterManifests = (await readManifestList(io, currentSnapshot(table.metadata))).length;
  const afterBytes = after.data.reduce((n, d) => n + Number(d.file.file_size_in_bytes), 0);

  const timings: QueryTiming[] = [];
  for (const [i, q] of QUERIES.entries()) {
    const a = await timeQuery(duck.conn, q.sql(table.metadataLocation));
    const b = beforeTimes[i]!;
    const beforeMs = summarize(b.ms);
    const afterMs = summarize(a.ms);
    timings.push({
      id: q.id,
      sql: q.sql("<table>"),
      beforeMs,
      afterMs,
      speedup: round(beforeMs.median / afterMs.median, 1),
      sameResult: a.result === b.result,
    });
  }
  duck.close();
  const rows = FILES * ROWS_PER_FILE;
  const report = {
    benchmark: "compaction",
    started,
    finished: new Date().toISOString(),
    machine: { ...machine(), cpuPressure60sStart: pressureStart, cpuPressure60sEnd: cpuPressure60s() },
    parameters: {
      files: FILES,
      rowsPerFile: ROWS_PER_FILE,
      iterations: ITERATIONS,
      warmup: WARMUP,
      storage: local ? "local (fsync)" : `S3 ${env.FLOE_S3_ENDPOINT ?? "http://127.0.0.1:9000"}`,
    },
    table: {
      rows,
      setupSeconds: round(setupSec, 1),
      before: { dataFiles: before.data.length, manifests: beforeManifests, bytes: beforeBytes },
      after: { dataFiles: after.data.length, manifests: afterManifests, bytes: afterBytes },
    },
    rewrite: {
      wallMs: round(rewriteMs, 0),
      cpuMs: round((cpu.user + cpu.system) / 1000, 0),
      groups: result.rewrite.groups.length,
      filesRewritten: result.rewrite.filesRewritten,
      filesWritten: result.rewrite.filesWritten,
      bytesRewritten: result.rewrite.bytesRewritten,
      bytesWritten: result.rewrite.bytesWritten,
      inputMBPerSec: round(result.rewrite.bytesRewritten / MB / (rewriteMs / 1000), 2),
      rowsPerSec: Math.round(rows / (rewriteMs / 1000)),
      conflicts: result.rewrite.conflicts,
    },
    queries: timings.map((t) => ({
      ...t,
      beforeMs: { ...t.beforeMs, median: round(t.beforeMs.median) },
      afterMs: { ...t.afterMs, median: round(t.afterMs.median) },
    })),
    targetMet: timings.every((t) => t.speedup >= 5),
    peakRssMB: Math.round(peakRssMB()),
  };
  const here = dirname(fileURLToPath(import.meta.url));
  await mkdir(join(here, "results"), { recursive: true });
  await writeFile(join(here, "results", "compaction.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  await writeFile(join(here, "results", "compaction.md"), md);
  process.stdout.write(md);
  if (dir) await rm(dir, { recursive: true, force: true });
}

function renderMarkdown(r: {
  started: string;
  machine: ReturnType<typeof machine> & {
    cpuPressure60sStart?: number | undefined;
    cpuPressure60sEnd?: number | undefined;
  };
  parameters: { files: number; rowsPerFile: number; iterations: number; warmup: number; storage: string };
  table: {
    rows: number;
    setupSeconds: number;
    before: Record<string, number>;
    after: Record<string, number>;
  };
  rewrite: Record<string, number>;
  queries: QueryTiming[];
  targetMet: boolean;
  peakRssMB: number;
}): string {
  const m = r.machine;
  const kb = (b: number | undefined) => round((b ?? 0) / 1024, 1);
  const lines = [
    `# compaction benchmark (${r.started})`,
    "",
    `${r.parameters.files} appends of ${r.parameters.rowsPerFile} rows (one data file and one manifest each; the 12-column event schema of bench/support/events.ts, unpartitioned), compacted by \`compactTable\` with the defaults (128 MiB target, 256 MiB memory budget). Storage: ${r.parameters.storage}. Machine: ${m.cpus} x ${m.cpuModel}, Node ${m.node}, load average ${m.loadAvg1m} at the end${m.cpuPressure60sEnd === undefined ? "" : `, CPU pressure ${m.cpuPressure60sStart ?? "?"}% -> ${m.cpuPressure60sEnd}% (PSI avg60)`}. Queries: DuckDB 1.4.4 \`iceberg_scan\` on the metadata file, median of ${r.parameters.iterations} runs after ${r.parameters.warmup} warm-up.`,
    "",
    "## Table",
    "",
    "| | data files | manifests (current snapshot) | data KB |",
    "|---|---:|---:|---:|",
    `| before | ${r.table.before.dataFiles} | ${r.table.before.manifests} | ${kb(r.table.before.bytes)} |`,
    `| after | ${r.table.after.dataFiles} | ${r.table.after.manifests} | ${kb(r.table.after.bytes)} |`,
    "",
    `${r.table.rows.toLocaleString("en-US")} rows; building the table took ${r.table.setupSeconds} s (not measured).`,
    "",
    "## Rewrite",
    "",
    "| wall ms | CPU ms | groups | files in -> out | input MB | output MB | input MB/s | rows/s | conflicts |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${r.rewrite.wallMs} | ${r.rewrite.cpuMs} | ${r.rewrite.groups} | ${r.rewrite.filesRewritten} -> ${r.rewrite.filesWritten} | ${round((r.rewrite.bytesRewritten ?? 0) / MB, 2)} | ${round((r.rewrite.bytesWritten ?? 0) / MB, 2)} | ${r.rewrite.inputMBPerSec} | ${(r.rewrite.rowsPerSec ?? 0).toLocaleString("en-US")} | ${r.rewrite.conflicts} |`,
    "",
    "Wall time covers the whole job: lease, scan of the manifests, reading and decoding every input, writing the output, and the replace commit.",
    "",
    "## DuckDB query time",
    "",
    "| query | before ms (min..max) | after ms (min..max) | speedup | same result |",
    "|---|---:|---:|---:|---|",
    ...r.queries.map(
      (q) =>
        `| ${q.id}: \`${q.sql}\` | ${round(q.beforeMs.median)} (${round(q.beforeMs.min)}..${round(q.beforeMs.max)}) | ${round(q.afterMs.median)} (${round(q.afterMs.min)}..${round(q.afterMs.max)}) | ${q.speedup}x | ${q.sameResult ? "yes" : "NO"} |`,
    ),
    "",
    `Target >= 5x faster after compaction: **${r.targetMet ? "met" : "not met"}** for ${r.targetMet ? "every query" : "some queries"}. Peak RSS ${r.peakRssMB} MB.`,
    "",
  ];
  return lines.join("\n");
}

await main();
