/**
 * The compaction planner (pure): which live data files to rewrite, and in which groups.
 *
 * Per partition (spec id + partition tuple) it picks data files smaller than
 * `minFileSizeRatio * targetFileSizeBytes`, and files with at least `deleteFileThreshold` delete files
 * attached, then bin-packs them first-fit decreasing into groups of at most the bin capacity:
 * `min(targetFileSizeBytes, maxGroupInputBytes)` (the memory budget: Parquet bytes of input held at
 * once). A group of a single file without deletes gains nothing and is dropped; a file larger than
 * the memory budget is never picked. Files of a spec other than the table's default spec are left
 * alone (rewriting them would need repartitioning).
 */
import type { PartitionData } from "../iceberg/spec/index.js";
import { partitionKey } from "../iceberg/write/index.js";

export const MiB = 1024 * 1024;

/**
 * Compaction's target when the table sets no `write.target-file-size-bytes`: Floe's choice, below
 * Iceberg's 512 MiB (TARGET_FILE_SIZE_BYTES_DEFAULT) so that a group fits the memory budget below.
 */
export const DEFAULT_TARGET_FILE_SIZE_BYTES = 128 * MiB;
export const DEFAULT_MIN_FILE_SIZE_RATIO = 0.75;
/** Files with at least this many attached delete files are rewritten whatever their size. */
export const DEFAULT_DELETE_FILE_THRESHOLD = 1;
/** Parquet bytes of input one group may hold in memory at once (decoded Arrow is several times more). */
export const DEFAULT_MAX_GROUP_INPUT_BYTES = 256 * MiB;

/** A live data file as the planner sees it. */
export interface PlannerFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly recordCount: number;
  readonly specId: number;
  readonly partition: PartitionData;
  /** Delete files (position or equality) that apply to this file. */
  readonly deleteCount: number;
}

export interface PlannerOptions {
  /** Size of the files compaction aims for (default: table property write.target-file-size-bytes, else 128 MiB). */
  targetFileSizeBytes?: number;
  /** Files below `ratio * target` are small (default 0.75). */
  minFileSizeRatio?: number;
  /** Files with at least this many delete files attached are picked (default 1; 0 turns it off). */
  deleteFileThreshold?: number;
  /** Memory budget: Parquet bytes of input in one group (default 256 MiB). */
  maxGroupInputBytes?: number;
  /** Groups without deletes need at least this many files (default 2). */
  minInputFiles?: number;
  /** Rewrite only files of this spec (the table's default spec). */
  specId?: number;
  /** Stop after this many groups (largest file-count reduction first). */
  maxGroups?: number;
}

export interface PlannedFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly recordCount: number;
  readonly deleteCount: number;
}

export interface PlannedGroup {
  readonly specId: number;
  readonly partition: PartitionData;
  /** partitionKey of the tuple, prefixed with the spec id. */
  readonly partitionKey: string;
  readonly files: readonly PlannedFile[];
  readonly inputBytes: number;
  readonly recordCount: number;
  readonly deleteCount: number;
}

export interface SkippedCounts {
  /** Files large enough and without enough deletes. */
  readonly bigEnough: number;
  /** Candidates larger than the memory budget. */
  readonly overBudget: number;
  /** Files of another partition spec. */
  readonly otherSpec: number;
  /** Candidates left alone because their group would not reduce the file count. */
  readonly nothingToGain: number;
  /** Groups beyond maxGroups. */
  readonly overMaxGroups: number;
}

export interface CompactionPlan {
  readonly groups: PlannedGroup[];
  readonly totalFiles: number;
  readonly totalBytes: number;
  readonly candidateFiles: number;
  readonly filesToRewrite: number;
  readonly bytesToRewrite: number;
  readonly binCapacityBytes: number;
  readonly skipped: SkippedCounts;
}

export interface ResolvedPlannerOptions {
  targetFileSizeBytes: number;
  minFileSizeRatio: number;
  deleteFileThreshold: number;
  maxGroupInputBytes: number;
  minInputFiles: number;
  specId: number | undefined;
  maxGroups: number;
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

export function resolvePlannerOptions(o: PlannerOptions = {}): ResolvedPlannerOptions {
  const ratio = o.minFileSizeRatio ?? DEFAULT_MIN_FILE_SIZE_RATIO;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`minFileSizeRatio must be in [0, 1], got ${ratio}`);
  return {
    targetFileSizeBytes: positive(
      "targetFileSizeBytes",
      o.targetFileSizeBytes ?? DEFAULT_TARGET_FILE_SIZE_BYTES,
    ),
    minFileSizeRatio: ratio,
    deleteFileThreshold: Math.max(0, Math.floor(o.deleteFileThreshold ?? DEFAULT_DELETE_FILE_THRESHOLD)),
    maxGroupInputBytes: positive("maxGroupInputBytes", o.maxGroupInputBytes ?? DEFAULT_MAX_GROUP_INPUT_BYTES),
    minInputFiles: Math.max(2, Math.floor(o.minInputFiles ?? 2)),
    specId: o.specId,
    maxGroups: o.maxGroups === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(o.maxGroups)),
  };
}

