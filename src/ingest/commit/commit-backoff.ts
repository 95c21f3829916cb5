/**
 * Table commits that fail with an error that may pass (the catalog or the object store unreachable,
 * an outcome that could not be resolved) are retried instead of stopping the sink: the failed batch's
 * records are read again from Kafka, and the next commit waits out a jittered exponential backoff
 * (1 s doubling to 15 s by default). While the sink waits, consumption fills the buffer up to
 * `buffer.maxBytes` and then pauses, so memory stays bounded however long the outage lasts.
 */

export interface CommitBackoffOptions {
  baseMs?: number;
  maxMs?: number;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class CommitBackoff {
  private failures = 0;
  private since: number | undefined;
  private retryAt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: CommitBackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.maxMs = opts.maxMs ?? 15_000;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Records a failed commit; returns how long the next one waits (ms). */
  failed(): number {
    this.failures++;
    this.since ??= this.now();
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
    const delay = Math.round(cap * (0.5 + this.random() / 2));
    this.retryAt = this.now() + delay;
    return delay;
  }

  succeeded(): void {
    this.failures = 0;
    this.since = undefined;
    this.retryAt = 0;
  }

  /** Consecutive failed commits. */
  get attempts(): number {
    return this.failures;
  }

  /** How long commits have been failing (ms; 0 when the last one succeeded). */
  get failingForMs(): number {
    return this.since === undefined ? 0 : this.now() - this.since;
  }

  /** Waits until the next commit may be tried, or until `cancelled` (checked every 250 ms). */
  async wait(cancelled: () => boolean): Promise<void> {
    while (!cancelled()) {
      const left = this.retryAt - this.now();
      if (left <= 0) return;
      await this.sleep(Math.min(250, left));
    }
  }
}
