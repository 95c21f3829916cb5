// Where the local stack lives, which ports it binds and the fixed local credentials.
// Everything here is for 127.0.0.1 only; the credentials are test values, not secrets.
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const LIB_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = resolve(LIB_DIR, "..", "..");

const stateBase = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
/** State directory: pid files, logs, service data and the Python verifier env. Outside the repo so
 * that a fresh clone reuses what an earlier one provisioned. */
export const STATE_DIR = resolve(process.env.FLOE_STACK_HOME || join(stateBase, "floe-stack"));

export const paths = {
  state: STATE_DIR,
  run: join(STATE_DIR, "run"),
  logs: join(STATE_DIR, "logs"),
  data: join(STATE_DIR, "data"),
  cache: join(STATE_DIR, "cache"),
  venv: join(STATE_DIR, "venv"),
  lock: join(STATE_DIR, "lock"),
};

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got '${raw}'`);
  }
  return n;
}

export const HOST = "127.0.0.1";

export const ports = {
  kafka: port("FLOE_STACK_KAFKA_PORT", 9092),
  kafkaController: port("FLOE_STACK_KAFKA_CONTROLLER_PORT", 9093),
  s3: port("FLOE_STACK_S3_PORT", 9000),
  rest: port("FLOE_STACK_REST_PORT", 8181),
  moto: port("FLOE_STACK_MOTO_PORT", 5001),
  registry: port("FLOE_STACK_REGISTRY_PORT", 8081),
};

export const s3 = {
  endpoint: `http://${HOST}:${ports.s3}`,
  region: "us-east-1",
  bucket: "warehouse",
  accessKeyId: "floe-local",
  secretAccessKey: "floe-local-secret",
};

export const versions = {
  kafka: "3.9.2",
  s3proxy: "4.1.0",
  iceberg: "1.10.0",
  duckdb: "1.4.4",
  apicurio: "2.6.13.Final",
};

/** A 16-byte id in Kafka's URL-safe base64 form (22 characters), fixed so `format` is stable. */
export const KAFKA_CLUSTER_ID = "ZmxvZS1sb2NhbC1zdGFjaw";
