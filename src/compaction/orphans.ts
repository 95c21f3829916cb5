/**
 * Orphan file removal: files under the table's `data/` and `metadata/` directories that nothing in the
 * current table metadata references, and that are older than a grace period (default 3 days: a writer
 * may have written files it has not committed yet, and a commit in flight must never lose them).
 *
 * Referenced = every snapshot's manifest list, its manifests, every file any of their entries names
 * (DELETED entries too), statistics files, key index checkpoints named in snapshot summaries, the
 * current metadata file and those in the metadata log, and `version-hint.text`. Metadata files (`*.metadata.json`) are deleted last, oldest version first,
 * and never one newer than the current version (an embedded-catalog reader probing forward from the
 * oldest version must never find a gap below a surviving version).
 *
 * As a guard against paths spelled differently in the listing and in the metadata (scheme,
 * authority), the run stops before deleting anything if the current metadata file or manifest list
 * is not found in the listing. Nothing is deleted when table property `gc.enabled` is false, and
 * nothing listed that the table does not own (catalog/ownership.ts): a namespace marker or another
 * table nested in the location (old embedded warehouses) is logged and kept.
 */
import { metadataVersion, splitOwned, type Table, type TableFiles } from "../catalog/index.js";
import { FloeError } from "../errors.js";
import type { FileInfo } from "../iceberg/io/index.js";
import { currentSnapshot, FLOE_KEY_INDEX, gcEnabled, type TableMetadata } from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deleteInOrder, deletePaths } from "./delete-paths.js";
import { DAY_MS } from "./expire.js";
import { collectReferences, ManifestReader, normalizePath, statisticsFiles } from "./reachability.js";

export const DEFAULT_ORPHAN_GRACE_MS = 3 * DAY_MS;
const KEEP_NAMES = new Set(["version-hint.text"]);

export interface OrphanOptions {
  /** Files younger than this are never removed (default 3 days). */
  olderThanMs?: number;
  now?: () => number;
  dryRun?: boolean;
  logger?: Logger;
  concurrency?: number;
}

export interface OrphanSelection {
  /** Orphans to delete: other files first, then metadata files by ascending version. */
  orphans: FileInfo[];
  referenced: number;
  tooYoung: number;
  listed: number;
}

function isMetadataJson(path: string): boolean {
  return /\.metadata\.json(?:\.gz)?$/.test(path) || /\.gz\.metadata\.json$/.test(path);
}

/**
 * Picks orphans from a listing (pure): not referenced (normal forms in `referenced`), older than
 * `cutoffMs`, not a kept name, and no metadata file newer than `currentVersion`.
 */
export function selectOrphans(
  listing: readonly FileInfo[],
  referenced: ReadonlySet<string>,
  cutoffMs: number,
  currentVersion: number,
): OrphanSelection {
  let refCount = 0;
  let tooYoung = 0;
  const files: FileInfo[] = [];
  const metadata: FileInfo[] = [];
  for (const f of listing) {
    if (referenced.has(normalizePath(f.path))) {
      refCount++;
      continue;
    }
    const name = f.path.slice(f.path.lastIndexOf("/") + 1);
    if (KEEP_NAMES.has(name)) continue;
    if (!(f.lastModifiedMs < cutoffMs)) {
      tooYoung++;
      continue;
    }
    if (isMetadataJson(f.path)) {
      const v = metadataVersion(f.path);
      if (currentVersion < 0 || v > currentVersion) continue;
      metadata.push(f);
    } else {
      files.push(f);
    }
  }
  metadata.sort((a, b) => metadataVersion(a.path) - metadataVersion(b.path) || (a.path < b.path ? -1 : 1));
  return { orphans: [...files, ...metadata], referenced: refCount, tooYoung, listed: listing.length };
}

/** Normal forms of everything the table metadata references (see the module comment). */
export async function referencedPaths(
  reader: ManifestReader,
  md: TableMetadata,
  metadataLocation: string,
): Promise<Set<string>> {
  const refs = await collectReferences(reader, md.snapshots, false);
  const out = new Set<string>([...refs.manifestLists.keys(), ...refs.manifests.keys(), ...refs.files.keys()]);
  for (const key of statisticsFiles(md, new Set(md.snapshots.map((s) => s["snapshot-id"]))).keys())
    out.add(key);
  out.add(normalizePath(metadataLocation));
  for (const e of md["metadata-log"]) out.add(normalizePath(e["metadata-file"]));
  // Upsert key index checkpoints named by a snapshot's summary.
  for (const s of md.snapshots) {
    const checkpoint = s.summary[FLOE_KEY_INDEX];
    if (checkpoint !== undefined) out.add(normalizePath(checkpoint));
  }
  return out;
}

