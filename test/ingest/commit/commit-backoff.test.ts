import { describe, expect, it } from "vitest";
import { CommitBackoff } from "../../../src/ingest/commit/commit-backoff.js";

describe("CommitBackoff", () => {
  it("doubles from 1 s to at most 15 s with jitter in [50%, 100%], and resets on success", () => {
    let now = 0;
    const b = new CommitBackoff({ now: () => now, random: () => 1 });
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.failed())).toEqual([
      1000, 2000, 4000, 8000, 15000, 15000, 15000,
    ]);
    expect(b.attempts).toBe(7);
    now = 12_345;
    expect(b.failingForMs).toBe(12_345);
    b.succeeded();
    expect(b.attempts).toBe(0);
    expect(b.failingForMs).toBe(0);
    const low = new CommitBackoff({ now: () => 0, random: () => 0 });
    expect(low.failed()).toBe(500);
  });

  it("waits until the retry time, or until cancelled", async () => {
    let now = 0;
    const slept: number[] = [];
    const b = new CommitBackoff({
      now: () => now,
      random: () => 1,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await b.wait(() => false); // nothing failed: no wait
    expect(slept).toEqual([]);
    b.failed(); // retry at 1000
    await b.wait(() => false);
    expect(slept).toEqual([250, 250, 250, 250]);
    b.failed(); // retry at 1000 + 2000
    let checks = 0;
    await b.wait(() => ++checks > 2);
    expect(slept).toHaveLength(6);
  });
});
