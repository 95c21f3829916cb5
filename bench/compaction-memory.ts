// Compaction memory benchmark: `floe compact` (the real CLI, its own process) on tables of many
// medium files, like the issue-15 table (22 files, 2M rows, ~98 MB) and a larger one; peak RSS (the
// kernel's VmHWM, sampled from /proc, checked against wait4's maxrss), CPU seconds, wall time, input
// MB/s and input MB per CPU-second. Each run compacts its own fresh copy of the table.
// Rows: FILESxROWS makes FILES files of ROWS/FILES rows; 4 distinct files are generated, the others are
// byte copies of them (same rows; compaction's work per byte is alike, and building is fast enough).
//
// Run: npx vite-node bench/compaction-memory.ts [FILESxROWS ...=22x2000000 60x8000000] [--runs N=2]
//        [--floe NAME=DIR ...] [--knob NAME=KEY=VALUE ...] [--out NAME=compaction-memory] [--tables DIR]
// --tables: keep the built tables in DIR and reuse them on the next invocation (building is slow).
// --floe: a checkout with a compiled dist/ (`npx tsc -p tsconfig.build.json` there) whose bin/floe runs;
// default `after=<this repo>`; e.g. `--floe before=/tmp/floe-before --floe after=/tmp/floe-after`.
// --knob: one more configuration, the first --floe with the table property KEY=VALUE set on the copy
// before the run (e.g. `--knob rg32=write.parquet.row-group-size-bytes=33554432`), or with a
// `floe compact` flag when KEY starts with -- (e.g. `--knob t32=--target-file-size=33554432`).
// FLOE_BENCH_NODE_FLAGS: Node flags for the floe process (through NODE_OPTIONS), e.g. a --require
// preload that logs process.memoryUsage() per thread (FLOE_BENCH_RUN names the run: FILES-CONFIG-RUN).
// Tables are built once per size in a temp local warehouse (embedded catalog, Table API, not measured)
// and copied for each run; configurations run interleaved, so they share the machine's load alike.
// Writes bench/results/<out>.json and bench/results/<out>.md.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EmbeddedCatalog, Table } from "../src/catalog/index.js";
import { scanSnapshot } from "../src/compaction/index.js";

import { LocalFileIO } from "../src/iceberg/io/index.js";
import { currentSnapshot, type DataFile } from "../src/iceberg/spec/index.js";
import { decodeMessages, eventSchema, generateMessages } from "./support/events.js";
import { cpuPressure60s, MB, machine, round } from "./support/measure.js";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..");
const argv = process.argv.slice(2);
const options = (name: string) => argv.flatMap((a, i) => (argv[i - 1] === name ? [a] : []));
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const SIZES = (positional.length > 0 ? positional : ["22x2000000", "60x8000000"]).map((s) => {
  const [files, rows] = s.split("x").map(Number);
  if (!files || !rows) throw new Error(`table size '${s}' is not FILESxROWS`);
  return { files, rows };
});
const RUNS = Number(options("--runs")[0] ?? 2);
const TABLES = options("--tables")[0];
const OUT = options("--out")[0] ?? "compaction-memory";
const FLOES = (options("--floe").length > 0 ? options("--floe") : [`after=${ROOT}`]).map((s) => {
  const [name, dir] = s.split("=") as [string, string];
  return { name, dir };
});

interface Config {
  name: string;
  dir: string;
  commit: string;
  properties: Record<string, string>;
  /** Extra `floe compact` arguments. */
  args: string[];
}
const CONFIGS: Config[] = [
  ...FLOES.map((f) => ({ ...f, commit: gitHead(f.dir), properties: {}, args: [] })),
  ...options("--knob").map((s) => {
    const [name, key, value] = s.split("=") as [string, string, string];
    const f = FLOES[0]!;
    const cli = key.startsWith("--");
    return {
      name,
      dir: f.dir,
      commit: gitHead(f.dir),
      properties: cli ? {} : { [key]: value },
      args: cli ? [key, value] : [],
    };
  }),
];

function gitHead(dir: string): string {
  return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
}

/** Distinct data files a table is built from; the others are byte copies of them (building is slow). */
const DISTINCT_FILES = 4;

