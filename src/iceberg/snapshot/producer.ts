/**
 * The snapshot producer behind every file-changing action: append, overwrite, replace (compaction),
 * delete and row delta (data plus position or equality delete files). It is prepared once and staged
 * per commit attempt against the freshest base, carrying work over between attempts so that a slow
 * change (a compaction) can still win against a fast one (a sink appending every few hundred ms):
 *
 * - The manifests of the added files are written once (ADDED entries inherit the sequence number).
 * - Manifests are immutable, so each is examined once: an attempt only reads the manifests that
 *   appeared since the last one (one per fast append). Manifests listed in `skipManifests` (known from
 *   the plan's scan to hold none of the removed files) are never read.
 * - The manifests holding removed files are combined into one manifest per (content, spec): removed
 *   entries DELETED, their other live entries EXISTING. The combined manifest is reused while the same
 *   manifests hold the removed files.
 *
 * Removed files and files a row delta depends on (`requiredDataFilePaths`) must be live in the base at
 * every attempt: a missing one is a non-retryable COMMIT_CONFLICT (the change must be replanned).
 */
import { FloeError } from "../../errors.js";
import type { FileIO } from "../io/index.js";
import {
  currentSchema,
  type DataFile,
  ENTRY_STATUS,
  MAIN_BRANCH,
  type ManifestEntry,
  type ManifestFile,
  type Snapshot,
  type SnapshotOperation,
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
import { stageSnapshotCommit, WrittenFiles } from "./snapshot-commit.js";
import { buildSummary } from "./summary.js";

export type ProducerOperation = SnapshotOperation;

export interface SnapshotChanges {
  /** Data files (content 0) added by this snapshot. */
  addedDataFiles?: readonly DataFile[];
  /** Position (1) or equality (2) delete files added by this snapshot. */
  addedDeleteFiles?: readonly DataFile[];
  /** Paths of live data files this snapshot removes; each must still be live at commit. */
  removedFilePaths?: readonly string[];
  /**
   * Live delete files this snapshot removes, each must still be live at commit: a path removes every
   * delete file stored there; a deleteFileKey() removes one deletion vector of a Puffin file.
   */
  removedDeleteFilePaths?: readonly string[];
  /** Data files that must still be live at commit (those a row delta's position deletes point into). */
  requiredDataFilePaths?: readonly string[];
  /** Extra summary properties (e.g. the sink's committed offsets). */
  summary?: Readonly<Record<string, string>>;
}

export interface StagedSnapshot {
  snapshot: Snapshot;
  updates: TableUpdate[];
  requirements: TableRequirement[];
  /** Files this attempt references that the producer wrote after prepare (combined manifests, list). */
  attemptFiles: string[];
}

export interface ProducerOptions {
  io: FileIO;
  /** The branch to commit to (default main). */
  branch?: string;
  /** Fixed snapshot id (tests); otherwise a random positive 63-bit id. */
  snapshotId?: bigint;
  now?: () => number;
  /** Manifests known to hold none of the removed or required files: never read. */
  skipManifests?: ReadonlySet<string>;
}

/**
 * How a removal names one delete file: its path, except for a deletion vector (one blob of a Puffin
 * file that may hold the vectors of other data files too), named by path and blob offset.
 */
export function deleteFileKey(file: DataFile): string {
  return file.content !== 0 && file.content_offset !== undefined
    ? `${file.file_path}#${file.content_offset}`
    : file.file_path;
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
  const removes = (changes.removedFilePaths?.length ?? 0) + (changes.removedDeleteFilePaths?.length ?? 0) > 0;
  const deletes = (changes.addedDeleteFiles?.length ?? 0) > 0;
  return removes || deletes ? "overwrite" : "append";
}

interface Examined {
  /** Removed files this manifest holds live. */
  hits: DataFile[];
  /** Required files this manifest holds live. */
  required: string[];
  /** With hits: the live entries as the new snapshot carries them (hits DELETED, others EXISTING). */
  entries?: ManifestEntry[];
  /** Data files this change adds a deletion vector for that already have a live one it keeps. */
  doubled: string[];
}

export class SnapshotProducer {
  readonly snapshotId: bigint;
  readonly operation: ProducerOperation;
  private readonly branch: string;
  private readonly now: () => number;
  private readonly added: DataFile[];
  private readonly removed: Set<string>;
  private readonly removedData: number;
  private readonly required: Set<string>;
  /** Data files the added deletion vectors refer to. */
  private readonly vectorTargets: Set<string>;
  private prepared?: ManifestFile[];
  private readonly examined = new Map<string, Examined>();
  private readonly combined = new Map<string, ManifestFile[]>();
  private readonly files = new WrittenFiles();

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
    this.removed = new Set([...(changes.removedFilePaths ?? []), ...(changes.removedDeleteFilePaths ?? [])]);
    this.removedData = changes.removedFilePaths?.length ?? 0;
    this.required = new Set(changes.requiredDataFilePaths ?? []);
    const targets = (changes.addedDeleteFiles ?? []).flatMap((f) =>
      f.content === 1 && f.content_offset !== undefined && f.referenced_data_file !== undefined
        ? [f.referenced_data_file]
        : [],
    );
    this.vectorTargets = new Set(targets);
    if (this.vectorTargets.size < targets.length) {
      throw new FloeError("INVALID_ARGUMENT", "a change adds two deletion vectors for one data file");
    }
    for (const f of changes.addedDataFiles ?? []) {
      if (f.content !== 0) throw new FloeError("INVALID_ARGUMENT", `${f.file_path} is not a data file`);
    }
    for (const f of changes.addedDeleteFiles ?? []) {
      if (f.content === 0) throw new FloeError("INVALID_ARGUMENT", `${f.file_path} is not a delete file`);
    }
  }

  private context(base: TableMetadata, specId: number): ManifestContext {
    const spec = specById(base, specId);
    if (spec === undefined) throw new FloeError("INVALID_ARGUMENT", `table has no partition spec ${specId}`);
    return {
      io: this.opts.io,
      location: base.location,
      schema: currentSchema(base),
      spec,
      snapshotId: this.snapshotId,
      formatVersion: writeVersion(base),
    };
  }

  /** Writes the manifests of the added files (once; reused by every attempt). */
  private async prepare(base: TableMetadata): Promise<ManifestFile[]> {
    if (this.prepared) return this.prepared;
    const ctx = this.context(base, base["default-spec-id"]);
    const manifests: ManifestFile[] = [];
    const data = this.changes.addedDataFiles ?? [];
    const deletes = this.changes.addedDeleteFiles ?? [];
    if (data.length > 0)
      manifests.push(await writeManifest(ctx, addedEntries(data, this.snapshotId), "data"));
    if (deletes.length > 0)
      manifests.push(await writeManifest(ctx, addedEntries(deletes, this.snapshotId), "deletes"));
    for (const m of manifests) this.files.add(m.manifest_path);
    this.prepared = manifests;
    return manifests;
  }

  /** Files written once by prepare(); delete them only when the change is abandoned for good. */
  preparedFiles(): string[] {
    return this.prepared?.map((m) => m.manifest_path) ?? [];
  }

  /** True when `md` holds this producer's snapshot. */
  landed(md: TableMetadata): boolean {
    return md.snapshots.some((s) => s["snapshot-id"] === this.snapshotId);
  }

  /**
   * Files this producer wrote that `md` does not reference: all of them when nothing landed
   * (`md` undefined), else those of the attempts other than the one that landed.
   */
  unreferencedFiles(md?: TableMetadata): string[] {
    return this.files.unreferenced(this.snapshotId, md);
  }

  /** The key under which `file` is to be removed (its path, or for a deletion vector its own key). */
  private removedKey(file: DataFile): string | undefined {
    if (file.content !== 0 && file.content_offset !== undefined) {
      const key = deleteFileKey(file);
      if (this.removed.has(key)) return key;
    }
    return this.removed.has(file.file_path) ? file.file_path : undefined;
  }

  private async examine(m: ManifestFile): Promise<Examined> {
    const cached = this.examined.get(m.manifest_path);
    if (cached) return cached;
    let result: Examined = { hits: [], required: [], doubled: [] };
    const wanted =
      m.content === 0
        ? this.removedData > 0 || this.required.size > 0
        : (this.changes.removedDeleteFilePaths?.length ?? 0) > 0 || this.vectorTargets.size > 0;
    if (wanted && !this.opts.skipManifests?.has(m.manifest_path)) {
      const entries = await readManifestEntries(this.opts.io, m);
      const live = entries.filter((e) => e.status !== ENTRY_STATUS.DELETED);
      const hits = live.filter((e) => this.removedKey(e.data_file) !== undefined);
      const required = live.map((e) => e.data_file.file_path).filter((p) => this.required.has(p));
      // A data file has at most one deletion vector: one this change adds must replace a live one.
      const doubled = live
        .map((e) => e.data_file)
        .filter((f) => f.content_offset !== undefined && this.removedKey(f) === undefined)
        .flatMap((f) =>
          f.referenced_data_file !== undefined && this.vectorTargets.has(f.referenced_data_file)
            ? [f.referenced_data_file]
            : [],
        );
      result = { hits: hits.map((e) => e.data_file), required, doubled };
      if (hits.length > 0) {
        result.entries = live.map((e) =>
          this.removedKey(e.data_file) !== undefined
            ? { ...e, status: ENTRY_STATUS.DELETED, snapshot_id: this.snapshotId }
            : { ...e, status: ENTRY_STATUS.EXISTING },
        );
      }
    }
    this.examined.set(m.manifest_path, result);
    return result;
  }

  /** One manifest per (content, spec) for the manifests holding removed files; reused per source set. */
  private async combine(sources: readonly ManifestFile[], base: TableMetadata): Promise<ManifestFile[]> {
    const key = sources
      .map((m) => m.manifest_path)
      .sort()
      .join("\n");
    const cached = this.combined.get(key);
    if (cached) return cached;
    const groups = new Map<string, { content: number; specId: number; entries: ManifestEntry[] }>();
    for (const m of sources) {
      const k = `${m.content}:${m.partition_spec_id}`;
      const g = groups.get(k) ?? { content: m.content, specId: m.partition_spec_id, entries: [] };
      g.entries.push(...((await this.examine(m)).entries ?? []));
      groups.set(k, g);
    }
    const out: ManifestFile[] = [];
    for (const g of groups.values()) {
      const manifest = await writeManifest(
        this.context(base, g.specId),
        g.entries,
        g.content === 0 ? "data" : "deletes",
      );
      this.files.add(manifest.manifest_path);
      out.push(manifest);
    }
    this.combined.set(key, out);
    return out;
  }

  private missing(found: Iterable<string>, wanted: ReadonlySet<string>, what: string): void {
    const seen = new Set(found);
    const missing = [...wanted].filter((p) => !seen.has(p));
    if (missing.length === 0) return;
    throw new FloeError(
      "COMMIT_CONFLICT",
      `${missing.length} file(s) ${what} are no longer live in ${this.branch} (first: ${missing[0]}); the change must be replanned`,
      { retryable: false, context: { missing: missing.length } },
    );
  }

  /**
   * Builds this snapshot on top of `base` (the table as just loaded). `extraSummary` adds summary
   * properties computed from this base (e.g. offsets merged with the base's).
   */
  async stage(base: TableMetadata, extraSummary?: Readonly<Record<string, string>>): Promise<StagedSnapshot> {
    const fresh = await this.prepare(base);
    const parent = snapshotForRef(base, this.branch);
    const sequenceNumber = nextSequenceNumber(base);
    const carried: ManifestFile[] = [];
    const sources: ManifestFile[] = [];
    const removedFiles: DataFile[] = [];
    const required: string[] = [];
    const doubled: string[] = [];
    for (const m of await readManifestList(this.opts.io, parent)) {
      // Manifests without live files are dropped; the rest carry over unless they hold removed files.
      if (!hasLiveFiles(m)) continue;
      const ex = await this.examine(m);
      required.push(...ex.required);
      doubled.push(...ex.doubled);
      if (ex.hits.length === 0) carried.push(m);
      else {
        sources.push(m);
        removedFiles.push(...ex.hits);
      }
    }
    this.missing(
      removedFiles.map((f) => this.removedKey(f) ?? f.file_path),
      this.removed,
      "to remove",
    );
    this.missing(required, this.required, "the change depends on");
    if (doubled.length > 0) {
      throw new FloeError(
        "COMMIT_CONFLICT",
        `${doubled.length} data file(s) already have a deletion vector this change does not replace (first: ${doubled[0]}); the change must be replanned`,
        { retryable: false, context: { doubled: doubled.length } },
      );
    }
    const attemptFiles: string[] = [];
    for (const c of await this.combine(sources, base)) {
      attemptFiles.push(c.manifest_path);
      carried.push({
        ...c,
        sequence_number: sequenceNumber,
        min_sequence_number: c.min_sequence_number < 0n ? sequenceNumber : c.min_sequence_number,
      });
    }
    const assigned = fresh.map((m) => ({
      ...m,
      sequence_number: sequenceNumber,
      min_sequence_number: m.min_sequence_number < 0n ? sequenceNumber : m.min_sequence_number,
    }));
    const staged = await stageSnapshotCommit({
      io: this.opts.io,
      base,
      branch: this.branch,
      snapshotId: this.snapshotId,
      parent,
      sequenceNumber,
      manifests: [...assigned, ...carried],
      summary: buildSummary(
        this.operation,
        { addedFiles: this.added, removedFiles },
        parent?.summary,
        parent === undefined,
        { ...this.changes.summary, ...extraSummary },
      ),
      now: this.now,
    });
    attemptFiles.push(staged.listPath);
    this.files.attempt(staged.listPath, [...fresh.map((m) => m.manifest_path), ...attemptFiles]);
    return {
      snapshot: staged.snapshot,
      updates: staged.updates,
      requirements: staged.requirements,
      attemptFiles,
    };
  }
}
