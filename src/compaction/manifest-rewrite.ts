/**
 * Manifest merging: every fast append adds a manifest, so a streaming table soon has thousands and
 * every scan opens all of them. This merges the current snapshot's small manifests (below
 * `commit.manifest.target-size-bytes`, default 8 MiB) per (content, spec id) into manifests of about
 * the target size, dropping DELETED entries and keeping every live entry's snapshot id and sequence
 * numbers (status EXISTING). The result is committed as a `replace` snapshot with no data change.
 *
 * On conflict it restages on the new head, reusing a merged manifest when all of its sources are
 * still in the head's manifest list (a concurrent fast append only adds manifests); merges whose
 * sources changed are dropped for this run.
 */
import { randomUUID } from "node:crypto";
import {
  type Catalog,
  commitWithRetry,
  type LoadedTable,
  type TableFiles,
  type TableIdentifier,
} from "../catalog/index.js";
import { isFloeError } from "../errors.js";
import { ENTRY_STATUS, encodeManifestList, type ManifestFile } from "../iceberg/avro/index.js";
import type { FileIO } from "../iceberg/io/index.js";
import {
  buildSummary,
  newSnapshotId,
  nextSequenceNumber,
  readManifestList,
  writeManifest,
  writeVersion,
} from "../iceberg/snapshot/index.js";
import {
  currentSchema,
  MAIN_BRANCH,
  type Snapshot,
  snapshotForRef,
  specById,
  type TableMetadata,
  type TableRequirement,
} from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deletePaths } from "./delete-paths.js";
import { binPackFirstFitDecreasing, MiB } from "./planner.js";
import { ManifestReader } from "./reachability.js";

export const DEFAULT_TARGET_MANIFEST_SIZE_BYTES = 8 * MiB;

export interface ManifestRewriteOptions {
  /** Default: table property commit.manifest.target-size-bytes, else 8 MiB. */
  targetManifestSizeBytes?: number;
  /** A (content, spec) group is merged only when it has at least this many small manifests (default 2). */
  minManifestsToMerge?: number;
  dryRun?: boolean;
  logger?: Logger;
  maxAttempts?: number;
  now?: () => number;
}

export interface ManifestRewriteResult {
  committed: boolean;
  dryRun: boolean;
  manifestsBefore: number;
  manifestsAfter: number;
  manifestsReplaced: number;
  manifestsCreated: number;
  entries: number;
  snapshotId?: bigint;
}

/** Bins of manifests to merge (pure): small ones per (content, spec), first-fit decreasing. */
export function planManifestMerge(
  manifests: readonly ManifestFile[],
  targetBytes: number,
  minManifests = 2,
): ManifestFile[][] {
  const groups = new Map<string, ManifestFile[]>();
  for (const m of manifests) {
    if (Number(m.manifest_length) >= targetBytes) continue;
    const key = `${m.content}:${m.partition_spec_id}`;
    const g = groups.get(key);
    if (g) g.push(m);
    else groups.set(key, [m]);
  }
  const bins: ManifestFile[][] = [];
  for (const g of groups.values()) {
    if (g.length < Math.max(2, minManifests)) continue;
    for (const bin of binPackFirstFitDecreasing(g, (m) => Number(m.manifest_length), targetBytes)) {
      if (bin.items.length >= 2) bins.push(bin.items);
    }
  }
  return bins;
}

interface Merged {
  sources: Set<string>;
  manifest: ManifestFile;
  entries: number;
}

async function mergeBin(
  io: FileIO,
  reader: ManifestReader,
  md: TableMetadata,
  bin: ManifestFile[],
  snapshotId: bigint,
): Promise<Merged> {
  const first = bin[0]!;
  const spec = specById(md, first.partition_spec_id);
  if (spec === undefined) throw new Error(`manifest uses unknown spec ${first.partition_spec_id}`);
  const entries = [];
  for (const m of bin) {
    for (const e of await reader.entriesOf(m)) {
      if (e.status !== ENTRY_STATUS.DELETED) entries.push({ ...e, status: ENTRY_STATUS.EXISTING });
    }
  }
  const manifest = await writeManifest(
    {
      io,
      location: md.location,
      schema: currentSchema(md),
      spec,
      snapshotId,
      formatVersion: writeVersion(md),
    },
    entries,
    first.content === 0 ? "data" : "deletes",
  );
  return { sources: new Set(bin.map((m) => m.manifest_path)), manifest, entries: entries.length };
}