/**
 * Builds a table of `files` data files of `rows` rows in all under `warehouse`: DISTINCT_FILES appends
 * of generated events (one data file each), then one append of copies of their bytes under new names.
 */
async function buildTable(warehouse: string, files: number, rows: number): Promise<number> {
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(warehouse).href, io });
  await catalog.createNamespace(["bench"]);
  const created = await catalog.createTable(["bench"], { name: "events", schema: eventSchema() });
  const table = new Table(catalog, created, io);
  const t0 = performance.now();
  const perFile = Math.round(rows / files);
  const distinct: DataFile[] = [];
  for (let f = 0; f < Math.min(files, DISTINCT_FILES); f++) {
    const op = await table.newAppend().appendRows(decodeMessages(generateMessages(perFile, 1000 + f)));
    distinct.push(...op.dataFiles);
    await op.commit();
    process.stderr.write(`  wrote ${f + 1} distinct files\n`);
  }
  const copies: DataFile[] = [];
  for (let f = distinct.length; f < files; f++) {
    const source = distinct[f % distinct.length]!;
    const path = source.file_path.replace(/\.parquet$/, `-copy${f}.parquet`);
    await copyFile(fileURLToPath(source.file_path), fileURLToPath(path));
    copies.push({ ...source, file_path: path });
  }
  if (copies.length > 0) await table.newAppend().appendFiles(copies).commit();
  return (performance.now() - t0) / 1000;
}

interface TableState {
  dataFiles: number;
  rows: number;
  bytes: number;
  /** Sizes of the data files, MB. */
  fileMB: number[];
}

async function tableState(warehouse: string): Promise<TableState> {
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(warehouse).href, io });
  const loaded = await catalog.loadTable({ namespace: ["bench"], name: "events" });
  const scan = await scanSnapshot(io, currentSnapshot(loaded.metadata));
  return {
    dataFiles: scan.data.length,
    rows: scan.data.reduce((n, d) => n + Number(d.file.record_count), 0),
    bytes: scan.data.reduce((n, d) => n + Number(d.file.file_size_in_bytes), 0),
    fileMB: scan.data.map((d) => round(Number(d.file.file_size_in_bytes) / MB)),
  };
}

async function setProperties(warehouse: string, properties: Record<string, string>): Promise<void> {
  if (Object.keys(properties).length === 0) return;
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(warehouse).href, io });
  const loaded = await catalog.loadTable({ namespace: ["bench"], name: "events" });
  await new Table(catalog, loaded, io).updateProperties(properties);
}

/** KiB fields of /proc/<pid>/status and CPU seconds of /proc/<pid>/stat; undefined once gone. */
function procSample(pid: number): { rssMB: number; hwmMB: number; cpuS: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks.
    const cpuS = (Number(fields[11]) + Number(fields[12])) / 100;
    return { rssMB: kib("VmRSS") / 1024, hwmMB: kib("VmHWM") / 1024, cpuS };
  } catch {
    return undefined;
  }
}

/** The pid of `pid`'s only child (bin/floe under /usr/bin/time: sh execs node, so the same pid). */
function childOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? undefined : Number(text.split(" ")[0]);
  } catch {
    return undefined;
  }
}

interface RunFigures {
  exitCode: number | null;
  stdout: string;
  wallS: number;
  /** From /proc samples every 20 ms (the last one up to 20 ms before exit). */
  sampled: { cpuS: number; hwmMB: number; peakRssMB: number };
  /** From wait4 (GNU time): exact user + system seconds and max RSS. */
  rusage: { cpuS: number; maxRssMB: number };
  /** RSS over time (every ~250 ms), MB. */
  series: { t: number; rss: number }[];
}

