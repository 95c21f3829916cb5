/**
 * Shared pieces of the sink benchmarks: the local stack's endpoints, topics, the producer child process,
 * a tiny in-process Schema Registry, an in-process Sink wired as `floe run` wires it (service/wiring.ts)
 * on a local warehouse, polling the table's committed offsets, and process measurements.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import type { Catalog, TableIdentifier } from "../../src/catalog/index.js";
import { type Config, parseConfig } from "../../src/config.js";
import { isFloeError } from "../../src/errors.js";
import type { FileIO } from "../../src/iceberg/io/index.js";
import type { TableMetadata } from "../../src/iceberg/spec/index.js";
import { committedOffsets, Sink } from "../../src/ingest/index.js";
import type { LogFields, Logger } from "../../src/log.js";
import {
  createCatalog,
  createFileIO,
  createKafkaClient,
  type SinkMetrics,
  sinkMetrics,
} from "../../src/service/index.js";
import { AVRO_EVENT_SCHEMA, EVENT_STRUCT } from "./sink-events.js";
import type { ProduceJob, ProduceResult } from "./sink-produce.js";

export const MB = 1e6;
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface BenchEnv {
  brokers: string;
  duckdbExtensionDir?: string;
}

/** Endpoints from `scripts/stack env --json` (FLOE_* variables in the environment win). */
export function benchEnv(): BenchEnv {
  let env: Record<string, string> = {};
  try {
    env = JSON.parse(execFileSync(join(ROOT, "scripts/stack"), ["env", "--json"], { encoding: "utf8" }));
  } catch {
    // not provisioned: defaults below
  }
  const get = (k: string) => process.env[k] ?? env[k];
  const dir = get("FLOE_DUCKDB_EXTENSION_DIR");
  return {
    brokers: get("FLOE_KAFKA_BROKERS") ?? "127.0.0.1:9092",
    ...(dir ? { duckdbExtensionDir: dir } : {}),
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
}

export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: "floe-bench-admin", brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(brokers: string, topic: string): Promise<void> {
  const kafka = new Kafka({ clientId: "floe-bench-admin", brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/** Latest offset per partition (the offset the next record would get). */
export async function endOffsets(brokers: string, topic: string): Promise<Map<number, bigint>> {
  const kafka = new Kafka({ clientId: "floe-bench-admin", brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Runs bench/support/sink-produce.ts in its own process (without this process's NODE_OPTIONS). */
export function runProducer(job: ProduceJob): Promise<ProduceResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "node_modules/vite-node/vite-node.mjs"),
        join(ROOT, "bench/support/sink-produce.ts"),
        JSON.stringify(job),
      ],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) reject(new Error(`producer exited with ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line.slice(7)) as ProduceResult);
    });
  });
}

/** A Schema Registry that knows one schema: id 1, the Avro event schema. */
export async function startRegistry(): Promise<{ url: string; close: () => Promise<void> }> {
  const body = JSON.stringify({ schema: JSON.stringify(AVRO_EVENT_SCHEMA), schemaType: "AVRO" });
  const server: Server = createServer((req, res) => {
    const ok = req.url === "/schemas/ids/1";
    res.writeHead(ok ? 200 : 404, { "content-type": "application/vnd.schemaregistry.v1+json" });
    res.end(ok ? body : JSON.stringify({ error_code: 40403, message: "Schema not found" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** What the sink logged that the benchmarks report. */
export interface SinkEvents {
  commits: number;
  /** Partition assignments (the first join, then one per rebalance). */
  assignments: number;
  /** kafkajs "re-joining the group": the group coordinator dropped the member (missed heartbeats). */
  rejoins: number;
  /** Commits dropped because the table already covered the range (after a rebalance), then re-read. */
  reseeks: number;
  warnings: string[];
  errors: string[];
  /** Upsert routes: the fields of each "loaded key index" line (source, keys, ms). */
  keyIndexLoads: LogFields[];
}

/** Counts commits, assignments, rejoins and re-reads; prints the first warnings and every error. */
export function benchLogger(
  events: SinkEvents = {
    commits: 0,
    assignments: 0,
    rejoins: 0,
    reseeks: 0,
    warnings: [],
    errors: [],
    keyIndexLoads: [],
  },
) {
  const make = (bindings: LogFields): Logger => ({
    debug: () => {},
    info: (msg, f) => {
      if (msg === "committed") events.commits++;
      else if (msg === "partitions assigned") events.assignments++;
      else if (msg === "loaded key index") events.keyIndexLoads.push({ ...f });
    },
    warn: (msg, f) => {
      events.warnings.push(msg);
      if (msg.startsWith("another writer committed this range first")) events.reseeks++;
      if (events.warnings.length <= 5)
        process.stderr.write(`warn: ${msg} ${JSON.stringify({ ...bindings, ...f }, big)}\n`);
    },
    error: (msg, f) => {
      events.errors.push(msg);
      if (msg.includes("re-joining the group")) events.rejoins++;
      process.stderr.write(`error: ${msg} ${JSON.stringify({ ...bindings, ...f }, big)}\n`);
    },
    child: (more) => make({ ...bindings, ...more }),
  });
  return { logger: make({}), events };
}

/** JSON.stringify replacer: bigints as text, errors with their message, code and causes. */
const big = (_k: string, v: unknown): unknown => {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Error) {
    const { code, cause } = v as Error & { code?: unknown };
    return {
      name: v.name,
      message: v.message,
      code,
      cause,
      stack: v.stack?.split("\n").slice(1, 4).join(" | "),
    };
  }
  return v;
};

export interface SinkSetup {
  topic: string;
  format: "json" | "avro";
  group: string;
  registryUrl?: string;
  /** Overrides of the commit section; defaults otherwise. */
  commit?: Partial<Config["commit"]>;
  buffer?: { maxBytes?: number };
  warehouse?: string;
  /** More fields of the table route (e.g. mode upsert and its key). */
  route?: Record<string, unknown>;
}

export interface BenchSink {
  sink: Sink;
  catalog: Catalog;
  io: FileIO;
  metrics: SinkMetrics;
  config: Config;
  table: TableIdentifier;
  warehouse: string;
  events: SinkEvents;
  /** The error that stopped the sink, once it has stopped on its own. */
  failure: () => Error | undefined;
}

/** A local warehouse in a fresh temp directory. */
export async function localWarehouse(): Promise<string> {
  return pathToFileURL(await mkdtemp(join(tmpdir(), "floe-bench-wh-"))).href;
}

/** The sink as `floe run` builds it (service/wiring.ts), one route: topic -> bench.<format>_events. */
export async function buildSink(env: BenchEnv, s: SinkSetup): Promise<BenchSink> {
  const warehouse = s.warehouse ?? (await localWarehouse());
  const table = { namespace: ["bench"], name: `${s.format}_events` };
  const config = parseConfig({
    kafka: { brokers: [env.brokers], groupId: s.group, clientId: "floe-bench-sink" },
    warehouse: { location: warehouse },
    ...(s.registryUrl ? { schemaRegistry: { url: s.registryUrl } } : {}),
    ...(s.commit ? { commit: s.commit } : {}),
    ...(s.buffer ? { buffer: s.buffer } : {}),
    tables: [
      {
        topics: [s.topic],
        table: `bench.${table.name}`,
        format: s.format,
        ...(s.format === "json" ? { schema: EVENT_STRUCT } : {}),
        ...s.route,
      },
    ],
  });
  const { logger, events } = benchLogger();
  const io = createFileIO(config, logger);
  const catalog = createCatalog(config, io, logger);
  const metrics = sinkMetrics();
  const sink = new Sink({ config, client: createKafkaClient(config, logger), catalog, io, logger, metrics });
  let failure: Error | undefined;
  void sink.waitUntilStopped().then((e) => {
    failure = e ?? new Error("the sink stopped");
  });
  return { sink, catalog, io, metrics, config, table, warehouse, events, failure: () => failure };
}

/** The table's metadata and metadata file, or undefined before the sink created it. */
export async function loadTable(
  catalog: Catalog,
  id: TableIdentifier,
): Promise<{ metadata: TableMetadata; metadataLocation: string } | undefined> {
  try {
    const t = await catalog.loadTable(id);
    return { metadata: t.metadata, metadataLocation: t.metadataLocation };
  } catch (e) {
    if (isFloeError(e, "NOT_FOUND")) return undefined;
    throw e;
  }
}

/** Records committed to the table by `group` for `topic` (sum over partitions of the next offsets). */
export function committedCount(md: TableMetadata | undefined, group: string, topic: string): bigint {
  if (md === undefined) return 0n;
  let n = 0n;
  for (const o of committedOffsets(md, group).get(topic)?.values() ?? []) n += o;
  return n;
}

/**
 * Polls every `everyMs` until `done` (or the deadline, or `failed` gives an error); resolves with the time
 * it saw it (performance.now()).
 */
export async function pollUntil(
  done: () => Promise<boolean>,
  everyMs: number,
  timeoutMs: number,
  what: string,
  failed?: () => Error | undefined,
) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await done()) return performance.now();
    const e = failed?.();
    if (e) throw new Error(`stopped waiting for ${what}: ${e.message}`, { cause: e });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** A backlog drained by a bench sink: times (performance.now()), commits seen, CPU, memory, load. */
export interface Drain {
  t0: number;
  /** First record consumed (0: never seen). */
  firstIn: number;
  /** When the table's offsets covered the topic. */
  t1: number;
  /** Each change of the committed count the poll saw. */
  commits: { t: number; n: bigint }[];
  cpuSeconds: number;
  peak: ReturnType<ReturnType<typeof sampleMemory>["stop"]>;
  loadBefore: number[];
  loadAfter: number[];
}

/**
 * Starts the sink and polls every 100 ms until the table's committed offsets for `topic` reach `total`
 * (the sink keeps running); memory sampled every 100 ms, CPU of this process.
 */
export async function drainBacklog(
  b: BenchSink,
  group: string,
  topic: string,
  total: bigint,
): Promise<Drain> {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = sampleMemory(100);
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await b.sink.start();
  let firstIn = 0;
  const commits: { t: number; n: bigint }[] = [];
  let last = 0n;
  const t1 = await pollUntil(
    async () => {
      if (firstIn === 0 && b.metrics.recordsIn.get({ topic }) > 0) firstIn = performance.now();
      const n = committedCount((await loadTable(b.catalog, b.table))?.metadata, group, topic);
      if (n !== last) {
        commits.push({ t: performance.now(), n });
        last = n;
      }
      return n >= total;
    },
    100,
    30 * 60_000,
    `${topic}: all records committed`,
    b.failure,
  );
  const cpuSecondsUsed = cpuSeconds(cpu0);
  const peak = memory.stop();
  return { t0, firstIn, t1, commits, cpuSeconds: cpuSecondsUsed, peak, loadBefore, loadAfter: load() };
}

/** Rates of a drained backlog of `records` records. */
export function drainRates(d: Drain, records: number) {
  const { t0, t1, firstIn, commits } = d;
  const total = BigInt(records);
  const first = commits[0];
  const lastCommit = commits[commits.length - 1];
  // Up to the last commit that a size trigger made: the final partial batch waits for commit.idleMs.
  const sized = commits.filter((c) => c.n < total);
  const lastSized = sized[sized.length - 1];
  const steady =
    firstIn > 0 && lastSized && sized.length >= 2
      ? Number(lastSized.n) / ((lastSized.t - firstIn) / 1000)
      : undefined;
  const commitToCommit =
    first && lastCommit && commits.length >= 3
      ? Number(lastCommit.n - first.n) / ((lastCommit.t - first.t) / 1000)
      : undefined;
  const totalSeconds = (t1 - t0) / 1000;
  const drainSeconds = (t1 - (firstIn || t0)) / 1000;
  return {
    /** sink.start() until everything committed. */
    totalSeconds: round(totalSeconds, 2),
    /** First record consumed until everything committed (startup excluded). */
    drainSeconds: round(drainSeconds, 2),
    recordsPerSec: Math.round(records / drainSeconds),
    endToEndRecordsPerSec: Math.round(records / totalSeconds),
    /** Records committed between the first and the last commit over that time; only with >= 3 commits. */
    ...(commitToCommit === undefined ? {} : { commitToCommitRecordsPerSec: Math.round(commitToCommit) }),
    /** First record consumed until the last size-triggered commit. */
    ...(steady === undefined ? {} : { steadyRecordsPerSec: Math.round(steady) }),
    startupSeconds: round(((firstIn || t0) - t0) / 1000, 2),
  };
}

/** Seconds the sink spent in commits (floe_commit_duration_seconds_sum over tables), from its metrics text. */
export function commitSecondsSum(text: string): number {
  let sum = 0;
  for (const m of text.matchAll(/^floe_commit_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)$/gm))
    sum += Number(m[1]);
  return sum;
}

/** Samples this process's memory every `everyMs`; `stop` returns the peaks (MB). */
export function sampleMemory(everyMs = 100) {
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const series: { t: number; rss: number; heapUsed: number; external: number }[] = [];
  const t0 = performance.now();
  const take = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    series.push({
      t: Math.round(performance.now() - t0),
      rss: m.rss / MB,
      heapUsed: m.heapUsed / MB,
      external: m.external / MB,
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return {
        rssMB: peak.rss / MB,
        heapUsedMB: peak.heapUsed / MB,
        externalMB: peak.external / MB,
        arrayBuffersMB: peak.arrayBuffers / MB,
        series,
      };
    },
  };
}

/** Peak resident set size of this process so far (the kernel's high-water mark), MB. */
export const maxRssMB = () => (process.resourceUsage().maxRSS * 1024) / MB;

/** The p-th percentile (0..100) by nearest rank of weighted values. */
export function weightedPercentile(values: readonly { v: number; w: number }[], p: number): number {
  const s = [...values].sort((a, b) => a.v - b.v);
  const total = s.reduce((n, x) => n + x.w, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const x of s) {
    seen += x.w;
    if (seen >= rank) return x.v;
  }
  return s[s.length - 1]?.v ?? Number.NaN;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    totalMemMB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export const load = () => loadavg().map((x) => round(x, 2));

/** CPU seconds (user + system) of this process since `from`. */
export function cpuSeconds(from?: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
}

/** Runs `sql` in DuckDB (iceberg extension loaded from FLOE_DUCKDB_EXTENSION_DIR); its first row. */
export async function duckdbRow(
  env: BenchEnv,
  sql: string,
): Promise<Record<string, unknown> | { error: string }> {
  if (!env.duckdbExtensionDir) return { error: "FLOE_DUCKDB_EXTENSION_DIR is not set" };
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const conn = await db.connect();
  try {
    for (const ext of ["avro", "iceberg"]) {
      await conn.run(`LOAD '${join(env.duckdbExtensionDir, `${ext}.duckdb_extension`)}'`);
    }
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects()[0] as Record<string, unknown>;
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * Counts the table's rows with DuckDB: rows and distinct (partition, offset) pairs, so a drained
 * benchmark also shows every record landed exactly once.
 */
export async function duckdbCount(
  env: BenchEnv,
  metadataLocation: string,
): Promise<{ rows: number; distinct: number } | { error: string }> {
  const row = await duckdbRow(
    env,
    `SELECT count(*) AS n, count(DISTINCT (_kafka_partition, _kafka_offset)) AS d
     FROM iceberg_scan('${metadataLocation}')`,
  );
  if ("error" in row) return row as { error: string };
  return { rows: Number(row.n), distinct: Number(row.d) };
}
