/**
 * The commit loop every table change goes through: stage on the freshest base -> commit, retried on
 * the table's `commit.retry.*` budget (Iceberg's defaults: 4 retries, 100 ms .. 60 s, 30 min in all)
 * with jittered exponential backoff.
 *
 * - COMMIT_CONFLICT (the base moved): back off, reload and restage against the new base.
 * - COMMIT_STATE_UNKNOWN (5xx/timeout after sending): back off, reload and ask the staged change
 *   whether it landed; if so we are done (no retry, no duplicate), else restage and retry.
 * - Anything else fails at once. When the budget is spent the last error is rethrown (its code, with
 *   the attempt count).
 */
import { FloeError, isFloeError } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  COMMIT_MAX_RETRY_WAIT_MS,
  COMMIT_MIN_RETRY_WAIT_MS,
  COMMIT_NUM_RETRIES,
  COMMIT_TOTAL_RETRY_TIME_MS,
  type CommitRetryPolicy,
  commitRetryPolicy,
  type TableMetadata,
} from "../spec/index.js";
import type { StagedChange, TableOps, TableState } from "./port.js";

export interface LoopStaged extends StagedChange {
  /** After an unknown outcome: true when the reloaded metadata already holds this change. */
  landed(metadata: TableMetadata): boolean;
}

export interface CommitLoopOptions<S extends TableState = TableState> {
  /**
   * The table as the caller just loaded it: the first attempt stages on it instead of loading again
   * (a stale one only costs a conflict and a reload).
   */
  base?: S;
  /** Overrides of the table's commit.retry.* properties (tests, operator flags). */
  retry?: Partial<CommitRetryPolicy>;
  /** Used instead of Iceberg's defaults for commit.retry.* properties the table does not set. */
  retryDefaults?: Partial<CommitRetryPolicy>;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface CommitLoopResult<S extends TableState> {
  table: S;
  /** False when staging returned null (nothing to commit, or a validation dropped the change). */
  committed: boolean;
  attempts: number;
  conflicts: number;
  unknownOutcomes: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The retry policy for a table: explicit overrides, else its properties, else `defaults`, else Iceberg's. */
export function retryPolicyFor(
  metadata: TableMetadata,
  options: Pick<CommitLoopOptions, "retry" | "retryDefaults"> = {},
): CommitRetryPolicy {
  const props = metadata.properties;
  const fromTable = commitRetryPolicy(props);
  const d = options.retryDefaults ?? {};
  const pick = <K extends keyof CommitRetryPolicy>(key: K, property: string): number =>
    options.retry?.[key] ?? (props[property] === undefined ? d[key] : undefined) ?? fromTable[key];
  const minWaitMs = pick("minWaitMs", COMMIT_MIN_RETRY_WAIT_MS);
  return {
    numRetries: pick("numRetries", COMMIT_NUM_RETRIES),
    minWaitMs,
    maxWaitMs: Math.max(minWaitMs, pick("maxWaitMs", COMMIT_MAX_RETRY_WAIT_MS)),
    totalTimeoutMs: pick("totalTimeoutMs", COMMIT_TOTAL_RETRY_TIME_MS),
  };
}

/** Exponential backoff from minWait doubling up to maxWait, jittered to 50-100% (never below minWait). */
export function retryDelayMs(retry: number, policy: CommitRetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxWaitMs, policy.minWaitMs * 2 ** Math.max(0, retry - 1));
  return Math.max(policy.minWaitMs, Math.floor(exp * (0.5 + random() / 2)));
}

/**
 * Stages and commits a change. `stage` is called once per attempt with the freshest table; it returns
 * null when there is nothing (left) to commit, e.g. a zombie writer whose offsets are covered.
 */
export async function commitLoop<S extends TableState>(
  ops: TableOps<S>,
  stage: (base: S, attempt: number) => Promise<LoopStaged | null>,
  options: CommitLoopOptions<S> = {},
): Promise<CommitLoopResult<S>> {
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const log = (options.logger ?? silentLogger).child({ table: ops.name });
  const started = now();
  let conflicts = 0;
  let unknownOutcomes = 0;
  let current = options.base ?? (await ops.load());
  const policy = retryPolicyFor(current.metadata, options);
  for (let attempt = 1; ; attempt++) {
    const staged = await stage(current, attempt);
    const done = (table: S, committed: boolean) => ({
      table,
      committed,
      attempts: attempt,
      conflicts,
      unknownOutcomes,
    });
    if (staged === null) return done(current, false);
    try {
      return done(await ops.commit(staged.requirements, staged.updates), true);
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
      // Back off first, then reload: the next attempt stages on the freshest base there is.
      const delay = retryDelayMs(attempt, policy, random);
      const spent = attempt > policy.numRetries || now() - started + delay > policy.totalTimeoutMs;
      const fail = () => {
        const err = e as FloeError;
        return new FloeError(
          err.code,
          `commit to ${ops.name} failed after ${attempt} attempts: ${err.message}`,
          {
            cause: e,
            retryable: true,
            context: { table: ops.name, attempt },
          },
        );
      };
      // A spent budget still resolves an unknown outcome (reload and check), without the wait.
      if (spent && !unknown) throw fail();
      if (!spent) await sleep(delay);
      current = await reload(ops, policy, sleep, random);
      if (unknown && staged.landed(current.metadata)) {
        log.info("commit had landed", { attempt });
        return done(current, true);
      }
      if (spent) throw fail();
    }
  }
}

/** Reloads the table, retrying (on the same budget) while the catalog itself is unavailable. */
async function reload<S extends TableState>(
  ops: TableOps<S>,
  policy: CommitRetryPolicy,
  sleep: (ms: number) => Promise<void>,
  random: () => number,
): Promise<S> {
  for (let i = 1; ; i++) {
    try {
      return await ops.load();
    } catch (e) {
      if (!isFloeError(e) || !e.retryable || i > policy.numRetries) throw e;
      await sleep(retryDelayMs(i, policy, random));
    }
  }
}
