/**
 * Bringing a key index to a table's current snapshot: loading it (newest checkpoint on the current
 * snapshot's ancestry, else a rebuild from the table), and catching up with what other writers
 * (another sink, compaction, a delete) committed since the index's settled snapshot.
 *
 * Catch-up walks the ancestry from the current snapshot back to the settled one; snapshots the index
 * committed itself are already reflected, the others are foreign. With no foreign snapshot nothing is
 * read. Otherwise the live files are scanned, and:
 * - files the index knows that are no longer live (compaction, a delete) lose their entries;
 * - position deletes (or deletion vectors) that foreign snapshots added against known files remove the
 *   entries at those positions (a foreign snapshot's files carry its sequence number);
 * - live files the index does not know are read (key columns only, their deletes applied) and added;
 *   a key found on two live rows keeps the row of the newer file and is counted (duplicateKeys).
 * A foreign equality delete, or a settled snapshot no longer on the ancestry (rollback, expiry),
 * means a rebuild.
 */
import {
  DeleteIndex,
  type ScannedFile,
  type SnapshotFiles,
  scanSnapshot,
  unpartitionedSpecIds,
} from "../compaction/index.js";
import { FloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";
import { ancestorsOf, currentSnapshot, FLOE_KEY_INDEX, type TableMetadata } from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { readCheckpoint } from "./checkpoint.js";
import { EntryChunks, type KeepLater, SortedEntries } from "./entries.js";
import { KeyReader } from "./file-keys.js";
import { KeyIndex, type KeyIndexOptions } from "./key-index.js";

export interface CatchUpResult {
  /** Data files read. */
  files: number;
  /** Entries removed because their file is gone or their row was deleted. */
  removed: number;
  /** Keys found on two live rows during this catch-up. */
  duplicateKeys: number;
  /** The index was rebuilt from the table. */
  rebuilt: boolean;
}

/** Keeps the entry of the file with the higher data sequence number (unknown: the index's own, newest). */
function newerFile(index: KeyIndex): KeepLater {
  return (a, _pa, b) => {
    const sa = index.files.seqOf(a);
    const sb = index.files.seqOf(b);
    if (sb === undefined) return true;
    if (sa === undefined) return false;
    return sb >= sa;
  };
}

function readerFor(io: FileIO, index: KeyIndex, metadata: TableMetadata, files: SnapshotFiles): KeyReader {
  const deletes = new DeleteIndex(files.deletes, unpartitionedSpecIds(metadata["partition-specs"]));
  return new KeyReader(io, metadata, index.keyColumns, deletes);
}

/**
 * Reads `data` into the index as runs of new entries: one run, or past the index's memory budget,
 * runs of files holding about a quarter of the budget in rows each (each merged in, to disk).
 */
async function addFiles(index: KeyIndex, reader: KeyReader, data: readonly ScannedFile[]): Promise<number> {
  const ids = new Map(data.map((d) => [d, index.files.add(reader.indexedFile(d), d.sequenceNumber)]));
  const keep = newerFile(index);
  const rowsPerRun = index.committed.spill.budget / 64;
  for (let from = 0; from < data.length; ) {
    let to = from;
    let rows = 0;
    while (to < data.length && (to === from || rows + Number(data[to]?.file.record_count) <= rowsPerRun)) {
      rows += Number(data[to]?.file.record_count);
      to++;
    }
    const chunks = new EntryChunks();
    await reader.readInto(data.slice(from, to), (d) => ids.get(d) as number, chunks);
    const run = SortedEntries.build(chunks, keep, (n) => {
      index.duplicateKeys += n;
    });
    index.addRun(run, keep);
    from = to;
  }
  return data.length;
}

/** Rebuilds the index from every live data file of the current snapshot. */
export async function rebuild(io: FileIO, index: KeyIndex, metadata: TableMetadata): Promise<CatchUpResult> {
  const current = currentSnapshot(metadata);
  const dupsBefore = index.duplicateKeys;
  const removed = index.committedSize;
  index.discardPending();
  index.files.clear();
  index.resetCommitted(new SortedEntries(new Uint32Array(0)));
  const files = await scanSnapshot(io, current);
  const read = await addFiles(index, readerFor(io, index, metadata, files), files.data);
  index.settle(current?.["snapshot-id"]);
  return { files: read, removed, duplicateKeys: index.duplicateKeys - dupsBefore, rebuilt: true };
}

/** Brings `index` (no commit pending) to `metadata`'s current snapshot. */
export async function catchUp(
  io: FileIO,
  index: KeyIndex,
  metadata: TableMetadata,
  logger: Logger = silentLogger,
): Promise<CatchUpResult> {
  if (index.hasPending) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      "key index: catch up with a commit pending (commit or discard it)",
    );
  }
  const current = currentSnapshot(metadata);
  const foreign = index.foreignSince(metadata);
  if (foreign === undefined) {
    logger.warn("key index: its snapshot is not an ancestor of the current one; rebuilding", {
      settled: index.settledSnapshotId,
      current: current?.["snapshot-id"],
    });
    return rebuild(io, index, metadata);
  }
  const result: CatchUpResult = { files: 0, removed: 0, duplicateKeys: 0, rebuilt: false };
  if (foreign.size === 0) {
    index.settle(current?.["snapshot-id"]);
    return result;
  }
  const files = await scanSnapshot(io, current);
  if (files.deletes.some((d) => d.file.content === 2 && foreign.has(d.sequenceNumber))) {
    logger.info("key index: another writer added equality deletes; rebuilding", {
      snapshot: current?.["snapshot-id"],
    });
    return rebuild(io, index, metadata);
  }
  const reader = readerFor(io, index, metadata, files);
  const deleteIndex = new DeleteIndex(files.deletes, unpartitionedSpecIds(metadata["partition-specs"]));
  const live = new Map(files.data.map((d) => [d.file.file_path, d]));
  const gone = new Set<number>();
  for (const [id, f] of index.files.entries()) {
    const d = live.get(f.path);
    if (d === undefined) gone.add(id);
    else index.files.setSeq(id, d.sequenceNumber);
  }
  result.removed += index.sweepFiles(gone);
  const newDeletes = new Set(
    files.deletes.filter((d) => d.file.content === 1 && foreign.has(d.sequenceNumber)),
  );
  if (newDeletes.size > 0) {
    const removals = new Map<number, Set<number>>();
    for (const d of files.data) {
      const id = index.files.idOf(d.file.file_path);
      if (id === undefined) continue;
      const attached = deleteIndex.deletesFor(d).filter((x) => newDeletes.has(x));
      if (attached.length === 0) continue;
      const positions = await reader.positions(d, attached);
      if (positions.size > 0) removals.set(id, positions);
    }
    if (removals.size > 0) {
      result.removed += index.removeWhere((file, pos) => removals.get(file)?.has(pos) ?? false);
    }
  }
  const fresh = files.data.filter((d) => index.files.idOf(d.file.file_path) === undefined);
  const dupsBefore = index.duplicateKeys;
  if (fresh.length > 0) result.files = await addFiles(index, reader, fresh);
  result.duplicateKeys = index.duplicateKeys - dupsBefore;
  if (result.duplicateKeys > 0) {
    logger.warn("key index: keys found on two live rows (the newer row was kept)", {
      duplicateKeys: result.duplicateKeys,
      snapshot: current?.["snapshot-id"],
    });
  }
  index.settle(current?.["snapshot-id"]);
  return result;
}

