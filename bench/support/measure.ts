/**
 * Timing helpers for the benchmarks: warm-up runs, wall and CPU time per run, median and spread, and
 * a description of the machine (load average included: the figures depend on what else runs).
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export interface Runs {
  /** Wall-clock milliseconds of each measured run, in run order. */
  readonly ms: number[];
  /** CPU milliseconds (user + system, all threads of this process) of each measured run. */
  readonly cpuMs: number[];
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max - min) / median, in percent. */
  readonly spreadPct: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** True when the process runs with --expose-gc (each run then starts from a collected heap). */
export const canCollect = gc !== undefined;

/**
 * Pause after a forced GC before a run: right after gc() V8 is still sweeping and releasing pages, which
 * added 20-60 ms to the next run here (computeMetrics of one column: 5 ms without gc(), ~60 ms right
 * after it, 6-12 ms after 50 ms of idle). So a forced GC costs a run a few ms; big stages only.
 */
export const SETTLE_MS = 50;

/** One measured step: `check` sees every result (and throws when it is wrong). */
export interface Step {
  readonly fn: () => unknown;
  readonly check?: (result: never) => void;
}

async function once(step: Step, collect: boolean): Promise<{ ms: number; cpuMs: number }> {
  if (collect && gc) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await step.fn();
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  step.check?.(result as never);
  return { ms: t1 - t0, cpuMs: (c1.user + c1.system) / 1000 };
}

/**
 * Interleaved rounds: each round runs every step once, in order; the first `warmup` rounds are not
 * recorded. Interleaving makes steps comparable on a shared machine whose load changes over minutes.
 * With `collect` (and --expose-gc) each run starts after a full GC and SETTLE_MS of idle, so no run
 * pays for the garbage of the one before.
 */
export async function measureRounds(
  steps: readonly Step[],
  iterations: number,
  warmup: number,
  collect = true,
  onRound?: (round: number) => void,
): Promise<Runs[]> {
  const out: Runs[] = steps.map(() => ({ ms: [], cpuMs: [] }));
  for (let round = 0; round < warmup + iterations; round++) {
    for (const [i, step] of steps.entries()) {
      const r = await once(step, collect);
      if (round < warmup) continue;
      out[i]!.ms.push(r.ms);
      out[i]!.cpuMs.push(r.cpuMs);
    }
    onRound?.(round);
  }
  return out;
}

/** `warmup` unrecorded then `iterations` recorded runs of one step, back to back. */
export async function measure(iterations: number, warmup: number, step: Step, collect = true): Promise<Runs> {
  return (await measureRounds([step], iterations, warmup, collect))[0]!;
}

export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const min = s[0]!;
  const max = s[s.length - 1]!;
  return { median, min, max, spreadPct: median > 0 ? ((max - min) / median) * 100 : 0 };
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Rounds to `digits` significant-ish decimals for reports. */
export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const MB = 1e6;

/** Wall and CPU (user + system) milliseconds of a piece of work. */
export interface Timed {
  ms: number;
  cpuMs: number;
}

export function timed<T>(fn: () => T): Timed & { value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

export async function timedAsync<T>(fn: () => Promise<T>): Promise<Timed & { value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Linux PSI: % of the last 60 s in which some runnable task waited for a CPU (undefined elsewhere). */
export function cpuPressure60s(): number | undefined {
  try {
    const m = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAvg1m: round(loadavg()[0] ?? 0, 2),
  };
}
