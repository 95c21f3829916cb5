/**
 * Delete files a rewrite makes obsolete. Once the data files a delete file applies to are rewritten
 * (their deletes applied), the delete file removes nothing any more and goes in the same replace
 * snapshot, so a table with deletes converges to none after a compaction.
 *
 * Which data files a delete file applies to, in the planned snapshot (data files added later have a
 * higher data sequence number, so no delete file of the plan ever applies to them):
 * - a position delete: the data files it names (its `referenced_data_file`, else the `file_path`
 *   column read from the file; only when the cheap bound below is not enough), among those its
 *   partition and sequence number let it apply to;
 * - an equality delete: every data file it may apply to by partition and sequence number (DeleteIndex).
 * A delete file that applies to no live data file at all is dangling and goes with any rewrite of its
 * partition. Several deletion vectors may share one Puffin file: a path goes only when every live
 * entry under it is obsolete (a snapshot removes files by path).
 */
import type { FileIO } from "../iceberg/io/index.js";
import { positionDeleteTargets } from "./apply-deletes.js";
import { parquetToArrow } from "./arrow-read.js";
import { filePartitionKey } from "./planner.js";
import type { DeleteIndex, ScannedFile, SnapshotFiles } from "./scan.js";

/** Reads the data file paths a position delete file names (its `file_path` column). */
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
  /** Live delete entries by path (a Puffin file holds several deletion vectors). */
  private readonly entries = new Map<string, ScannedFile[]>();
  /** Per delete path: the live data files its entries may apply to (partition and sequence rules). */
  private readonly candidates = new Map<string, Set<string>>();
  private readonly byPartition = new Map<string, string[]>();
  /** Paths a commit of this run already removed. */
  private readonly removed = new Set<string>();

  constructor(
    files: SnapshotFiles,
    private readonly index: DeleteIndex,
    private readonly referenced: ReferencedPaths,
  ) {
    for (const d of files.deletes) {
      const list = this.entries.get(d.file.file_path);
      if (list) list.push(d);
      else {
        this.entries.set(d.file.file_path, [d]);
        this.candidates.set(d.file.file_path, new Set());
        const key = filePartitionKey(d.specId, d.file.partition);
        const paths = this.byPartition.get(key);
        if (paths) paths.push(d.file.file_path);
        else this.byPartition.set(key, [d.file.file_path]);
      }
    }
    if (index.size === 0) return;
    for (const data of files.data) {
      for (const d of index.deletesFor(data)) this.candidates.get(d.file.file_path)?.add(data.file.file_path);
    }
  }

  /** The manifests listing the live entries of `paths`. */
  manifestsOf(paths: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const p of paths) {
      for (const d of this.entries.get(p) ?? []) if (d.manifestPath !== undefined) out.add(d.manifestPath);
    }
    return out;
  }

  /** Records that a commit removed `paths` (later groups do not remove them again). */
  markRemoved(paths: readonly string[]): void {
    for (const p of paths) this.removed.add(p);
  }

  /** Delete files that apply to no live data file, outside the partitions in `except`. */
  dangling(except: ReadonlySet<string> = new Set()): string[] {
    const out: string[] = [];
    for (const [key, paths] of this.byPartition) {
      if (except.has(key)) continue;
      for (const p of paths) if (this.candidates.get(p)?.size === 0 && !this.removed.has(p)) out.push(p);
    }
    return out.sort();
  }

  /** Number of delete files (paths) live in the planned snapshot. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The delete file paths that apply to no data file outside `rewritten` (the files this commit
   * removes plus those earlier commits of the run removed), among those attached to `inputs` and the
   * dangling ones of `partitionKey`.
   */
  async obsolete(
    inputs: readonly ScannedFile[],
    partitionKey: string,
    rewritten: ReadonlySet<string>,
  ): Promise<string[]> {
    const paths = new Set<string>();
    if (this.index.size > 0) {
      for (const f of inputs) for (const d of this.index.deletesFor(f)) paths.add(d.file.file_path);
    }
    for (const p of this.byPartition.get(partitionKey) ?? []) {
      if (this.candidates.get(p)?.size === 0) paths.add(p);
    }
    const out: string[] = [];
    for (const path of paths) {
      if (this.removed.has(path)) continue;
      const candidates = this.candidates.get(path) ?? new Set<string>();
      const kept = [...candidates].filter((p) => !rewritten.has(p));
      if (kept.length === 0 || (await this.namesNone(path, kept))) out.push(path);
    }
    return out.sort();
  }

  /** True when every entry under `path` is a position delete naming none of `kept`. */
  private async namesNone(path: string, kept: readonly string[]): Promise<boolean> {
    for (const d of this.entries.get(path) ?? []) {
      if (d.file.content !== 1) return false;
      const ref = d.file.referenced_data_file;
      const named = ref !== undefined && ref !== null ? new Set([ref]) : await this.referenced(d);
      if (kept.some((p) => named.has(p))) return false;
    }
    return true;
  }
}
