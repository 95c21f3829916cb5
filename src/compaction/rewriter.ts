/**
 * The rewriter: for each planned group, stream its files, with the delete files attached to them
 * applied, into new files written by the table's DataFileWriter (rewrite-inputs.ts; same field ids,
 * fresh metrics, the group's partition), and commit a `replace` snapshot that adds the new
 * files and removes the inputs, together with the delete files left applying to no live data file
 * (obsolete-deletes.ts).
 *
 * The commit is the transaction API's replace (iceberg/table): restaged on every conflict, carrying
 * concurrent appends over and reusing its manifests between attempts. Unless the table sets its own
 * commit.retry.* properties, a rewrite retries often and briefly (REWRITE_COMMIT_RETRY): waiting only
 * lets more appends in, and a rewrite is expensive to redo.
 *
 * Commit outcomes:
 * - committed: the replace snapshot landed.
 * - abandoned: an input (or a delete file to drop) is no longer live (another compaction or a delete
 *   got there first), or a delete file that may apply to an input was added since planning (rows it
 *   deletes would come back in the new files): the new files are deleted.
 * - failed: anything else. Files that a possibly-committed snapshot may reference (an error while
 *   committing) are never deleted; orphan removal collects them after its grace period.
 */
import type { Table, WriterSettings } from "../catalog/index.js";
import { isFloeError, toFloeError } from "../errors.js";
import { deleteFiles } from "../iceberg/io/index.js";
import { currentSchema, type DataFile, type PrimitiveValue, specById } from "../iceberg/spec/index.js";
import { DataFileWriter } from "../iceberg/write/index.js";
import { type Logger, silentLogger } from "../log.js";
import { deletePaths } from "./delete-paths.js";
import type { DeleteCoverage } from "./obsolete-deletes.js";
import type { CompactionPlan, PlannedGroup } from "./planner.js";
import { streamInputs } from "./rewrite-inputs.js";
import type { DeleteIndex, ScannedFile } from "./scan.js";
import type { NewDeletesCheck } from "./validate.js";

/** A rewrite's commit retries where the table sets no commit.retry.* property of its own. */
export const REWRITE_COMMIT_RETRY = { numRetries: 19, minWaitMs: 10, maxWaitMs: 250 } as const;

export type RewritePhase = "read" | "commit" | "done";

