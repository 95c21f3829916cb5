/**
 * Compaction and maintenance jobs on one table (`compactTable`, `maintainTable`), each under the
 * table's lease, with dry runs (plan only, nothing written), progress logs and a result whose status
 * maps to an exit code. batch.ts runs them over every table of a catalog.
 */
import { formatIdentifier, type Table } from "../catalog/index.js";
import { toFloeError } from "../errors.js";
import { MAIN_BRANCH, snapshotForRef, targetFileSizeBytes } from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { type ExpireOptions, type ExpireResult, expireSnapshots } from "./expire.js";
import { acquireLease, type Lease, type LeaseOptions } from "./lease.js";
import {
  type ManifestRewriteOptions,
  type ManifestRewriteResult,
  rewriteManifests,
} from "./manifest-rewrite.js";
import {
  cleanMetadataFiles,
  type MetadataCleanupOptions,
  type MetadataCleanupResult,
} from "./metadata-cleanup.js";
import { DeleteCoverage, readReferencedPaths } from "./obsolete-deletes.js";
import { type OrphanOptions, type OrphanResult, removeOrphanFiles } from "./orphans.js";
import {
  type CompactionPlan,
  DEFAULT_TARGET_FILE_SIZE_BYTES,
  type PlannerOptions,
  planCompaction,
} from "./planner.js";
import { REWRITE_COMMIT_RETRY, type RewriteResult, type RewriteSettings, rewriteGroups } from "./rewriter.js";
import { DeleteIndex, plannerFiles, scanSnapshot, unpartitionedSpecIds } from "./scan.js";
import { NewDeletesCheck } from "./validate.js";

/** ok: work done or nothing to do; partial: some work failed; failed: nothing succeeded; locked: another run holds the lease. */
export type JobStatus = "ok" | "partial" | "failed" | "locked";

export interface JobCommonOptions {
  dryRun?: boolean;
  logger?: Logger;
  /** Lease settings, or false to run without the lease (default: take it; dry runs never do). */
  lease?: false | LeaseOptions;
}

export interface CompactOptions
  extends PlannerOptions,
    Omit<RewriteSettings, "logger" | "beforeGroup">,
    JobCommonOptions {}

export interface CompactResult {
  table: string;
  status: JobStatus;
  dryRun: boolean;
  plan?: CompactionPlan;
  rewrite?: RewriteResult;
  /** Live data files before and after (after = before in a dry run). */
  filesBefore: number;
  filesAfter: number;
  /** Live delete files before and after (after = before in a dry run). */
  deleteFilesBefore: number;
  deleteFilesAfter: number;
  /** Delete files applying to no live data file, dropped in a commit of their own (outside any group). */
  danglingDeletesRemoved: number;
  durationMs: number;
  error?: string;
}

async function withLease<R>(
  table: Table,
  options: JobCommonOptions,
  log: Logger,
  locked: () => R,
  body: (lease: Lease | undefined) => Promise<R>,
): Promise<R> {
  if (options.dryRun || options.lease === false) return body(undefined);
  const attempt = await acquireLease(table.io, table.metadata.location, options.lease ?? {});
  if (!attempt.acquired) {
    log.warn("table is leased by another run, skipping", {
      reason: attempt.reason,
      ...(attempt.holder
        ? { holder: attempt.holder.owner, expiresAt: new Date(attempt.holder.expiresAt).toISOString() }
        : {}),
    });
    return locked();
  }
  try {
    return await body(attempt.lease);
  } finally {
    await attempt.lease.release().catch((e) => log.warn("could not release the lease", { error: e }));
  }
}

