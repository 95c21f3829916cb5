/**
 * Shared pieces of the sink's integration suites: polling, a real `floe run` child process (through
 * vite-node, see test/support/sink-process.ts), the table's committed offsets, and the exactly-once
 * check in DuckDB (one row per (topic, partition, offset), every offset 0..n-1 present).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Kafka } from "kafkajs";
import type { Catalog, TableIdentifier } from "../../../src/catalog/index.js";
import { isFloeError } from "../../../src/errors.js";
import { committedOffsets } from "../../../src/ingest/index.js";
import { createLogger, type Logger, type LogLevel, silentLogger } from "../../../src/log.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { seededRandom } from "../../support/random.js";

export { seededRandom };

/** When set, every sink process's stderr is also written to `<dir>/sink-<pid>.log` (debugging aid). */
const LOG_DIR = process.env.FLOE_IT_LOG_DIR;
const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const VITE_NODE = join(ROOT, "node_modules", "vite-node", "vite-node.mjs");
const SINK_PROCESS = join(ROOT, "test", "support", "sink-process.ts");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Next offset per partition the group committed to the table (empty if the table does not exist). */
export async function tableOffsets(
  catalog: Catalog,
  id: TableIdentifier,
  group: string,
  topic: string,
): Promise<Map<number, bigint>> {
  try {
    const md = (await catalog.loadTable(id)).metadata;
    return new Map(committedOffsets(md, group).get(topic) ?? []);
  } catch (e) {
    if (isFloeError(e, "NOT_FOUND")) return new Map();
    throw e;
  }
}

export async function committedTotal(
  catalog: Catalog,
  id: TableIdentifier,
  group: string,
  topic: string,
): Promise<bigint> {
  return [...(await tableOffsets(catalog, id, group, topic)).values()].reduce((a, b) => a + b, 0n);
}

/**
 * The table holds exactly the records 0..perPartition-1 of every partition once: per partition the
 * row count, the distinct offsets, min 0 and max n-1 all agree. Returns the per-partition rows.
 */
export async function expectExactlyOnce(
  metadataLocation: string,
  topic: string,
  partitions: number,
  perPartition: number,
  where = "TRUE",
): Promise<{ partition: number; n: bigint; d: bigint; lo: bigint; hi: bigint }[]> {
  const duck = await openDuckDB();
  try {
    const rows = (await query(
      duck.conn,
      `SELECT _kafka_partition AS partition, count(*) AS n, count(DISTINCT _kafka_offset) AS d,
              min(_kafka_offset) AS lo, max(_kafka_offset) AS hi
       FROM iceberg_scan('${metadataLocation}')
       WHERE _kafka_topic = '${topic}' AND (${where})
       GROUP BY ALL ORDER BY 1`,
    )) as { partition: number; n: bigint; d: bigint; lo: bigint; hi: bigint }[];
    const want = Array.from({ length: partitions }, (_, partition) => ({
      partition,
      n: BigInt(perPartition),
      d: BigInt(perPartition),
      lo: 0n,
      hi: BigInt(perPartition - 1),
    }));
    return rows.length === want.length && JSON.stringify(rows, big) === JSON.stringify(want, big)
      ? rows
      : Promise.reject(
          new Error(
            `table ${metadataLocation} is not exactly-once:\n got  ${JSON.stringify(rows, big)}\n want ${JSON.stringify(want, big)}`,
          ),
        );
  } finally {
    duck.close();
  }
}

const big = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** Writes a sink config (JSON is YAML) into a fresh temp directory and returns its path. */
export async function writeConfig(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "floe-cfg-"));
  const file = join(dir, "floe.json");
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/**
 * A `floe run --config FILE` child process. Its stderr (JSON log lines) is kept for assertions and
 * failure reports. The child is node itself running vite-node, so its pid is the sink's pid and a
 * signal reaches the sink, not a wrapper.
 */
