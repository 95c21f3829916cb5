/**
 * A single-node KRaft broker of its own for a test that stops and restarts Kafka: the stack's shared
 * broker (127.0.0.1:9092) is never touched. It runs from the stack's Kafka jars (the classpath the stack
 * starts its broker with, see test/support/java-kafka.ts), on free ports, with its config and log dir
 * in a temp dir; stop/kill and start again keep the ports and the log dir, like a restarted broker.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { registerCodecs } from "../../../src/ingest/index.js";
import { kafkaClasspath } from "../../support/java-kafka.js";
import { sleep } from "../ingest/support.js";

const HOST = "127.0.0.1";
const LOG4J = resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "scripts",
  "stack-lib",
  "conf",
  "kafka-log4j.properties",
);
const CLUSTER_ID = "ZmxvZS1icm9rZXItcmVzdGFydA";

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export class DedicatedBroker {
  private child: ChildProcess | undefined;
  private output = "";
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly controllerPort: number,
    private readonly classpath: string,
    private readonly config: string,
  ) {}

  get brokers(): string {
    return `${HOST}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Formats a fresh log dir and starts the broker; resolves once it answers metadata requests. */
  static async start(stackHome: string): Promise<DedicatedBroker> {
    const dir = await mkdtemp(join(tmpdir(), "floe-broker-"));
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const config = join(dir, "server.properties");
    await writeFile(
      config,
      [
        "process.roles=broker,controller",
        "node.id=1",
        `controller.quorum.voters=1@${HOST}:${controllerPort}`,
        `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        `log.dirs=${join(dir, "logs")}`,
        "num.partitions=1",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=2",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=2",
        "group.initial.rebalance.delay.ms=0",
        "",
      ].join("\n"),
    );
    const classpath = kafkaClasspath(stackHome);
    const format = spawnSync(
      "java",
      [`-Dlog4j.configuration=file:${LOG4J}`, "-Xmx128m", "kafka.tools.StorageTool", "format"].concat([
        "-t",
        CLUSTER_ID,
        "-c",
        config,
      ]),
      { env: { ...process.env, CLASSPATH: classpath }, encoding: "utf8", timeout: 60_000 },
    );
    if (format.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(
        `kafka StorageTool format failed (${format.status}):\n${format.stdout}\n${format.stderr}`,
      );
    }
    const broker = new DedicatedBroker(dir, port, controllerPort, classpath, config);
    await broker.resume();
    return broker;
  }

  /** Starts the broker process (again) on the same ports and log dir; resolves once it is usable. */
  async resume(timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error("the dedicated broker is already running");
    this.output = "";
    const child = spawn(
      "java",
      [
        "-Xms128m",
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        `-Dlog4j.configuration=file:${LOG4J}`,
        "kafka.Kafka",
        this.config,
      ],
      { env: { ...process.env, CLASSPATH: this.classpath }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const keep = (c: Buffer) => {
      this.output = (this.output + c.toString()).slice(-8000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.child = child;
    child.once("exit", () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (this.child !== child) throw new Error(`the dedicated broker exited on start:\n${this.output}`);
      const admin = this.kafka("floe-broker-probe").admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length > 0) return;
      } catch (e) {
        last = e;
      } finally {
        await admin.disconnect().catch(() => {});
      }
      await sleep(500);
    }
    throw new Error(
      `the dedicated broker did not come up in ${timeoutMs} ms (${String(last)}):\n${this.output}`,
    );
  }

  /** Stops the broker with `signal` (SIGTERM: controlled shutdown; SIGKILL: a crash) and waits for it. */
  async stop(signal: NodeJS.Signals, timeoutMs = 60_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r();
      else child.once("exit", () => r());
    });
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** A kafkajs client for this broker (fails fast: the tests retry around it). */
  kafka(clientId: string): Kafka {
    registerCodecs();
    return new Kafka({
      clientId,
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  }

  /** Kills the broker and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop("SIGKILL");
    await rm(this.dir, { recursive: true, force: true });
  }

  tail(): string {
    return this.output;
  }
}