async function runCompact(
  floeDir: string,
  configFile: string,
  args: string[],
  label: string,
): Promise<RunFigures> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLOE_BENCH_RUN: label,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  };
  const flags = process.env.FLOE_BENCH_NODE_FLAGS ?? "";
  if (flags !== "") env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} ${flags}`.trim();
  const timeFile = `${configFile}.time`;
  const t0 = performance.now();
  const child = spawn(
    "/usr/bin/time",
    ["-f", "%U %S %M", "-o", timeFile, join(floeDir, "bin/floe"), "compact", "--config", configFile, ...args],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const sampled = { cpuS: 0, hwmMB: 0, peakRssMB: 0 };
  const series: { t: number; rss: number }[] = [];
  let lastSeries = -1000;
  let node: number | undefined;
  const timer = setInterval(() => {
    node ??= childOf(child.pid ?? 0);
    const s = node === undefined ? undefined : procSample(node);
    if (s === undefined) return;
    sampled.cpuS = Math.max(sampled.cpuS, s.cpuS);
    sampled.hwmMB = Math.max(sampled.hwmMB, s.hwmMB);
    sampled.peakRssMB = Math.max(sampled.peakRssMB, s.rssMB);
    const t = performance.now() - t0;
    if (t - lastSeries >= 250) {
      series.push({ t: Math.round(t), rss: Math.round(s.rssMB) });
      lastSeries = t;
    }
  }, 20);
  const exitCode = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const wallS = (performance.now() - t0) / 1000;
  clearInterval(timer);
  if (exitCode !== 0) throw new Error(`floe compact exited ${exitCode}: ${stdout} ${stderr}`);
  const [user, sys, maxKiB] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return {
    exitCode,
    stdout: stdout.trim(),
    wallS,
    sampled,
    rusage: { cpuS: (user ?? 0) + (sys ?? 0), maxRssMB: (maxKiB ?? 0) / 1024 },
    series,
  };
}

interface Result {
  table: string;
  config: string;
  commit: string;
  properties: Record<string, string>;
  run: number;
  loadAvg1m: number;
  filesIn: number;
  filesOut: number;
  inputMB: number;
  outputMB: number;
  outputFileMB: number[];
  rowsChecked: boolean;
  wallS: number;
  cpuS: number;
  peakRssMB: number;
  sampledHwmMB: number;
  inputMBPerS: number;
  inputMBPerCpuS: number;
  series: { t: number; rss: number }[];
}

async function main() {
  const started = new Date().toISOString();
  const pressureStart = cpuPressure60s();
  const tmp = await mkdtemp(join(tmpdir(), "floe-bench-compaction-memory-"));
  if (TABLES !== undefined) await mkdir(TABLES, { recursive: true });
  const results: Result[] = [];
  const tables: { name: string; files: number; rows: number; bytes: number; setupS: number }[] = [];
  try {
    const masters: { name: string; files: number; warehouse: string; master: string; before: TableState }[] =
      [];
    for (const { files, rows } of SIZES) {
      const name = `${files} files, ${((Math.round(rows / files) * files) / 1e6).toLocaleString("en-US")}M rows`;
      // Data file paths are absolute: a kept table is always run at the path it was built at.
      const warehouse = join(TABLES ?? tmp, `wh-${files}x${rows}`);
      const master = `${warehouse}.master`;
      let setupS = 0;
      if (TABLES !== undefined && existsSync(master)) {
        await rm(warehouse, { recursive: true, force: true });
        execFileSync("cp", ["-a", master, warehouse]);
      } else {
        process.stderr.write(`building ${name}\n`);
        await rm(warehouse, { recursive: true, force: true });
        setupS = await buildTable(warehouse, files, rows);
        execFileSync("cp", ["-a", warehouse, master]);
      }
      const before = await tableState(warehouse);
      tables.push({
        name,
        files: before.dataFiles,
        rows: before.rows,
        bytes: before.bytes,
        setupS: round(setupS),
      });
      masters.push({ name, files, warehouse, master, before });
    }
    for (let run = 1; run <= RUNS; run++) {
      for (const t of masters) {
        for (const c of CONFIGS) {
          await rm(t.warehouse, { recursive: true, force: true });
          execFileSync("cp", ["-a", t.master, t.warehouse]);
          await setProperties(t.warehouse, c.properties);
          const configFile = join(tmp, "floe.json");
          await writeFile(
            configFile,
            JSON.stringify({
              warehouse: { location: pathToFileURL(t.warehouse).href },
              catalog: { type: "embedded" },
            }),
          );
          const load = round(loadavg()[0] ?? 0, 2);
          process.stderr.write(`run ${run}: ${t.name}, ${c.name} (load ${load})\n`);
          const f = await runCompact(c.dir, configFile, c.args, `${t.files}-${c.name}-${run}`);
          const after = await tableState(t.warehouse);
          const inputMB = t.before.bytes / MB;
          const cpuS = f.rusage.cpuS;
          const r: Result = {
            table: t.name,
            config: c.name,
            commit: c.commit,
            properties: c.properties,
            run,
            loadAvg1m: load,
            filesIn: t.before.dataFiles,
            filesOut: after.dataFiles,
            inputMB: round(inputMB),
            outputMB: round(after.bytes / MB),
            outputFileMB: after.fileMB,
            rowsChecked: after.rows === t.before.rows,
            wallS: round(f.wallS, 2),
            cpuS: round(cpuS, 2),
            peakRssMB: Math.round(f.rusage.maxRssMB),
            sampledHwmMB: Math.round(f.sampled.hwmMB),
            inputMBPerS: round(inputMB / f.wallS),
            inputMBPerCpuS: round(inputMB / cpuS),
            series: f.series,
          };
          if (!r.rowsChecked)
            throw new Error(`${t.name} ${c.name}: ${after.rows} rows after, ${t.before.rows} before`);
          process.stderr.write(
            `  ${f.stdout.split("\n")[0]}; ${JSON.stringify({ ...r, series: undefined })}\n`,
          );
          results.push(r);
        }
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const report = {
    benchmark: "compaction-memory",
    started,
    finished: new Date().toISOString(),
    machine: { ...machine(), cpuPressure60sStart: pressureStart, cpuPressure60sEnd: cpuPressure60s() },
    parameters: { runs: RUNS, configs: CONFIGS, storage: "local (fsync), embedded catalog" },
    tables,
    results,
  };
  await mkdir(join(here, "results"), { recursive: true });
  await writeFile(join(here, "results", `${OUT}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  await writeFile(join(here, "results", `${OUT}.md`), md);
  process.stdout.write(md);
}