/** One bin of a bin-packing: the items and their total weight. */
export interface Bin<T> {
  items: T[];
  weight: number;
}

/**
 * First-fit decreasing: items sorted by weight (largest first, ties in input order) go into the first
 * bin with room; an item heavier than the capacity gets a bin of its own. Every bin but those holding
 * one oversized item weighs at most `capacity`, and at most one bin is half full or less, so the count
 * is below 2 * total / capacity + 1 (and within 11/9 of the optimum + 1).
 */
export function binPackFirstFitDecreasing<T>(
  items: readonly T[],
  weight: (item: T) => number,
  capacity: number,
): Bin<T>[] {
  const order = items.map((item, i) => ({ item, i, w: weight(item) }));
  order.sort((a, b) => b.w - a.w || a.i - b.i);
  const bins: Bin<T>[] = [];
  for (const { item, w } of order) {
    const bin = bins.find((b) => b.weight + w <= capacity);
    if (bin) {
      bin.items.push(item);
      bin.weight += w;
    } else {
      bins.push({ items: [item], weight: w });
    }
  }
  return bins;
}

/** The key planner groups share: spec id + partition tuple. */
export function filePartitionKey(specId: number, partition: PartitionData): string {
  return `${specId}:${partitionKey(Object.values(partition))}`;
}

/** Plans the rewrite of `files` (the live data files of one snapshot). */
export function planCompaction(files: readonly PlannerFile[], options: PlannerOptions = {}): CompactionPlan {
  const o = resolvePlannerOptions(options);
  const capacity = Math.min(o.targetFileSizeBytes, o.maxGroupInputBytes);
  const smallBelow = o.minFileSizeRatio * o.targetFileSizeBytes;
  let bigEnough = 0;
  let overBudget = 0;
  let otherSpec = 0;
  let nothingToGain = 0;
  let candidateFiles = 0;
  let totalBytes = 0;
  const byPartition = new Map<string, { specId: number; partition: PartitionData; files: PlannerFile[] }>();
  for (const f of files) {
    totalBytes += f.sizeBytes;
    if (o.specId !== undefined && f.specId !== o.specId) {
      otherSpec++;
      continue;
    }
    const small = f.sizeBytes < smallBelow;
    const deletes = o.deleteFileThreshold > 0 && f.deleteCount >= o.deleteFileThreshold;
    if (!small && !deletes) {
      bigEnough++;
      continue;
    }
    if (f.sizeBytes > o.maxGroupInputBytes) {
      overBudget++;
      continue;
    }
    candidateFiles++;
    const key = filePartitionKey(f.specId, f.partition);
    let p = byPartition.get(key);
    if (p === undefined) {
      p = { specId: f.specId, partition: f.partition, files: [] };
      byPartition.set(key, p);
    }
    p.files.push(f);
  }

  const groups: PlannedGroup[] = [];
  for (const [key, p] of [...byPartition].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const bin of binPackFirstFitDecreasing(p.files, (f) => f.sizeBytes, capacity)) {
      const deleteCount = bin.items.reduce((n, f) => n + f.deleteCount, 0);
      const withDeletes =
        o.deleteFileThreshold > 0 && bin.items.some((f) => f.deleteCount >= o.deleteFileThreshold);
      if (bin.items.length < o.minInputFiles && !withDeletes) {
        nothingToGain += bin.items.length;
        continue;
      }
      groups.push({
        specId: p.specId,
        partition: p.partition,
        partitionKey: key,
        files: bin.items.map((f) => ({
          path: f.path,
          sizeBytes: f.sizeBytes,
          recordCount: f.recordCount,
          deleteCount: f.deleteCount,
        })),
        inputBytes: bin.weight,
        recordCount: bin.items.reduce((n, f) => n + f.recordCount, 0),
        deleteCount,
      });
    }
  }
  // Most files removed first, so a capped run does the most useful work.
  const ranked = groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => b.g.files.length - a.g.files.length || a.i - b.i)
    .map((x) => x.g);
  const kept = ranked.slice(0, Math.min(ranked.length, o.maxGroups));
  const overMaxGroups = ranked.slice(kept.length).reduce((n, g) => n + g.files.length, 0);
  const keptSet = new Set(kept);
  const chosen = groups.filter((g) => keptSet.has(g));
  return {
    groups: chosen,
    totalFiles: files.length,
    totalBytes,
    candidateFiles,
    filesToRewrite: chosen.reduce((n, g) => n + g.files.length, 0),
    bytesToRewrite: chosen.reduce((n, g) => n + g.inputBytes, 0),
    binCapacityBytes: capacity,
    skipped: { bigEnough, overBudget, otherSpec, nothingToGain, overMaxGroups },
  };
}
