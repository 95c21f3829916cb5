/**
 * The commit of a rewrite: a `replace` snapshot adding the new data files and removing the inputs,
 * restaged against the freshest base on every conflict. It does what `table.newRewrite()` does
 * (iceberg/snapshot SnapshotProducer) with two changes that let a compaction win against a sink that
 * commits every few hundred milliseconds:
 *
 * - Work carries over between attempts. Manifests are immutable, so each is read once; an attempt
 *   only reads the manifests added since (one per fast append), and reuses the manifest it wrote when
 *   the manifests holding inputs are the same. SnapshotProducer re-reads every manifest of the base
 *   and rewrites the ones with hits on each attempt, so its attempt time grows with the table and, on
 *   S3, soon exceeds the interval between a sink's appends: it never wins.
 * - The manifests holding inputs are combined into one manifest per spec (inputs DELETED, their other
 *   live entries EXISTING) instead of one rewritten manifest each: compacting 1,000 files appended
 *   one per commit writes one manifest, not 1,000, and readers open one.
 * - A short backoff (10..250 ms by default): waiting only lets more appends in.
 *
 * Inputs must still be live at every attempt: a missing one is a non-retryable COMMIT_CONFLICT. Files
 * written for attempts that did not land are deleted; after a conflict everything written is.
 */
import { randomUUID } from "node:crypto";
import { commitWithRetry, type LoadedTable, type Table, type TableFiles } from "../catalog/index.js";
import { FloeError, isFloeError } from "../errors.js";
import {
  type DataFile,
  ENTRY_STATUS,
  encodeManifestList,
  type ManifestEntry,
  type ManifestFile,
} from "../iceberg/avro/index.js";
import {
  addedEntries,
  buildSummary,
  hasLiveFiles,
  newSnapshotId,
  nextSequenceNumber,
  readManifestEntries,
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
  type TableRequirement,
  type TableUpdate,
} from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deletePaths } from "./delete-paths.js";

export interface ReplaceCommitOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
  summary?: Readonly<Record<string, string>>;
  /** Called with the freshest table before each attempt; false drops the commit. */
  validate?: (base: LoadedTable) => boolean | Promise<boolean>;
  now?: () => number;
  /** Manifests known to hold none of the removed files (e.g. from the scan the plan came from): not read. */
  skipManifests?: ReadonlySet<string>;
}

export interface ReplaceCommitResult {
  committed: boolean;
  snapshot?: Snapshot;
  attempts: number;
  conflicts: number;
}

interface Examined {
  /** Live input files this manifest holds. */
  hits: DataFile[];
  /** With hits: the manifest's live entries as the replace carries them (hits DELETED, others EXISTING). */
  entries?: ManifestEntry[];
}

interface Combined {
  manifest: ManifestFile;
  minSequence?: bigint;
}

