import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isFloeError } from "../../src/errors.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import type { TableMetadata } from "../../src/iceberg/spec/index.js";
import { DEAD, EntryChunks, SortedEntries } from "../../src/upsert/entries.js";
import { KeyIndex, type KeyIndexOptions, readCheckpoint, writeCheckpoint } from "../../src/upsert/index.js";
import { file, rng } from "./helpers.js";

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function spillDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "floe-spill-test-"));
  roots.push(root);
  return root;
}

/** (lo, hi) of key k, spread like real hashes; a few keys share their hi word (ties on hi). */
function hashWords(k: number): [number, number] {
  const r = rng(k * 2654435761 + 7);
  const lo = r();
  const hi = k % 50 === 0 ? 0x12345678 : r();
  return [lo, hi];
}
const hashOf = (k: number) => Uint32Array.from(hashWords(k));
const hashesOf = (keys: number[]) => Uint32Array.from(keys.flatMap(hashWords));

const where = (index: KeyIndex, k: number) => {
  const loc = index.lookup(hashOf(k), 0);
  return loc === undefined ? undefined : `${loc.file.path}#${loc.pos}`;
};

const metadata = { location: "memory://wh/t", snapshots: [] } as unknown as TableMetadata;

/** A run of entries for keys (as catch-up builds from data files) in file `fileId`. */
function runOf(keys: number[], fileId: number): SortedEntries {
  const chunks = new EntryChunks();
  keys.forEach((k, i) => {
    const [lo, hi] = hashWords(k);
    chunks.push(hi, lo, fileId, 1000 + i);
  });
  return SortedEntries.build(chunks);
}

