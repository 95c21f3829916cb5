/**
 * Delete files a rewrite makes obsolete. Once the data files a delete file applies to are rewritten
 * (their deletes applied), the delete file removes nothing any more and goes in the same replace
 * snapshot, so a table with deletes converges to none after a compaction.
 *
 * Which data files a delete file applies to, in the planned snapshot (data files added later have a
 * higher data sequence number, so no delete file of the plan ever applies to them):
 * - a position delete: those its partition and sequence number let it apply to (DeleteIndex), and of
 *   those only the ones it names (its `referenced_data_file`, else its `file_path` column, read only
 *   when the first bound is not enough);
 * - an equality delete: every data file it may apply to by partition and sequence number.
 * A delete file that applies to no live data file at all is dangling and goes with any rewrite of its
 * partition (or on its own, jobs.ts). Delete files are named by deleteFileKey: a deletion vector by
 * its Puffin path and offset, so one goes without the other vectors of its Puffin file.
 */
import type { FileIO } from "../iceberg/io/index.js";
import { deleteFileKey } from "../iceberg/snapshot/index.js";
import { positionDeleteTargets } from "./apply-deletes.js";
import { parquetToArrow } from "./arrow-read.js";
import { filePartitionKey } from "./planner.js";
import type { DeleteIndex, ScannedFile, SnapshotFiles } from "./scan.js";

/** The data file paths a position delete file names (its `file_path` column). */
export type ReferencedPaths = (d: ScannedFile) => Promise<ReadonlySet<string>>;

/** Reads `file_path` columns of position delete files from `io` (each file once). */
export function readReferencedPaths(io: FileIO): ReferencedPaths {
  const cache = new Map<string, Promise<ReadonlySet<string>>>();
  return (d) => {
    const path = d.file.file_path;
    let p = cache.get(path);
    if (p === undefined) {
      p = io.read(path).then((bytes) => positionDeleteTargets(parquetToArrow(bytes, path)));
      cache.set(path, p);
    }
    return p;
  };
}

export class DeleteCoverage {
  /** Live delete files by deleteFileKey. */
  private readonly entries = new Map<string, ScannedFile>();
  /** Per delete file: the live data files it may apply to (partition and sequence rules). */
  private readonly candidates = new Map<string, Set<string>>();
  private readonly byPartition = new Map<string, string[]>();
  /** Per data file: how many delete files may apply to it. */
  private readonly attached = new Map<string, number>();
  /** Delete files a commit of this run already removed. */
  private readonly removed = new Set<string>();

  constructor(
    files: SnapshotFiles,
    private readonly index: DeleteIndex,
    private readonly referenced: ReferencedPaths,
  ) {
    for (const d of files.deletes) {
      const key = deleteFileKey(d.file);
      this.entries.set(key, d);
      this.candidates.set(key, new Set());
      const partition = filePartitionKey(d.specId, d.file.partition);
      const keys = this.byPartition.get(partition);
      if (keys) keys.push(key);
      else this.byPartition.set(partition, [key]);
    }
    if (index.size === 0) return;
    for (const data of files.data) {
      const applying = index.deletesFor(data);
      this.attached.set(data.file.file_path, applying.length);
      for (const d of applying) this.candidates.get(deleteFileKey(d.file))?.add(data.file.file_path);
    }
  }

  /** Number of delete files live in the planned snapshot. */
  get size(): number {
    return this.entries.size;
  }

  /** How many delete files may apply to the data file `path` (by partition and sequence number). */
  attachedTo(path: string): number {
    return this.attached.get(path) ?? 0;
  }

  /** The manifests listing the delete files `keys`. */
  manifestsOf(keys: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const k of keys) {
      const m = this.entries.get(k)?.manifestPath;
      if (m !== undefined) out.add(m);
    }
    return out;
  }

  /** Records that a commit removed `keys` (later groups do not remove them again). */
  markRemoved(keys: readonly string[]): void {
    for (const k of keys) this.removed.add(k);
  }

  /** Delete files (keys) that apply to no live data file, outside the partitions in `except`. */
  dangling(except: ReadonlySet<string> = new Set()): string[] {
    const out: string[] = [];
    for (const [partition, keys] of this.byPartition) {
      if (except.has(partition)) continue;
      for (const k of keys) if (this.candidates.get(k)?.size === 0 && !this.removed.has(k)) out.push(k);
    }
    return out.sort();
  }

  /**
   * The delete files (keys) that apply to no data file outside `rewritten` (the files this commit
   * removes plus those earlier commits of the run removed), among those attached to `inputs` and the
   * dangling ones of `partitionKey`.
   */
  async obsolete(
    inputs: readonly ScannedFile[],
    partitionKey: string,
    rewritten: ReadonlySet<string>,
  ): Promise<string[]> {
    const keys = new Set<string>();
    if (this.index.size > 0) {
      for (const f of inputs) for (const d of this.index.deletesFor(f)) keys.add(deleteFileKey(d.file));
    }
    for (const k of this.dangling()) {
      const d = this.entries.get(k);
      if (d && filePartitionKey(d.specId, d.file.partition) === partitionKey) keys.add(k);
    }
    const out: string[] = [];
    for (const key of keys) {
      if (this.removed.has(key)) continue;
      const kept = [...(this.candidates.get(key) ?? [])].filter((p) => !rewritten.has(p));
      if (kept.length === 0 || (await this.namesNone(key, kept))) out.push(key);
    }
    return out.sort();
  }

  /** True when the delete file `key` is a position delete naming none of `kept`. */
  private async namesNone(key: string, kept: readonly string[]): Promise<boolean> {
    const d = this.entries.get(key);
    if (d === undefined || d.file.content !== 1) return false;
    const ref = d.file.referenced_data_file;
    const named = ref !== undefined && ref !== null ? new Set([ref]) : await this.referenced(d);
    return !kept.some((p) => named.has(p));
  }
}
