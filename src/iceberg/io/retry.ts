import { FloeError, isFloeError } from "../../errors.js";

/** How often and how patiently a storage call is retried. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retries). */
  attempts: number;
  /** Cap of the first backoff; doubles per retry. */
  baseDelayMs: number;
  /** Upper bound of any single backoff. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(max, base * 2^(retry - 1))), where
 * `retry` counts from 1. Spreading retries uniformly keeps many writers that failed together from
 * hitting the store together again.
 */
export function backoffDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** Whether a failure may succeed on another attempt (default: a FloeError with retryable set). */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each backoff with the error, the attempt that failed (from 1) and the delay. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Runs `fn` (given the attempt number, from 1) until it succeeds, fails for good, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy } = options;
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new FloeError("INVALID_ARGUMENT", "retry attempts must be a positive integer", {
      context: { attempts: policy.attempts },
    });
  }
  const isRetryable = options.isRetryable ?? ((e: unknown) => isFloeError(e) && e.retryable);
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !isRetryable(e)) throw e;
      const delayMs = backoffDelayMs(attempt, policy, options.random);
      options.onRetry?.(e, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
