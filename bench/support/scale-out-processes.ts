/**
 * Scale-out with real `floe run` processes (bin/floe over dist/) in one consumer group writing one
 * table, for bench/scale-out.ts: a topic with 2 partitions per process gets a trickle of small JSON
 * records on every partition, so each process commits once per commit interval. Commits, conflict
 * retries (the "commit conflict, restaging" warnings logged before each "committed"), superseded
 * batches and commit-duration histograms are counted over a window after the group has settled.
 */
import { Kafka, logLevel } from "kafkajs";
import { formatIdentifier, RestCatalog } from "../../src/catalog/index.js";
import { committedOffsets } from "../../src/ingest/index.js";
import { buildDist, startFloe } from "./floe-process.js";
import { createTopic, deleteTopic, endOffsets, uniqueName } from "./sink-harness.js";

export interface ProcessRunOptions {
  brokers: string;
  restUri: string;
  restWarehouse: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  processes: number;
  intervalMs: number;
  settleSec: number;
  seconds: number;
}

export interface ProcessRunResult {
  processes: number;
  partitions: number;
  intervalMs: number;
  windowSec: number;
  commits: number;
  conflicts: number[];
  superseded: number;
  /** Table commits that failed (the sink re-reads their records and retries), and their errors. */
  commitErrors: number;
  errorCodes: Record<string, number>;
  /** Final commits (on SIGTERM, all processes at once) that failed: read again on restart. */
  finalCommitFailures: number;
  /** Bucket bounds (s) from floe_commit_duration_seconds over the window: p50 and p99 lie at or below. */
  commitSecondsP50AtMost: number;
  commitSecondsP99AtMost: number;
  /** The group's offsets in the table reach the end of the topic after the final commits. */
  caughtUp: boolean;
}

const BUCKET = /^floe_commit_duration_seconds_bucket\{(?:[^}]*,)?le="([^"]+)"[^}]*\} (\d+)/;

async function buckets(metricsUrl: string): Promise<Map<string, number>> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = BUCKET.exec(line);
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

function quantileBound(counts: Map<string, number>, q: number): number {
  const bound = (le: string) => (le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le));
  const sorted = [...counts].sort(([a], [b]) => bound(a) - bound(b));
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  for (const [le, n] of sorted) if (n >= q * total) return bound(le);
  return Number.POSITIVE_INFINITY;
}

export async function runProcesses(o: ProcessRunOptions): Promise<ProcessRunResult> {
  buildDist();
  const partitions = o.processes * 2;
  const topic = uniqueName("scale_out");
  const group = uniqueName("g_scale");
  const table = { namespace: [uniqueName("bench_scale")], name: "events" };
  await createTopic(o.brokers, topic, partitions);
  const config = {
    kafka: { brokers: [o.brokers], groupId: group, clientId: "floe-scale" },
    warehouse: {
      location: o.restWarehouse,
      storage: { ...o.s3, forcePathStyle: true },
    },
    catalog: { type: "rest", uri: o.restUri },
    commit: { intervalMs: o.intervalMs },
    log: { level: "info" },
    tables: [{ topics: [topic], table: formatIdentifier(table), format: "json" }],
  };
  let counting = false;
  const counts = {
    commits: 0,
    superseded: 0,
    commitErrors: 0,
    errorCodes: {} as Record<string, number>,
    finalCommitFailures: 0,
    conflicts: [] as number[],
  };
  const onLine = (pending: { n: number }) => (line: string) => {
    if (!line.startsWith("{")) return;
    const entry = JSON.parse(line) as { msg?: string; error?: { code?: string; message?: string } };
    const msg = entry.msg;
    if (msg === "commit conflict, restaging") pending.n++;
    else if (msg === "committed" || msg === "another writer committed this range first; re-reading") {
      if (counting && msg === "committed") {
        counts.commits++;
        counts.conflicts.push(pending.n);
      } else if (counting) counts.superseded++;
      pending.n = 0;
    } else if (msg?.startsWith("table commit failed")) {
      if (counting) {
        counts.commitErrors++;
        const code = entry.error?.code ?? entry.error?.message?.slice(0, 60) ?? "?";
        counts.errorCodes[code] = (counts.errorCodes[code] ?? 0) + 1;
      }
      pending.n = 0;
    } else if (msg?.startsWith("final commit failed")) counts.finalCommitFailures++;
  };

  const kafka = new Kafka({
    clientId: "floe-scale-producer",
    brokers: [o.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  let seq = 0;
  let producing = true;
  const produce = (async () => {
    while (producing) {
      const messages = Array.from({ length: partitions }, (_, p) => ({
        partition: p,
        value: JSON.stringify({ seq: seq++, partition: p, payload: "x".repeat(40) }),
      }));
      await producer.send({ topic, messages });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const procs = [];
  try {
    for (let i = 0; i < o.processes; i++) procs.push(await startFloe(config, 1000, onLine({ n: 0 })));
    await new Promise((r) => setTimeout(r, o.settleSec * 1000));
    const before = await Promise.all(procs.map((p) => buckets(p.metricsUrl)));
    counting = true;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    counting = false;
    const windowSec = (performance.now() - t0) / 1000;
    const after = await Promise.all(procs.map((p) => buckets(p.metricsUrl)));
    const diff = new Map<string, number>();
    for (const [i, a] of after.entries()) {
      for (const [le, n] of a) diff.set(le, (diff.get(le) ?? 0) + n - (before[i]?.get(le) ?? 0));
    }
    producing = false;
    await produce;
    await Promise.all(procs.map((p) => p.stop()));
    const ends = await endOffsets(o.brokers, topic);
    const held =
      committedOffsets((await new RestCatalog({ uri: o.restUri }).loadTable(table)).metadata, group).get(
        topic,
      ) ?? new Map<number, bigint>();
    return {
      processes: o.processes,
      partitions,
      intervalMs: o.intervalMs,
      windowSec,
      ...counts,
      commitSecondsP50AtMost: quantileBound(diff, 0.5),
      commitSecondsP99AtMost: quantileBound(diff, 0.99),
      caughtUp: [...ends].every(([p, end]) => held.get(p) === end),
    };
  } finally {
    producing = false;
    for (const p of procs) if (p.exited() === undefined) await p.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await deleteTopic(o.brokers, topic);
  }
}
