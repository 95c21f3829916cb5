/**
 * Freshness measurement of the sink benchmarks: a poller that loads the table through the catalog as a
 * reader would and notes when each snapshot was first seen and which offsets it covers, and the latency
 * of every produced record (from the producer's send log) to the first snapshot that covers it.
 */
import type { Catalog, TableIdentifier } from "../../src/catalog/index.js";
import { offsetsKey, parseOffsets } from "../../src/ingest/index.js";
import { loadTable, round, weightedPercentile } from "./sink-harness.js";
import type { SendLog } from "./sink-produce.js";

/** One observed snapshot: when the poller first saw it current, and what it covers. */
export interface Seen {
  snapshotId: string;
  observedMs: number;
  snapshotMs: number;
  next: Map<number, bigint>;
}

export interface Latency {
  records: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles (seconds) of produce -> `which` over the records produced from `fromMs`. */
export function latencies(
  log: SendLog[],
  seen: Seen[],
  which: "observedMs" | "snapshotMs",
  fromMs: number,
): Latency {
  // Per partition: the steps at which offsets became visible, in order.
  const steps = new Map<number, { next: bigint; at: number }[]>();
  for (const s of seen) {
    for (const [p, next] of s.next) {
      const list = steps.get(p) ?? [];
      const prev = list[list.length - 1];
      if (prev === undefined || next > prev.next) list.push({ next, at: s[which] });
      steps.set(p, list);
    }
  }
  const values: { v: number; w: number }[] = [];
  let records = 0;
  for (const send of log) {
    if (send.tsMs < fromMs) continue;
    for (const part of send.parts) {
      const list = steps.get(part.partition) ?? [];
      let lo = BigInt(part.baseOffset);
      const hi = lo + BigInt(part.count);
      let covered = 0n;
      for (const step of list) {
        if (step.next <= lo) {
          covered = step.next;
          continue;
        }
        const upto = step.next < hi ? step.next : hi;
        const n = Number(upto - (lo > covered ? lo : covered));
        if (n > 0) {
          values.push({ v: (step.at - send.tsMs) / 1000, w: n });
          records += n;
        }
        lo = upto;
        covered = upto;
        if (lo >= hi) break;
      }
      if (lo < hi) throw new Error(`partition ${part.partition}: offsets ${lo}..${hi} never became visible`);
    }
  }
  const p = (q: number) => round(weightedPercentile(values, q), 2);
  return { records, p50: p(50), p90: p(90), p99: p(99), max: p(100) };
}

/** Polls the table every `pollMs` and records each new snapshot; `stop` waits for the last poll. */
export function watchSnapshots(
  catalog: Catalog,
  table: TableIdentifier,
  group: string,
  topic: string,
  pollMs: number,
): { seen: Seen[]; stop: () => Promise<void> } {
  const seen: Seen[] = [];
  const known = new Set<string>();
  let polling = true;
  const key = offsetsKey(group);
  const poller = (async () => {
    while (polling) {
      const t = await loadTable(catalog, table);
      const now = Date.now();
      for (const s of t?.metadata.snapshots ?? []) {
        const id = String(s["snapshot-id"]);
        if (known.has(id)) continue;
        known.add(id);
        const text = (s.summary as Record<string, string | undefined>)[key];
        const next = text ? (parseOffsets(text).get(topic) ?? new Map<number, bigint>()) : new Map();
        seen.push({ snapshotId: id, observedMs: now, snapshotMs: Number(s["timestamp-ms"]), next });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  return {
    seen,
    stop: async () => {
      polling = false;
      await poller;
    },
  };
}

/** Gaps between consecutive snapshots that carry offsets, seconds (median, max). */
export function snapshotGaps(seen: readonly Seen[]): { snapshots: number; median: number; max: number } {
  const withData = seen.filter((s) => s.next.size > 0).sort((x, y) => x.snapshotMs - y.snapshotMs);
  const gaps = withData.slice(1).map((s, i) => (s.snapshotMs - (withData[i] as Seen).snapshotMs) / 1000);
  gaps.sort((x, y) => x - y);
  return {
    snapshots: withData.length,
    median: round(gaps[Math.floor(gaps.length / 2)] ?? Number.NaN, 2),
    max: round(gaps[gaps.length - 1] ?? Number.NaN, 2),
  };
}
