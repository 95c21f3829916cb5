import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, withRetry } from "../../../src/iceberg/io/index.js";

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 350 };
const transient = () => new FloeError("SERVICE_UNAVAILABLE", "busy");

describe("backoffDelayMs", () => {
  it("draws uniformly below a doubling ceiling capped at maxDelayMs", () => {
    expect([1, 2, 3, 4].map((r) => backoffDelayMs(r, policy, () => 0.999999))).toEqual([99, 199, 349, 349]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(100);
  });

  it("has sane defaults", () => {
    expect(DEFAULT_RETRY_POLICY.attempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.maxDelayMs).toBeGreaterThan(DEFAULT_RETRY_POLICY.baseDelayMs);
  });
});

describe("withRetry", () => {
  it("retries retryable failures with jittered sleeps until success", async () => {
    const sleeps: number[] = [];
    const seen: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw transient();
        return "done";
      },
      { policy, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    expect(result).toBe("done");
    expect(seen).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([50, 100]);
  });

  it("stops at the attempt limit and rethrows the last error", async () => {
    let calls = 0;
    const retries: number[] = [];
    const err = await withRetry(
      async () => {
        calls++;
        throw transient();
      },
      { policy, sleep: async () => {}, onRetry: (_e, attempt) => retries.push(attempt) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FloeError);
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it("does not retry non-retryable errors or plain exceptions by default", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new FloeError("NOT_FOUND", "gone");
        },
        { policy, sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new Error("bug");
        },
        { policy, sleep: async () => {} },
      ),
    ).rejects.toThrow("bug");
    expect(calls).toBe(2);
  });

  it("honours a custom isRetryable and rejects a bad policy", async () => {
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls < 2) throw new Error("flaky");
      },
      { policy, sleep: async () => {}, isRetryable: (e) => e instanceof Error && e.message === "flaky" },
    );
    expect(calls).toBe(2);
    await expect(withRetry(async () => 1, { policy: { ...policy, attempts: 0 } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
