/**
 * Commit-time validation for a rewrite (Iceberg's validateNoNewDeletesForDataFiles): no delete file
 * added since the plan's snapshot may apply to an input of the group. A rewritten file gets a new data
 * sequence number, so an equality delete committed while we rewrote (sequence number between the old
 * file's and ours) would stop applying, and a position delete naming an input file would point at a
 * file that is gone: either way deleted rows would come back. Equality deletes count when they land
 * in the group's partition (or are global); position deletes when they name an input (by
 * `referenced_data_file`, else by the paths the file holds, read once). Such a group is abandoned
 * (and replanned on the next run).
 */
import type { FileIO } from "../iceberg/io/index.js";
import { readManifestEntries, readManifestList } from "../iceberg/snapshot/index.js";
import {
  ancestorsOf,
  ENTRY_STATUS,
  MAIN_BRANCH,
  type Snapshot,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { type ReferencedPaths, readReferencedPaths } from "./obsolete-deletes.js";
import { filePartitionKey } from "./planner.js";
import type { ScannedFile } from "./scan.js";

/** True when a snapshot's summary says (or cannot rule out) that it added delete files. */
export function mayAddDeletes(s: Snapshot): boolean {
  const op = s.summary.operation;
  if (op === "append") return false;
  const added = s.summary["added-delete-files"];
  if (added !== undefined) return Number(added) > 0;
  const standard = ["added-records", "deleted-records", "total-records", "changed-partition-count"].some(
    (k) => s.summary[k] !== undefined,
  );
  // Our and Java's summaries name added delete files when there are any; without standard keys, look.
  return !standard && op !== "replace";
}

export interface GroupScope {
  /** filePartitionKey of the group (spec id + partition). */
  partitionKey: string;
  /** Input file paths. */
  inputs: ReadonlySet<string>;
}

/** Delete files added by snapshots, cached across attempts and groups. */
export class NewDeletesCheck {
  private readonly added = new Map<bigint, ScannedFile[]>();

  private readonly targets: ReferencedPaths;

  constructor(
    private readonly io: FileIO,
    private readonly unpartitionedSpecs: ReadonlySet<number>,
    /** The data files a position delete file names (default: read from its file_path column). */
    targets?: ReferencedPaths,
  ) {
    this.targets = targets ?? readReferencedPaths(io);
  }

  /** The first input `d` (a position delete file) names, if any. */
  private async namedInput(d: ScannedFile, inputs: ReadonlySet<string>): Promise<string | undefined> {
    const ref = d.file.referenced_data_file;
    if (ref !== undefined && ref !== null) return inputs.has(ref) ? ref : undefined;
    const named = await this.targets(d);
    const [small, large] = named.size < inputs.size ? [named, inputs] : [inputs, named];
    for (const p of small) if (large.has(p)) return p;
    return undefined;
  }

  private async addedBy(s: Snapshot): Promise<ScannedFile[]> {
    const id = s["snapshot-id"];
    const cached = this.added.get(id);
    if (cached) return cached;
    const out: ScannedFile[] = [];
    for (const m of await readManifestList(this.io, s)) {
      if (m.content !== 1 || m.added_snapshot_id !== id) continue;
      for (const e of await readManifestEntries(this.io, m)) {
        if (e.status !== ENTRY_STATUS.ADDED) continue;
        out.push({ file: e.data_file, specId: m.partition_spec_id, sequenceNumber: e.sequence_number ?? 0n });
      }
    }
    this.added.set(id, out);
    return out;
  }

  /**
   * Undefined when no snapshot after `planSnapshotId` on main added a delete file that may apply to the
   * group; otherwise the reason to abandon it.
   */
  async conflict(md: TableMetadata, planSnapshotId: bigint, scope: GroupScope): Promise<string | undefined> {
    const head = md.refs[MAIN_BRANCH]?.["snapshot-id"] ?? md["current-snapshot-id"];
    const chain = ancestorsOf(head, md.snapshots);
    const stop = chain.findIndex((s) => s["snapshot-id"] === planSnapshotId);
    if (stop < 0) return `the planned snapshot ${planSnapshotId} is no longer an ancestor of main`;
    for (const s of chain.slice(0, stop)) {
      if (!mayAddDeletes(s)) continue;
      for (const d of await this.addedBy(s)) {
        if (d.file.content === 2 && this.unpartitionedSpecs.has(d.specId)) {
          return `snapshot ${s["snapshot-id"]} added global equality deletes`;
        }
        if (filePartitionKey(d.specId, d.file.partition) !== scope.partitionKey) continue;
        if (d.file.content === 1) {
          const hit = await this.namedInput(d, scope.inputs);
          if (hit === undefined) continue;
          return `snapshot ${s["snapshot-id"]} added position deletes for input ${hit}`;
        }
        return `snapshot ${s["snapshot-id"]} added equality deletes in the group's partition`;
      }
    }
    return undefined;
  }
}
