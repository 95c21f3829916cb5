/**
 * Snapshot producers: fast append, replace (compaction), overwrite, and row delta (data plus position
 * or equality delete files). A producer is prepared once (its new manifests are written once, with
 * inherited sequence numbers) and staged per commit attempt against the freshest base: it reads the base
 * snapshot's manifest list, rewrites the manifests that hold removed files, checks those files are still
 * live, writes a manifest list, and returns the snapshot plus the table updates and requirements.
 */
import { randomUUID } from "node:crypto";
import { FloeError } from "../../errors.js";
import {
  type DataFile,
  ENTRY_STATUS,
  encodeManifestList,
  type ManifestEntry,
  type ManifestFile,
} from "../avro/index.js";
import type { FileIO } from "../io/index.js";
import {
  currentSchema,
  MAIN_BRANCH,
  type PartitionSpec,
  type Snapshot,
  snapshotForRef,
  specById,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "../spec/index.js";
import {
  addedEntries,
  hasLiveFiles,
  type ManifestContext,
  nextSequenceNumber,
  readManifestEntries,
  readManifestList,
  writeManifest,
  writeVersion,
} from "./manifests.js";
import { buildSummary } from "./summary.js";

export type ProducerOperation = "append" | "replace" | "overwrite" | "delete";

export interface SnapshotChanges {
  /** Data files (content 0) added by this snapshot. */
  addedDataFiles?: readonly DataFile[];
  /** Position (1) or equality (2) delete files added by this snapshot. */
  addedDeleteFiles?: readonly DataFile[];
  /** Paths of live files (data or delete) this snapshot removes; each must still be live at commit. */
  removedFilePaths?: readonly string[];
  /** Extra summary properties (e.g. the sink's committed offsets). */
  summary?: Readonly<Record<string, string>>;
}

export interface StagedSnapshot {
  snapshot: Snapshot;
  updates: TableUpdate[];
  requirements: TableRequirement[];
  /** Files written for this attempt only (manifest list, rewritten manifests): delete them if it fails. */
  attemptFiles: string[];
}

export interface ProducerOptions {
  io: FileIO;
  /** The branch to commit to (default main). */
  branch?: string;
  /** Fixed snapshot id (tests); otherwise a random positive 63-bit id. */
  snapshotId?: bigint;
  now?: () => number;
}

/** A random positive snapshot id that fits in a signed 64-bit long. */
export function newSnapshotId(): bigint {
  const bytes = new BigUint64Array(1);
  crypto.getRandomValues(bytes);
  const id = (bytes[0] ?? 1n) & 0x7fffffffffffffffn;
  return id === 0n ? 1n : id;
}

function operationFor(changes: SnapshotChanges, requested?: ProducerOperation): ProducerOperation {
  if (requested !== undefined) return requested;
  const removes = (changes.removedFilePaths?.length ?? 0) > 0;
  const deletes = (changes.addedDeleteFiles?.length ?? 0) > 0;
  return removes || deletes ? "overwrite" : "append";
}

export class SnapshotProducer {
  readonly snapshotId: bigint;
  readonly operation: ProducerOperation;
  private readonly branch: string;
  private readonly now: () => number;
  private prepared?: { manifests: ManifestFile[]; spec: PartitionSpec };
  private readonly added: DataFile[];

  constructor(
    private readonly opts: ProducerOptions,
    private readonly changes: SnapshotChanges,
    operation?: ProducerOperation,
  ) {
    this.snapshotId = opts.snapshotId ?? newSnapshotId();
    this.operation = operationFor(changes, operation);
    this.branch = opts.branch ?? MAIN_BRANCH;
    this.now = opts.now ?? Date.now;
    this.added = [...(changes.addedDataFiles ?? []), ...(changes.addedDeleteFiles ?? [])];
    for (const f of changes.addedDataFiles ?? []) {
      if (f.content !== 0) throw new FloeError("INVALID_ARGUMENT", `${f.file_path} is not a data file`);
    }
    for (const f of changes.addedDeleteFiles ?? []) {
      if (f.content === 0) throw new FloeError("INVALID_ARGUMENT", `${f.file_path} is not a delete file`);
    }
  }

  /** Writes the manifests of the added files (once; reused by every attempt). */
  private async prepare(base: TableMetadata): Promise<{ manifests: ManifestFile[]; spec: PartitionSpec }> {
    if (this.prepared) return this.prepared;
    const spec = specById(base, base["default-spec-id"]);
    if (spec === undefined)
      throw new FloeError("INVALID_ARGUMENT", `table has no spec ${base["default-spec-id"]}`);
    const ctx: ManifestContext = {
      io: this.opts.io,
      location: base.location,
      schema: currentSchema(base),
      spec,
      snapshotId: this.snapshotId,
      formatVersion: writeVersion(base),
    };
    const manifests: ManifestFile[] = [];
    const data = this.changes.addedDataFiles ?? [];
    const deletes = this.changes.addedDeleteFiles ?? [];
    if (data.length > 0)
      manifests.push(await writeManifest(ctx, addedEntries(data, this.snapshotId), "data"));
    if (deletes.length > 0)
      manifests.push(await writeManifest(ctx, addedEntries(deletes, this.snapshotId), "deletes"));
    this.prepared = { manifests, spec };
    return this.prepared;
  }

  /** Files written once by prepare(); delete them only when the operation is abandoned for good. */
  preparedFiles(): string[] {
    return this.prepared?.manifests.map((m) => m.manifest_path) ?? [];
  }

  /**
   * Builds this snapshot on top of `base` (the table as just loaded). `extraSummary` adds summary
   * properties computed from this base (e.g. offsets merged with the base's).
   */
  async stage(base: TableMetadata, extraSummary?: Readonly<Record<string, string>>): Promise<StagedSnapshot> {
    const { manifests: newManifests } = await this.prepare(base);
    const parent = snapshotForRef(base, this.branch);
    const sequenceNumber = nextSequenceNumber(base);
    const attemptFiles: string[] = [];
    const parentManifests = await readManifestList(this.opts.io, parent);
    const removed = new Set(this.changes.removedFilePaths ?? []);
    const removedFiles: DataFile[] = [];
    const carried: ManifestFile[] = [];
    for (const m of parentManifests) {
      // Manifests without live files are dropped; without removals the rest carry over unread.
      if (!hasLiveFiles(m)) continue;
      if (removed.size === 0) {
        carried.push(m);
        continue;
      }
      const entries = await readManifestEntries(this.opts.io, m);
      const live = entries.filter((e) => e.status !== ENTRY_STATUS.DELETED);
      const hits = live.filter((e) => removed.has(e.data_file.file_path));
      if (hits.length === 0) {
        carried.push(m);
        continue;
      }
      const rewritten: ManifestEntry[] = live.map((e) =>
        removed.has(e.data_file.file_path)
          ? { ...e, status: ENTRY_STATUS.DELETED, snapshot_id: this.snapshotId }
          : { ...e, status: ENTRY_STATUS.EXISTING },
      );
      for (const e of hits) removedFiles.push(e.data_file);
      const spec = specById(base, m.partition_spec_id);
      if (spec === undefined)
        throw new FloeError("INVALID_ARGUMENT", `manifest uses unknown spec ${m.partition_spec_id}`);
      const ctx: ManifestContext = {
        io: this.opts.io,
        location: base.location,
        schema: currentSchema(base),
        spec,
        snapshotId: this.snapshotId,
        formatVersion: writeVersion(base),
      };
      const out = await writeManifest(ctx, rewritten, m.content === 0 ? "data" : "deletes");
      attemptFiles.push(out.manifest_path);
      carried.push({
        ...out,
        sequence_number: sequenceNumber,
        min_sequence_number: minSeq(rewritten, sequenceNumber),
      });
    }
    if (removedFiles.length !== removed.size) {
      const found = new Set(removedFiles.map((f) => f.file_path));
      const missing = [...removed].filter((p) => !found.has(p));
      throw new FloeError(
        "COMMIT_CONFLICT",
        `${missing.length} file(s) to remove are no longer live in ${this.branch} (first: ${missing[0]}); the change must be replanned`,
        { retryable: false, context: { missing: missing.length } },
      );
    }
    const fresh = newManifests.map((m) => ({
      ...m,
      sequence_number: sequenceNumber,
      min_sequence_number: m.min_sequence_number < 0n ? sequenceNumber : m.min_sequence_number,
    }));
    const listPath = `${base.location.replace(/\/+$/, "")}/metadata/snap-${this.snapshotId}-${randomUUID()}.avro`;
    const listBytes = encodeManifestList({
      manifests: [...fresh, ...carried],
      snapshotId: this.snapshotId,
      parentSnapshotId: parent?.["snapshot-id"] ?? null,
      sequenceNumber,
      formatVersion: writeVersion(base),
    });
    await this.opts.io.write(listPath, listBytes, { ifNoneMatch: true, contentType: "application/avro" });
    attemptFiles.push(listPath);

    const snapshot: Snapshot = {
      "snapshot-id": this.snapshotId,
      "sequence-number": sequenceNumber,
      "timestamp-ms": Math.max(this.now(), base["last-updated-ms"]),
      "manifest-list": listPath,
      summary: buildSummary(
        this.operation,
        { addedFiles: this.added, removedFiles },
        parent?.summary,
        parent === undefined,
        { ...this.changes.summary, ...extraSummary },
      ),
      "schema-id": base["current-schema-id"],
      ...(parent === undefined ? {} : { "parent-snapshot-id": parent["snapshot-id"] }),
    };
    const uuid = base["table-uuid"];
    const requirements: TableRequirement[] = [
      ...(uuid === undefined ? [] : [{ type: "assert-table-uuid" as const, uuid }]),
      { type: "assert-ref-snapshot-id", ref: this.branch, "snapshot-id": parent?.["snapshot-id"] ?? null },
    ];
    const updates: TableUpdate[] = [
      { action: "add-snapshot", snapshot },
      { action: "set-snapshot-ref", "ref-name": this.branch, type: "branch", "snapshot-id": this.snapshotId },
    ];
    return { snapshot, updates, requirements, attemptFiles };
  }
}

function minSeq(entries: readonly ManifestEntry[], fallback: bigint): bigint {
  let min: bigint | undefined;
  for (const e of entries) {
    if (e.status === ENTRY_STATUS.DELETED || e.sequence_number === null) continue;
    if (min === undefined || e.sequence_number < min) min = e.sequence_number;
  }
  return min ?? fallback;
}
