// Key index spill benchmark (issue 17): the upsert key index with its sorted run in memory vs spilled to
// a local file past a memory budget (keyIndexMemoryMB). For each mode: resident bytes (memoryBytes, RSS)
// and disk bytes at rest, inserts and updates the way the sink drives the index (prefetch of the flush's
// keys, lookup, put, commit; 100k keys a commit), lookups (one at a time, and a batch prefetched first),
// one fold, and a checkpoint write + load (the restart). Rates per CPU-second: other sessions share the
// machine.
//
// Run: NODE_OPTIONS=--expose-gc npx vite-node bench/key-index-spill.ts [keys=10000000] [budgetMB=64]
//      [--spill-only] [--keys 10000000,20000000] [--rebuild 4000000 (only the rebuilds)]
// Writes bench/results/key-index-spill.{json,md}.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as arrow from "apache-arrow";
import { EmbeddedCatalog, Table } from "../src/catalog/index.js";
import { LocalFileIO } from "../src/iceberg/io/index.js";
import { makeSchema } from "../src/iceberg/spec/index.js";
import {
  type IndexedFile,
  KeyIndex,
  type KeyIndexOptions,
  keyHashes,
  loadKeyIndex,
  readCheckpoint,
  writeCheckpoint,
} from "../src/upsert/index.js";
import {
  cpuPressure60s,
  MB,
  machine,
  peakRssMB,
  round,
  type Timed,
  timed,
  timedAsync,
} from "./support/measure.js";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const SIZES = (flag("--keys") ?? positional[0] ?? "10000000").split(",").map(Number);
const BUDGET_MB = Number(positional[1] ?? 64);
const SPILL_ONLY = argv.includes("--spill-only");
const REBUILD = Number(flag("--rebuild") ?? 0);
const COMMIT_KEYS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;

const settle = async () => {
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
};

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const hashIds = (ids: BigInt64Array) => keyHashes([arrow.makeVector(ids)]);
const hashRange = (from: number, n: number) =>
  hashIds(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)));

const add = (a: Timed, b: Timed) => ({ ms: a.ms + b.ms, cpuMs: a.cpuMs + b.cpuMs });
const perCpuS = (n: number, t: Timed) => Math.round((n / t.cpuMs) * 1000);
const perS = (n: number, t: Timed) => Math.round((n / t.ms) * 1000);

/** One flush as the sink runs it: prefetch, lookup every key, put it; then the commit. */
function flush(index: KeyIndex, hashes: Uint32Array, file: IndexedFile, snapshot: bigint, prefetch = true) {
  const n = hashes.length >>> 1;
  let found = 0;
  if (prefetch) index.prefetch(hashes);
  for (let i = 0; i < n; i++) {
    if (index.lookup(hashes, i) !== undefined) found++;
    index.put(hashes, i, file, i);
  }
  index.commitPending(snapshot);
  return found;
}