describe("KeyIndex past its memory budget (spilled run)", () => {
  it("answers like the in-memory index through random puts, removes, commits, sweeps, merges and checkpoints", async () => {
    const KEYS = 4000;
    const dir = await spillDir();
    const io = new MemoryFileIO();
    const tiny: KeyIndexOptions = { foldMin: 64, memoryBytes: 2048, spillDir: dir, label: "db.t" };
    let mem = new KeyIndex(["id"], undefined, { foldMin: 64 });
    let disk = new KeyIndex(["id"], undefined, tiny);
    const r = rng(42);
    let snapshot = 0n;
    let spilledSeen = false;
    const check = (all: boolean) => {
      expect(disk.size).toBe(mem.size);
      expect(disk.committedSize).toBe(mem.committedSize);
      const wrong: number[] = [];
      for (let k = 0; k < KEYS; k += all ? 1 : 1 + (r() % 13)) {
        if (where(disk, k) !== where(mem, k)) wrong.push(k);
      }
      expect(wrong).toEqual([]);
    };
    for (let step = 0; step < 160; step++) {
      const op = r() % 10;
      if (op <= 5) {
        // A flush: lookups (batched on the spilled side), then puts and removes, committed or dropped.
        const keys = Array.from({ length: 1 + (r() % 300) }, () => r() % KEYS);
        if (r() % 2 === 0) disk.prefetch(hashesOf(keys));
        const f = file(r() % 12);
        for (const [i, k] of keys.entries()) {
          expect(where(disk, k)).toBe(where(mem, k));
          if (r() % 5 === 0) {
            mem.remove(hashOf(k), 0);
            disk.remove(hashOf(k), 0);
          } else {
            mem.put(hashOf(k), 0, f, i);
            disk.put(hashOf(k), 0, f, i);
          }
        }
        check(false);
        if (op === 5) {
          mem.discardPending();
          disk.discardPending();
        } else {
          snapshot++;
          mem.commitPending(snapshot);
          disk.commitPending(snapshot);
        }
      } else if (op === 6) {
        // Positions deleted by another writer in one file.
        const path = file(r() % 12).path;
        const cut = r() % 150;
        const dropIn = (x: KeyIndex) => {
          const id = x.files.idOf(path);
          return (f: number, pos: number) => f === id && pos < cut;
        };
        expect(disk.removeWhere(dropIn(disk))).toBe(mem.removeWhere(dropIn(mem)));
      } else if (op === 7) {
        const path = file(r() % 12).path;
        const ids = (x: KeyIndex) => new Set([x.files.idOf(path)].filter((i) => i !== undefined));
        expect(disk.sweepFiles(ids(disk))).toBe(mem.sweepFiles(ids(mem)));
      } else if (op === 8) {
        // Catch-up's merge of entries read from files; a key live in both keeps the newer (b).
        const keys = Array.from({ length: 1 + (r() % 400) }, () => r() % KEYS);
        const f = file(100 + step);
        const keep = (a: number, _pa: number, b: number) => b >= a;
        mem.addRun(runOf(keys, mem.files.add(f)), keep);
        disk.addRun(runOf(keys, disk.files.add(f)), keep);
        expect(disk.duplicateKeys).toBe(mem.duplicateKeys);
      } else {
        // A checkpoint round trip (with an open commit half the time), or a fold.
        if (r() % 3 === 0) {
          mem.fold();
          disk.fold();
        } else {
          const k = r() % KEYS;
          if (r() % 2 === 0) {
            mem.put(hashOf(k), 0, file(1), 7);
            disk.put(hashOf(k), 0, file(1), 7);
          }
          snapshot++;
          const m = await writeCheckpoint(io, metadata, mem);
          const d = await writeCheckpoint(io, metadata, disk);
          mem = (await readCheckpoint(io, m.path, ["id"], snapshot, { foldMin: 64 })).index;
          const next = (await readCheckpoint(io, d.path, ["id"], snapshot, tiny)).index;
          disk.close();
          disk = next;
        }
      }
      spilledSeen ||= disk.spilled;
      check(step % 20 === 19);
    }
    check(true);
    expect(spilledSeen).toBe(true);
    expect(disk.spilled).toBe(true);
    expect(disk.diskBytes).toBeGreaterThan(16 * 1000);
    expect(mem.spilled).toBe(false);
    expect(mem.diskBytes).toBe(0);
    // Resident: the fences, block buffer and small tables, not the run (the probe table, a cache of
    // the run's blocks for the open commit, is emptied with it).
    disk.discardPending();
    expect(disk.memoryBytes).toBeLessThan(mem.memoryBytes);
    disk.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("keeps the run in memory within the budget, and brings it back once it fits again", () => {
    const index = new KeyIndex(["id"], undefined, { foldMin: 16, memoryBytes: 16 * 100 });
    const keys = Array.from({ length: 150 }, (_, k) => k);
    for (const k of keys.slice(0, 90)) index.put(hashOf(k), 0, file(1), k);
    index.commitPending(1n);
    index.fold();
    expect(index.spilled).toBe(false);
    for (const k of keys.slice(90)) index.put(hashOf(k), 0, file(1), k);
    index.commitPending(2n);
    index.fold();
    expect(index.spilled).toBe(true);
    expect(index.diskBytes).toBe(150 * 16);
    expect(where(index, 120)).toBe("file:///t/data/f1.parquet#120");
    for (const k of keys.slice(0, 100)) index.remove(hashOf(k), 0);
    index.commitPending(3n);
    expect(index.size).toBe(50);
    index.fold();
    expect(index.spilled).toBe(false);
    expect(index.diskBytes).toBe(0);
    expect(where(index, 120)).toBe("file:///t/data/f1.parquet#120");
    expect(where(index, 10)).toBeUndefined();
    index.close();
  });

  it("prefetches a few keys one by one and many in one pass, both as lookups find them", async () => {
    const index = new KeyIndex(["id"], undefined, { memoryBytes: 4096, spillDir: await spillDir() });
    const keys = Array.from({ length: 20_000 }, (_, k) => k);
    index.prefetch(hashesOf(keys.slice(0, 10)));
    for (const k of keys) index.put(hashOf(k), 0, file(k % 5), k);
    index.commitPending(1n);
    index.fold();
    expect(index.spilled).toBe(true);
    for (const batch of [[7], [19_999, 3, 25_000], keys.filter((k) => k % 3 === 0), [...keys, 30_000]]) {
      index.prefetch(hashesOf(batch));
      // Every key of the batch is answered from the probe table (no block read left).
      const probe = index.committed.spill.probe;
      expect(batch.filter((k) => probe.find(hashWords(k)[1], hashWords(k)[0]) < 0)).toEqual([]);
      const got = batch.map((k) => where(index, k));
      expect(got).toEqual(batch.map((k) => (k < 20_000 ? `${file(k % 5).path}#${k}` : undefined)));
      index.discardPending();
    }
    index.close();
  });

  it("fails with IO_ERROR naming the spill directory when it cannot be made", async () => {
    const root = await spillDir();
    const notADir = join(root, "a-file");
    await writeFile(notADir, "x");
    const index = new KeyIndex(["id"], undefined, { memoryBytes: 64, spillDir: join(notADir, "sub") });
    for (let k = 0; k < 20; k++) index.put(hashOf(k), 0, file(1), k);
    // The commit's own fold fails: logged, the keys stay in memory (the commit has landed).
    index.commitPending(1n);
    expect(index.size).toBe(20);
    let caught: unknown;
    try {
      index.fold();
    } catch (e) {
      caught = e;
    }
    expect(isFloeError(caught, "IO_ERROR")).toBe(true);
    expect(String((caught as Error).message)).toMatch(/keyIndexSpillDir.*a-file/);
    // Nothing was lost: the run is still in memory.
    expect(where(index, 3)).toBe("file:///t/data/f1.parquet#3");
    expect(index.spilled).toBe(false);
  });

  it("spills a loaded run past the budget, dropping its removed entries", () => {
    const index = new KeyIndex(["id"], undefined, { memoryBytes: 64 });
    index.files.add(file(0));
    const chunks = new EntryChunks();
    for (let k = 0; k < 10; k++) {
      const [lo, hi] = hashWords(k);
      chunks.push(hi, lo, k % 2 === 0 ? DEAD : 0, k);
    }
    const run = SortedEntries.build(chunks);
    run.dead = 5;
    index.resetCommitted(run);
    expect(index.spilled).toBe(true);
    expect(index.diskBytes).toBe(5 * 16);
    expect(index.size).toBe(5);
    for (let k = 0; k < 10; k++)
      expect(where(index, k)).toBe(k % 2 === 0 ? undefined : `${file(0).path}#${k}`);
    index.close();
    expect(index.size).toBe(0);
  });
});
