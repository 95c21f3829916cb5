/**
 * `floe compact` and `floe maintain`: one-shot jobs for cron or a Kubernetes CronJob. Progress goes to
 * the JSON log on stderr, a summary to stdout; the exit code tells success (0) from partial (1) and total
 * failure (2).
 */
import { parseIdentifier } from "./catalog/index.js";
import { compactAll, exitCodeOf, maintainAll } from "./compaction/index.js";
import type { Config } from "./config.js";
import { FloeError } from "./errors.js";
import type { Logger } from "./log.js";
import { createCatalog, createFileIO } from "./service/index.js";

export interface MaintenanceFlags {
  table?: string;
  "dry-run"?: boolean;
  "target-file-size"?: string;
  "keep-snapshots"?: string;
  "max-snapshot-age-hours"?: string;
  "orphan-grace-hours"?: string;
}

export const COMPACT_HELP = `Usage: floe compact [--config FILE] [--table NS.T] [--dry-run] [--target-file-size BYTES]

Rewrites small data files (below 75% of the target size) of every table, or of --table, into files of
about the target size (default: the table's write.target-file-size-bytes, else 134217728 = 128 MiB) and
commits a replace snapshot that checks its inputs are still live; concurrent appends are kept.
--dry-run prints the plan and writes nothing. A per-table lease keeps two compactors apart.
Exit code: 0 all tables ok (or locked by another run), 1 some failed, 2 all failed.
`;

export const MAINTAIN_HELP = `Usage: floe maintain [--config FILE] [--table NS.T] [--dry-run] [--keep-snapshots N]
                     [--max-snapshot-age-hours H] [--orphan-grace-hours H]

Expires snapshots (keeps the newest --keep-snapshots, default 100, and any younger than
--max-snapshot-age-hours, default 120 = 5 days; never the newest snapshot holding the sink's offsets),
deletes files only expired snapshots referenced, merges small manifests, cleans old metadata files per
write.metadata.delete-after-commit.enabled / previous-versions-max, and removes orphan files older than
--orphan-grace-hours (default 72 = 3 days; 0 only when no writer is running: a commit in flight
would lose its files). --dry-run reports what would be done. Exit codes as compact.
`;

function num(flag: string, v: string | undefined, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero))
    throw new FloeError(
      "INVALID_ARGUMENT",
      `--${flag} must be a ${allowZero ? "non-negative" : "positive"} number, got '${v}'`,
    );
  return n;
}

export async function runCompaction(
  kind: "compact" | "maintain",
  config: Config,
  flags: MaintenanceFlags,
  logger: Logger,
  out: (text: string) => void,
): Promise<number> {
  const io = createFileIO(config, logger);
  const catalog = createCatalog(config, io, logger);
  const tables = flags.table ? [parseIdentifier(flags.table)] : undefined;
  const common = { logger, dryRun: flags["dry-run"] === true, ...(tables ? { tables } : {}) };
  if (kind === "compact") {
    const target = num("target-file-size", flags["target-file-size"]);
    const batch = await compactAll(catalog, io, {
      ...common,
      ...(target ? { targetFileSizeBytes: target } : {}),
    });
    for (const t of batch.tables) {
      out(
        `${t.table}: ${t.status}${t.dryRun ? " (dry run)" : ""}, files ${t.filesBefore} -> ${t.filesAfter}${t.deleteFilesBefore > 0 ? `, delete files ${t.deleteFilesBefore} -> ${t.deleteFilesAfter}` : ""}${"error" in t && t.error ? `, error: ${t.error}` : ""}\n`,
      );
    }
    out(
      `compaction ${batch.status}: ${batch.tables.length} table(s) in ${(batch.durationMs / 1000).toFixed(1)} s\n`,
    );
    return exitCodeOf(batch);
  }
  const keep = num("keep-snapshots", flags["keep-snapshots"]);
  const age = num("max-snapshot-age-hours", flags["max-snapshot-age-hours"]);
  // 0 is allowed: right after stopping every writer, or in tests (files of a commit in flight go too).
  const grace = num("orphan-grace-hours", flags["orphan-grace-hours"], true);
  const batch = await maintainAll(catalog, io, {
    ...common,
    expire: { ...(keep ? { retainLast: keep } : {}), ...(age ? { maxSnapshotAgeMs: age * 3_600_000 } : {}) },
    orphans: grace === undefined ? {} : { olderThanMs: grace * 3_600_000 },
  });
  for (const t of batch.tables) {
    out(
      `${t.table}: ${t.status}${t.dryRun ? " (dry run)" : ""}${t.errors.length ? `, errors: ${t.errors.map((e) => `${e.step}: ${e.error}`).join("; ")}` : ""}\n`,
    );
  }
  out(
    `maintenance ${batch.status}: ${batch.tables.length} table(s) in ${(batch.durationMs / 1000).toFixed(1)} s\n`,
  );
  return exitCodeOf(batch);
}