async function run(keys: number, mode: "memory" | "spilled", root: string) {
  await settle();
  const rss0 = process.memoryUsage().rss;
  const options: KeyIndexOptions =
    mode === "spilled" ? { memoryBytes: BUDGET_MB * 2 ** 20, spillDir: join(root, "spill") } : {};
  const index = new KeyIndex(["id"], undefined, options);
  let snapshot = 0n;
  const fileOf = (name: string): IndexedFile => ({
    path: `file:///bench/data/${name}.parquet`,
    specId: 0,
    partition: [],
  });
  let insert: Timed = { ms: 0, cpuMs: 0 };
  for (let from = 0; from < keys; from += COMMIT_KEYS) {
    const n = Math.min(COMMIT_KEYS, keys - from);
    const hashes = hashRange(from, n);
    const t = timed(() => flush(index, hashes, fileOf(`i${from}`), ++snapshot));
    if (t.value !== 0) throw new Error("a new key was found");
    insert = add(insert, t);
  }
  const finalFold = timed(() => index.fold());
  await settle();
  const atRest = {
    memoryMB: round(index.memoryBytes / MB, 2),
    diskMB: round(index.diskBytes / MB, 1),
    bytesPerKeyResident: round(index.memoryBytes / keys, 3),
    rssGrowthMB: round((process.memoryUsage().rss - rss0) / MB, 1),
  };
  const r = rng(12345);
  const randomIds = (n: number) => BigInt64Array.from({ length: n }, () => BigInt(r() % keys));
  // Updates: 1M existing keys moved to new files, 100k a commit (the sink's way, prefetch first).
  const UPDATES = Math.min(1_000_000, keys);
  let update: Timed = { ms: 0, cpuMs: 0 };
  for (let done = 0; done < UPDATES; done += COMMIT_KEYS) {
    const hashes = hashIds(randomIds(COMMIT_KEYS));
    const t = timed(() => flush(index, hashes, fileOf(`u${done}`), ++snapshot));
    if (t.value !== COMMIT_KEYS) throw new Error(`updates found ${t.value} of ${COMMIT_KEYS}`);
    update = add(update, t);
  }
  // Updates without the prefetch (a block read a key), 200k.
  let updateNoPrefetch: Timed = { ms: 0, cpuMs: 0 };
  for (let done = 0; done < 200_000; done += COMMIT_KEYS) {
    const hashes = hashIds(randomIds(COMMIT_KEYS));
    const t = timed(() => flush(index, hashes, fileOf(`v${done}`), ++snapshot, false));
    updateNoPrefetch = add(updateNoPrefetch, t);
  }
  // One fold: 200k new keys (two commits) folded into the run (the updates' changes folded first).
  index.fold();
  for (let from = keys; from < keys + 200_000; from += COMMIT_KEYS) {
    flush(index, hashRange(from, COMMIT_KEYS), fileOf(`f${from}`), ++snapshot);
  }
  const deltaKeys = index.committed.delta.used;
  const fold = timed(() => index.fold());
  // Lookups of random existing keys: one at a time, and batches prefetched first (100k and 1k).
  const LOOKUPS = 1_000_000;
  const lookups = (batch: number, prefetch: boolean) => {
    let total: Timed = { ms: 0, cpuMs: 0 };
    for (let done = 0; done < LOOKUPS; done += batch) {
      const hashes = hashIds(randomIds(batch));
      const t = timed(() => {
        if (prefetch) index.prefetch(hashes);
        let found = 0;
        for (let i = 0; i < batch; i++) if (index.lookup(hashes, i) !== undefined) found++;
        return found;
      });
      if (t.value !== batch) throw new Error(`lookups found ${t.value} of ${batch}`);
      index.discardPending(); // (empties the probe table, as a commit does)
      total = add(total, t);
    }
    return { perCpuS: perCpuS(LOOKUPS, total), perS: perS(LOOKUPS, total) };
  };
  const single = lookups(100_000, false);
  const batch100k = lookups(100_000, true);
  const batch1k = lookups(1_000, true);
  const missHashes = hashRange(keys + 1_000_000, 200_000);
  const miss = timed(() => {
    let found = 0;
    for (let i = 0; i < 200_000; i++) if (index.lookup(missHashes, i) !== undefined) found++;
    return found;
  });
  if (miss.value !== 0) throw new Error("a missing key was found");
  index.discardPending();
  // Checkpoint write, then the restart's load (with the same budget: a spilled run goes to a file).
  const io = new LocalFileIO();
  const md = { location: pathToFileURL(join(root, `table-${mode}`)).href, snapshots: [] } as never;
  const write = await timedAsync(() => writeCheckpoint(io, md, index));
  const fileMB = round((await stat(fileURLToPath(write.value.path))).size / MB, 1);
  await settle();
  const load = await timedAsync(() => readCheckpoint(io, write.value.path, ["id"], ++snapshot, options));
  const loaded = load.value.index;
  if (loaded.size !== index.size || loaded.spilled !== index.spilled) throw new Error("loaded index differs");
  const check = hashIds(randomIds(1000));
  for (let i = 0; i < 1000; i++) {
    const a = index.lookup(check, i);
    const b = loaded.lookup(check, i);
    if (a?.file.path !== b?.file.path || a?.pos !== b?.pos) throw new Error("loaded index differs");
  }
  await rm(fileURLToPath(write.value.path));
  const result = {
    mode,
    keys,
    budgetMB: mode === "spilled" ? BUDGET_MB : undefined,
    spilled: index.spilled,
    atRest,
    insert: { perCpuS: perCpuS(keys, insert), perS: perS(keys, insert), finalFoldMs: round(finalFold.ms) },
    update: { perCpuS: perCpuS(UPDATES, update), perS: perS(UPDATES, update) },
    updateNoPrefetch: { perCpuS: perCpuS(200_000, updateNoPrefetch), perS: perS(200_000, updateNoPrefetch) },
    fold: { deltaKeys, ms: round(fold.ms), cpuMs: round(fold.cpuMs) },
    lookup: {
      single,
      batch100k,
      batch1k,
      missPerCpuS: perCpuS(200_000, miss),
    },
    checkpoint: {
      fileMB,
      writeMs: round(write.ms),
      writeCpuMs: round(write.cpuMs),
      loadMs: round(load.ms),
      loadCpuMs: round(load.cpuMs),
      loadedMemoryMB: round(loaded.memoryBytes / MB, 2),
    },
  };
  index.close();
  loaded.close();
  return result;
}

