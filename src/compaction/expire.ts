/**
 * Snapshot expiry: drop old snapshots from the table metadata (a `remove-snapshots` commit guarded by
 * `assert-ref-snapshot-id` on main), then delete the files only the expired snapshots referenced.
 *
 * A snapshot is retained when any of these holds (everything else expires):
 * - it is the head of a branch or a tag;
 * - it is one of the newest `retainLast` snapshots of main's history (default: main's
 *   `min-snapshots-to-keep`, else table property `history.expire.min-snapshots-to-keep`, else 100);
 * - it is younger than `maxSnapshotAgeMs` (default: main's `max-snapshot-age-ms`, else
 *   `history.expire.max-snapshot-age-ms`, else 5 days);
 * - for each sink offsets key (`floe.offsets.*`), it is the newest snapshot carrying that key, or lies
 *   between main's head and the newest one in main's history carrying it: the sink finds its offsets
 *   by walking main's ancestry, so that chain must stay unbroken;
 * - it is in the history of a branch other than main (their retention is left to their owners).
 *
 * Files: data/delete files of expired snapshots that no retained snapshot reads (live entries of the
 * retained manifests), manifests no retained snapshot lists, the expired manifest lists and statistics
 * files. Nothing is deleted when table property `gc.enabled` is false, and nothing the table does not
 * own (catalog/ownership.ts: a statistics file or manifest list pointing elsewhere, another table's
 * files): those are logged and kept.
 */