/** Merges the current snapshot's small manifests and commits the result. */
export async function rewriteManifests(
  catalog: Catalog,
  id: TableIdentifier,
  io: FileIO,
  options: ManifestRewriteOptions = {},
): Promise<ManifestRewriteResult> {
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const reader = new ManifestReader(io);
  const snapshotId = newSnapshotId();
  let merged: Merged[] | undefined;
  const written: string[] = [];
  // Clean-up deletes only what lies in the table's own location (catalog/ownership.ts).
  let owner: TableFiles = { location: "" };
  const result: ManifestRewriteResult = {
    committed: false,
    dryRun: options.dryRun === true,
    manifestsBefore: 0,
    manifestsAfter: 0,
    manifestsReplaced: 0,
    manifestsCreated: 0,
    entries: 0,
  };
  let used: Merged[] = [];
  const stage = async (loaded: LoadedTable) => {
    const md = loaded.metadata;
    owner = { location: md.location };
    const parent: Snapshot | undefined = snapshotForRef(md, MAIN_BRANCH);
    if (parent === undefined) return null;
    const list = await readManifestList(io, parent);
    result.manifestsBefore = list.length;
    if (merged === undefined) {
      const target =
        options.targetManifestSizeBytes ??
        Number(md.properties["commit.manifest.target-size-bytes"] ?? DEFAULT_TARGET_MANIFEST_SIZE_BYTES);
      const bins = planManifestMerge(
        list,
        target > 0 ? target : DEFAULT_TARGET_MANIFEST_SIZE_BYTES,
        options.minManifestsToMerge,
      );
      if (options.dryRun) {
        result.manifestsReplaced = bins.reduce((n, b) => n + b.length, 0);
        result.manifestsCreated = bins.length;
        result.manifestsAfter = list.length - result.manifestsReplaced + bins.length;
        return null;
      }
      merged = [];
      for (const bin of bins) {
        const m = await mergeBin(io, reader, md, bin, snapshotId);
        written.push(m.manifest.manifest_path);
        merged.push(m);
      }
    }
    const present = new Set(list.map((m) => m.manifest_path));
    used = merged.filter((m) => [...m.sources].every((p) => present.has(p)));
    if (used.length === 0) return null;
    const replaced = new Set(used.flatMap((m) => [...m.sources]));
    const sequenceNumber = nextSequenceNumber(md);
    const fresh = used.map((m) => ({
      ...m.manifest,
      sequence_number: sequenceNumber,
      min_sequence_number:
        m.manifest.min_sequence_number < 0n ? sequenceNumber : m.manifest.min_sequence_number,
    }));
    const kept = list.filter((m) => !replaced.has(m.manifest_path));
    const manifests = [...fresh, ...kept];
    result.manifestsReplaced = replaced.size;
    result.manifestsCreated = fresh.length;
    result.manifestsAfter = manifests.length;
    result.entries = used.reduce((n, m) => n + m.entries, 0);
    const listPath = `${md.location.replace(/\/+$/, "")}/metadata/snap-${snapshotId}-${randomUUID()}.avro`;
    await io.write(
      listPath,
      encodeManifestList({
        manifests,
        snapshotId,
        parentSnapshotId: parent["snapshot-id"],
        sequenceNumber,
        formatVersion: writeVersion(md),
      }),
      { ifNoneMatch: true, contentType: "application/avro" },
    );
    written.push(listPath);
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      "parent-snapshot-id": parent["snapshot-id"],
      "sequence-number": sequenceNumber,
      "timestamp-ms": Math.max(now(), md["last-updated-ms"]),
      "manifest-list": listPath,
      summary: buildSummary("replace", { addedFiles: [], removedFiles: [] }, parent.summary, false, {
        "manifests-created": String(fresh.length),
        "manifests-replaced": String(replaced.size),
        "manifests-kept": String(kept.length),
        "entries-processed": String(result.entries),
      }),
      "schema-id": md["current-schema-id"],
    };
    const uuid = md["table-uuid"];
    const requirements: TableRequirement[] = [
      ...(uuid === undefined ? [] : [{ type: "assert-table-uuid" as const, uuid }]),
      { type: "assert-ref-snapshot-id", ref: MAIN_BRANCH, "snapshot-id": parent["snapshot-id"] },
    ];
    return {
      requirements,
      updates: [
        { action: "add-snapshot" as const, snapshot },
        {
          action: "set-snapshot-ref" as const,
          "ref-name": MAIN_BRANCH,
          type: "branch" as const,
          "snapshot-id": snapshotId,
        },
      ],
    };
  };
  let r: Awaited<ReturnType<typeof commitWithRetry>>;
  try {
    r = await commitWithRetry(catalog, id, stage, {
      maxAttempts: options.maxAttempts ?? 10,
      logger: log,
      landed: (t) => t.metadata.snapshots.some((s) => s["snapshot-id"] === snapshotId),
    });
  } catch (e) {
    // Only a conflict is certain not to have landed; otherwise the files may be referenced.
    if (isFloeError(e, "COMMIT_CONFLICT")) await deletePaths(io, owner, written, 4, log);
    throw e;
  }
  result.committed = r.committed;
  if (r.committed) {
    result.snapshotId = snapshotId;
    // Merged manifests and manifest lists of attempts that did not land.
    const landed = new Set(used.map((m) => m.manifest.manifest_path));
    const list = r.table.metadata.snapshots.find((s) => s["snapshot-id"] === snapshotId)?.["manifest-list"];
    if (list !== undefined) {
      landed.add(list);
      await deletePaths(
        io,
        owner,
        written.filter((p) => !landed.has(p)),
        4,
        log,
      );
    }
  } else {
    await deletePaths(io, owner, written, 4, log);
  }
  log.info(options.dryRun ? "manifest merge planned (dry run)" : "manifests merged", {
    committed: result.committed,
    before: result.manifestsBefore,
    after: result.manifestsAfter,
    replaced: result.manifestsReplaced,
    created: result.manifestsCreated,
    ...(result.snapshotId === undefined ? {} : { snapshotId: result.snapshotId }),
  });
  return result;
}
