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
import { type Catalog, Table, type TableIdentifier } from "../catalog/index.js";
import type { FileIO } from "../iceberg/io/index.js";
import {
  MANIFEST_TARGET_SIZE_BYTES_DEFAULT,
  type ManifestFile,
  manifestTargetSizeBytes,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deletePaths } from "./delete-paths.js";
import { binPackFirstFitDecreasing } from "./planner.js";

export const DEFAULT_TARGET_MANIFEST_SIZE_BYTES = MANIFEST_TARGET_SIZE_BYTES_DEFAULT;

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

/** Merges the current snapshot's small manifests and commits the result. */
export async function rewriteManifests(
  catalog: Catalog,
  id: TableIdentifier,
  io: FileIO,
  options: ManifestRewriteOptions = {},
): Promise<ManifestRewriteResult> {
  const log = options.logger ?? silentLogger;
  const table = new Table(catalog, await catalog.loadTable(id), io);
  const plan = (list: readonly ManifestFile[], md: TableMetadata) =>
    planManifestMerge(
      list,
      options.targetManifestSizeBytes ?? manifestTargetSizeBytes(md.properties),
      options.minManifestsToMerge,
    );
  const result: ManifestRewriteResult = {
    committed: false,
    dryRun: options.dryRun === true,
    manifestsBefore: 0,
    manifestsAfter: 0,
    manifestsReplaced: 0,
    manifestsCreated: 0,
    entries: 0,
  };
  if (options.dryRun) {
    Object.assign(result, await table.previewManifestRewrite(plan));
  } else {
    const location = table.metadata.location;
    const r = await table.rewriteManifests(plan, {
      logger: log,
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.now === undefined ? {} : { now: options.now }),
      deleteFiles: (paths) => deletePaths(io, { location }, paths, 4, log),
    });
    result.committed = r.committed;
    if (r.counts) Object.assign(result, r.counts);
    else {
      // Nothing merged: the manifests are as they were.
      const { manifestsBefore } = await table.previewManifestRewrite(() => []);
      result.manifestsBefore = manifestsBefore;
      result.manifestsAfter = manifestsBefore;
    }
    if (r.committed) result.snapshotId = r.snapshotId;
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
