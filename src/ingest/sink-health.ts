/**
 * What the sink reports and how it waits when something outside it fails: readiness (the Kafka
 * client's trouble, commits failing and since when), retries of loads that may pass (the catalog
 * unreachable), heartbeating waits, and the wording of a batch the client cannot decode.
 */
import { FloeError, toFloeError } from "../errors.js";
import type { Logger } from "../log.js";
import { splitTp } from "./buffer/index.js";
import { CommitBackoff } from "./commit/index.js";

/** Why the sink is not ready, beyond its own state. */
export class SinkHealth {
  private problem: { message: string; since: number } | undefined;
  private clientTrouble: string | undefined;

  constructor(
    private readonly logger: Logger,
    /** How long commits may keep failing before readiness fails (commit.unreadyAfterMs). */
    private readonly unreadyAfterMs: number,
  ) {}

  /** A commit (or offsets load) failed with `message`; undefined once one succeeds. */
  setProblem(message: string | undefined): void {
    if (message === undefined) this.problem = undefined;
    else this.problem = { message, since: this.problem?.since ?? Date.now() };
  }

  /** The Kafka client is restarting itself (`message` says why); undefined once it fetches again. */
  trouble(message: string | undefined): void {
    if (message !== undefined && this.clientTrouble === undefined) {
      this.logger.warn("kafka client failed and restarts itself", { error: message });
    }
    this.clientTrouble = message;
  }

  /** Not ready for the client's trouble, or for commits failing longer than allowed. */
  reason(): string | undefined {
    if (this.clientTrouble) return `kafka: ${this.clientTrouble}`;
    const p = this.problem;
    if (p && Date.now() - p.since >= this.unreadyAfterMs) return `last commit failed: ${p.message}`;
    return undefined;
  }

  /**
   * Runs `load` until it succeeds, waiting out errors that may pass (the catalog unreachable) with
   * the commit backoff's schedule while `up()`; readiness says why meanwhile.
   */
  async retryWhileUnavailable<T>(what: string, load: () => Promise<T>, up: () => boolean): Promise<T> {
    const backoff = new CommitBackoff();
    for (;;) {
      try {
        const out = await load();
        if (backoff.attempts > 0) this.setProblem(undefined);
        return out;
      } catch (e) {
        const error = toFloeError(e);
        if (!error.retryable || !up()) throw e;
        const retryInMs = backoff.failed();
        this.setProblem(`${what} failed: ${error.message}`);
        this.logger.error(`${what} failed; retrying`, { error, attempt: backoff.attempts, retryInMs });
        await backoff.wait(() => !up());
      }
    }
  }
}

/** Waits for `p` to settle, heartbeating every second. */
export async function settled(p: Promise<unknown>, heartbeat: () => Promise<void>): Promise<void> {
  let done = false;
  const end = p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    await Promise.race([end, new Promise((r) => setTimeout(r, 1000))]);
    if (!done) await heartbeat().catch(() => undefined);
  }
}

/**
 * A client crash, with the partitions (`topic\u0000partition` keys) and offsets being read when it
 * names a batch that cannot be decoded.
 */
export function describeCrash(
  error: FloeError,
  reading: readonly string[],
  positions: ReadonlyMap<string, bigint>,
): FloeError {
  if (error.code !== "DECODE_FAILED") return error;
  const where = reading.slice(0, 10).map((k) => {
    const [topic, partition] = splitTp(k);
    const at = positions.get(k);
    return `${topic}/${partition}${at === undefined ? "" : ` at offset ${at}`}`;
  });
  const only = reading.length === 1 && reading[0] !== undefined ? reading[0] : undefined;
  const [topic, partition] = only === undefined ? [] : splitTp(only);
  return new FloeError(
    "DECODE_FAILED",
    `${error.message} (reading ${where.join(", ") || "no partition"}); nothing past it is committed`,
    {
      cause: error,
      retryable: false,
      context: only === undefined ? {} : { topic, partition, offset: positions.get(only) },
    },
  );
}
