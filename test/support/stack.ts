import { inject } from "vitest";

/** Endpoints and credentials of the local stack, as printed by `scripts/stack env --json`. */
export interface StackEnv {
  FLOE_STACK_HOME: string;
  FLOE_KAFKA_BROKERS: string;
  FLOE_S3_ENDPOINT: string;
  FLOE_S3_REGION: string;
  FLOE_S3_BUCKET: string;
  FLOE_S3_ACCESS_KEY_ID: string;
  FLOE_S3_SECRET_ACCESS_KEY: string;
  FLOE_REST_URI: string;
  FLOE_REST_WAREHOUSE: string;
  FLOE_GLUE_ENDPOINT: string;
  FLOE_GLUE_REGION: string;
  FLOE_SCHEMA_REGISTRY_URL: string;
  FLOE_PYTHON: string;
  FLOE_DUCKDB_EXTENSION_DIR: string;
  FLOE_SPARK_JARS: string;
  /** The secured broker (`kafka-secure`): SASL_SSL and mTLS listeners, PEM files, test users. */
  FLOE_KAFKA_SECURE_SASL_BROKERS: string;
  FLOE_KAFKA_SECURE_MTLS_BROKERS: string;
  FLOE_KAFKA_SECURE_CA: string;
  FLOE_KAFKA_SECURE_CLIENT_CERT: string;
  FLOE_KAFKA_SECURE_CLIENT_KEY: string;
  FLOE_KAFKA_SECURE_CLIENT_KEY_PASSPHRASE: string;
  FLOE_KAFKA_SECURE_SERVER_CERT: string;
  FLOE_KAFKA_SECURE_SERVER_KEY: string;
  FLOE_KAFKA_SECURE_PLAIN_USER: string;
  FLOE_KAFKA_SECURE_PLAIN_PASSWORD: string;
  FLOE_KAFKA_SECURE_SCRAM_USER: string;
  FLOE_KAFKA_SECURE_SCRAM_PASSWORD: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}

export function stackEnv(): StackEnv {
  return inject("stack");
}

/** A name unique to this run, so suites never collide with data left by an earlier run. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
