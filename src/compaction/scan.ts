/**
 * The live files of a snapshot as compaction needs them: each data and delete file with its partition
 * spec id and data sequence number, and which delete files apply to which data file (Iceberg's scan
 * planning rules: a position delete applies to data files of its partition with a data sequence number
 * <= its own, an equality delete to those with a lower one; an equality delete of an unpartitioned
 * spec applies to every partition).
 */
import type { FileIO } from "../iceberg/io/index.js";
import { hasLiveFiles, readManifestEntries, readManifestList } from "../iceberg/snapshot/index.js";
import { type DataFile, ENTRY_STATUS, type PartitionSpec, type Snapshot } from "../iceberg/spec/index.js";
import { filePartitionKey, type PlannerFile } from "./planner.js";

export interface ScannedFile {
  readonly file: DataFile;
  readonly specId: number;
  /** The entry's data sequence number (inherited ones resolved). */
  readonly sequenceNumber: bigint;
  /** The manifest that lists it (unset for files found elsewhere). */
  readonly manifestPath?: string;
}

export interface SnapshotFiles {
  readonly data: ScannedFile[];
  readonly deletes: ScannedFile[];
  /** Paths of the live manifests read. */
  readonly manifests: string[];
}

/** Every live data and delete file of `snapshot` (none for no snapshot). */
export async function scanSnapshot(io: FileIO, snapshot: Snapshot | undefined): Promise<SnapshotFiles> {
  const data: ScannedFile[] = [];
  const deletes: ScannedFile[] = [];
  const manifests: string[] = [];
  for (const m of await readManifestList(io, snapshot)) {
    if (!hasLiveFiles(m)) continue;
    manifests.push(m.manifest_path);
    for (const e of await readManifestEntries(io, m)) {
      if (e.status === ENTRY_STATUS.DELETED) continue;
      const scanned: ScannedFile = {
        file: e.data_file,
        specId: m.partition_spec_id,
        sequenceNumber: e.sequence_number ?? m.sequence_number,
        manifestPath: m.manifest_path,
      };
      (e.data_file.content === 0 ? data : deletes).push(scanned);
    }
  }
  return { data, deletes, manifests };
}

/** Finds the delete files that apply to a data file. Build once per snapshot, query per data file. */
export class DeleteIndex {
  private readonly byPartition = new Map<string, ScannedFile[]>();
  private readonly global: ScannedFile[] = [];

  /** `unpartitionedSpecs`: ids of specs without fields (their equality deletes are global). */
  constructor(deletes: readonly ScannedFile[], unpartitionedSpecs: ReadonlySet<number>) {
    for (const d of deletes) {
      if (d.file.content === 2 && unpartitionedSpecs.has(d.specId)) {
        this.global.push(d);
        continue;
      }
      const key = filePartitionKey(d.specId, d.file.partition);
      const list = this.byPartition.get(key);
      if (list) list.push(d);
      else this.byPartition.set(key, [d]);
    }
  }

  get size(): number {
    let n = this.global.length;
    for (const l of this.byPartition.values()) n += l.length;
    return n;
  }

  /** Delete files applying to `data`, position deletes first. */
  deletesFor(data: ScannedFile): ScannedFile[] {
    const local = this.byPartition.get(filePartitionKey(data.specId, data.file.partition)) ?? [];
    const out: ScannedFile[] = [];
    for (const d of [...local, ...this.global]) {
      if (d.file.content === 1) {
        if (d.sequenceNumber < data.sequenceNumber) continue;
        const ref = d.file.referenced_data_file;
        if (ref !== undefined && ref !== null && ref !== data.file.file_path) continue;
        out.push(d);
      } else if (d.file.content === 2) {
        if (d.sequenceNumber <= data.sequenceNumber) continue;
        out.push(d);
      }
    }
    return out.sort((a, b) => a.file.content - b.file.content);
  }
}

/** Ids of the table's specs that have no partition fields. */
export function unpartitionedSpecIds(specs: readonly PartitionSpec[]): Set<number> {
  return new Set(specs.filter((s) => s.fields.length === 0).map((s) => s["spec-id"]));
}

/** Planner inputs for the data files of a snapshot, with their attached delete counts. */
export function plannerFiles(
  files: SnapshotFiles,
  deleteCount: (data: ScannedFile) => number,
): PlannerFile[] {
  return files.data.map((d) => ({
    path: d.file.file_path,
    sizeBytes: Number(d.file.file_size_in_bytes),
    recordCount: Number(d.file.record_count),
    specId: d.specId,
    partition: d.file.partition,
    deleteCount: deleteCount(d),
  }));
}
