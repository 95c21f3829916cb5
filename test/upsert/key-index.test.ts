import { describe, expect, it } from "vitest";
import { EntryChunks, SortedEntries } from "../../src/upsert/entries.js";
import { KeyIndex } from "../../src/upsert/index.js";
import { file, rng } from "./helpers.js";

/** Hashes of key k: (lo, hi) words, spread over the whole range like real hashes. */
function hashOf(k: number): Uint32Array {
  const r = rng(k * 2654435761 + 7);
  return Uint32Array.of(r(), r());
}

const where = (index: KeyIndex, k: number) => {
  const loc = index.lookup(hashOf(k), 0);
  return loc === undefined ? undefined : `${loc.file.path}#${loc.pos}`;
};

describe("KeyIndex", () => {
  it("answers from pending state first, and commits or discards it", () => {
    const index = new KeyIndex(["id"]);
    index.put(hashOf(1), 0, file(1), 0);
    index.put(hashOf(2), 0, file(1), 1);
    expect(index.size).toBe(2);
    expect(where(index, 1)).toBe("file:///t/data/f1.parquet#0");
    index.commitPending(10n);
    expect(index.snapshotId).toBe(10n);
    expect(index.committedSize).toBe(2);
    // Pending: move key 1, remove key 2, add key 3; then drop it all.
    index.put(hashOf(1), 0, file(2), 5);
    index.remove(hashOf(2), 0);
    index.put(hashOf(3), 0, file(2), 6);
    expect(where(index, 1)).toBe("file:///t/data/f2.parquet#5");
    expect(where(index, 2)).toBeUndefined();
    expect(index.size).toBe(2);
    index.discardPending();
    expect(where(index, 1)).toBe("file:///t/data/f1.parquet#0");
    expect(where(index, 2)).toBe("file:///t/data/f1.parquet#1");
    expect(where(index, 3)).toBeUndefined();
    expect(index.size).toBe(2);
    expect(index.files.idOf(file(2).path)).toBeUndefined();
    // The same changes committed.
    index.put(hashOf(1), 0, file(2), 5);
    index.remove(hashOf(2), 0);
    index.remove(hashOf(4), 0); // no such key: nothing to do
    index.put(hashOf(3), 0, file(2), 6);
    index.commitPending(11n);
    expect(where(index, 1)).toBe("file:///t/data/f2.parquet#5");
    expect(where(index, 2)).toBeUndefined();
    expect(where(index, 3)).toBe("file:///t/data/f2.parquet#6");
    expect(index.size).toBe(2);
    expect(index.ownSnapshotIds).toEqual([10n, 11n]);
    // A removed key comes back.
    index.put(hashOf(2), 0, file(3), 0);
    index.commitPending(12n);
    expect(where(index, 2)).toBe("file:///t/data/f3.parquet#0");
    expect(index.size).toBe(3);
  });

  it("matches a map model over many commits (folding the hash table into the sorted run)", () => {
    const index = new KeyIndex(["id"], undefined, { foldMin: 2048 });
    const model = new Map<number, string>();
    const r = rng(42);
    let fileNo = 0;
    let snapshot = 0n;
    for (let commit = 0; commit < 40; commit++) {
      const f = file(fileNo++);
      const pending = new Map(model);
      const ops = 1 + (r() % 4000);
      for (let op = 0; op < ops; op++) {
        const k = r() % 30_000;
        if (r() % 10 === 0) {
          index.remove(hashOf(k), 0);
          pending.delete(k);
        } else {
          index.put(hashOf(k), 0, f, op);
          pending.set(k, `${f.path}#${op}`);
        }
      }
      expect(index.size).toBe(pending.size);
      if (commit % 7 === 3) {
        index.discardPending();
        expect(index.size).toBe(model.size);
        continue;
      }
      index.commitPending(++snapshot);
      model.clear();
      for (const [k, v] of pending) model.set(k, v);
      expect(index.size).toBe(model.size);
    }
    // The run holds most keys by now; every key answers as the model says.
    expect(index.committed.base.count).toBeGreaterThan(10_000);
    const wrong: number[] = [];
    for (let k = 0; k < 30_000; k++) if (where(index, k) !== model.get(k)) wrong.push(k);
    expect(wrong).toEqual([]);
    expect(index.memoryBytes).toBeLessThan(index.size * 16 * 1.6 + 200_000);
  });

  it("removes the entries of swept files and of given positions", () => {
    const index = new KeyIndex(["id"]);
    for (let k = 0; k < 100; k++) index.put(hashOf(k), 0, file(k % 3), k);
    index.commitPending(1n);
    const f0 = index.files.idOf(file(0).path)!;
    const f1 = index.files.idOf(file(1).path)!;
    expect(index.sweepFiles(new Set([f0]))).toBe(34);
    expect(index.files.idOf(file(0).path)).toBeUndefined();
    expect(index.removeWhere((f, pos) => f === f1 && pos < 10)).toBe(3); // keys 1, 4, 7
    expect(index.size).toBe(100 - 34 - 3);
    for (let k = 0; k < 100; k++) {
      const gone = k % 3 === 0 || (k % 3 === 1 && k < 10);
      expect(where(index, k) === undefined).toBe(gone);
    }
    index.fold();
    expect(index.committed.base.count).toBe(63);
    expect(where(index, 2)).toBe("file:///t/data/f2.parquet#2");
  });

  it("refuses catch-up changes while a commit is pending", () => {
    const index = new KeyIndex(["id"]);
    index.put(hashOf(1), 0, file(1), 0);
    expect(() => index.removeWhere(() => true)).toThrow(/commit is pending/);
  });
});

describe("SortedEntries", () => {
  it("sorts, keeps one entry per hash as told, and merges runs", () => {
    const chunks = new EntryChunks();
    const r = rng(7);
    const n = 300_000;
    for (let i = 0; i < n; i++) chunks.push(r(), r(), 1, i);
    chunks.push(5, 6, 1, 100);
    chunks.push(5, 6, 2, 200); // same hash: the later one is kept
    chunks.push(0, 0, 1, 1);
    let dups = 0;
    const run = SortedEntries.build(chunks, undefined, (d) => {
      dups += d;
    });
    expect(dups).toBe(1);
    expect(run.count).toBe(n + 2);
    const w = run.words;
    let unordered = 0;
    for (let i = 1; i < run.count; i++) {
      const [h0, l0, h1, l1] = [w[4 * (i - 1)]!, w[4 * (i - 1) + 1]!, w[4 * i]!, w[4 * i + 1]!];
      if (!(h0 < h1 || (h0 === h1 && l0 < l1))) unordered++;
    }
    expect(unordered).toBe(0);
    expect(w[4 * run.find(5, 6) + 2]).toBe(2);
    expect(run.find(0, 0)).toBe(0);
    expect(run.find(5, 7)).toBe(-1);
    const other = new EntryChunks();
    other.push(5, 6, 3, 300);
    other.push(4, 4, 3, 301);
    let merged = 0;
    const m = run.merge(
      SortedEntries.build(other),
      (fa) => fa !== 2,
      (d) => {
        merged += d;
      },
    );
    expect(merged).toBe(1);
    expect(m.count).toBe(n + 3);
    expect(w[4 * run.find(5, 6) + 2]).toBe(2);
    expect(m.words[4 * m.find(5, 6) + 2]).toBe(2);
    expect(m.words[4 * m.find(4, 4) + 3]).toBe(301);
  });
});