export class SinkProcess {
  readonly logs: LogLine[] = [];
  readonly raw: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  private constructor(readonly child: ChildProcess) {
    let pending = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        this.onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static start(configFile: string, env: Record<string, string> = {}): SinkProcess {
    const child = spawn(process.execPath, [VITE_NODE, SINK_PROCESS, "--", "run", "--config", configFile], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new SinkProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private onLine(line: string): void {
    if (LOG_DIR) appendFileSync(join(LOG_DIR, `sink-${this.pid}.log`), `${line}\n`);
    this.raw.push(line);
    if (this.raw.length > 5000) this.raw.splice(0, 1000);
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    this.logs.push(parsed);
    if (this.logs.length > 20_000) this.logs.splice(0, 5000);
    for (const w of [...this.waiters]) {
      if (w.pred(parsed)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  }

  /** Resolves on the first log line (from now on, or already seen if `seen`) matching `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string, seen = true): Promise<LogLine> {
    const found = seen ? this.logs.find(pred) : undefined;
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`sink pid ${this.pid}: no '${what}' log within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(({ code, signal }) => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        reject(new Error(`sink pid ${this.pid} exited (${code ?? signal}) before '${what}'\n${this.tail()}`));
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** Last lines of stderr, for failure messages. */
  tail(n = 30): string {
    return this.raw.slice(-n).join("\n");
  }
}

/** Config for one sink of the shared suites: local Kafka, the given warehouse, embedded catalog. */
export function sinkConfig(opts: {
  brokers: string;
  group: string;
  warehouse: string;
  tables: unknown[];
  intervalMs?: number;
  dlqTopic?: string;
  schemaRegistry?: string;
  storage?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    kafka: { brokers: [opts.brokers], groupId: opts.group, clientId: "floe-it" },
    warehouse: { location: opts.warehouse, ...(opts.storage ? { storage: opts.storage } : {}) },
    catalog: { type: "embedded" },
    commit: { intervalMs: opts.intervalMs ?? 1000 },
    http: { host: "127.0.0.1", port: 0 },
    log: { level: process.env.FLOE_IT_LOG_LEVEL ?? "info" },
    ...(opts.dlqTopic ? { dlq: { topic: opts.dlqTopic } } : {}),
    ...(opts.schemaRegistry ? { schemaRegistry: { url: opts.schemaRegistry } } : {}),
    tables: opts.tables,
  };
}

/**
 * Produces records [from, to) round-robin over the partitions (record i -> partition i % partitions,
 * so its offset is i / partitions when every record is produced in order) in batches of 1000, pausing
 * `pauseMs` between batches: records keep arriving while the sinks under test run, stop and restart.
 */
export async function producePaced(
  kafka: Kafka,
  topic: string,
  partitions: number,
  to: number,
  pauseMs: number,
  make: (i: number) => { key?: string; value: string | Buffer | null; headers?: Record<string, string> },
  from = 0,
): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let start = from; start < to; start += 1000) {
      const messages = [];
      for (let i = start; i < Math.min(to, start + 1000); i++) {
        messages.push({ ...make(i), partition: i % partitions });
      }
      await producer.send({ topic, messages, acks: -1 });
      if (pauseMs > 0) await sleep(pauseMs);
    }
  } finally {
    await producer.disconnect();
  }
}

/** In-process sinks log nothing unless FLOE_IT_LOG_LEVEL is set (then JSON lines on stderr). */
export function testLogger(): Logger {
  const level = process.env.FLOE_IT_LOG_LEVEL as LogLevel | undefined;
  return level ? createLogger({ level }) : silentLogger;
}

/**
 * The kill phase of the crash suites: `kills` times, starts a sink process and SIGKILLs it, every other
 * time right after its 1st-3rd table commit (before or while the Kafka group offsets are committed),
 * otherwise after a random pause of up to `maxPauseMs` (while decoding, writing or committing).
 * `afterKill` runs after each kill (e.g. to record progress). The processes go into `procs`.
 */
export async function killRepeatedly(opts: {
  configFile: string;
  env: Record<string, string>;
  kills: number;
  random: () => number;
  maxPauseMs: number;
  procs: SinkProcess[];
  afterKill?: () => Promise<void>;
}): Promise<void> {
  const { random } = opts;
  for (let kill = 0; kill < opts.kills; kill++) {
    const p = SinkProcess.start(opts.configFile, opts.env);
    opts.procs.push(p);
    await p.waitForLog((l) => l.msg === "partitions assigned", 60_000, "partitions assigned");
    if (kill % 2 === 0) {
      const nth = 1 + Math.floor(random() * 3);
      let seen = 0;
      await p
        .waitForLog((l) => l.msg === "committed" && ++seen === nth, 8_000, `table commit #${nth}`)
        .catch(() => undefined); // fewer commits than drawn: kill wherever it is now
      await sleep(Math.floor(random() * 40));
    } else {
      await sleep(Math.floor(random() * opts.maxPauseMs));
    }
    p.kill("SIGKILL");
    const exit = await p.exited;
    if (exit.signal !== "SIGKILL")
      throw new Error(`sink process ended by ${exit.signal ?? exit.code}, not the kill`);
    await opts.afterKill?.();
  }
}

/** Sink processes of one group (one config): started, asserted on and SIGKILLed together at the end. */
export class SinkGroup {
  readonly procs: SinkProcess[] = [];
  constructor(
    private readonly configFile: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts a sink process and resolves once the group assigned it partitions. */
  async start(): Promise<SinkProcess> {
    const p = SinkProcess.start(this.configFile, this.env);
    this.procs.push(p);
    await p.waitForLog((l) => l.msg === "partitions assigned", 60_000, "partitions assigned");
    return p;
  }

  /** Resolves on the next assignment `p` logs from now on (the group rebalanced). */
  reassigned(p: SinkProcess, what: string): Promise<LogLine> {
    return p.waitForLog((l) => l.msg === "partitions assigned", 45_000, what, false);
  }

  /** SIGTERM; rejects unless the process exits 0. */
  async stopGracefully(p: SinkProcess): Promise<void> {
    p.kill("SIGTERM");
    const exit = await p.exited;
    if (exit.code !== 0) throw new Error(`sink pid ${p.pid} exited ${exit.code ?? exit.signal}\n${p.tail()}`);
  }

  /** Commits other writers made that a process found superseding its own (zombie commits that lost). */
  supersededCommits(): number {
    return this.procs.flatMap((p) => p.logs).filter((l) => l.msg.startsWith("another writer committed"))
      .length;
  }

  killAll(): void {
    for (const p of this.procs) {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    }
  }

  /**
   * The rebalances of the group suites, on two running members `a` and `b` while records arrive: a third
   * sink joins, commits and leaves gracefully (two rebalances); then `b` is frozen (SIGSTOP) until the
   * group evicts it and `a` commits with its partitions, and `b` is thawed as a zombie holding a stale
   * buffer (its commits must lose) and rejoins.
   */
  async joinLeaveAndEvict(a: SinkProcess, b: SinkProcess): Promise<void> {
    const aJoin = this.reassigned(a, "rebalance after C joined");
    const c = await this.start();
    await aJoin;
    await c.waitForLog((l) => l.msg === "committed", 20_000, "C's first commit");
    const aLeave = this.reassigned(a, "rebalance after C left");
    await this.stopGracefully(c);
    await aLeave;
    await sleep(2000);

    const aTakeover = this.reassigned(a, "rebalance after B was evicted");
    b.kill("SIGSTOP");
    await aTakeover;
    await a.waitForLog((l) => l.msg === "committed", 20_000, "A's commit after taking over", false);
    await sleep(2000);
    const bBack = this.reassigned(b, "B's rejoin after SIGCONT");
    b.kill("SIGCONT");
    await bBack;
  }
}