/** Plans and (unless a dry run) rewrites the small files of one table. */
export async function compactTable(table: Table, options: CompactOptions = {}): Promise<CompactResult> {
  const t0 = performance.now();
  const name = formatIdentifier(table.identifier);
  const log = (options.logger ?? silentLogger).child({ table: name });
  const base: CompactResult = {
    table: name,
    status: "ok",
    dryRun: options.dryRun === true,
    filesBefore: 0,
    filesAfter: 0,
    deleteFilesBefore: 0,
    deleteFilesAfter: 0,
    danglingDeletesRemoved: 0,
    durationMs: 0,
  };
  const done = (r: CompactResult) => ({ ...r, durationMs: performance.now() - t0 });
  try {
    await table.refresh();
    return await withLease(
      table,
      options,
      log,
      () => done({ ...base, status: "locked" }),
      async (lease) => {
        await table.refresh();
        const md = table.metadata;
        const snapshot = snapshotForRef(md, MAIN_BRANCH);
        if (snapshot === undefined) {
          log.info("table has no snapshot, nothing to compact");
          return done(base);
        }
        const scanned = await scanSnapshot(table.io, snapshot);
        const unpartitioned = unpartitionedSpecIds(md["partition-specs"]);
        const deletes = new DeleteIndex(scanned.deletes, unpartitioned);
        const target =
          options.targetFileSizeBytes ?? targetFileSizeBytes(md.properties, DEFAULT_TARGET_FILE_SIZE_BYTES);
        const coverage = new DeleteCoverage(scanned, deletes, readReferencedPaths(table.io));
        const plan = planCompaction(
          plannerFiles(scanned, (d) => coverage.attachedTo(d.file.file_path)),
          { ...options, targetFileSizeBytes: target, specId: md["default-spec-id"] },
        );
        const before = scanned.data.length;
        const counts = {
          filesBefore: before,
          filesAfter: before,
          deleteFilesBefore: coverage.size,
          deleteFilesAfter: coverage.size,
        };
        log.info(options.dryRun ? "compaction plan (dry run)" : "compaction plan", {
          snapshotId: snapshot["snapshot-id"],
          files: before,
          deleteFiles: scanned.deletes.length,
          candidates: plan.candidateFiles,
          groups: plan.groups.length,
          filesToRewrite: plan.filesToRewrite,
          bytesToRewrite: plan.bytesToRewrite,
          skipped: plan.skipped,
        });
        if (options.dryRun) return done({ ...base, plan, ...counts });
        if (plan.groups.length === 0) {
          const dangling = await dropDangling(table, coverage.dangling(), log);
          return done({
            ...base,
            plan,
            ...counts,
            deleteFilesAfter: counts.deleteFilesBefore - dangling,
            danglingDeletesRemoved: dangling,
          });
        }
        const rewrite = await rewriteGroups(
          table,
          plan,
          {
            planSnapshotId: snapshot["snapshot-id"],
            manifests: scanned.manifests,
            files: new Map(scanned.data.map((d) => [d.file.file_path, d])),
            deletes,
            coverage,
            newDeletes: new NewDeletesCheck(table.io, unpartitioned),
          },
          {
            ...options,
            // Output files are cut at the plan's target (streamed, so memory does not follow it).
            writer: { targetFileSizeBytes: target, ...options.writer },
            logger: log,
            ...(lease ? { beforeGroup: () => lease.renew() } : {}),
          },
        );
        // Dangling delete files of partitions no group rewrote go in a commit of their own.
        const dangling =
          rewrite.stopped === undefined
            ? await dropDangling(
                table,
                coverage.dangling(new Set(plan.groups.map((g) => g.partitionKey))),
                log,
              )
            : 0;
        const status: JobStatus =
          rewrite.groupsFailed > 0 || rewrite.stopped !== undefined
            ? rewrite.groupsCommitted > 0
              ? "partial"
              : "failed"
            : "ok";
        const result = done({
          ...base,
          status,
          plan,
          rewrite,
          ...counts,
          filesAfter: before - rewrite.filesRewritten + rewrite.filesWritten,
          deleteFilesAfter: counts.deleteFilesBefore - rewrite.deleteFilesRemoved - dangling,
          danglingDeletesRemoved: dangling,
        });
        log.info("compaction finished", {
          status,
          filesBefore: result.filesBefore,
          filesAfter: result.filesAfter,
          deleteFilesBefore: result.deleteFilesBefore,
          deleteFilesAfter: result.deleteFilesAfter,
          groupsCommitted: rewrite.groupsCommitted,
          groupsAbandoned: rewrite.groupsAbandoned,
          groupsFailed: rewrite.groupsFailed,
          bytesRewritten: rewrite.bytesRewritten,
          bytesWritten: rewrite.bytesWritten,
          conflicts: rewrite.conflicts,
          durationMs: Math.round(result.durationMs),
        });
        return result;
      },
    );
  } catch (e) {
    log.error("compaction failed", { error: e });
    return done({ ...base, status: "failed", error: toFloeError(e).message });
  }
}

/**
 * Drops delete files that apply to no live data file (their data files were rewritten or removed):
 * safe whatever commits meanwhile, as data files added later have higher sequence numbers. A failure
 * is logged, not thrown (they go on a later run). Returns how many were dropped.
 */
async function dropDangling(table: Table, paths: readonly string[], log: Logger): Promise<number> {
  if (paths.length === 0) return 0;
  try {
    const result = await table
      .newRewrite()
      .removeDeleteFiles(paths)
      .commit({ retryDefaults: REWRITE_COMMIT_RETRY, logger: log });
    if (!result.committed) return 0;
    log.info("dropped dangling delete files", { deleteFiles: paths.length });
    return paths.length;
  } catch (e) {
    log.warn("could not drop dangling delete files", { deleteFiles: paths.length, error: e });
    return 0;
  }
}

