/**
 * When the sink commits besides its size limits: every `commit.intervalMs`, and at the end of a backlog.
 * A drain (commits triggered by a size limit or a full buffer) that stops receiving records commits what
 * is left once `commit.idleMs` passes without records, rather than at the next interval tick. Steady
 * streams never go idle and trickles never trigger by size, so neither commits more often because of it;
 * a trickle after a burst gets at most one extra commit.
 */
export class CommitClock {
  private interval: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  /**
   * A size limit or a full buffer triggered a commit and no idle commit followed yet: a backlog is draining.
   * Interval ticks leave it set: a backlog whose tail comes just after a tick still ends with an idle commit.
   */
  private draining = false;
  private lastRecordAt = 0;

  constructor(
    private readonly opts: {
      intervalMs: number;
      idleMs: number;
      /** Requests a commit of everything buffered. */
      flush: () => void;
      /** Whether an idle commit would do anything now (records are buffered, none queued to commit). */
      worthFlushing: () => boolean;
    },
  ) {}

  start(): void {
    const { intervalMs, idleMs, flush } = this.opts;
    this.interval = setInterval(flush, intervalMs);
    if (idleMs > 0) this.idle = setInterval(() => this.checkIdle(), Math.min(250, idleMs));
  }

  stop(): void {
    clearInterval(this.interval);
    clearInterval(this.idle);
  }

  /** A batch brought records. */
  sawRecords(): void {
    this.lastRecordAt = Date.now();
  }

  /** A size limit or a full buffer is triggering a commit. */
  drainCommit(): void {
    this.draining = true;
  }

  private checkIdle(): void {
    if (!this.draining || Date.now() - this.lastRecordAt < this.opts.idleMs) return;
    if (!this.opts.worthFlushing()) return;
    this.draining = false;
    this.opts.flush();
  }
}
