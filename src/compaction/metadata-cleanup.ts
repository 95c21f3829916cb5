/**
 * Old table metadata files: with `write.metadata.delete-after-commit.enabled=true` (or when forced),
 * metadata files older than the metadata-log window are deleted. The window is the current file plus
 * the newest `write.metadata.previous-versions-max` (default 100) entries of the metadata log; only
 * files with a version number below the oldest one kept are deleted, oldest first, one at a time, and
 * never the current one or anything newer.
 *
 * Deleting oldest first matters for the embedded catalog (`v<N>.metadata.json`): a reader without a
 * version hint probes v1, v2, ... forward, so a run cut short must leave no gap below a surviving
 * version (it then finds no v1 and reports the table missing, instead of reading a stale version).
 */
import type { Table } from "../catalog/index.js";
import { metadataVersion } from "../catalog/index.js";
import {
  deleteMetadataAfterCommit,
  METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT,
  previousVersionsMax,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deleteInOrder } from "./delete-paths.js";
import { normalizePath } from "./reachability.js";

export const DEFAULT_PREVIOUS_VERSIONS_MAX = METADATA_PREVIOUS_VERSIONS_MAX_DEFAULT;

export interface MetadataCleanupOptions {
  /** Default: table property write.metadata.delete-after-commit.enabled (false unless "true"). */
  enabled?: boolean;
  /**
   * Log entries whose files are kept; default write.metadata.previous-versions-max, else 100 (the log
   * is trimmed to that many at each commit). A lower value also deletes older files the log still names.
   */
  previousVersionsMax?: number;
  dryRun?: boolean;
  logger?: Logger;
}

export interface MetadataCleanupResult {
  enabled: boolean;
  dryRun: boolean;
  kept: number;
  files: string[];
  deleted: number;
}

function isMetadataFile(path: string): boolean {
  return /\.metadata\.json(?:\.gz)?$/.test(path) || /\.gz\.metadata\.json$/.test(path);
}

/** Metadata files in `listing` to delete, ascending by version (pure). */
export function selectOldMetadataFiles(
  listing: readonly string[],
  md: TableMetadata,
  metadataLocation: string,
  previousVersionsMax: number,
): string[] {
  const keepN = Math.max(0, Math.floor(previousVersionsMax));
  const log = md["metadata-log"];
  const keep = [
    metadataLocation,
    ...log.slice(Math.max(0, log.length - keepN)).map((e) => e["metadata-file"]),
  ];
  const keepSet = new Set(keep.map(normalizePath));
  const versions = keep.map(metadataVersion).filter((v) => v >= 0);
  const current = metadataVersion(metadataLocation);
  if (current < 0 || versions.length === 0) return [];
  const floor = Math.min(...versions);
  return listing
    .filter((p) => isMetadataFile(p) && !keepSet.has(normalizePath(p)))
    .map((p) => ({ p, v: metadataVersion(p) }))
    .filter(({ v }) => v >= 0 && v < floor && v < current)
    .sort((a, b) => a.v - b.v || (a.p < b.p ? -1 : 1))
    .map(({ p }) => p);
}

/** Deletes metadata files that fell out of the metadata log (when enabled). */
export async function cleanMetadataFiles(
  table: Table,
  options: MetadataCleanupOptions = {},
): Promise<MetadataCleanupResult> {
  const log = options.logger ?? silentLogger;
  await table.refresh();
  const md = table.metadata;
  const enabled = options.enabled ?? deleteMetadataAfterCommit(md.properties);
  const max = options.previousVersionsMax ?? previousVersionsMax(md.properties);
  const result: MetadataCleanupResult = {
    enabled,
    dryRun: options.dryRun === true,
    kept: 0,
    files: [],
    deleted: 0,
  };
  if (!enabled) return result;
  const dir = `${table.metadataLocation.slice(0, table.metadataLocation.lastIndexOf("/"))}/`;
  const listing: string[] = [];
  for await (const f of table.io.list(dir)) {
    const rest = f.path.slice(dir.length);
    if (!rest.includes("/")) listing.push(f.path);
  }
  result.files = selectOldMetadataFiles(
    listing,
    md,
    table.metadataLocation,
    Number.isFinite(max) ? max : DEFAULT_PREVIOUS_VERSIONS_MAX,
  );
  result.kept = listing.filter(isMetadataFile).length - result.files.length;
  if (!options.dryRun)
    result.deleted = await deleteInOrder(
      table.io,
      { location: md.location, metadataLocation: table.metadataLocation },
      result.files,
      log,
    );
  log.info(options.dryRun ? "old metadata files found (dry run)" : "old metadata files removed", {
    files: result.files.length,
    deleted: result.deleted,
    kept: result.kept,
  });
  return result;
}
