// Key index benchmark (issue 17): the upsert key index at 10M keys. Bytes per key (index.memoryBytes and
// the process's ArrayBuffer / RSS growth at rest), insert rate through put + commitPending in sink-sized
// commits (100k keys each, folds included), update rate of existing keys, lookup rate (hits and misses),
// checkpoint write and load time (the restart time: a restart with no foreign commit since the checkpoint
// reads nothing else), key hashing ns/row (long and string keys), and rebuild time from a real table.
//
// Run: NODE_OPTIONS=--expose-gc npx vite-node bench/key-index.ts [keys=10000000] [--rebuild 1000000,10000000]
// Local warehouse in a temp dir (LocalFileIO with fsync). Writes bench/results/key-index.{json,md}.
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
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
  keyHashes,
  loadKeyIndex,
  readCheckpoint,
  writeCheckpoint,
} from "../src/upsert/index.js";
import { cpuPressure60s, MB, machine, peakRssMB, round, timed, timedAsync } from "./support/measure.js";

const argv = process.argv.slice(2);
const positional = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
const KEYS = Number(positional[0] ?? 10_000_000);
const rebuildAt = argv.indexOf("--rebuild");
const REBUILD = (rebuildAt >= 0 ? (argv[rebuildAt + 1] ?? "") : "1000000")
  .split(",")
  .filter(Boolean)
  .map(Number);
const COMMIT_KEYS = 100_000;
const BATCH = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;

const settle = async () => {
  gc?.();
  await new Promise((r) => setTimeout(r, 100));
  gc?.();
};

/** Hashes of long keys from..from+n (the sink hashes the Arrow it builds the same way). */
const hashRange = (from: number, n: number) =>
  keyHashes([arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)))]);

function hashingCost() {
  const n = 1_000_000;
  const longs = arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 7919n));
  const strings = arrow.vectorFromArray(
    Array.from({ length: n }, (_, i) => `customer-${i}@example.com`),
    new arrow.Utf8(),
  );
  const out: Record<string, { nsPerRow: number; cpuNsPerRow: number }> = {};
  for (const [name, v] of [
    ["long", longs],
    ["string (~24 B)", strings],
  ] as const) {
    const runs = Array.from({ length: 5 }, () => timed(() => keyHashes([v as arrow.Vector])));
    const best = runs.slice(1).sort((a, b) => a.cpuMs - b.cpuMs)[0]!;
    out[name] = { nsPerRow: round((best.ms * 1e6) / n, 1), cpuNsPerRow: round((best.cpuMs * 1e6) / n, 1) };
  }
  return out;
}

