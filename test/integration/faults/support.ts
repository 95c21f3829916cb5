/**
 * Shared run of a fault scenario: one `floe run` process ingests records produced at a steady rate
 * while a FaultProxy sits between it and a service; then the table is read back with PyIceberg
 * (test/support/py/fault_readback.py), independently of Floe, and every produced record must be there
 * exactly once, every file any snapshot references must exist, and the sink must never have exited.
 */
import { expect, onTestFailed } from "vitest";
import type { Catalog, TableIdentifier } from "../../../src/catalog/index.js";
import type { FaultEvent, FaultProxy } from "../../support/fault-proxy.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { committedTotal, producePaced, SinkProcess, sleep, waitFor, writeConfig } from "../ingest/support.js";

export interface Readback {
  rows: number;
  distinct: number;
  duplicates: number;
  partitions: Record<string, [number, number, number]>;
  snapshots: number;
  referenced: string[];
  missing: string[];
}

export interface ScenarioRun {
  sink: SinkProcess;
  readback: Readback;
  metadataLocation: string;
  topic: string;
  /** Produced records absent from the table. */
  lost: number;
  seconds: number;
}

export interface ScenarioOptions {
  name: string;
  proxies: FaultProxy[];
  /** The sink's config; its table route is added here. */
  config: Record<string, unknown>;
  /** A catalog that reaches the service directly (not through the proxy), for progress and read-back. */
  catalog: Catalog;
  id: TableIdentifier;
  topic: string;
  group: string;
  partitions: number;
  /** Produced before the sink starts (a backlog), with `makeBacklog`. */
  backlog?: number;
  makeBacklog?: (i: number) => { key?: string; value: string };
  /** Produced at a steady rate while the sink runs. */
  steady: number;
  /** Pause between batches of 1000 steady records. */
  pauseMs: number;
  timeoutMs?: number;
  /** Runs alongside the steady production once the sink has its partitions (e.g. an outage). */
  during?: (sink: SinkProcess) => Promise<void>;
  /** Extra environment of the sink process (e.g. AWS credentials for moto). */
  env?: Record<string, string>;
}

export const SCHEMA = {
  type: "struct",
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "payload", required: false, type: "string" },
  ],
};

const steadyRecord = (i: number) => ({
  key: `k${i}`,
  value: JSON.stringify({ id: i, payload: `p${i % 9973}` }),
});

/** Prints every proxy's seed and fault counts when the current test fails. */
export function reportOnFailure(proxies: FaultProxy[], sink?: () => SinkProcess | undefined): void {
  onTestFailed(() => {
    for (const p of proxies) console.error(p.describe());
    const s = sink?.();
    if (s) console.error(`sink log tail:\n${s.tail(40)}`);
  });
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioRun> {
  for (const p of o.proxies) console.log(`${o.name}: ${p.describe()}`);
  let sink: SinkProcess | undefined;
  reportOnFailure(o.proxies, () => sink);
  const started = Date.now();
  const admin = stackKafka().admin();
  await admin.connect();
  await createTopics(admin, [{ topic: o.topic, partitions: o.partitions }]);
  await admin.disconnect();
  const kafka = stackKafka(`floe-${o.name}-producer`);
  const backlog = o.backlog ?? 0;
  if (backlog > 0 && o.makeBacklog) {
    await producePaced(kafka, o.topic, o.partitions, backlog, 0, o.makeBacklog);
  }
  const configFile = await writeConfig({
    ...o.config,
    tables: [
      {
        topics: [o.topic],
        table: `${o.id.namespace.join(".")}.${o.id.name}`,
        onError: "fail",
        schema: SCHEMA,
      },
    ],
  });
  sink = SinkProcess.start(configFile, o.env);
  const current = sink;
  await current.waitForLog((l) => l.msg === "partitions assigned", 90_000, "partitions assigned");
  const total = backlog + o.steady;
  await Promise.all([
    producePaced(kafka, o.topic, o.partitions, total, o.pauseMs, steadyRecord, backlog),
    o.during?.(current),
  ]);
  const exitedEarly = () => current.child.exitCode !== null || current.child.signalCode !== null;
  await waitFor(
    async () => {
      if (exitedEarly()) throw new Error(`the sink exited (${current.child.exitCode}) while ingesting`);
      return (await committedTotal(o.catalog, o.id, o.group, o.topic)) === BigInt(total);
    },
    o.timeoutMs ?? 90_000,
    `all ${total} records of ${o.name} committed`,
  );
  const seconds = (Date.now() - started) / 1000;
  // Restarts: none. The sink ran through every fault and stops cleanly when asked.
  expect(exitedEarly(), "the sink exited by itself").toBe(false);
  current.kill("SIGTERM");
  expect((await current.exited).code).toBe(0);
  const metadataLocation = (await o.catalog.loadTable(o.id)).metadataLocation;
  const readback = await readBack(metadataLocation, o.topic);
  expectExactlyOnce(readback, o.partitions, total);
  return {
    sink: current,
    readback,
    metadataLocation,
    topic: o.topic,
    lost: total - readback.distinct,
    seconds,
  };
}

export async function readBack(metadataLocation: string, topic: string): Promise<Readback> {
  return runPython<Readback>("fault_readback.py", [metadataLocation, topic]);
}

/** Every record (topic, partition, offset) exactly once, and every referenced file present. */
export function expectExactlyOnce(r: Readback, partitions: number, total: number): void {
  expect(r.missing, "files referenced by a snapshot are missing").toEqual([]);
  expect({ rows: r.rows, distinct: r.distinct, duplicates: r.duplicates }).toEqual({
    rows: total,
    distinct: total,
    duplicates: 0,
  });
  // Produced round-robin: record i is offset floor(i / partitions) of partition i % partitions.
  const want: Record<string, [number, number, number]> = {};
  for (let p = 0; p < partitions; p++) {
    const n = Math.floor(total / partitions) + (p < total % partitions ? 1 : 0);
    want[String(p)] = [n, 0, n - 1];
  }
  expect(r.partitions).toEqual(want);
}

/** Log lines of the sink whose message is `msg`. */
export function countLogs(sink: SinkProcess, msg: string): number {
  return sink.logs.filter((l) => l.msg === msg).length;
}

/**
 * For each fault event, seconds until the sink's first `msg` log line after it (how long the sink
 * took to resolve it); the largest, or undefined when no event was followed by such a line.
 */
export function slowestRecovery(events: FaultEvent[], sink: SinkProcess, msg: string): number | undefined {
  const times = sink.logs.filter((l) => l.msg === msg).map((l) => Date.parse(String(l.time)));
  let worst: number | undefined;
  for (const e of events) {
    const next = times.find((t) => t >= e.at);
    if (next !== undefined) worst = Math.max(worst ?? 0, (next - e.at) / 1000);
  }
  return worst;
}

export { sleep };
