// Upsert table query benchmark: DuckDB query time on a table made the way the upsert sink makes it
// (one row delta per commit: a data file with the commit's rows, position deletes removing the rows
// of keys updated or deleted again), before and after `compactTable`, against the same final rows
// written as a plain append table (as many files, then compacted too). Every variant must return
// the same results.
//
// Run: npx vite-node bench/upsert-query.ts [keys=1000000] [changes=2000000] [commits=100]
//        [--updates 0.5] [--deletes 0.05] [--iterations N=5] [--warmup N=1]
// Changes: `deletes` of them delete a live key, `updates` replace a live key's row, the rest insert a
// new key (so 2M changes at 50%/5% insert 900k keys). Local warehouse (a temp dir). DuckDB 1.4.4
// extensions as in bench/support/duck.ts. Writes bench/results/upsert-query.json and .md.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EmbeddedCatalog, Table } from "../src/catalog/index.js";
import { type CompactResult, compactTable, scanSnapshot } from "../src/compaction/index.js";
import { LocalFileIO } from "../src/iceberg/io/index.js";
import { currentSnapshot, makeSchema } from "../src/iceberg/spec/index.js";
import { seededRandom } from "../test/support/random.js";
import { type UpsertChange, UpsertModel, type UpsertRow } from "../test/support/upsert-table.js";
import { openDuck, stackEnv, timeQuery } from "./support/duck.js";
import { cpuPressure60s, machine, peakRssMB, round, summarize } from "./support/measure.js";

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const KEYS = Number(positional[0] ?? 1_000_000);
const CHANGES = Number(positional[1] ?? 2_000_000);
const COMMITS = Number(positional[2] ?? 100);
const UPDATES = option("--updates", 0.5);
const DELETES = option("--deletes", 0.05);
const ITERATIONS = option("--iterations", 5);
const WARMUP = option("--warmup", 1);

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "name", required: true, type: "string" },
  { id: 3, name: "plan", required: true, type: "string" },
  { id: 4, name: "amount_cents", required: true, type: "long" },
  { id: 5, name: "updated_at", required: true, type: "timestamptz" },
]);
const PLANS = ["free", "starter", "team", "business", "enterprise"];

/** The changes of every commit: deletes and updates of live keys, inserts of new ones. */
function* commits(random: () => number): Generator<UpsertChange[]> {
  const live: number[] = [];
  const at = new Int32Array(KEYS).fill(-1);
  let next = 0;
  let n = 0;
  const row = (k: number): UpsertRow => ({
    id: BigInt(k),
    name: `customer ${k}`,
    plan: PLANS[Math.floor(random() * PLANS.length)],
    amount_cents: BigInt(Math.floor(random() * 100_000)),
    updated_at: 1_800_000_000_000_000n + BigInt(n) * 1000n,
  });
  const perCommit = Math.ceil(CHANGES / COMMITS);
  for (let c = 0; c < COMMITS; c++) {
    const changes: UpsertChange[] = [];
    for (let i = 0; i < perCommit && n < CHANGES; i++, n++) {
      const r = random();
      if (live.length > 0 && (r < DELETES + UPDATES || next >= KEYS)) {
        const j = Math.floor(random() * live.length);
        const k = live[j] as number;
        if (r < DELETES) {
          const last = live.pop() as number;
          if (j < live.length) {
            live[j] = last;
            at[last] = j;
          }
          at[k] = -1;
          changes.push({ op: "delete", key: BigInt(k) });
        } else changes.push({ op: "upsert", row: row(k) });
      } else {
        at[next] = live.length;
        live.push(next);
        changes.push({ op: "upsert", row: row(next++) });
      }
    }
    yield changes;
  }
}

interface Variant {
  id: string;
  dataFiles: number;
  deleteFiles: number;
  positionDeletes: number;
  dataMB: number;
  deleteMB: number;
  queries: { id: string; ms: ReturnType<typeof summarize>; result: string }[];
}