async function inMemory(root: string) {
  await settle();
  const m0 = process.memoryUsage();
  const index = new KeyIndex(["id"]);
  const files: IndexedFile[] = [];
  let snapshot = 0n;
  let insertMs = 0;
  let insertCpuMs = 0;
  for (let from = 0; from < KEYS; from += COMMIT_KEYS) {
    const n = Math.min(COMMIT_KEYS, KEYS - from);
    const hashes = hashRange(from, n);
    const file: IndexedFile = {
      path: `file:///bench/data/${files.length}.parquet`,
      specId: 0,
      partition: [],
    };
    files.push(file);
    const t = timed(() => {
      for (let i = 0; i < n; i++) index.put(hashes, i, file, i);
      index.commitPending(++snapshot);
    });
    insertMs += t.ms;
    insertCpuMs += t.cpuMs;
  }
  const fold = timed(() => index.fold());
  await settle();
  const m1 = process.memoryUsage();
  // Updates: 1M existing keys moved to new files, 100k a commit.
  const UPDATES = Math.min(1_000_000, KEYS);
  let updateMs = 0;
  let updateCpuMs = 0;
  let x = 12345;
  const rand = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  for (let done = 0; done < UPDATES; done += COMMIT_KEYS) {
    const ids = BigInt64Array.from({ length: COMMIT_KEYS }, () => BigInt(rand() % KEYS));
    const hashes = keyHashes([arrow.makeVector(ids)]);
    const file: IndexedFile = { path: `file:///bench/data/u${done}.parquet`, specId: 0, partition: [] };
    const t = timed(() => {
      for (let i = 0; i < COMMIT_KEYS; i++) {
        if (index.lookup(hashes, i) === undefined) throw new Error("an existing key was not found");
        index.put(hashes, i, file, i);
      }
      index.commitPending(++snapshot);
    });
    updateMs += t.ms;
    updateCpuMs += t.cpuMs;
  }
  // Lookups: 2M hits at random, 1M misses.
  let hitMs = 0;
  let hitCpuMs = 0;
  const LOOKUPS = 2_000_000;
  for (let done = 0; done < LOOKUPS; done += BATCH) {
    const ids = BigInt64Array.from({ length: BATCH }, () => BigInt(rand() % KEYS));
    const hashes = keyHashes([arrow.makeVector(ids)]);
    const t = timed(() => {
      let found = 0;
      for (let i = 0; i < BATCH; i++) if (index.lookup(hashes, i) !== undefined) found++;
      return found;
    });
    if (t.value !== BATCH) throw new Error(`lookups found ${t.value} of ${BATCH}`);
    hitMs += t.ms;
    hitCpuMs += t.cpuMs;
  }
  let missMs = 0;
  const MISSES = 1_000_000;
  for (let done = 0; done < MISSES; done += BATCH) {
    const hashes = hashRange(KEYS + done, BATCH);
    const t = timed(() => {
      let found = 0;
      for (let i = 0; i < BATCH; i++) if (index.lookup(hashes, i) !== undefined) found++;
      return found;
    });
    if (t.value !== 0) throw new Error("a missing key was found");
    missMs += t.ms;
  }
  // Checkpoint: write (with fsync), then load as a restart does.
  const io = new LocalFileIO();
  const md = { location: pathToFileURL(join(root, "table")).href, snapshots: [] } as never;
  const write = await timedAsync(() => writeCheckpoint(io, md, index));
  const bytes = (await stat(fileURLToPath(write.value.path))).size;
  await settle();
  const load = await timedAsync(() => readCheckpoint(io, write.value.path, ["id"], ++snapshot));
  const loadedSize = load.value.index.size;
  if (loadedSize !== index.size) throw new Error(`loaded ${loadedSize} keys, expected ${index.size}`);
  const check = hashRange(0, 1000);
  for (let i = 0; i < 1000; i++) {
    const a = index.lookup(check, i);
    const b = load.value.index.lookup(check, i);
    if (a?.file.path !== b?.file.path || a?.pos !== b?.pos) throw new Error("loaded index differs");
  }
  return {
    keys: index.size,
    memoryBytes: index.memoryBytes,
    bytesPerKey: round(index.memoryBytes / index.size, 2),
    arrayBuffersDeltaBytesPerKey: round((m1.arrayBuffers - m0.arrayBuffers) / index.size, 2),
    rssDeltaBytesPerKey: round((m1.rss - m0.rss) / index.size, 2),
    heapUsedDeltaMB: round((m1.heapUsed - m0.heapUsed) / MB, 1),
    rssAtRestMB: round(m1.rss / MB, 1),
    insert: {
      commits: Math.ceil(KEYS / COMMIT_KEYS),
      keysPerSec: Math.round((KEYS / insertMs) * 1000),
      keysPerCpuSec: Math.round((KEYS / insertCpuMs) * 1000),
      finalFoldMs: round(fold.ms),
    },
    update: {
      keys: UPDATES,
      keysPerSec: Math.round((UPDATES / updateMs) * 1000),
      keysPerCpuSec: Math.round((UPDATES / updateCpuMs) * 1000),
    },
    lookup: {
      hitsPerSec: Math.round((LOOKUPS / hitMs) * 1000),
      hitsPerCpuSec: Math.round((LOOKUPS / hitCpuMs) * 1000),
      missesPerSec: Math.round((MISSES / missMs) * 1000),
    },
    checkpoint: {
      fileMB: round(bytes / MB, 1),
      writeMs: round(write.ms),
      loadMs: round(load.ms),
      loadCpuMs: round(load.cpuMs),
    },
  };
}

