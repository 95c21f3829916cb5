/**
 * Jobs over a catalog: `compactAll` and `maintainAll` run the one-table jobs over every table of every
 * namespace (nested ones included), or over the tables or namespace given, one table after the other,
 * with a progress line per table and a summary; `exitCodeOf` maps the outcome to an exit code.
 */
import {
  type Catalog,
  formatIdentifier,
  loadTable,
  type Namespace,
  type Table,
  type TableIdentifier,
} from "../catalog/index.js";
import { toFloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";
import { type Logger, silentLogger } from "../log.js";
import {
  type CompactOptions,
  type CompactResult,
  compactTable,
  type JobStatus,
  type MaintainOptions,
  type MaintainResult,
  maintainTable,
} from "./jobs.js";

/** Every table of the catalog, walking nested namespaces; or those of `namespace`. */
export async function listAllTables(catalog: Catalog, namespace?: Namespace): Promise<TableIdentifier[]> {
  const out: TableIdentifier[] = [];
  const walk = async (ns: Namespace) => {
    out.push(...(await catalog.listTables(ns)));
    const children = await catalog.listNamespaces(ns).catch(() => [] as Namespace[]);
    for (const child of children) if (child.length > ns.length) await walk(child);
  };
  if (namespace) await walk(namespace);
  else for (const ns of await catalog.listNamespaces()) await walk(ns);
  return out;
}

export interface BatchOptions {
  /** Only these tables (`ns.table`); default every table of every namespace. */
  tables?: readonly TableIdentifier[];
  /** Only tables of this namespace (and its children). */
  namespace?: Namespace;
  logger?: Logger;
}

export interface BatchResult<R extends { status: JobStatus }> {
  status: JobStatus;
  tables: R[];
  counts: Record<JobStatus, number>;
  durationMs: number;
}

/** 0: every table ok or locked; 1: some failed (partial failure); 2: every table attempted failed. */
export function exitCodeOf(batch: { counts: Record<JobStatus, number> }): 0 | 1 | 2 {
  const { ok, partial, failed, locked } = batch.counts;
  if (failed + partial === 0) return 0;
  return ok + locked + partial > 0 ? 1 : 2;
}

async function runAll<R extends { status: JobStatus; table: string }>(
  catalog: Catalog,
  io: FileIO,
  options: BatchOptions,
  what: string,
  run: (table: Table) => Promise<R>,
  failed: (table: string, error: string) => R,
): Promise<BatchResult<R>> {
  const t0 = performance.now();
  const log = options.logger ?? silentLogger;
  const ids = options.tables ? [...options.tables] : await listAllTables(catalog, options.namespace);
  const results: R[] = [];
  for (const [i, id] of ids.entries()) {
    const name = formatIdentifier(id);
    log.info(`${what} table ${i + 1}/${ids.length}`, { table: name });
    try {
      results.push(await run(await loadTable(catalog, id, io)));
    } catch (e) {
      log.error(`${what} failed`, { table: name, error: e });
      results.push(failed(name, toFloeError(e).message));
    }
  }
  const counts: Record<JobStatus, number> = { ok: 0, partial: 0, failed: 0, locked: 0 };
  for (const r of results) counts[r.status]++;
  const status: JobStatus =
    counts.failed + counts.partial === 0
      ? "ok"
      : counts.ok + counts.locked + counts.partial > 0
        ? "partial"
        : "failed";
  const batch = { status, tables: results, counts, durationMs: performance.now() - t0 };
  log.info(`${what} summary`, {
    status,
    tables: results.length,
    ...counts,
    durationMs: Math.round(batch.durationMs),
  });
  return batch;
}

/** Compacts every table (or the selected ones) one after the other. */
export function compactAll(
  catalog: Catalog,
  io: FileIO,
  options: CompactOptions & BatchOptions = {},
): Promise<BatchResult<CompactResult>> {
  return runAll(
    catalog,
    io,
    options,
    "compaction",
    (t) => compactTable(t, options),
    (table, error) => ({
      table,
      status: "failed",
      dryRun: options.dryRun === true,
      filesBefore: 0,
      filesAfter: 0,
      deleteFilesBefore: 0,
      deleteFilesAfter: 0,
      danglingDeletesRemoved: 0,
      durationMs: 0,
      error,
    }),
  );
}

/** Runs maintenance on every table (or the selected ones) one after the other. */
export function maintainAll(
  catalog: Catalog,
  io: FileIO,
  options: MaintainOptions & BatchOptions = {},
): Promise<BatchResult<MaintainResult>> {
  return runAll(
    catalog,
    io,
    options,
    "maintenance",
    (t) => maintainTable(t, options),
    (table, error) => ({
      table,
      status: "failed",
      dryRun: options.dryRun === true,
      errors: [{ step: "load", error }],
      durationMs: 0,
    }),
  );
}