/** Commits `added` replacing the data files at `removed` on main. */
export async function commitReplace(
  table: Table,
  added: readonly DataFile[],
  removed: readonly string[],
  options: ReplaceCommitOptions = {},
): Promise<ReplaceCommitResult> {
  const io = table.io;
  const log = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const snapshotId = newSnapshotId();
  const removedSet = new Set(removed);
  const examined = new Map<string, Examined>();
  // Manifests holding inputs are combined into one manifest per spec; keyed by the sources' paths.
  const combined = new Map<string, Combined[]>();
  const written: string[] = [];
  // Clean-up deletes only what lies in the table's own location (catalog/ownership.ts).
  let owner: TableFiles = { location: table.metadata.location };
  let prepared: ManifestFile | undefined;
  let staged: Snapshot | undefined;
  let usedThisAttempt = new Set<string>();

  const examine = async (m: ManifestFile): Promise<Examined> => {
    const cached = examined.get(m.manifest_path);
    if (cached) return cached;
    let result: Examined = { hits: [] };
    // Inputs are data files: delete manifests never hold them.
    if (m.content === 0 && !options.skipManifests?.has(m.manifest_path)) {
      const live = (await readManifestEntries(io, m)).filter((e) => e.status !== ENTRY_STATUS.DELETED);
      const hits = live.filter((e) => removedSet.has(e.data_file.file_path));
      if (hits.length > 0) {
        result = {
          hits: hits.map((e) => e.data_file),
          entries: live.map((e) =>
            removedSet.has(e.data_file.file_path)
              ? { ...e, status: ENTRY_STATUS.DELETED, snapshot_id: snapshotId }
              : { ...e, status: ENTRY_STATUS.EXISTING },
          ),
        };
      }
    }
    examined.set(m.manifest_path, result);
    return result;
  };

  const combine = async (sources: readonly ManifestFile[], location: string, md: LoadedTable["metadata"]) => {
    const key = sources
      .map((m) => m.manifest_path)
      .sort()
      .join("\n");
    const cached = combined.get(key);
    if (cached) return cached;
    const bySpec = new Map<number, ManifestEntry[]>();
    for (const m of sources) {
      const list = bySpec.get(m.partition_spec_id) ?? [];
      list.push(...((await examine(m)).entries ?? []));
      bySpec.set(m.partition_spec_id, list);
    }
    const out: Combined[] = [];
    for (const [specId, entries] of bySpec) {
      const spec = specById(md, specId);
      if (spec === undefined) throw new FloeError("INVALID_ARGUMENT", `manifest uses unknown spec ${specId}`);
      const manifest = await writeManifest(
        { io, location, schema: currentSchema(md), spec, snapshotId, formatVersion: writeVersion(md) },
        entries,
        "data",
      );
      written.push(manifest.manifest_path);
      let min: bigint | undefined;
      for (const e of entries) {
        if (e.status === ENTRY_STATUS.DELETED || e.sequence_number === null) continue;
        if (min === undefined || e.sequence_number < min) min = e.sequence_number;
      }
      out.push({ manifest, ...(min === undefined ? {} : { minSequence: min }) });
    }
    combined.set(key, out);
    return out;
  };

  const stage = async (base: LoadedTable) => {
    if (options.validate && !(await options.validate(base))) return null;
    const md = base.metadata;
    const location = md.location.replace(/\/+$/, "");
    owner = { location: md.location };
    if (prepared === undefined && added.length > 0) {
      const spec = specById(md, md["default-spec-id"]);
      if (spec === undefined)
        throw new FloeError("INVALID_ARGUMENT", `table has no spec ${md["default-spec-id"]}`);
      prepared = await writeManifest(
        { io, location, schema: currentSchema(md), spec, snapshotId, formatVersion: writeVersion(md) },
        addedEntries(added, snapshotId),
        "data",
      );
      written.push(prepared.manifest_path);
    }
    const parent = snapshotForRef(md, MAIN_BRANCH);
    const sequenceNumber = nextSequenceNumber(md);
    const carried: ManifestFile[] = [];
    const sources: ManifestFile[] = [];
    const removedFiles: DataFile[] = [];
    usedThisAttempt = new Set();
    for (const m of await readManifestList(io, parent)) {
      if (!hasLiveFiles(m)) continue;
      const ex = await examine(m);
      if (ex.hits.length === 0) carried.push(m);
      else {
        sources.push(m);
        removedFiles.push(...ex.hits);
      }
    }
    if (removedFiles.length !== removedSet.size) {
      const found = new Set(removedFiles.map((f) => f.file_path));
      const missing = removed.filter((p) => !found.has(p));
      throw new FloeError(
        "COMMIT_CONFLICT",
        `${missing.length} file(s) to remove are no longer live in ${MAIN_BRANCH} (first: ${missing[0]}); the change must be replanned`,
        { retryable: false, context: { missing: missing.length } },
      );
    }
    for (const c of await combine(sources, location, md)) {
      usedThisAttempt.add(c.manifest.manifest_path);
      carried.push({
        ...c.manifest,
        sequence_number: sequenceNumber,
        min_sequence_number: c.minSequence ?? sequenceNumber,
      });
    }
    const fresh = prepared
      ? [{ ...prepared, sequence_number: sequenceNumber, min_sequence_number: sequenceNumber }]
      : [];
    if (prepared) usedThisAttempt.add(prepared.manifest_path);
    const listPath = `${location}/metadata/snap-${snapshotId}-${randomUUID()}.avro`;
    await io.write(
      listPath,
      encodeManifestList({
        manifests: [...fresh, ...carried],
        snapshotId,
        parentSnapshotId: parent?.["snapshot-id"] ?? null,
        sequenceNumber,
        formatVersion: writeVersion(md),
      }),
      { ifNoneMatch: true, contentType: "application/avro" },
    );
    written.push(listPath);
    usedThisAttempt.add(listPath);
    const snapshot: Snapshot = {
      "snapshot-id": snapshotId,
      "sequence-number": sequenceNumber,
      "timestamp-ms": Math.max(now(), md["last-updated-ms"]),
      "manifest-list": listPath,
      summary: buildSummary(
        "replace",
        { addedFiles: added, removedFiles },
        parent?.summary,
        parent === undefined,
        options.summary,
      ),
      "schema-id": md["current-schema-id"],
      ...(parent === undefined ? {} : { "parent-snapshot-id": parent["snapshot-id"] }),
    };
    staged = snapshot;
    const uuid = md["table-uuid"];
    const requirements: TableRequirement[] = [
      ...(uuid === undefined ? [] : [{ type: "assert-table-uuid" as const, uuid }]),
      { type: "assert-ref-snapshot-id", ref: MAIN_BRANCH, "snapshot-id": parent?.["snapshot-id"] ?? null },
    ];
    const updates: TableUpdate[] = [
      { action: "add-snapshot", snapshot },
      { action: "set-snapshot-ref", "ref-name": MAIN_BRANCH, type: "branch", "snapshot-id": snapshotId },
    ];
    return { requirements, updates };
  };

  let result: Awaited<ReturnType<typeof commitWithRetry>>;
  try {
    result = await commitWithRetry(table.catalog, table.identifier, stage, {
      maxAttempts: options.maxAttempts ?? 20,
      baseDelayMs: options.baseDelayMs ?? 10,
      maxDelayMs: options.maxDelayMs ?? 250,
      logger: log,
      landed: (t) => t.metadata.snapshots.some((s) => s["snapshot-id"] === snapshotId),
    });
  } catch (e) {
    // A conflict is final: nothing of ours landed. Other errors may hide a landed commit: keep files.
    if (isFloeError(e, "COMMIT_CONFLICT")) await deletePaths(io, owner, written, 4, log);
    throw e;
  }
  await table.refresh().catch(() => undefined);
  if (!result.committed) {
    await deletePaths(io, owner, written, 4, log);
    return { committed: false, attempts: result.attempts, conflicts: result.conflicts };
  }
  // Rewritten manifests and manifest lists of attempts that did not land.
  const landed = result.table.metadata.snapshots.find((s) => s["snapshot-id"] === snapshotId);
  if (landed?.["manifest-list"] === staged?.["manifest-list"]) {
    await deletePaths(
      io,
      owner,
      written.filter((p) => !usedThisAttempt.has(p)),
      4,
      log,
    );
  }
  return {
    committed: true,
    ...(landed ? { snapshot: landed } : {}),
    attempts: result.attempts,
    conflicts: result.conflicts,
  };
}
