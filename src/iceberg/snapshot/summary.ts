/**
 * Snapshot summaries with Iceberg's standard keys (`added-data-files`, `total-records`, ...), derived from
 * the files a snapshot adds and removes plus the parent's totals. Values are decimal strings.
 *
 * As Java's SnapshotSummary counts them: every delete file counts in `added/removed-delete-files`; a
 * deletion vector (a position delete stored in a Puffin file) counts in `added/removed-dvs` instead of
 * `added/removed-position-delete-files`, its cardinality in the position deletes, and its blob's
 * `content_size_in_bytes` (not the whole Puffin file) in the files size.
 */
import type { DataFile, SnapshotSummary } from "../spec/index.js";
import { isDeletionVector, partitionKey } from "../write/index.js";

export interface SummaryChanges {
  addedFiles: readonly DataFile[];
  removedFiles: readonly DataFile[];
}

interface Counts {
  dataFiles: bigint;
  deleteFiles: bigint;
  positionDeleteFiles: bigint;
  dvs: bigint;
  equalityDeleteFiles: bigint;
  records: bigint;
  positionDeletes: bigint;
  equalityDeletes: bigint;
  filesSize: bigint;
}

function count(files: readonly DataFile[]): Counts {
  const c: Counts = {
    dataFiles: 0n,
    deleteFiles: 0n,
    positionDeleteFiles: 0n,
    dvs: 0n,
    equalityDeleteFiles: 0n,
    records: 0n,
    positionDeletes: 0n,
    equalityDeletes: 0n,
    filesSize: 0n,
  };
  for (const f of files) {
    const dv = isDeletionVector(f);
    c.filesSize += dv ? (f.content_size_in_bytes ?? f.file_size_in_bytes) : f.file_size_in_bytes;
    if (f.content === 0) {
      c.dataFiles++;
      c.records += f.record_count;
    } else {
      c.deleteFiles++;
      if (f.content === 1) {
        if (dv) c.dvs++;
        else c.positionDeleteFiles++;
        c.positionDeletes += f.record_count;
      } else {
        c.equalityDeleteFiles++;
        c.equalityDeletes += f.record_count;
      }
    }
  }
  return c;
}

const TOTALS = [
  ["total-data-files", "dataFiles"],
  ["total-delete-files", "deleteFiles"],
  ["total-records", "records"],
  ["total-files-size", "filesSize"],
  ["total-position-deletes", "positionDeletes"],
  ["total-equality-deletes", "equalityDeletes"],
] as const;

/**
 * The summary for a snapshot. Totals add this snapshot's changes to the parent's totals; a total the
 * parent does not carry is left out (it cannot be derived without reading every manifest), except for
 * a table's first snapshot, whose totals are its own changes.
 */
export function buildSummary(
  operation: string,
  changes: SummaryChanges,
  parent: SnapshotSummary | undefined,
  isFirstSnapshot: boolean,
  extra: Readonly<Record<string, string>> = {},
): SnapshotSummary {
  const added = count(changes.addedFiles);
  const removed = count(changes.removedFiles);
  const summary: Record<string, string> = { operation };
  const put = (key: string, v: bigint) => {
    if (v !== 0n) summary[key] = v.toString();
  };
  put("added-data-files", added.dataFiles);
  put("deleted-data-files", removed.dataFiles);
  put("added-delete-files", added.deleteFiles);
  put("added-position-delete-files", added.positionDeleteFiles);
  put("added-dvs", added.dvs);
  put("added-equality-delete-files", added.equalityDeleteFiles);
  put("removed-delete-files", removed.deleteFiles);
  put("removed-position-delete-files", removed.positionDeleteFiles);
  put("removed-dvs", removed.dvs);
  put("removed-equality-delete-files", removed.equalityDeleteFiles);
  put("added-records", added.records);
  put("deleted-records", removed.records);
  put("added-position-deletes", added.positionDeletes);
  put("removed-position-deletes", removed.positionDeletes);
  put("added-equality-deletes", added.equalityDeletes);
  put("removed-equality-deletes", removed.equalityDeletes);
  put("added-files-size", added.filesSize);
  put("removed-files-size", removed.filesSize);
  const partitions = new Set(
    [...changes.addedFiles, ...changes.removedFiles].map((f) => partitionKey(Object.values(f.partition))),
  );
  summary["changed-partition-count"] = String(partitions.size);
  for (const [key, field] of TOTALS) {
    const before = isFirstSnapshot ? 0n : parseTotal(parent?.[key]);
    if (before === undefined) continue;
    const total = before + added[field] - removed[field];
    summary[key] = (total < 0n ? 0n : total).toString();
  }
  return { ...summary, ...extra, operation };
}

function parseTotal(v: string | undefined): bigint | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return BigInt(v);
}