type Result = Awaited<ReturnType<typeof run>>;

/** Rebuilds of a table of `rows` keys (no checkpoint), in memory and past the budget. */
async function rebuilds(rows: number, root: string) {
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(join(root, "wh")).href, io });
  await catalog.createNamespace(["db"]);
  const schema = makeSchema([
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "name", required: false, type: "string" },
  ]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema }), io);
  for (let from = 0; from < rows; from += 1_000_000) {
    const n = Math.min(1_000_000, rows - from);
    const columns = new Map<string, unknown[]>([
      ["id", Array.from({ length: n }, (_, i) => BigInt(from + i))],
      ["name", Array.from({ length: n }, (_, i) => `customer-${from + i}`)],
    ]);
    await (await table.newAppend().appendColumns(columns, n)).commit();
  }
  const out = [];
  for (const mode of ["memory", "spilled"] as const) {
    await settle();
    const used = () => process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
    const used0 = used();
    let peak = used0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, used());
    }, 20);
    const options =
      mode === "spilled" ? { memoryBytes: BUDGET_MB * 2 ** 20, spillDir: join(root, "spill") } : {};
    const loaded = await timedAsync(() => loadKeyIndex(io, table.metadata, ["id"], undefined, options));
    clearInterval(sampler);
    const index = loaded.value.index;
    if (index.size !== rows) throw new Error(`rebuilt ${index.size} keys of ${rows}`);
    out.push({
      mode,
      rows,
      budgetMB: mode === "spilled" ? BUDGET_MB : undefined,
      spilled: index.spilled,
      s: round(loaded.ms / 1000, 2),
      cpuS: round(loaded.cpuMs / 1000, 2),
      peakGrowthMB: round((Math.max(peak, used()) - used0) / MB, 1),
      memoryMB: round(index.memoryBytes / MB, 2),
      diskMB: round(index.diskBytes / MB, 1),
    });
    console.log(JSON.stringify(out[out.length - 1]));
    index.close();
  }
  return out;
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), "floe-bench-spill-"));
  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(here, "results", "key-index-spill.json");
  const results: Result[] = [];
  try {
    const pressure0 = cpuPressure60s();
    const rebuilt = REBUILD > 0 ? await rebuilds(REBUILD, root) : undefined;
    for (const keys of REBUILD > 0 ? [] : SIZES) {
      for (const mode of SPILL_ONLY ? (["spilled"] as const) : (["memory", "spilled"] as const)) {
        const r = await run(keys, mode, root);
        console.log(JSON.stringify(r));
        results.push(r);
      }
    }
    // Runs of other sizes from an earlier invocation are kept (one row per mode and size).
    let earlier: Result[] = [];
    let earlierRebuilds: Awaited<ReturnType<typeof rebuilds>> = [];
    try {
      const before = JSON.parse(await readFile(out, "utf8")) as {
        results: Result[];
        rebuilds?: typeof earlierRebuilds;
      };
      earlier = before.results;
      earlierRebuilds = before.rebuilds ?? [];
    } catch {
      // first run
    }
    const merged = [
      ...earlier.filter((e) => !results.some((x) => x.keys === e.keys && x.mode === e.mode)),
      ...results,
    ].sort((a, b) => a.keys - b.keys || a.mode.localeCompare(b.mode));
    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      cpuPressure60s: [pressure0, cpuPressure60s()],
      gcExposed: gc !== undefined,
      results: merged,
      rebuilds: rebuilt ?? earlierRebuilds,
      peakRssMB: round(peakRssMB()),
    };
    await mkdir(join(here, "results"), { recursive: true });
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
    const md = render(report);
    await writeFile(join(here, "results", "key-index-spill.md"), md);
    console.log(md);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function render(r: {
  date: string;
  machine: ReturnType<typeof machine>;
  cpuPressure60s: (number | undefined)[];
  results: Result[];
  rebuilds: Awaited<ReturnType<typeof rebuilds>>;
  peakRssMB: number;
}): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const label = (x: Result) =>
    `${n(x.keys)} ${x.mode === "spilled" ? `spilled (${x.budgetMB} MB budget)` : "in memory"}`;
  const rows = (f: (x: Result) => string) => r.results.map((x) => `| ${label(x)} | ${f(x)} |`).join("\n");
  return `# key index spill benchmark (${r.date})

The key index with its sorted run in memory vs in a local file past \`keyIndexMemoryMB\` (\`bench/key-index-spill.ts\`).
Long keys; inserts and updates go the sink's way: \`prefetch\` of the flush's keys, \`lookup\` + \`put\` each,
\`commitPending\`, ${n(COMMIT_KEYS)} keys a commit. Machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node},
load average ${r.machine.loadAvg1m} at the end, CPU pressure ${r.cpuPressure60s.join("% -> ")}% (PSI avg60): other
sessions shared the 2 cores, so the per-CPU-second rates are the ones to compare. The run file sits in the page
cache (the machine has room): a lookup's block read is a system call and a 4 KiB copy, counted as CPU.

## At rest (after the final fold)

| index | memoryBytes | resident bytes / key | run on disk | RSS growth |
|---|---:|---:|---:|---:|
${rows((x) => `${x.atRest.memoryMB} MB | ${x.atRest.bytesPerKeyResident} | ${x.atRest.diskMB} MB | ${x.atRest.rssGrowthMB} MB`)}

## Rates per CPU-second (wall in parentheses)

| index | insert new keys | update existing keys | update, no prefetch | lookup hit, one at a time | lookup hit, batch of 100k prefetched | batch of 1k prefetched | lookup miss |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows(
  (x) =>
    `${n(x.insert.perCpuS)} (${n(x.insert.perS)}) | ${n(x.update.perCpuS)} (${n(x.update.perS)}) | ${n(x.updateNoPrefetch.perCpuS)} (${n(x.updateNoPrefetch.perS)}) | ${n(x.lookup.single.perCpuS)} (${n(x.lookup.single.perS)}) | ${n(x.lookup.batch100k.perCpuS)} (${n(x.lookup.batch100k.perS)}) | ${n(x.lookup.batch1k.perCpuS)} (${n(x.lookup.batch1k.perS)}) | ${n(x.lookup.missPerCpuS)}`,
)}

## Fold and restart

| index | final fold after inserts | fold of new keys in the hash table | checkpoint file | write | load (restart) | load CPU | resident after load |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows(
  (x) =>
    `${x.insert.finalFoldMs} ms | ${n(x.fold.deltaKeys)} keys: ${x.fold.ms} ms (${x.fold.cpuMs} CPU) | ${x.checkpoint.fileMB} MB | ${x.checkpoint.writeMs} ms | ${x.checkpoint.loadMs} ms | ${x.checkpoint.loadCpuMs} ms | ${x.checkpoint.loadedMemoryMB} MB`,
)}

## Rebuild from a table (no checkpoint)

Key column long + one string column, 1M rows a data file, local disk. Past the budget the rebuild reads
the files in runs of a quarter of the budget each (at least one file: here 1M keys, 32 MB while sorted)
and merges each run into the run file, so its peak follows the largest data file, not the table. JS
memory = ArrayBuffers + JS heap sampled every 20 ms, the peak over what was in use before. (Rows of each
table come from the invocation that measured them; the machine line above is the last one's.)

| rows | index | rebuild s | CPU s | JS memory peak growth | resident after | run on disk |
|---:|---|---:|---:|---:|---:|---:|
${r.rebuilds
  .map(
    (b) =>
      `| ${n(b.rows)} | ${b.mode === "spilled" ? `spilled (${b.budgetMB} MB budget)` : "in memory"} | ${b.s} | ${b.cpuS} | ${b.peakGrowthMB} MB | ${b.memoryMB} MB | ${b.diskMB} MB |`,
  )
  .join("\n")}

Peak RSS of the whole run (the last invocation): ${r.peakRssMB} MB.
`;
}

await main();