export interface MaintainOptions extends JobCommonOptions {
  /**
   * Rewrite the data files that have delete files attached, applying them, and drop the delete files
   * left applying to nothing (default on; small files without deletes are left to `compact`).
   */
  deletes?: false | Omit<CompactOptions, keyof JobCommonOptions>;
  /** Merge small manifests (default on). */
  manifests?: false | Omit<ManifestRewriteOptions, "dryRun" | "logger">;
  /** Expire snapshots and delete the files only they referenced (default on). */
  expire?: false | Omit<ExpireOptions, "dryRun" | "logger">;
  /** Delete metadata files outside the metadata log (default: per write.metadata.delete-after-commit.enabled). */
  metadata?: false | Omit<MetadataCleanupOptions, "dryRun" | "logger">;
  /** Remove orphan files older than the grace period (default on, 3 days). */
  orphans?: false | Omit<OrphanOptions, "dryRun" | "logger">;
}

export interface MaintainResult {
  table: string;
  status: JobStatus;
  dryRun: boolean;
  deletes?: Omit<CompactResult, "table">;
  manifests?: ManifestRewriteResult;
  expire?: Omit<ExpireResult, "table">;
  metadata?: MetadataCleanupResult;
  orphans?: OrphanResult;
  errors: { step: string; error: string }[];
  durationMs: number;
}

/**
 * Runs the maintenance steps on one table: apply and drop delete files, merge manifests, expire
 * snapshots, clean metadata, remove orphans.
 */
export async function maintainTable(table: Table, options: MaintainOptions = {}): Promise<MaintainResult> {
  const t0 = performance.now();
  const name = formatIdentifier(table.identifier);
  const log = (options.logger ?? silentLogger).child({ table: name });
  const dryRun = options.dryRun === true;
  const result: MaintainResult = { table: name, status: "ok", dryRun, errors: [], durationMs: 0 };
  const finish = () => ({ ...result, durationMs: performance.now() - t0 });
  let stepsRun = 0;
  const step = async (name: string, fn: () => Promise<void>, lease: Lease | undefined) => {
    stepsRun++;
    try {
      await lease?.renew();
      await fn();
    } catch (e) {
      log.error(`maintenance step ${name} failed`, { error: e });
      result.errors.push({ step: name, error: toFloeError(e).message });
    }
  };
  try {
    await table.refresh();
    return await withLease(
      table,
      options,
      log,
      () => ({ ...finish(), status: "locked" as const }),
      async (lease) => {
        const { catalog, io, identifier } = table;
        if (options.deletes !== false) {
          await step(
            "deletes",
            async () => {
              const { table: _t, ...rest } = await compactTable(table, {
                minFileSizeRatio: 0,
                ...options.deletes,
                dryRun,
                logger: log,
                lease: false,
              });
              result.deletes = rest;
              if (rest.status === "failed" || rest.status === "partial") {
                throw new Error(rest.error ?? "some groups failed");
              }
            },
            lease,
          );
        }
        if (options.manifests !== false) {
          await step(
            "manifests",
            async () => {
              result.manifests = await rewriteManifests(catalog, identifier, io, {
                ...options.manifests,
                dryRun,
                logger: log,
              });
            },
            lease,
          );
        }
        if (options.expire !== false) {
          await step(
            "expire",
            async () => {
              const { table: _t, ...rest } = await expireSnapshots(catalog, identifier, io, {
                ...options.expire,
                dryRun,
                logger: log,
              });
              result.expire = rest;
            },
            lease,
          );
        }
        if (options.metadata !== false) {
          await step(
            "metadata",
            async () => {
              result.metadata = await cleanMetadataFiles(table, { ...options.metadata, dryRun, logger: log });
            },
            lease,
          );
        }
        if (options.orphans !== false) {
          await step(
            "orphans",
            async () => {
              result.orphans = await removeOrphanFiles(table, { ...options.orphans, dryRun, logger: log });
            },
            lease,
          );
        }
        result.status =
          result.errors.length === 0 ? "ok" : result.errors.length < stepsRun ? "partial" : "failed";
        const out = finish();
        log.info("maintenance finished", {
          status: out.status,
          deleteFilesBefore: out.deletes?.deleteFilesBefore ?? 0,
          deleteFilesAfter: out.deletes?.deleteFilesAfter ?? 0,
          snapshotsExpired: out.expire?.snapshotsExpired ?? 0,
          filesDeleted:
            (out.expire?.filesDeleted ?? 0) + (out.orphans?.deleted ?? 0) + (out.metadata?.deleted ?? 0),
          orphans: out.orphans?.orphans.length ?? 0,
          manifestsReplaced: out.manifests?.manifestsReplaced ?? 0,
          durationMs: Math.round(out.durationMs),
        });
        return out;
      },
    );
  } catch (e) {
    log.error("maintenance failed", { error: e });
    result.errors.push({ step: "load", error: toFloeError(e).message });
    return { ...finish(), status: "failed" };
  }
}
