/**
 * The Java Kafka client of the stack's own Kafka distribution (kafka-clients, with snappy-java, lz4-java
 * and zstd-jni), run through its stock tools: `kafka.tools.ConsoleProducer` reads records from stdin.
 * The classpath is the one the stack starts the broker with (`<stack home>/cache/kafka.classpath`).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const LOG4J = resolve(
  import.meta.dirname,
  "..",
  "..",
  "scripts",
  "stack-lib",
  "conf",
  "kafka-log4j.properties",
);

export function kafkaClasspath(stackHome: string): string {
  return readFileSync(join(stackHome, "cache", "kafka.classpath"), "utf8").trim();
}

export interface ConsoleRecord {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * Produces `records` with the Java client's ConsoleProducer in one JVM, compressed with `compression`.
 * Keys, values and headers must not contain tabs, newlines, commas or colons (the console format's
 * separators). Resolves once the producer has flushed and exited 0.
 */
export function javaConsoleProduce(opts: {
  stackHome: string;
  brokers: string;
  topic: string;
  compression: "none" | "gzip" | "snappy" | "lz4" | "zstd";
  records: readonly ConsoleRecord[];
  producerProperties?: Record<string, string>;
  timeoutMs?: number;
}): Promise<void> {
  const props: Record<string, string> = {
    "compression.type": opts.compression,
    "linger.ms": "50",
    "batch.size": "262144",
    acks: "all",
    ...opts.producerProperties,
  };
  const args = [
    `-Dlog4j.configuration=file:${LOG4J}`,
    "-Xmx256m",
    "kafka.tools.ConsoleProducer",
    "--bootstrap-server",
    opts.brokers,
    "--topic",
    opts.topic,
    "--compression-codec",
    opts.compression,
    "--property",
    "parse.key=true",
    "--property",
    "key.separator=\t",
    "--property",
    "parse.headers=true",
    "--property",
    "headers.delimiter=\t",
    "--property",
    "headers.separator=,",
    "--property",
    "headers.key.separator=:",
    ...Object.entries(props).flatMap(([k, v]) => ["--producer-property", `${k}=${v}`]),
  ];
  const lines = opts.records.map((r) => {
    const headers = Object.entries(r.headers ?? {})
      .map(([k, v]) => `${k}:${v}`)
      .join(",");
    for (const part of [r.key, r.value, headers]) {
      if (/[\t\n]/.test(part)) throw new Error(`console record contains a tab or newline: ${part}`);
    }
    return `${headers}\t${r.key}\t${r.value}\n`;
  });
  return new Promise((resolvePromise, reject) => {
    const child = spawn("java", args, {
      env: { ...process.env, CLASSPATH: kafkaClasspath(opts.stackHome) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`ConsoleProducer (${opts.compression}) exited ${code ?? signal}:\n${output}`));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(lines.join(""));
  });
}

/** Every record of `topic` as the Java client's consumer reads it (waits for `expected` records). */
export function javaConsume(opts: {
  stackHome: string;
  brokers: string;
  topic: string;
  expected: number;
}): Promise<{ partition: number; offset: bigint; key: Buffer | null; value: Buffer | null }[]> {
  const program = resolve(import.meta.dirname, "java", "ConsumeTopic.java");
  const args = [`-Dlog4j.configuration=file:${LOG4J}`, "-Xmx256m", program, opts.brokers, opts.topic];
  return new Promise((resolvePromise, reject) => {
    const child = spawn("java", [...args, String(opts.expected)], {
      env: { ...process.env, CLASSPATH: kafkaClasspath(opts.stackHome) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`ConsumeTopic exited ${code ?? signal}:\n${stderr}\n${stdout.slice(-4000)}`));
        return;
      }
      const hex = (s: string) => (s === "-" ? null : Buffer.from(s, "hex"));
      const records = stdout
        .split("\n")
        .filter((l) => /^\d+ \d+ /.test(l))
        .map((l) => {
          const [p, o, k, v] = l.split(" ");
          return { partition: Number(p), offset: BigInt(o!), key: hex(k!), value: hex(v!) };
        });
      resolvePromise(records);
    });
  });
}
