/**
 * The last step every snapshot-producing change shares: write the manifest list, build the snapshot
 * (sequence number, parent, summary, schema id) and the commit that adds it to a branch, guarded by
 * the table uuid and the branch head it was built on.
 */
import { randomUUID } from "node:crypto";
import { encodeManifestList } from "../avro/index.js";
import type { FileIO } from "../io/index.js";
import type {
  ManifestFile,
  Snapshot,
  SnapshotSummary,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from "../spec/index.js";
import { writeVersion } from "./manifests.js";

export interface SnapshotCommitInput {
  io: FileIO;
  base: TableMetadata;
  branch: string;
  snapshotId: bigint;
  parent: Snapshot | undefined;
  sequenceNumber: bigint;
  /** The new snapshot's manifests, sequence numbers already assigned. */
  manifests: readonly ManifestFile[];
  summary: SnapshotSummary;
  now: () => number;
}

export interface StagedSnapshotCommit {
  snapshot: Snapshot;
  requirements: TableRequirement[];
  updates: TableUpdate[];
  /** The manifest list written for this attempt. */
  listPath: string;
}

/**
 * Row lineage (v3): data manifests without a first_row_id (those this snapshot wrote) get the next
 * free row ids, one range of added plus existing rows each, starting at the table's next-row-id. The
 * snapshot's first-row-id is that start and added-rows the ids it used; the catalog advances
 * next-row-id by them.
 */
export function assignRowIds(
  manifests: readonly ManifestFile[],
  nextRowId: bigint,
): { manifests: ManifestFile[]; firstRowId: bigint; addedRows: bigint } {
  let next = nextRowId;
  const out = manifests.map((m) => {
    if (m.content !== 0 || m.first_row_id !== undefined) return m;
    const assigned = { ...m, first_row_id: next };
    next += (m.added_rows_count ?? 0n) + (m.existing_rows_count ?? 0n);
    return assigned;
  });
  return { manifests: out, firstRowId: nextRowId, addedRows: next - nextRowId };
}

/** Writes the manifest list and returns the snapshot with the requirements and updates that commit it. */
export async function stageSnapshotCommit(input: SnapshotCommitInput): Promise<StagedSnapshotCommit> {
  const { io, base, branch, snapshotId, parent, sequenceNumber } = input;
  const listPath = `${base.location.replace(/\/+$/, "")}/metadata/snap-${snapshotId}-${randomUUID()}.avro`;
  const lineage =
    base["format-version"] >= 3 ? assignRowIds(input.manifests, base["next-row-id"] ?? 0n) : undefined;
  const bytes = encodeManifestList({
    manifests: lineage?.manifests ?? [...input.manifests],
    snapshotId,
    parentSnapshotId: parent?.["snapshot-id"] ?? null,
    sequenceNumber,
    formatVersion: writeVersion(base),
    ...(lineage === undefined ? {} : { firstRowId: lineage.firstRowId }),
  });
  await io.write(listPath, bytes, { ifNoneMatch: true, contentType: "application/avro" });
  const snapshot: Snapshot = {
    "snapshot-id": snapshotId,
    "sequence-number": sequenceNumber,
    "timestamp-ms": Math.max(input.now(), base["last-updated-ms"]),
    "manifest-list": listPath,
    summary: input.summary,
    "schema-id": base["current-schema-id"],
    ...(parent === undefined ? {} : { "parent-snapshot-id": parent["snapshot-id"] }),
    ...(lineage === undefined ? {} : { "first-row-id": lineage.firstRowId, "added-rows": lineage.addedRows }),
  };
  const uuid = base["table-uuid"];
  const requirements: TableRequirement[] = [
    ...(uuid === undefined ? [] : [{ type: "assert-table-uuid" as const, uuid }]),
    { type: "assert-ref-snapshot-id", ref: branch, "snapshot-id": parent?.["snapshot-id"] ?? null },
  ];
  const updates: TableUpdate[] = [
    { action: "add-snapshot", snapshot },
    { action: "set-snapshot-ref", "ref-name": branch, type: "branch", "snapshot-id": snapshotId },
  ];
  return { snapshot, requirements, updates, listPath };
}

/**
 * The files a change wrote over its attempts and which of them each attempt's manifest list used, so
 * that once the outcome is known the ones no snapshot references can be deleted.
 */
export class WrittenFiles {
  private readonly all: string[] = [];
  private readonly usedBy = new Map<string, readonly string[]>();

  add(path: string): void {
    this.all.push(path);
  }

  /** An attempt wrote `listPath`, which references `used` (besides itself). */
  attempt(listPath: string, used: readonly string[]): void {
    this.all.push(listPath);
    this.usedBy.set(listPath, used);
  }

  /**
   * Files `md` does not reference: all of them when nothing landed (`md` undefined), else those of
   * the attempts other than the one whose snapshot `md` holds (none when it holds no such snapshot).
   */
  unreferenced(snapshotId: bigint, md?: TableMetadata): string[] {
    if (md === undefined) return [...this.all];
    const list = md.snapshots.find((s) => s["snapshot-id"] === snapshotId)?.["manifest-list"];
    const used = list === undefined ? undefined : this.usedBy.get(list);
    if (list === undefined || used === undefined) return [];
    const keep = new Set([list, ...used]);
    return this.all.filter((p) => !keep.has(p));
  }
}