async function rebuildFrom(root: string, rows: number) {
  const io = new LocalFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(join(root, `wh-${rows}`)).href, io });
  await catalog.createNamespace(["db"]);
  const schema = makeSchema([
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "email", required: false, type: "string" },
    { id: 3, name: "plan", required: false, type: "string" },
    { id: 4, name: "amount", required: false, type: "double" },
  ]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "customers", schema }), io);
  const PER_FILE = 1_000_000;
  const build = await timedAsync(async () => {
    for (let from = 0; from < rows; from += PER_FILE) {
      const n = Math.min(PER_FILE, rows - from);
      const columns = new Map<string, unknown[]>([
        ["id", Array.from({ length: n }, (_, i) => BigInt(from + i))],
        ["email", Array.from({ length: n }, (_, i) => `customer-${from + i}@example.com`)],
        ["plan", Array.from({ length: n }, (_, i) => ["free", "pro", "team"][(from + i) % 3])],
        ["amount", Array.from({ length: n }, (_, i) => (from + i) * 0.5)],
      ]);
      await (await table.newAppend().appendColumns(columns, n)).commit();
    }
  });
  await settle();
  const used = () => {
    const m = process.memoryUsage();
    return m.arrayBuffers + m.heapUsed;
  };
  const used0 = used();
  let peak = used0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 20);
  const loaded = await timedAsync(() => loadKeyIndex(io, table.metadata, ["id"]));
  clearInterval(sampler);
  peak = Math.max(peak, used());
  const index = loaded.value.index;
  if (index.size !== rows) throw new Error(`rebuilt ${index.size} keys of ${rows}`);
  // An upsert commit carrying a checkpoint (one new key), then a restart from it.
  const [file] = await table
    .dataFileWriter()
    .writeRows([{ id: BigInt(rows), email: "new", plan: "free", amount: 1 }]);
  index.put(hashRange(rows, 1), 0, { path: file!.file_path, specId: 0, partition: [] }, 0);
  const cp = await timedAsync(() => writeCheckpoint(io, table.metadata, index));
  const committed = await table.newAppend().appendFiles([file!]).commit({ summary: cp.value.summary });
  const snap = committed.snapshot!;
  index.commitPending(snap["snapshot-id"], snap["sequence-number"], snap["parent-snapshot-id"] ?? null);
  await settle();
  const restart = await timedAsync(() => loadKeyIndex(io, table.metadata, ["id"]));
  if (restart.value.source !== "checkpoint" || restart.value.index.size !== rows + 1) {
    throw new Error(`restart: ${restart.value.source}, ${restart.value.index.size} keys`);
  }
  return {
    rows,
    files: loaded.value.caughtUpFiles,
    buildTableS: round(build.ms / 1000, 1),
    rebuildS: round(loaded.ms / 1000, 2),
    rebuildCpuS: round(loaded.cpuMs / 1000, 2),
    keysPerSec: Math.round((rows / loaded.ms) * 1000),
    keysPerCpuSec: Math.round((rows / loaded.cpuMs) * 1000),
    memoryPeakGrowthMB: round((peak - used0) / MB, 1),
    indexMB: round(index.memoryBytes / MB, 1),
    checkpointWriteS: round(cp.ms / 1000, 2),
    restartS: round(restart.ms / 1000, 2),
    restartCpuS: round(restart.cpuMs / 1000, 2),
  };
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), "floe-bench-keys-"));
  try {
    const pressure0 = cpuPressure60s();
    const hashing = hashingCost();
    console.log("hashing", hashing);
    const index = await inMemory(root);
    console.log("index", index);
    const rebuilds = [];
    for (const n of REBUILD) {
      rebuilds.push(await rebuildFrom(root, n));
      console.log("rebuild", rebuilds[rebuilds.length - 1]);
    }
    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      cpuPressure60s: [pressure0, cpuPressure60s()],
      gcExposed: gc !== undefined,
      keys: KEYS,
      hashing,
      index,
      rebuilds,
      peakRssMB: round(peakRssMB()),
    };
    const here = dirname(fileURLToPath(import.meta.url));
    await mkdir(join(here, "results"), { recursive: true });
    await writeFile(join(here, "results", "key-index.json"), `${JSON.stringify(report, null, 2)}\n`);
    const md = render(report);
    await writeFile(join(here, "results", "key-index.md"), md);
    console.log(md);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function render(r: {
  date: string;
  machine: ReturnType<typeof machine>;
  cpuPressure60s: (number | undefined)[];
  keys: number;
  hashing: Record<string, { nsPerRow: number; cpuNsPerRow: number }>;
  index: Awaited<ReturnType<typeof inMemory>>;
  rebuilds: Awaited<ReturnType<typeof rebuildFrom>>[];
  peakRssMB: number;
}): string {
  const i = r.index;
  const n = (x: number) => x.toLocaleString("en-US");
  return `# key index benchmark (${r.date})

${n(r.keys)} long keys (hashes of 0..N-1) put through \`KeyIndex.put\` + \`commitPending\` in commits of ${n(COMMIT_KEYS)} keys. Machine: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAvg1m} at the end, CPU pressure ${r.cpuPressure60s.join("% -> ")}% (PSI avg60): other sessions shared the 2 cores, so CPU-time rates are the ones to compare.

## Memory at rest (${n(i.keys)} keys, after the final fold)

| index.memoryBytes | bytes / key | ArrayBuffer growth / key | RSS growth / key | JS heap growth | RSS at rest |
|---:|---:|---:|---:|---:|---:|
| ${round(i.memoryBytes / MB, 1)} MB | ${i.bytesPerKey} | ${i.arrayBuffersDeltaBytesPerKey} | ${i.rssDeltaBytesPerKey} | ${i.heapUsedDeltaMB} MB | ${i.rssAtRestMB} MB |

## Rates

| operation | per second (wall) | per CPU-second |
|---|---:|---:|
| insert new keys (put + commit, folds included; ${i.insert.commits} commits) | ${n(i.insert.keysPerSec)} | ${n(i.insert.keysPerCpuSec)} |
| update existing keys (lookup + put + commit) | ${n(i.update.keysPerSec)} | ${n(i.update.keysPerCpuSec)} |
| lookup, hit (random keys) | ${n(i.lookup.hitsPerSec)} | ${n(i.lookup.hitsPerCpuSec)} |
| lookup, miss | ${n(i.lookup.missesPerSec)} | |

Final fold of the hash table into the sorted run: ${i.insert.finalFoldMs} ms.

## Key hashing (1M rows, best of 4 after a warm-up)

| key | ns / row (wall) | CPU ns / row |
|---|---:|---:|
${Object.entries(r.hashing)
  .map(([k, v]) => `| ${k} | ${v.nsPerRow} | ${v.cpuNsPerRow} |`)
  .join("\n")}

## Checkpoint (restart)

| file | write (fsync) | load | load CPU |
|---:|---:|---:|---:|
| ${i.checkpoint.fileMB} MB | ${i.checkpoint.writeMs} ms | ${i.checkpoint.loadMs} ms | ${i.checkpoint.loadCpuMs} ms |

A restart loads the newest checkpoint named on the current snapshot's ancestry and catches up; with no
other writer's commit since, the catch-up reads nothing, so the load time is the restart time.

## Rebuild from a table (no checkpoint)

Table of 4 columns (id long key, email, plan, amount), 1M rows per data file, local disk.

| rows | data files | rebuild s | CPU s | keys / CPU-s | JS memory peak growth | index | checkpoint write | restart (loadKeyIndex from it) | restart CPU |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${r.rebuilds
  .map(
    (b) =>
      `| ${n(b.rows)} | ${b.files} | ${b.rebuildS} | ${b.rebuildCpuS} | ${n(b.keysPerCpuSec)} | ${b.memoryPeakGrowthMB} MB | ${b.indexMB} MB | ${b.checkpointWriteS} s | ${b.restartS} s | ${b.restartCpuS} s |`,
  )
  .join("\n")}

JS memory = ArrayBuffers + JS heap (sampled every 20 ms): the rebuild's peak over what was in use before.
The restart row: the table then gets one upsert commit carrying a checkpoint, and \`loadKeyIndex\` runs
as a restarted sink runs it (newest checkpoint on the ancestry, caught up).

Peak RSS of the whole run: ${r.peakRssMB} MB.
`;
}

await main();
