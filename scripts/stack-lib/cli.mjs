// `scripts/stack up|down|status|env|install|logs|reset`: Floe's local service stack, without Docker.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, logFile, logTail, runningPid, StackError, startDetached, stop, withLock } from "./proc.mjs";
import { checkPrerequisites, duckdbExtensionDir, provision } from "./provision.mjs";
import { services } from "./services.mjs";
import { HOST, kafkaSecure, paths, ports, s3, versions } from "./settings.mjs";
import { tlsFiles } from "./tls.mjs";

const HELP = `Usage: scripts/stack <command>

Starts Floe's local services on ${HOST} from package registries only (no Docker):
  kafka   Apache Kafka ${versions.kafka}, KRaft single node      ${HOST}:${ports.kafka}
  kafka-secure  the same with SASL_SSL (PLAIN, SCRAM, OAUTHBEARER)  ${HOST}:${ports.kafkaSecureSasl}
                and SSL with client certificates (mTLS)  ${HOST}:${ports.kafkaSecureMtls}
  s3      S3Proxy ${versions.s3proxy} (filesystem), bucket ${s3.bucket}   ${s3.endpoint}
  rest    Iceberg ${versions.iceberg} REST reference server          http://${HOST}:${ports.rest}
  moto    moto server (AWS Glue)                     http://${HOST}:${ports.moto}
  registry Apicurio Registry ${versions.apicurio}, Confluent API   http://${HOST}:${ports.registry}/apis/ccompat/v7
plus a Python verifier env (pyiceberg, DuckDB ${versions.duckdb} + extensions, pyspark + Iceberg runtime).

Commands:
  up        provision what is missing, start every service, wait until healthy (idempotent)
  down      stop every service
  status    show each service and whether it is healthy (exit 1 if any is not)
  env       print endpoints and credentials as shell exports (--json for JSON)
  install   only provision (download jars, create the Python env); starts nothing
  logs [S]  print the tail of a service's log (all services without S)
  reset     stop everything and delete service data (downloads are kept)

State (pids, logs, data, venv): ${paths.state}   (override with FLOE_STACK_HOME)
Ports can be moved with FLOE_STACK_KAFKA_PORT, FLOE_STACK_S3_PORT, FLOE_STACK_REST_PORT, FLOE_STACK_MOTO_PORT,
FLOE_STACK_REGISTRY_PORT, FLOE_STACK_KAFKA_SECURE_SASL_PORT, FLOE_STACK_KAFKA_SECURE_MTLS_PORT,
FLOE_STACK_KAFKA_SECURE_CONTROLLER_PORT.`;

const log = (msg) => process.stderr.write(`stack: ${msg}\n`);
const START_TIMEOUT_MS = 180_000;

async function waitHealthy(svc, pid) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await svc.healthy()) return;
    if (!isAlive(pid)) {
      throw new StackError(
        `${svc.name} exited during start-up; last lines of ${logFile(svc.name)}:\n${logTail(svc.name)}`,
      );
    }
    await sleep(300);
  }
  throw new StackError(
    `${svc.name} was not healthy after ${START_TIMEOUT_MS / 1000}s; see ${logFile(svc.name)}:\n${logTail(svc.name)}`,
  );
}