function knobs(c: Config): string {
  const set = [...Object.entries(c.properties).map(([k, v]) => `${k}=${v}`), ...c.args];
  return set.length > 0 ? ` with ${set.join(" ")}` : "";
}

function renderMarkdown(r: {
  started: string;
  machine: ReturnType<typeof machine> & {
    cpuPressure60sStart?: number | undefined;
    cpuPressure60sEnd?: number | undefined;
  };
  parameters: { runs: number; configs: Config[] };
  tables: { name: string; files: number; rows: number; bytes: number; setupS: number }[];
  results: Result[];
}): string {
  const m = r.machine;
  const configs = r.parameters.configs.map((c) => `\`${c.name}\` = ${c.commit}${knobs(c)}`);
  return [
    `# compaction memory benchmark (${r.started})`,
    "",
    `\`floe compact\` (bin/floe, its own process, defaults: 128 MiB target) on local tables of the 12-column event schema (bench/support/events.ts, unpartitioned), one data file per append; each run on a fresh copy. Configurations: ${configs.join("; ")}. Machine: ${m.cpus} x ${m.cpuModel}, ${m.totalMemMB} MB, Node ${m.node}; load average per run in the table (shared machine), CPU pressure ${r.machine.cpuPressure60sStart ?? "?"}% -> ${r.machine.cpuPressure60sEnd ?? "?"}% (PSI avg60).`,
    "",
    "Peak RSS is the process's maxrss from wait4 (GNU time; the /proc VmHWM samples agree); CPU s is user + system of the process; input MB/CPU-s is the per-core rate.",
    "",
    "| table | config | run | load 1m | files in -> out | input MB | output MB | wall s | CPU s | peak RSS MB | input MB/s | input MB per CPU-s |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...r.results.map(
      (x) =>
        `| ${x.table} | ${x.config} | ${x.run} | ${x.loadAvg1m} | ${x.filesIn} -> ${x.filesOut} | ${x.inputMB} | ${x.outputMB} | ${x.wallS} | ${x.cpuS} | ${x.peakRssMB} | ${x.inputMBPerS} | ${x.inputMBPerCpuS} |`,
    ),
    "",
    `Tables (built with the Table API, not measured): ${r.tables.map((t) => `${t.name}: ${t.files} files, ${round(t.bytes / MB)} MB (${t.setupS} s to build)`).join("; ")}.`,
    "",
  ].join("\n");
}

await main();