import {
  type Catalog,
  type ForeignFile,
  type LoadedTable,
  splitOwned,
  Table,
  type TableFiles,
  type TableIdentifier,
} from "../catalog/index.js";
import { FloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";
import {
  ancestorsOf,
  FLOE_OFFSETS_PREFIX,
  gcEnabled,
  intProperty,
  MAIN_BRANCH,
  MAX_SNAPSHOT_AGE_MS,
  MAX_SNAPSHOT_AGE_MS_DEFAULT,
  MIN_SNAPSHOTS_TO_KEEP,
  MIN_SNAPSHOTS_TO_KEEP_DEFAULT,
  type Snapshot,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deletePaths } from "./delete-paths.js";
import { collectReferences, ManifestReader, normalizePath, statisticsFiles } from "./reachability.js";

export const DAY_MS = 86_400_000;
export const DEFAULT_RETAIN_LAST = MIN_SNAPSHOTS_TO_KEEP_DEFAULT;
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = MAX_SNAPSHOT_AGE_MS_DEFAULT;
export const OFFSETS_PREFIX = FLOE_OFFSETS_PREFIX;

export interface ExpireSelectionOptions {
  retainLast?: number;
  maxSnapshotAgeMs?: number;
  /** Summary key prefix of the sink's offsets (default `floe.offsets.`). */
  offsetsPrefix?: string;
}

export interface ExpireOptions extends ExpireSelectionOptions {
  now?: () => number;
  /** Select only: nothing is committed or deleted. */
  dryRun?: boolean;
  /** Delete the files the expired snapshots alone referenced (default true; never when gc.enabled=false). */
  cleanFiles?: boolean;
  logger?: Logger;
  maxAttempts?: number;
  /** Deletes in flight at once (default 8). */
  concurrency?: number;
}

export interface ExpirySelection {
  expire: bigint[];
  retain: bigint[];
  /** Snapshots kept only because of the sink's offsets. */
  keptForOffsets: bigint[];
  retainLast: number;
  maxSnapshotAgeMs: number;
}

/** Which snapshots to expire at `nowMs` (pure). */
export function selectExpiredSnapshots(
  md: TableMetadata,
  nowMs: number,
  options: ExpireSelectionOptions = {},
): ExpirySelection {
  const main = md.refs[MAIN_BRANCH];
  const retainLast = Math.max(
    1,
    options.retainLast ??
      main?.["min-snapshots-to-keep"] ??
      intProperty(md.properties, MIN_SNAPSHOTS_TO_KEEP) ??
      DEFAULT_RETAIN_LAST,
  );
  const maxAge =
    options.maxSnapshotAgeMs ??
    main?.["max-snapshot-age-ms"] ??
    intProperty(md.properties, MAX_SNAPSHOT_AGE_MS) ??
    DEFAULT_MAX_SNAPSHOT_AGE_MS;
  const prefix = options.offsetsPrefix ?? OFFSETS_PREFIX;
  const cutoff = nowMs - maxAge;
  const keep = new Set<bigint>();
  for (const [name, ref] of Object.entries(md.refs)) {
    keep.add(ref["snapshot-id"]);
    if (name !== MAIN_BRANCH && ref.type === "branch") {
      for (const s of ancestorsOf(ref["snapshot-id"], md.snapshots)) keep.add(s["snapshot-id"]);
    }
  }
  const history = ancestorsOf(main?.["snapshot-id"] ?? md["current-snapshot-id"], md.snapshots);
  for (const s of history.slice(0, retainLast)) keep.add(s["snapshot-id"]);
  for (const s of md.snapshots) if (s["timestamp-ms"] >= cutoff) keep.add(s["snapshot-id"]);

  const beforeOffsets = new Set(keep);
  const offsetKeys = (s: Snapshot) => Object.keys(s.summary).filter((k) => k.startsWith(prefix));
  // The newest carrier of each key in main's history, and everything between it and the head.
  const seen = new Set<string>();
  history.forEach((s, i) => {
    for (const key of offsetKeys(s)) {
      if (seen.has(key)) continue;
      seen.add(key);
      for (const a of history.slice(0, i + 1)) keep.add(a["snapshot-id"]);
    }
  });
  // The newest carrier of each key anywhere (e.g. on a history main no longer points to).
  const newest = new Map<string, Snapshot>();
  for (const s of md.snapshots) {
    for (const key of offsetKeys(s)) {
      const cur = newest.get(key);
      if (cur === undefined || s["sequence-number"] > cur["sequence-number"]) newest.set(key, s);
    }
  }
  for (const s of newest.values()) keep.add(s["snapshot-id"]);

  const expire: bigint[] = [];
  const retain: bigint[] = [];
  for (const s of md.snapshots) (keep.has(s["snapshot-id"]) ? retain : expire).push(s["snapshot-id"]);
  return {
    expire,
    retain,
    keptForOffsets: retain.filter((id) => !beforeOffsets.has(id)),
    retainLast,
    maxSnapshotAgeMs: maxAge,
  };
}

export interface UnreachableFiles {
  dataFiles: string[];
  deleteFiles: string[];
  manifests: string[];
  manifestLists: string[];
  statisticsFiles: string[];
}

/** Files referenced by snapshots of `before` that `after` dropped, and by no snapshot of `after`. */
export async function unreachableFiles(
  reader: ManifestReader,
  before: TableMetadata,
  after: TableMetadata,
): Promise<UnreachableFiles> {
  const retainedIds = new Set(after.snapshots.map((s) => s["snapshot-id"]));
  const expired = before.snapshots.filter((s) => !retainedIds.has(s["snapshot-id"]));
  const out: UnreachableFiles = {
    dataFiles: [],
    deleteFiles: [],
    manifests: [],
    manifestLists: [],
    statisticsFiles: [],
  };
  if (expired.length === 0) return out;
  const retainedLists = new Set(
    after.snapshots
      .map((s) => s["manifest-list"])
      .filter((p): p is string => p !== undefined)
      .map(normalizePath),
  );
  for (const s of expired) {
    const list = s["manifest-list"];
    if (list !== undefined && !retainedLists.has(normalizePath(list))) out.manifestLists.push(list);
  }
  // Manifests of retained snapshots, and which of the expired ones no retained snapshot lists.
  const retainedManifests = new Set<string>();
  for (const s of after.snapshots)
    for (const m of await reader.manifestsOf(s)) retainedManifests.add(normalizePath(m.manifest_path));
  const gone = new Map<string, Awaited<ReturnType<ManifestReader["manifestsOf"]>>[number]>();
  for (const s of expired) {
    for (const m of await reader.manifestsOf(s)) {
      const key = normalizePath(m.manifest_path);
      if (!retainedManifests.has(key)) gone.set(key, m);
    }
  }
  out.manifests = [...gone.values()].map((m) => m.manifest_path);
  const candidates = new Map<string, { path: string; content: number }>();
  for (const m of gone.values()) {
    for (const e of await reader.entriesOf(m)) {
      candidates.set(normalizePath(e.data_file.file_path), {
        path: e.data_file.file_path,
        content: e.data_file.content,
      });
    }
  }
  if (candidates.size > 0) {
    const live = await collectReferences(reader, after.snapshots, true);
    for (const [key, c] of candidates) {
      if (live.files.has(key)) continue;
      (c.content === 0 ? out.dataFiles : out.deleteFiles).push(c.path);
    }
  }
  const keptStats = statisticsFiles(after, retainedIds);
  const expiredStats = statisticsFiles(before, new Set(expired.map((s) => s["snapshot-id"])));
  for (const [key, path] of expiredStats) if (!keptStats.has(key)) out.statisticsFiles.push(path);
  return out;
}

export interface ExpireResult {
  committed: boolean;
  dryRun: boolean;
  selection: ExpirySelection;
  snapshotsExpired: number;
  snapshotsRetained: number;
  /** Files deleted (or, in a dry run, that would be). */
  files: UnreachableFiles;
  /** Unreachable files the table does not own: kept, with the reason. */
  foreignFiles: ForeignFile[];
  filesDeleted: number;
  /** Why files were kept despite expiry (gc.enabled=false or cleanFiles: false). */
  filesKeptReason?: string;
  table: LoadedTable;
}

/** Expires snapshots of a table and deletes the files only they referenced. */
export async function expireSnapshots(
  catalog: Catalog,
  id: TableIdentifier,
  io: FileIO,
  options: ExpireOptions = {},
): Promise<ExpireResult> {
  const now = options.now ?? Date.now;
  const log = options.logger ?? silentLogger;
  const reader = new ManifestReader(io, options.concurrency ?? 8);
  let base: LoadedTable | undefined;
  let selection: ExpirySelection | undefined;
  const table = new Table(catalog, await catalog.loadTable(id), io);
  const result = await table.expireSnapshots(
    (md) => {
      selection = selectExpiredSnapshots(md, now(), options);
      return options.dryRun ? [] : selection.expire;
    },
    {
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      logger: log,
      validate: (loaded) => {
        base = loaded;
        return true;
      },
    },
  );
  if (base === undefined || selection === undefined) throw new FloeError("INTERNAL", "expiry staged nothing");
  const before = base.metadata;
  const after: TableMetadata = result.committed
    ? result.table.metadata
    : { ...before, snapshots: before.snapshots.filter((s) => !selection!.expire.includes(s["snapshot-id"])) };
  const gcOff = !gcEnabled(before.properties);
  const clean = options.cleanFiles !== false && !gcOff;
  const act = result.committed || options.dryRun === true;
  const unreachable =
    act && selection.expire.length > 0
      ? await unreachableFiles(reader, before, after)
      : { dataFiles: [], deleteFiles: [], manifests: [], manifestLists: [], statisticsFiles: [] };
  const owner: TableFiles = { location: before.location, metadataLocation: base.metadataLocation };
  const { files, foreign } = ownFiles(owner, unreachable);
  for (const f of foreign) {
    log.warn("not deleting a file the table does not own", { ...f, location: owner.location });
  }
  let filesDeleted = 0;
  if (result.committed && clean) {
    // Data first, then manifests, then lists: at every step what remains still names real files or nothing.
    const concurrency = options.concurrency ?? 8;
    filesDeleted += await deletePaths(
      io,
      owner,
      [...files.dataFiles, ...files.deleteFiles, ...files.statisticsFiles],
      concurrency,
      log,
    );
    filesDeleted += await deletePaths(io, owner, files.manifests, concurrency, log);
    filesDeleted += await deletePaths(io, owner, files.manifestLists, concurrency, log);
  }
  const out: ExpireResult = {
    committed: result.committed,
    dryRun: options.dryRun === true,
    selection,
    snapshotsExpired: result.committed || options.dryRun ? selection.expire.length : 0,
    snapshotsRetained: selection.retain.length,
    files,
    foreignFiles: foreign,
    filesDeleted,
    table: result.table,
    ...(gcOff
      ? { filesKeptReason: "table property gc.enabled=false" }
      : options.cleanFiles === false
        ? { filesKeptReason: "cleanFiles: false" }
        : {}),
  };
  log.info(options.dryRun ? "expiry planned (dry run)" : "snapshots expired", {
    expired: out.snapshotsExpired,
    retained: out.snapshotsRetained,
    keptForOffsets: selection.keptForOffsets.length,
    dataFiles: files.dataFiles.length,
    deleteFiles: files.deleteFiles.length,
    manifests: files.manifests.length,
    manifestLists: files.manifestLists.length,
    foreignKept: foreign.length,
    filesDeleted,
  });
  return out;
}

/** The table's own unreachable files, and the others with the reason they are kept. */
function ownFiles(
  owner: TableFiles,
  u: UnreachableFiles,
): { files: UnreachableFiles; foreign: ForeignFile[] } {
  const foreign: ForeignFile[] = [];
  const own = (paths: string[]) => {
    const split = splitOwned(owner, paths);
    foreign.push(...split.foreign);
    return split.owned;
  };
  const files: UnreachableFiles = {
    dataFiles: own(u.dataFiles),
    deleteFiles: own(u.deleteFiles),
    manifests: own(u.manifests),
    manifestLists: own(u.manifestLists),
    statisticsFiles: own(u.statisticsFiles),
  };
  return { files, foreign };
}
