/**
 * commitWithRetry: reload -> stage -> commit, with jittered exponential backoff.
 *
 * - COMMIT_CONFLICT (the base moved): reload and restage against the new base.
 * - COMMIT_STATE_UNKNOWN (5xx/timeout after sending): reload and ask `landed` whether our change is
 *   already there; if so we are done, else restage and retry.
 * - Anything else fails at once. After `maxAttempts` the last error is rethrown with the attempt count.
 */
import { FloeError, isFloeError } from "../errors.js";
import type { TableRequirement, TableUpdate } from "../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../log.js";
import { type Catalog, formatIdentifier, type LoadedTable, type TableIdentifier } from "./catalog.js";

export interface StagedCommit {
  requirements: readonly TableRequirement[];
  updates: readonly TableUpdate[];
}

export interface CommitRetryOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
  /** After an unknown outcome: true when the reloaded table already holds our change. */
  landed?: (table: LoadedTable) => boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CommitResult {
  table: LoadedTable;
  attempts: number;
  conflicts: number;
  unknownOutcomes: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Full-jitter exponential backoff. */
export function backoffMs(attempt: number, base: number, max: number, random: () => number): number {
  const cap = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Stages and commits a change. `stage` is called once per attempt with the freshest table; it may
 * return null when there is nothing (left) to commit, e.g. a zombie writer whose offsets are covered.
 */
export async function commitWithRetry(
  catalog: Catalog,
  identifier: TableIdentifier,
  stage: (base: LoadedTable, attempt: number) => Promise<StagedCommit | null>,
  options: CommitRetryOptions = {},
): Promise<CommitResult & { committed: boolean }> {
  const maxAttempts = options.maxAttempts ?? 10;
  const base = options.baseDelayMs ?? 50;
  const max = options.maxDelayMs ?? 5_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const log = (options.logger ?? silentLogger).child({ table: formatIdentifier(identifier) });
  let conflicts = 0;
  let unknownOutcomes = 0;
  let current = await catalog.loadTable(identifier);
  for (let attempt = 1; ; attempt++) {
    const staged = await stage(current, attempt);
    if (staged === null)
      return { table: current, attempts: attempt, conflicts, unknownOutcomes, committed: false };
    try {
      const table = await catalog.commitTable(identifier, staged.requirements, staged.updates);
      return { table, attempts: attempt, conflicts, unknownOutcomes, committed: true };
    } catch (e) {
      const conflict = isFloeError(e, "COMMIT_CONFLICT");
      const unknown = isFloeError(e, "COMMIT_STATE_UNKNOWN");
      if (!conflict && !unknown) throw e;
      if (conflict) conflicts++;
      else unknownOutcomes++;
      log.warn(conflict ? "commit conflict, restaging" : "commit outcome unknown, checking", {
        attempt,
        error: e,
      });
      current = await reload(catalog, identifier, sleep, base, max, random);
      if (unknown && options.landed?.(current)) {
        log.info("commit had landed", { attempt });
        return { table: current, attempts: attempt, conflicts, unknownOutcomes, committed: true };
      }
      if (attempt >= maxAttempts) {
        throw new FloeError(
          (e as FloeError).code,
          `commit to ${formatIdentifier(identifier)} failed after ${attempt} attempts: ${(e as Error).message}`,
          { cause: e, retryable: true, context: { table: formatIdentifier(identifier), attempt } },
        );
      }
      await sleep(backoffMs(attempt, base, max, random));
    }
  }
}

/** Reloads the table, retrying while the catalog itself is unavailable. */
async function reload(
  catalog: Catalog,
  identifier: TableIdentifier,
  sleep: (ms: number) => Promise<void>,
  base: number,
  max: number,
  random: () => number,
): Promise<LoadedTable> {
  for (let i = 1; ; i++) {
    try {
      return await catalog.loadTable(identifier);
    } catch (e) {
      if (!isFloeError(e) || !e.retryable || i >= 5) throw e;
      await sleep(backoffMs(i, base, max, random));
    }
  }
}
