/**
 * Rewriting manifests: merges bins of a snapshot's manifests (chosen by a caller's plan, e.g. the
 * small ones per content and spec) into one manifest each, dropping DELETED entries and keeping every
 * live entry's snapshot id and sequence numbers (status EXISTING). Committed as a `replace` snapshot
 * with no data change.
 *
 * Staged per attempt against the freshest base: the plan is made once, on the first base; a merged
 * manifest is reused on later attempts when all of its sources are still in the base's manifest list
 * (a concurrent fast append only adds manifests), and merges whose sources changed are dropped.
 */
import { FloeError } from "../../errors.js";
import type { FileIO } from "../io/index.js";
import {
  currentSchema,
  ENTRY_STATUS,
  MAIN_BRANCH,
  type ManifestEntry,
  type ManifestFile,
  type Snapshot,
  snapshotForRef,
  specById,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "../spec/index.js";
import {
  nextSequenceNumber,
  readManifestEntries,
  readManifestList,
  writeManifest,
  writeVersion,
} from "./manifests.js";
import { newSnapshotId } from "./producer.js";
import { stageSnapshotCommit, WrittenFiles } from "./snapshot-commit.js";
import { buildSummary } from "./summary.js";

/** Chooses the bins of manifests to merge (pure). */
export type ManifestMergePlan = (manifests: readonly ManifestFile[], base: TableMetadata) => ManifestFile[][];

export interface MergeCounts {
  manifestsBefore: number;
  manifestsAfter: number;
  manifestsReplaced: number;
  manifestsCreated: number;
  entries: number;
}

export interface StagedMerge {
  snapshot: Snapshot;
  requirements: TableRequirement[];
  updates: TableUpdate[];
  counts: MergeCounts;
}

interface Merged {
  sources: Set<string>;
  manifest: ManifestFile;
  entries: number;
}

export class ManifestMerger {
  readonly snapshotId: bigint;
  private merged?: Merged[];
  private readonly files = new WrittenFiles();

  constructor(
    private readonly io: FileIO,
    private readonly plan: ManifestMergePlan,
    private readonly opts: { now?: () => number; snapshotId?: bigint } = {},
  ) {
    this.snapshotId = opts.snapshotId ?? newSnapshotId();
  }

  /** What the plan would do on `base`, without writing anything. */
  async preview(base: TableMetadata): Promise<MergeCounts> {
    const list = await readManifestList(this.io, snapshotForRef(base, MAIN_BRANCH));
    const bins = this.plan(list, base);
    const replaced = bins.reduce((n, b) => n + b.length, 0);
    return {
      manifestsBefore: list.length,
      manifestsAfter: list.length - replaced + bins.length,
      manifestsReplaced: replaced,
      manifestsCreated: bins.length,
      entries: 0,
    };
  }

  landed(md: TableMetadata): boolean {
    return md.snapshots.some((s) => s["snapshot-id"] === this.snapshotId);
  }

  /** Files written that `md` does not reference (all of them when nothing landed). */
  unreferencedFiles(md?: TableMetadata): string[] {
    return this.files.unreferenced(this.snapshotId, md);
  }

  private async mergeBin(base: TableMetadata, bin: readonly ManifestFile[]): Promise<Merged> {
    const first = bin[0];
    if (first === undefined) throw new FloeError("INTERNAL", "empty manifest bin");
    const spec = specById(base, first.partition_spec_id);
    if (spec === undefined)
      throw new FloeError("INVALID_ARGUMENT", `manifest uses unknown spec ${first.partition_spec_id}`);
    const entries: ManifestEntry[] = [];
    for (const m of bin) {
      for (const e of await readManifestEntries(this.io, m)) {
        if (e.status !== ENTRY_STATUS.DELETED) entries.push({ ...e, status: ENTRY_STATUS.EXISTING });
      }
    }
    const manifest = await writeManifest(
      {
        io: this.io,
        location: base.location,
        schema: currentSchema(base),
        spec,
        snapshotId: this.snapshotId,
        formatVersion: writeVersion(base),
      },
      entries,
      first.content === 0 ? "data" : "deletes",
    );
    this.files.add(manifest.manifest_path);
    return { sources: new Set(bin.map((m) => m.manifest_path)), manifest, entries: entries.length };
  }

  /** The merge on top of `base`, or null when there is nothing (left) to merge. */
  async stage(
    base: TableMetadata,
    now: () => number = this.opts.now ?? Date.now,
  ): Promise<StagedMerge | null> {
    const parent = snapshotForRef(base, MAIN_BRANCH);
    if (parent === undefined) return null;
    const list = await readManifestList(this.io, parent);
    if (this.merged === undefined) {
      this.merged = [];
      for (const bin of this.plan(list, base)) this.merged.push(await this.mergeBin(base, bin));
    }
    const present = new Set(list.map((m) => m.manifest_path));
    const used = this.merged.filter((m) => [...m.sources].every((p) => present.has(p)));
    if (used.length === 0) return null;
    const replaced = new Set(used.flatMap((m) => [...m.sources]));
    const sequenceNumber = nextSequenceNumber(base);
    const fresh = used.map((m) => ({
      ...m.manifest,
      sequence_number: sequenceNumber,
      min_sequence_number:
        m.manifest.min_sequence_number < 0n ? sequenceNumber : m.manifest.min_sequence_number,
    }));
    const kept = list.filter((m) => !replaced.has(m.manifest_path));
    const counts: MergeCounts = {
      manifestsBefore: list.length,
      manifestsAfter: fresh.length + kept.length,
      manifestsReplaced: replaced.size,
      manifestsCreated: fresh.length,
      entries: used.reduce((n, m) => n + m.entries, 0),
    };
    const staged = await stageSnapshotCommit({
      io: this.io,
      base,
      branch: MAIN_BRANCH,
      snapshotId: this.snapshotId,
      parent,
      sequenceNumber,
      manifests: [...fresh, ...kept],
      summary: buildSummary("replace", { addedFiles: [], removedFiles: [] }, parent.summary, false, {
        "manifests-created": String(counts.manifestsCreated),
        "manifests-replaced": String(counts.manifestsReplaced),
        "manifests-kept": String(kept.length),
        "entries-processed": String(counts.entries),
      }),
      now,
    });
    this.files.attempt(
      staged.listPath,
      used.map((m) => m.manifest.manifest_path),
    );
    return { snapshot: staged.snapshot, requirements: staged.requirements, updates: staged.updates, counts };
  }
}