async function bringUp(svc, provisioned, started) {
  const pid = runningPid(svc.name);
  if (pid !== undefined && (await svc.healthy())) {
    await svc.afterStart?.();
    return "running";
  }
  if (pid !== undefined) {
    // Ours but not answering: it may still be starting from a concurrent call, else restart it.
    try {
      await waitHealthy(svc, pid);
      await svc.afterStart?.();
      return "running";
    } catch {
      await stop(svc.name);
    }
  } else if (await svc.reachable()) {
    throw new StackError(
      `${svc.name}: something not started by this stack already listens on its port (${svc.describe()}); stop it or move the port`,
    );
  }
  const t0 = Date.now();
  const newPid = await svc.start(provisioned, (cmd, args, opts) => startDetached(svc.name, cmd, args, opts));
  await waitHealthy(svc, newPid);
  await svc.afterStart?.();
  started.push(svc.name);
  return `started in ${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

async function up() {
  const t0 = Date.now();
  await withLock(async () => {
    const provisioned = await provision(log);
    log(`provisioned in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const started = [];
    const results = new Map();
    const pending = new Map();
    const launch = (svc) => {
      if (!pending.has(svc.name)) {
        const deps = (svc.dependsOn ?? []).map((d) => launch(services.find((s) => s.name === d)));
        pending.set(
          svc.name,
          Promise.all(deps).then(async () => {
            const r = await bringUp(svc, provisioned, started);
            results.set(svc.name, r);
            log(`${svc.name}: ${r}`);
          }),
        );
      }
      return pending.get(svc.name);
    };
    const outcomes = await Promise.allSettled(services.map(launch));
    const failures = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason.message);
    if (failures.length > 0) throw new StackError(failures.join("\n"));
  });
  log(`all services healthy in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await status();
}

async function down() {
  for (const svc of [...services].reverse()) {
    if (await stop(svc.name)) log(`${svc.name}: stopped`);
  }
}

async function status() {
  let allHealthy = true;
  const rows = [];
  for (const svc of services) {
    const pid = runningPid(svc.name);
    const healthy = await svc.healthy();
    if (!healthy) allHealthy = false;
    rows.push([
      svc.name,
      healthy ? "healthy" : pid ? "unhealthy" : "stopped",
      pid ? String(pid) : "-",
      svc.describe(),
    ]);
  }
  const pyOk = existsSync(join(paths.venv, "bin", "python"));
  if (!pyOk) allHealthy = false;
  rows.push(["python", pyOk ? "ready" : "missing", "-", `verifier env ${paths.venv}`]);
  const widths = [13, 10, 8];
  for (const row of [["SERVICE", "STATE", "PID", "ENDPOINT"], ...rows]) {
    process.stdout.write(`${row.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join(" ")}\n`);
  }
  return allHealthy;
}

/** Endpoints and credentials for tests, the demo and users' shells. */
function environment() {
  const icebergCp = join(paths.cache, "iceberg.classpath");
  const sparkJars = existsSync(icebergCp)
    ? readFileSync(icebergCp, "utf8")
        .trim()
        .split(":")
        .filter((j) => j.includes("iceberg-spark-runtime") || j.includes("iceberg-aws-bundle"))
        .join(",")
    : "";
  return {
    FLOE_STACK_HOME: paths.state,
    FLOE_KAFKA_BROKERS: `${HOST}:${ports.kafka}`,
    FLOE_S3_ENDPOINT: s3.endpoint,
    FLOE_S3_REGION: s3.region,
    FLOE_S3_BUCKET: s3.bucket,
    FLOE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    FLOE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    FLOE_REST_URI: `http://${HOST}:${ports.rest}`,
    FLOE_REST_WAREHOUSE: `s3://${s3.bucket}/rest`,
    FLOE_GLUE_ENDPOINT: `http://${HOST}:${ports.moto}`,
    FLOE_GLUE_REGION: s3.region,
    FLOE_SCHEMA_REGISTRY_URL: `http://${HOST}:${ports.registry}/apis/ccompat/v7`,
    FLOE_PYTHON: join(paths.venv, "bin", "python"),
    FLOE_DUCKDB_EXTENSION_DIR: duckdbExtensionDir() ?? "",
    FLOE_SPARK_JARS: sparkJars,
    ...secureKafkaEnvironment(),
  };
}

/** The secured broker's listeners, certificates (PEM files) and test users. */
function secureKafkaEnvironment() {
  const tls = tlsFiles();
  return {
    FLOE_KAFKA_SECURE_SASL_BROKERS: `${HOST}:${ports.kafkaSecureSasl}`,
    FLOE_KAFKA_SECURE_MTLS_BROKERS: `${HOST}:${ports.kafkaSecureMtls}`,
    FLOE_KAFKA_SECURE_CA: tls.ca,
    FLOE_KAFKA_SECURE_CLIENT_CERT: tls.clientCert,
    FLOE_KAFKA_SECURE_CLIENT_KEY: tls.clientKey,
    FLOE_KAFKA_SECURE_CLIENT_KEY_PASSPHRASE: kafkaSecure.clientKeyPassphrase,
    FLOE_KAFKA_SECURE_SERVER_CERT: tls.brokerCert,
    FLOE_KAFKA_SECURE_SERVER_KEY: tls.brokerKey,
    FLOE_KAFKA_SECURE_PLAIN_USER: kafkaSecure.plain.username,
    FLOE_KAFKA_SECURE_PLAIN_PASSWORD: kafkaSecure.plain.password,
    FLOE_KAFKA_SECURE_SCRAM_USER: kafkaSecure.scram.username,
    FLOE_KAFKA_SECURE_SCRAM_PASSWORD: kafkaSecure.scram.password,
  };
}

function printEnv(json) {
  const env = environment();
  if (json) process.stdout.write(`${JSON.stringify(env, null, 2)}\n`);
  else for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}='${v}'\n`);
}

function logs(name) {
  const names = name ? [name] : services.map((s) => s.name);
  for (const n of names) {
    if (!services.some((s) => s.name === n))
      throw new StackError(`unknown service '${n}' (one of ${services.map((s) => s.name).join(", ")})`);
    process.stdout.write(`--- ${logFile(n)}\n${logTail(n, 40)}\n`);
  }
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "up":
      return up();
    case "down":
      return down();
    case "status":
      if (!(await status())) process.exitCode = 1;
      return;
    case "env":
      return printEnv(rest.includes("--json"));
    case "install": {
      const t0 = Date.now();
      await withLock(() => provision(log));
      log(`provisioned in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      return;
    }
    case "check":
      return checkPrerequisites();
    case "logs":
      return logs(rest[0]);
    case "reset":
      await down();
      rmSync(paths.data, { recursive: true, force: true });
      log(`removed ${paths.data}`);
      return;
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(`${HELP}\n`);
      return;
    default:
      process.stderr.write(`stack: unknown command '${cmd}'\n\n${HELP}\n`);
      process.exitCode = 2;
  }
}

// `scripts/stack status | head` closes the pipe early: that is not an error.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`stack: ${e instanceof StackError ? e.message : (e?.stack ?? e)}\n`);
  process.exitCode = 1;
});