/**
 * The directories orphan removal lists: `data/` and `metadata/` under the table location. Custom
 * write paths (write.data.path, write.object-storage.path) are left alone on purpose: they may be
 * shared with other tables, whose files this table's metadata knows nothing about.
 */
export function orphanPrefixes(md: TableMetadata): string[] {
  const loc = md.location.replace(/\/+$/, "");
  return [`${loc}/data/`, `${loc}/metadata/`];
}

export interface OrphanResult {
  dryRun: boolean;
  listed: number;
  referenced: number;
  tooYoung: number;
  orphans: string[];
  orphanBytes: number;
  /** Unreferenced files listed under the location that the table does not own: kept. */
  foreignKept: number;
  deleted: number;
  skippedReason?: string;
}

/** Removes the table's orphan files. */
export async function removeOrphanFiles(table: Table, options: OrphanOptions = {}): Promise<OrphanResult> {
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const grace = options.olderThanMs ?? DEFAULT_ORPHAN_GRACE_MS;
  if (!(grace >= 0))
    throw new FloeError("INVALID_ARGUMENT", `orphan grace period must be >= 0 ms, got ${grace}`);
  await table.refresh();
  const md = table.metadata;
  const empty: OrphanResult = {
    dryRun: options.dryRun === true,
    listed: 0,
    referenced: 0,
    tooYoung: 0,
    orphans: [],
    orphanBytes: 0,
    foreignKept: 0,
    deleted: 0,
  };
  if (!gcEnabled(md.properties)) {
    return { ...empty, skippedReason: "table property gc.enabled=false" };
  }
  // The cutoff is taken before listing: a file written after this moment is never older than it.
  const cutoff = now() - grace;
  const reader = new ManifestReader(table.io, options.concurrency ?? 8);
  const referenced = await referencedPaths(reader, md, table.metadataLocation);
  const listing: FileInfo[] = [];
  for (const prefix of orphanPrefixes(md)) for await (const f of table.io.list(prefix)) listing.push(f);
  const listed = new Set(listing.map((f) => normalizePath(f.path)));
  const owner: TableFiles = { location: md.location, metadataLocation: table.metadataLocation };
  const foreign = new Map(
    splitOwned(
      owner,
      listing.map((f) => f.path),
    ).foreign.map((f) => [f.path, f.reason]),
  );
  const prefixes = orphanPrefixes(md).map(normalizePath);
  const mustSee = [table.metadataLocation, currentSnapshot(md)?.["manifest-list"]].filter(
    (p): p is string => p !== undefined && prefixes.some((q) => normalizePath(p).startsWith(q)),
  );
  const missing = mustSee.filter((p) => !listed.has(normalizePath(p)));
  if (missing.length > 0) {
    throw new FloeError(
      "PRECONDITION_FAILED",
      `refusing to remove orphans: ${missing[0]} is referenced but not found by listing ${prefixes.join(", ")} (paths spelled differently?)`,
      { context: { table: table.identifier.name } },
    );
  }
  const selection = selectOrphans(listing, referenced, cutoff, metadataVersion(table.metadataLocation));
  const orphans: string[] = [];
  let foreignKept = 0;
  for (const f of selection.orphans) {
    const reason = foreign.get(f.path);
    if (reason === undefined) {
      orphans.push(f.path);
      continue;
    }
    foreignKept++;
    log.warn("not removing a file the table does not own", { path: f.path, reason, location: md.location });
  }
  const kept = new Set(foreign.keys());
  const result: OrphanResult = {
    ...empty,
    listed: selection.listed,
    referenced: selection.referenced,
    tooYoung: selection.tooYoung,
    orphans,
    orphanBytes: selection.orphans.filter((f) => !kept.has(f.path)).reduce((n, f) => n + f.size, 0),
    foreignKept,
  };
  if (!options.dryRun && orphans.length > 0) {
    const concurrency = options.concurrency ?? 8;
    const meta = orphans.filter(isMetadataJson);
    result.deleted += await deletePaths(
      table.io,
      owner,
      orphans.filter((p) => !isMetadataJson(p)),
      concurrency,
      log,
    );
    result.deleted += await deleteInOrder(table.io, owner, meta, log);
  }
  log.info(options.dryRun ? "orphans found (dry run)" : "orphans removed", {
    listed: result.listed,
    referenced: result.referenced,
    tooYoung: result.tooYoung,
    orphans: orphans.length,
    orphanBytes: result.orphanBytes,
    foreignKept,
    deleted: result.deleted,
  });
  return result;
}
