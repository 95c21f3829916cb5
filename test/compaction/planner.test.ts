import { describe, expect, it } from "vitest";
import {
  binPackFirstFitDecreasing,
  MiB,
  type PlannerFile,
  planCompaction,
} from "../../src/compaction/index.js";
import { seededRandom as rng } from "../support/random.js";

const file = (path: string, sizeBytes: number, extra: Partial<PlannerFile> = {}): PlannerFile => ({
  path,
  sizeBytes,
  recordCount: Math.max(1, Math.floor(sizeBytes / 100)),
  specId: 0,
  partition: {},
  deleteCount: 0,
  ...extra,
});

describe("first-fit decreasing bin packing", () => {
  it("places every item once, within capacity, in fewer than 2*total/capacity + 1 bins", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = rng(seed);
      const capacity = 1000;
      const n = 1 + Math.floor(random() * 300);
      const items = Array.from({ length: n }, (_, i) => ({
        i,
        w: 1 + Math.floor(random() * (random() < 0.2 ? 900 : 200)),
      }));
      const bins = binPackFirstFitDecreasing(items, (x) => x.w, capacity);
      const placed = bins.flatMap((b) => b.items.map((x) => x.i)).sort((a, b) => a - b);
      expect(placed).toEqual(items.map((x) => x.i));
      const total = items.reduce((s, x) => s + x.w, 0);
      for (const b of bins) {
        expect(b.weight).toBe(b.items.reduce((s, x) => s + x.w, 0));
        expect(b.weight).toBeLessThanOrEqual(capacity);
      }
      // First fit leaves at most one bin half full or less.
      expect(bins.filter((b) => b.weight <= capacity / 2).length).toBeLessThanOrEqual(1);
      expect(bins.length).toBeLessThan((2 * total) / capacity + 1);
      expect(bins.length).toBeGreaterThanOrEqual(Math.ceil(total / capacity));
    }
  });

  it("gives an oversized item a bin of its own", () => {
    const bins = binPackFirstFitDecreasing([5, 50, 3], (x) => x, 10);
    expect(bins.map((b) => b.items)).toEqual([[50], [5, 3]]);
  });

  it("packs largest first into the first bin with room", () => {
    const bins = binPackFirstFitDecreasing([2, 5, 4, 7, 1, 3, 8], (x) => x, 10);
    expect(bins.map((b) => b.items)).toEqual([
      [8, 2],
      [7, 3],
      [5, 4, 1],
    ]);
  });
});

describe("compaction planner", () => {
  const target = 100 * MiB;

  it("picks small files per partition and packs them into groups of at most the target", () => {
    const files: PlannerFile[] = [];
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < 40; i++) files.push(file(`p${p}/f${i}`, 7 * MiB, { partition: { cat: `c${p}` } }));
      files.push(file(`p${p}/big`, 90 * MiB, { partition: { cat: `c${p}` } }));
    }
    const plan = planCompaction(files, { targetFileSizeBytes: target });
    expect(plan.totalFiles).toBe(123);
    expect(plan.candidateFiles).toBe(120);
    expect(plan.skipped.bigEnough).toBe(3);
    expect(plan.filesToRewrite).toBe(120);
    for (const g of plan.groups) {
      expect(g.inputBytes).toBeLessThanOrEqual(target);
      expect(new Set(g.files.map((f) => f.path.split("/")[0])).size).toBe(1);
    }
    // 40 x 7 MiB = 280 MiB per partition: 14 per bin -> 3 groups (14, 14, 12).
    const perPartition = new Map<string, number[]>();
    for (const g of plan.groups) {
      const list = perPartition.get(g.partitionKey) ?? [];
      list.push(g.files.length);
      perPartition.set(g.partitionKey, list);
    }
    expect([...perPartition.values()]).toEqual([
      [14, 14, 12],
      [14, 14, 12],
      [14, 14, 12],
    ]);
    expect(plan.groups[0]?.recordCount).toBe(14 * Math.floor((7 * MiB) / 100));
  });

  it("drops a group of one file without deletes, keeps one with deletes", () => {
    const plan = planCompaction(
      [
        file("a/only", 1 * MiB, { partition: { p: "a" } }),
        file("b/deleted", 99 * MiB, { partition: { p: "b" }, deleteCount: 2 }),
        file("c/x", 1 * MiB, { partition: { p: "c" }, deleteCount: 1 }),
      ],
      { targetFileSizeBytes: target, deleteFileThreshold: 2 },
    );
    expect(plan.groups.map((g) => g.files.map((f) => f.path))).toEqual([["b/deleted"]]);
    expect(plan.skipped.nothingToGain).toBe(2);
    // The threshold turned off: deletes alone never pick a file.
    const off = planCompaction([file("b/deleted", 99 * MiB, { deleteCount: 5 })], {
      targetFileSizeBytes: target,
      deleteFileThreshold: 0,
    });
    expect(off.groups).toEqual([]);
    expect(off.skipped.bigEnough).toBe(1);
  });

  it("caps groups by the memory budget and never picks a file larger than it", () => {
    const files = [
      ...Array.from({ length: 10 }, (_, i) => file(`f${i}`, 10 * MiB)),
      file("huge", 60 * MiB, { deleteCount: 1 }),
    ];
    const plan = planCompaction(files, { targetFileSizeBytes: target, maxGroupInputBytes: 30 * MiB });
    expect(plan.binCapacityBytes).toBe(30 * MiB);
    expect(plan.skipped.overBudget).toBe(1);
    expect(plan.groups.map((g) => g.files.length)).toEqual([3, 3, 3]);
    expect(plan.skipped.nothingToGain).toBe(1);
    for (const g of plan.groups) expect(g.inputBytes).toBeLessThanOrEqual(30 * MiB);
  });

  it("leaves files of other specs alone and honours maxGroups (most files first)", () => {
    const files = [
      ...Array.from({ length: 6 }, (_, i) => file(`a${i}`, 1 * MiB, { partition: { p: "a" } })),
      ...Array.from({ length: 3 }, (_, i) => file(`b${i}`, 1 * MiB, { partition: { p: "b" } })),
      ...Array.from({ length: 4 }, (_, i) => file(`old${i}`, 1 * MiB, { specId: 1 })),
    ];
    const plan = planCompaction(files, { targetFileSizeBytes: target, specId: 0, maxGroups: 1 });
    expect(plan.skipped.otherSpec).toBe(4);
    expect(plan.groups).toHaveLength(1);
    expect(plan.groups[0]?.files).toHaveLength(6);
    expect(plan.skipped.overMaxGroups).toBe(3);
  });

  it("uses ratio * target as the small-file threshold", () => {
    const files = [file("x", 74 * MiB), file("y", 76 * MiB), file("z", 10 * MiB)];
    const plan = planCompaction(files, { targetFileSizeBytes: target });
    expect(plan.groups.map((g) => g.files.map((f) => f.path).sort())).toEqual([["x", "z"]]);
    const strict = planCompaction(files, { targetFileSizeBytes: target, minFileSizeRatio: 0.05 });
    expect(strict.groups).toEqual([]);
  });

  it("rejects nonsense options", () => {
    expect(() => planCompaction([], { targetFileSizeBytes: 0 })).toThrow(RangeError);
    expect(() => planCompaction([], { minFileSizeRatio: 2 })).toThrow(RangeError);
  });
});