async function main() {
  const started = new Date().toISOString();
  const pressureStart = cpuPressure60s();
  const env = stackEnv();
  const dir = await mkdtemp(join(tmpdir(), "floe-bench-upsert-"));
  const warehouse = pathToFileURL(dir).href;
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse, io });
  await catalog.createNamespace(["bench"]);
  const upsert = new Table(catalog, await catalog.createTable(["bench"], { name: "upserts", schema }), io);
  const append = new Table(catalog, await catalog.createTable(["bench"], { name: "appends", schema }), io);

  const model = new UpsertModel("id");
  const random = seededRandom(42);
  const t0 = performance.now();
  let c = 0;
  let positionDeletes = 0;
  for (const changes of commits(random)) {
    positionDeletes += (await model.commit(upsert, changes)).positionDeletes;
    if (++c % 10 === 0) process.stderr.write(`upsert commits ${c}/${COMMITS}\n`);
  }
  const upsertSec = (performance.now() - t0) / 1000;
  const rows = model.rows();
  const perFile = Math.ceil(rows.length / COMMITS);
  for (let i = 0; i < rows.length; i += perFile) {
    await (await append.newAppend().appendRows(rows.slice(i, i + perFile))).commit();
  }
  process.stderr.write(`tables built in ${round((performance.now() - t0) / 1000)} s\n`);

  const probe = rows[Math.floor(rows.length / 2)]?.id as bigint;
  const QUERIES = [
    { id: "count", sql: (t: string) => `SELECT count(*) AS n FROM iceberg_scan('${t}')` },
    {
      id: "point lookup",
      sql: (t: string) => `SELECT id, plan, amount_cents FROM iceberg_scan('${t}') WHERE id = ${probe}`,
    },
    {
      id: "group-by",
      sql: (t: string) =>
        `SELECT plan, count(*) AS n, sum(amount_cents) AS cents FROM iceberg_scan('${t}') GROUP BY 1 ORDER BY 1`,
    },
  ];

  const duck = await openDuck(env);
  const measureVariant = async (id: string, table: Table): Promise<Variant> => {
    await table.refresh();
    const files = await scanSnapshot(io, currentSnapshot(table.metadata));
    const mb = (fs: typeof files.data) =>
      round(fs.reduce((n, f) => n + Number(f.file.file_size_in_bytes), 0) / 1e6, 2);
    const queries = [];
    for (const q of QUERIES) {
      const t = await timeQuery(duck.conn, q.sql(table.metadataLocation), ITERATIONS, WARMUP);
      queries.push({ id: q.id, ms: summarize(t.ms), result: t.result });
    }
    process.stderr.write(`measured ${id}\n`);
    return {
      id,
      dataFiles: files.data.length,
      deleteFiles: files.deletes.length,
      positionDeletes: files.deletes.reduce((n, f) => n + Number(f.file.record_count), 0),
      dataMB: mb(files.data),
      deleteMB: mb(files.deletes),
      queries,
    };
  };

  const variants: Variant[] = [];
  variants.push(await measureVariant("upsert, before compaction", upsert));
  variants.push(await measureVariant("append, same rows, as many files", append));
  const compactIO = new LocalFileIO();
  const compact = async (table: Table) => {
    const t = new Table(
      new EmbeddedCatalog({ warehouse, io: compactIO }),
      await catalog.loadTable(table.identifier),
      compactIO,
    );
    const r0 = performance.now();
    const result: CompactResult = await compactTable(t);
    if (result.status !== "ok") throw new Error(`compaction failed: ${result.error}`);
    return { result, ms: performance.now() - r0 };
  };
  const upsertCompaction = await compact(upsert);
  variants.push(await measureVariant("upsert, after compaction", upsert));
  const appendCompaction = await compact(append);
  variants.push(await measureVariant("append, after compaction", append));
  duck.close();

  const reference = variants[1] as Variant;
  const report = {
    benchmark: "upsert-query",
    started,
    finished: new Date().toISOString(),
    machine: { ...machine(), cpuPressure60sStart: pressureStart, cpuPressure60sEnd: cpuPressure60s() },
    parameters: {
      keys: KEYS,
      changes: CHANGES,
      commits: COMMITS,
      updates: UPDATES,
      deletes: DELETES,
      iterations: ITERATIONS,
      warmup: WARMUP,
      storage: "local",
    },
    table: {
      liveRows: rows.length,
      positionDeletesWritten: positionDeletes,
      upsertBuildSeconds: round(upsertSec, 1),
    },
    compaction: [
      { table: "upsert", ...compactionFigures(upsertCompaction) },
      { table: "append", ...compactionFigures(appendCompaction) },
    ],
    queries: QUERIES.map((q) => ({ id: q.id, sql: q.sql("<table>") })),
    variants: variants.map((v) => ({
      ...v,
      queries: v.queries.map((q, i) => ({
        id: q.id,
        medianMs: round(q.ms.median),
        minMs: round(q.ms.min),
        maxMs: round(q.ms.max),
        sameResultAsAppend: q.result === reference.queries[i]?.result,
      })),
    })),
    peakRssMB: Math.round(peakRssMB()),
  };
  const here = dirname(fileURLToPath(import.meta.url));
  await mkdir(join(here, "results"), { recursive: true });
  await writeFile(join(here, "results", "upsert-query.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = renderMarkdown(report);
  await writeFile(join(here, "results", "upsert-query.md"), md);
  process.stdout.write(md);
  await rm(dir, { recursive: true, force: true });
}

function compactionFigures({ result, ms }: { result: CompactResult; ms: number }) {
  return {
    wallMs: Math.round(ms),
    filesBefore: result.filesBefore,
    filesAfter: result.filesAfter,
    deleteFilesBefore: result.deleteFilesBefore,
    deleteFilesAfter: result.deleteFilesAfter,
    deletedRowsApplied: result.rewrite?.deletedRowsApplied ?? 0,
  };
}

type Report = {
  started: string;
  machine: ReturnType<typeof machine> & {
    cpuPressure60sStart?: number | undefined;
    cpuPressure60sEnd?: number | undefined;
  };
  parameters: {
    keys: number;
    changes: number;
    commits: number;
    updates: number;
    deletes: number;
    iterations: number;
    warmup: number;
  };
  table: { liveRows: number; positionDeletesWritten: number; upsertBuildSeconds: number };
  compaction: ({ table: string } & ReturnType<typeof compactionFigures>)[];
  queries: { id: string; sql: string }[];
  variants: (Omit<Variant, "queries"> & {
    queries: { id: string; medianMs: number; minMs: number; maxMs: number; sameResultAsAppend: boolean }[];
  })[];
  peakRssMB: number;
};

function renderMarkdown(r: Report): string {
  const m = r.machine;
  const p = r.parameters;
  const lines = [
    `# upsert table query benchmark (${r.started})`,
    "",
    `${p.changes.toLocaleString("en-US")} changes over at most ${p.keys.toLocaleString("en-US")} keys in ${p.commits} commits (${p.updates * 100}% updates and ${p.deletes * 100}% deletes of live keys, the rest inserts of new keys), committed as the upsert sink commits them: one row delta per commit with a data file of the commit's rows (last change per key) and a position delete file removing the rows those keys had before. The append table holds the same ${r.table.liveRows.toLocaleString("en-US")} final rows in ${p.commits} plain appends. Unpartitioned, local disk. Machine: ${m.cpus} x ${m.cpuModel}, Node ${m.node}, load average ${m.loadAvg1m} at the end${m.cpuPressure60sEnd === undefined ? "" : `, CPU pressure ${m.cpuPressure60sStart ?? "?"}% -> ${m.cpuPressure60sEnd}% (PSI avg60)`}. Queries: DuckDB 1.4.4 \`iceberg_scan\` on the metadata file, median of ${p.iterations} runs after ${p.warmup} warm-up (min..max).`,
    "",
    "## Tables",
    "",
    "| table | data files | delete files | position deletes | data MB | delete MB |",
    "|---|---:|---:|---:|---:|---:|",
    ...r.variants.map(
      (v) =>
        `| ${v.id} | ${v.dataFiles} | ${v.deleteFiles} | ${v.positionDeletes.toLocaleString("en-US")} | ${v.dataMB} | ${v.deleteMB} |`,
    ),
    "",
    `Building the upsert table took ${r.table.upsertBuildSeconds} s (${r.table.positionDeletesWritten.toLocaleString("en-US")} position deletes written).`,
    "",
    "## Compaction (`compactTable`, defaults)",
    "",
    "| table | wall s | data files | delete files | deleted rows applied |",
    "|---|---:|---:|---:|---:|",
    ...r.compaction.map(
      (c) =>
        `| ${c.table} | ${round(c.wallMs / 1000)} | ${c.filesBefore} -> ${c.filesAfter} | ${c.deleteFilesBefore} -> ${c.deleteFilesAfter} | ${c.deletedRowsApplied.toLocaleString("en-US")} |`,
    ),
    "",
    "## DuckDB query time (ms)",
    "",
    `| table | ${r.queries.map((q) => q.id).join(" | ")} |`,
    `|---|${r.queries.map(() => "---:").join("|")}|`,
    ...r.variants.map(
      (v) =>
        `| ${v.id} | ${v.queries.map((q) => `${q.medianMs} (${q.minMs}..${q.maxMs})${q.sameResultAsAppend ? "" : " DIFFERENT RESULT"}`).join(" | ")} |`,
    ),
    "",
    ...r.queries.map((q) => `- ${q.id}: \`${q.sql}\``),
    "",
    `Every variant returned the same results as the append table: **${r.variants.every((v) => v.queries.every((q) => q.sameResultAsAppend)) ? "yes" : "NO"}**. Peak RSS ${r.peakRssMB} MB.`,
    "",
  ];
  return lines.join("\n");
}

await main();
