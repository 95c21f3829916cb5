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
  // kafka-secure: a second broker with only secured client listeners.
  kafkaSecureSasl: port("FLOE_STACK_KAFKA_SECURE_SASL_PORT", 9094),
  kafkaSecureMtls: port("FLOE_STACK_KAFKA_SECURE_MTLS_PORT", 9095),
  kafkaSecureController: port("FLOE_STACK_KAFKA_SECURE_CONTROLLER_PORT", 9096),
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

/**
 * The secured broker (`kafka-secure`): SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER with
 * Kafka's unsecured JWT validator) and SSL with client certificates required. Its certificates are
 * made at provision time under `tlsDir` by a private CA; users and passwords are fixed local test values.
 */
export const kafkaSecure = {
  clusterId: "ZmxvZS1zZWN1cmUta2Fmaw",
  tlsDir: join(STATE_DIR, "cache", "kafka-secure-tls"),
  /** PKCS12 keystore and truststore password of the broker. */
  storePassword: "floe-local-store",
  /** The client key (client.key) is encrypted with this passphrase. */
  clientKeyPassphrase: "floe-local-client-key",
  plain: { username: "floe_plain", password: "floe-plain-secret" },
  /** One user with both SCRAM-SHA-256 and SCRAM-SHA-512 credentials. */
  scram: { username: "floe_scram", password: "floe-scram-secret" },
};