export interface LoadResult {
  index: KeyIndex;
  source: "checkpoint" | "rebuilt" | "empty";
  /** Data files read (by the catch-up after a checkpoint, or the rebuild). */
  caughtUpFiles: number;
  duplicateKeys: number;
  ms: number;
}

/**
 * The table's key index at its current snapshot: from the newest checkpoint on the current snapshot's
 * ancestry, caught up, or rebuilt from the table when there is none or it cannot be used (logged;
 * never an error).
 */
export async function loadKeyIndex(
  io: FileIO,
  metadata: TableMetadata,
  keyColumns: readonly string[],
  logger: Logger = silentLogger,
  options: KeyIndexOptions = {},
): Promise<LoadResult> {
  const t0 = performance.now();
  const done = (index: KeyIndex, source: LoadResult["source"], r: CatchUpResult) => ({
    index,
    source: r.rebuilt && source === "checkpoint" ? ("rebuilt" as const) : source,
    caughtUpFiles: r.files,
    duplicateKeys: r.duplicateKeys,
    ms: performance.now() - t0,
  });
  const current = currentSnapshot(metadata);
  if (current === undefined) {
    return done(new KeyIndex(keyColumns, undefined, options), "empty", {
      files: 0,
      removed: 0,
      duplicateKeys: 0,
      rebuilt: false,
    });
  }
  const named = ancestorsOf(current["snapshot-id"], metadata.snapshots).find(
    (s) => s.summary[FLOE_KEY_INDEX] !== undefined,
  );
  const path = named?.summary[FLOE_KEY_INDEX];
  if (named !== undefined && path !== undefined) {
    let loaded: Awaited<ReturnType<typeof readCheckpoint>> | undefined;
    try {
      loaded = await readCheckpoint(io, path, keyColumns, named["snapshot-id"], options);
    } catch (e) {
      logger.warn("key index checkpoint unusable; rebuilding from the table", {
        path,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    if (loaded !== undefined) {
      if (loaded.parent !== (named["parent-snapshot-id"] ?? undefined)) {
        logger.info("key index checkpoint was written on another parent; catching up from it", {
          path,
          parent: loaded.parent,
          snapshotParent: named["parent-snapshot-id"],
        });
      }
      return done(loaded.index, "checkpoint", await catchUp(io, loaded.index, metadata, logger));
    }
  } else {
    logger.info("no key index checkpoint; rebuilding from the table", { snapshot: current["snapshot-id"] });
  }
  const index = new KeyIndex(keyColumns, undefined, options);
  return done(index, "rebuilt", await rebuild(io, index, metadata));
}