export interface RewriteProgress {
  phase: RewritePhase;
  /** 1-based index of the group and the number of groups. */
  group: number;
  groups: number;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RewriteSettings {
  /**
   * Writer settings for the new files: compression, rowGroupRows, maxRowsPerFile (default: no row
   * cap), targetFileSizeBytes (default: the table's write.target-file-size-bytes). Files are streamed
   * out row group by row group, so memory does not grow with the file size.
   */
  writer?: WriterSettings;
  /** Commit attempts per group (default: the table's commit.retry.num-retries + 1, else 20). */
  commitMaxAttempts?: number;
  /** Extra snapshot summary properties. */
  summary?: Readonly<Record<string, string>>;
  logger?: Logger;
  onProgress?: (p: RewriteProgress) => void;
  /** Called before each group (e.g. to renew a lease); a throw stops the run before that group. */
  beforeGroup?: () => Promise<void>;
  /** Test hook, called after the new files are written and before the commit. */
  beforeCommit?: (group: PlannedGroup, files: readonly DataFile[]) => void | Promise<void>;
}

/** What the rewriter needs from the scan the plan was made from. */
export interface RewriteInputs {
  planSnapshotId: bigint;
  /** Live manifests of the planned snapshot (those without a group's inputs are not re-read at commit). */
  manifests?: readonly string[];
  /** Live data files of the planned snapshot, by path. */
  files: ReadonlyMap<string, ScannedFile>;
  deletes: DeleteIndex;
  /** Which delete files a group's commit leaves obsolete (dropped with it); unset: none are dropped. */
  coverage?: DeleteCoverage;
  newDeletes: NewDeletesCheck;
}

export type GroupStatus = "committed" | "abandoned" | "failed";

export interface GroupOutcome {
  partitionKey: string;
  status: GroupStatus;
  reason?: string;
  inputFiles: number;
  inputBytes: number;
  outputFiles: number;
  outputBytes: number;
  rowsIn: number;
  rowsOut: number;
  deletedRows: number;
  /** Delete files the commit removed (applied and applying to no live data file any more). */
  deleteFilesRemoved: number;
  conflicts: number;
  snapshotId?: bigint;
  error?: Error;
}

export interface RewriteResult {
  groups: GroupOutcome[];
  groupsCommitted: number;
  groupsAbandoned: number;
  groupsFailed: number;
  filesRewritten: number;
  bytesRewritten: number;
  filesWritten: number;
  bytesWritten: number;
  rowsRewritten: number;
  deletedRowsApplied: number;
  deleteFilesRemoved: number;
  conflicts: number;
  durationMs: number;
  /** Why the run stopped before the last group, if it did. */
  stopped?: string;
  groupsNotRun: number;
}

class Abandon extends Error {}

async function rewriteGroup(
  table: Table,
  group: PlannedGroup,
  inputs: RewriteInputs,
  /** Inputs of the groups this run committed so far. */
  rewritten: ReadonlySet<string>,
  settings: RewriteSettings,
  log: Logger,
  progress: (phase: RewritePhase, files: number, bytes: number) => void,
): Promise<GroupOutcome> {
  const outcome: GroupOutcome = {
    partitionKey: group.partitionKey,
    status: "failed",
    inputFiles: group.files.length,
    inputBytes: group.inputBytes,
    outputFiles: 0,
    outputBytes: 0,
    rowsIn: 0,
    rowsOut: 0,
    deletedRows: 0,
    deleteFilesRemoved: 0,
    conflicts: 0,
  };
  const written: DataFile[] = [];
  let committing = false;
  try {
    const md = table.metadata;
    const spec = specById(md, group.specId);
    if (spec === undefined || group.specId !== md["default-spec-id"]) {
      throw new Abandon(`spec ${group.specId} is not the table's default spec`);
    }
    const missing = group.files.find((f) => !inputs.files.has(f.path));
    if (missing !== undefined) throw new Abandon(`${missing.path} is not in the planned snapshot`);
    const schema = currentSchema(md);
    const writer = new DataFileWriter({
      ...table.writerOptions({ maxRowsPerFile: Number.MAX_SAFE_INTEGER, ...settings.writer }),
      spec,
    });
    const tuple = spec.fields.map((f) => (group.partition[f.name] ?? null) as PrimitiveValue | null);
    const output = writer.openPartition(tuple);
    progress("read", 0, 0);
    let read: { rowsIn: number; deleted: number };
    try {
      read = await streamInputs(table, group, inputs, schema, output, (bytes) => progress("read", 1, bytes));
      written.push(...(await output.close()));
    } catch (e) {
      await output.abort();
      throw e;
    }
    const { rowsIn, deleted } = read;
    outcome.rowsIn = rowsIn;
    outcome.deletedRows = deleted;
    const paths = group.files.map((f) => f.path);
    const obsolete =
      inputs.coverage === undefined
        ? []
        : await inputs.coverage.obsolete(
            paths.map((p) => inputs.files.get(p) as ScannedFile),
            group.partitionKey,
            new Set([...rewritten, ...paths]),
          );
    if (deleted === 0 && obsolete.length === 0 && written.length >= group.files.length) {
      // The data does not fit fewer files (each input was already about a whole output's worth).
      throw new Abandon(`no gain: ${group.files.length} files would be rewritten as ${written.length}`);
    }
    outcome.outputFiles = written.length;
    outcome.outputBytes = written.reduce((n, f) => n + Number(f.file_size_in_bytes), 0);
    outcome.rowsOut = written.reduce((n, f) => n + Number(f.record_count), 0);
    await settings.beforeCommit?.(group, written);
    progress("commit", 0, 0);
    const scope = { partitionKey: group.partitionKey, inputs: new Set(paths) };
    let rejected: string | undefined;
    committing = true;
    const holding = new Set<string | undefined>([
      ...group.files.map((f) => inputs.files.get(f.path)?.manifestPath),
      ...(inputs.coverage?.manifestsOf(obsolete) ?? []),
    ]);
    const location = table.metadata.location;
    const result = await table
      .newRewrite()
      .addDataFiles(written)
      .removeFiles(paths)
      .removeDeleteFiles(obsolete)
      .skipManifests(new Set((inputs.manifests ?? []).filter((m) => !holding.has(m))))
      .commit({
        retryDefaults: REWRITE_COMMIT_RETRY,
        ...(settings.commitMaxAttempts === undefined ? {} : { maxAttempts: settings.commitMaxAttempts }),
        logger: log,
        deleteFiles: (unused) => deletePaths(table.io, { location }, unused, 4, log),
        ...(settings.summary === undefined ? {} : { summary: settings.summary }),
        validate: async (base) => {
          rejected = await inputs.newDeletes.conflict(base.metadata, inputs.planSnapshotId, scope);
          return rejected === undefined;
        },
      });
    committing = false;
    outcome.conflicts = result.conflicts;
    if (!result.committed) throw new Abandon(rejected ?? "the commit was dropped");
    outcome.status = "committed";
    outcome.deleteFilesRemoved = obsolete.length;
    inputs.coverage?.markRemoved(obsolete);
    if (result.snapshot) outcome.snapshotId = result.snapshot["snapshot-id"];
    return outcome;
  } catch (e) {
    // A conflict is final (nothing landed); so is anything before the commit started.
    const abandoned = e instanceof Abandon || isFloeError(e, "COMMIT_CONFLICT");
    if (abandoned || !committing) {
      if (written.length > 0) {
        await deleteFiles(
          table.io,
          written.map((f) => f.file_path),
        ).catch((err) => log.warn("could not delete files of an abandoned rewrite", { error: err }));
      }
      outcome.outputFiles = 0;
      outcome.outputBytes = 0;
    }
    outcome.status = abandoned ? "abandoned" : "failed";
    outcome.reason = e instanceof Error ? e.message : String(e);
    if (isFloeError(e, "COMMIT_CONFLICT")) outcome.conflicts++;
    if (!abandoned) outcome.error = toFloeError(e);
    return outcome;
  }
}

/** Rewrites the groups of `plan` one after the other; a failed group does not stop the others. */
export async function rewriteGroups(
  table: Table,
  plan: CompactionPlan,
  inputs: RewriteInputs,
  settings: RewriteSettings = {},
): Promise<RewriteResult> {
  const t0 = performance.now();
  const log = settings.logger ?? silentLogger;
  const filesTotal = plan.filesToRewrite;
  const bytesTotal = plan.bytesToRewrite;
  let filesDone = 0;
  let bytesDone = 0;
  const outcomes: GroupOutcome[] = [];
  const rewritten = new Set<string>();
  let stopped: string | undefined;
  for (const [i, group] of plan.groups.entries()) {
    try {
      await settings.beforeGroup?.();
    } catch (e) {
      stopped = e instanceof Error ? e.message : String(e);
      log.error("compaction stopped", { group: i + 1, groups: plan.groups.length, error: e });
      break;
    }
    const progress = (phase: RewritePhase, files: number, bytes: number) => {
      filesDone += files;
      bytesDone += bytes;
      settings.onProgress?.({
        phase,
        group: i + 1,
        groups: plan.groups.length,
        filesDone,
        filesTotal,
        bytesDone,
        bytesTotal,
      });
    };
    const outcome = await rewriteGroup(table, group, inputs, rewritten, settings, log, progress);
    outcomes.push(outcome);
    if (outcome.status === "committed") for (const f of group.files) rewritten.add(f.path);
    const fields = {
      group: i + 1,
      groups: plan.groups.length,
      partition: group.partitionKey,
      status: outcome.status,
      inputFiles: outcome.inputFiles,
      outputFiles: outcome.outputFiles,
      inputBytes: outcome.inputBytes,
      outputBytes: outcome.outputBytes,
      deleteFilesRemoved: outcome.deleteFilesRemoved,
      conflicts: outcome.conflicts,
      ...(outcome.snapshotId === undefined ? {} : { snapshotId: outcome.snapshotId }),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    };
    if (outcome.status === "failed")
      log.error("compaction group failed", { ...fields, error: outcome.error });
    else if (outcome.status === "abandoned") log.warn("compaction group abandoned", fields);
    else log.info("compaction group committed", fields);
    progress("done", 0, 0);
  }
  const committed = outcomes.filter((o) => o.status === "committed");
  return {
    groups: outcomes,
    groupsCommitted: committed.length,
    groupsAbandoned: outcomes.filter((o) => o.status === "abandoned").length,
    groupsFailed: outcomes.filter((o) => o.status === "failed").length,
    filesRewritten: committed.reduce((n, o) => n + o.inputFiles, 0),
    bytesRewritten: committed.reduce((n, o) => n + o.inputBytes, 0),
    filesWritten: committed.reduce((n, o) => n + o.outputFiles, 0),
    bytesWritten: committed.reduce((n, o) => n + o.outputBytes, 0),
    rowsRewritten: committed.reduce((n, o) => n + o.rowsOut, 0),
    deletedRowsApplied: committed.reduce((n, o) => n + o.deletedRows, 0),
    deleteFilesRemoved: committed.reduce((n, o) => n + o.deleteFilesRemoved, 0),
    conflicts: outcomes.reduce((n, o) => n + o.conflicts, 0),
    durationMs: performance.now() - t0,
    groupsNotRun: plan.groups.length - outcomes.length,
    ...(stopped === undefined ? {} : { stopped }),
  };
}
