import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommitClock } from "../../../src/ingest/commit/commit-clock.js";

describe("CommitClock", () => {
  let flushes: number;
  let worth: boolean;
  let clock: CommitClock | undefined;
  const make = (intervalMs: number, idleMs: number) => {
    clock = new CommitClock({
      intervalMs,
      idleMs,
      flush: () => {
        flushes++;
      },
      worthFlushing: () => worth,
    });
    clock.start();
    return clock;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    flushes = 0;
    worth = true;
  });
  afterEach(() => {
    clock?.stop();
    vi.useRealTimers();
  });

  it("commits on every interval tick", () => {
    make(10_000, 1000);
    vi.advanceTimersByTime(30_000);
    expect(flushes).toBe(3);
  });

  it("commits the end of a drain once records stop for idleMs, once", () => {
    const c = make(10_000, 1000);
    c.sawRecords();
    c.drainCommit();
    vi.advanceTimersByTime(750);
    expect(flushes).toBe(0);
    vi.advanceTimersByTime(500); // 1.25 s without records
    expect(flushes).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(flushes).toBe(1); // no new drain: only the interval commits again
    vi.advanceTimersByTime(5000);
    expect(flushes).toBe(2);
  });

  it("does not commit early while records keep arriving", () => {
    const c = make(10_000, 1000);
    c.drainCommit();
    for (let t = 250; t <= 9500; t += 250) {
      c.sawRecords();
      vi.advanceTimersByTime(250);
    }
    expect(flushes).toBe(0);
  });

  it("never commits early when no size limit triggered a commit", () => {
    const c = make(10_000, 1000);
    c.sawRecords();
    vi.advanceTimersByTime(9500);
    expect(flushes).toBe(0);
  });

  it("ends a drain that outlasts an interval tick with an idle commit", () => {
    const c = make(10_000, 1000);
    c.drainCommit();
    for (let t = 250; t <= 10_500; t += 250) {
      c.sawRecords();
      vi.advanceTimersByTime(250);
    }
    expect(flushes).toBe(1); // the tick at 10 s
    vi.advanceTimersByTime(1250); // records stopped at 10.5 s
    expect(flushes).toBe(2);
    vi.advanceTimersByTime(5000); // the drain ended with that commit
    expect(flushes).toBe(2);
  });

  it("waits while nothing is worth committing, then commits", () => {
    const c = make(60_000, 1000);
    c.sawRecords();
    c.drainCommit();
    worth = false;
    vi.advanceTimersByTime(3000);
    expect(flushes).toBe(0);
    worth = true;
    vi.advanceTimersByTime(250);
    expect(flushes).toBe(1);
  });

  it("never commits early with idleMs 0", () => {
    const c = make(60_000, 0);
    c.drainCommit();
    vi.advanceTimersByTime(59_000);
    expect(flushes).toBe(0);
  });
});
