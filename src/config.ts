/**
 * Floe's configuration: one root zod schema composed from section schemas, `${VAR}` / `${VAR:-default}`
 * substitution from the environment, YAML or JSON files, and errors that name the offending key.
 * Every setting has a default, so an empty file runs on the embedded defaults.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { TableRoute } from "./config-table.js";
import { FloeError } from "./errors.js";

export { TableRoute, type TableRouteConfig } from "./config-table.js";

/** A PEM setting: a file path, or the PEM text itself (anything containing "-----BEGIN"). */
const pem = (what: string) => z.string().min(1).describe(`${what}: a file path or inline PEM`);

/** TLS settings shared by Kafka and the Schema Registry (node:tls options, PEM as file or inline). */
export const TlsSection = z
  .object({
    ca: pem("CA certificate(s) to trust instead of the system store, for a private CA").optional(),
    cert: pem("Client certificate (chain) for mutual TLS").optional(),
    key: pem("Client private key for mutual TLS (inline keys are never logged)").optional(),
    passphrase: z.string().optional().describe("Passphrase of an encrypted client key (never logged)"),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Server name (SNI) to send and verify the certificate against, when it differs from the host",
      ),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe("Verify the server's certificate; false only for testing, never in production"),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: "set both cert and key for mutual TLS, or neither",
  });

const PasswordSasl = z
  .object({
    mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]).describe("SASL mechanism"),
    username: z.string().min(1).describe("SASL user"),
    password: z.string().min(1).describe("SASL password (use ${ENV_VAR}; never logged)"),
  })
  .strict();
const OAuthBearerSasl = z
  .object({
    mechanism: z
      .literal("oauthbearer")
      .describe("SASL OAUTHBEARER with a static token or OAuth2 client credentials"),
    token: z
      .string()
      .min(1)
      .optional()
      .describe("A static bearer token, e.g. ${KAFKA_OAUTH_TOKEN} (never logged)"),
    tokenEndpoint: z
      .url()
      .optional()
      .describe(
        "OAuth2 token endpoint for the client-credentials grant; the token is refreshed before it expires",
      ),
    clientId: z.string().min(1).optional().describe("OAuth2 client id"),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      .describe("OAuth2 client secret (use ${ENV_VAR}; never logged)"),
    scope: z.string().min(1).optional().describe("OAuth2 scope to request"),
    audience: z.string().min(1).optional().describe("OAuth2 audience to request (Auth0, Okta and others)"),
    extensions: z
      .record(z.string(), z.string())
      .optional()
      .describe("SASL extensions sent with the token (Confluent Cloud: logicalCluster, identityPoolId)"),
  })
  .strict()
  .refine((s) => (s.token === undefined) !== (s.tokenEndpoint === undefined), {
    message: "set exactly one of token or tokenEndpoint",
  })
  .refine(
    (s) => s.tokenEndpoint === undefined || (s.clientId !== undefined && s.clientSecret !== undefined),
    {
      message: "tokenEndpoint needs clientId and clientSecret",
    },
  );
const MskIamSasl = z
  .object({
    mechanism: z
      .literal("aws-msk-iam")
      .describe("AWS MSK IAM: OAUTHBEARER with a signed token from the AWS default credential chain"),
    region: z.string().min(1).describe("AWS region of the MSK cluster"),
    roleArn: z
      .string()
      .min(1)
      .optional()
      .describe("IAM role to assume for the token; the caller's credentials when unset"),
  })
  .strict();

export const KafkaSection = z
  .object({
    brokers: z
      .array(z.string().min(1))
      .min(1)
      .default(["127.0.0.1:9092"])
      .describe("Bootstrap brokers, host:port"),
    clientId: z.string().min(1).default("floe").describe("Kafka client id"),
    groupId: z
      .string()
      .min(1)
      .default("floe")
      .describe("Consumer group; offsets are kept in snapshot summaries under floe.offsets.<groupId>"),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(6_000)
      .max(300_000)
      .default(10_000)
      .describe(
        "Group session timeout: a sink killed without leaving the group (kill -9, a lost node) keeps its partitions this long before others (or its restart) take them over. Lower restarts faster; too low and a long pause (GC, a slow commit) costs a rebalance. The broker allows 6 s .. group.max.session.timeout.ms.",
      ),
    ssl: z
      .union([z.boolean(), TlsSection])
      .default(false)
      .describe("TLS: true (system CAs), false, or settings (private CA, client certificate, server name)"),
    sasl: z
      .discriminatedUnion("mechanism", [PasswordSasl, OAuthBearerSasl, MskIamSasl])
      .optional()
      .describe("SASL authentication"),
  })
  .strict()
  .refine((k) => k.sasl?.mechanism !== "aws-msk-iam" || k.ssl !== false, {
    message: "sasl aws-msk-iam needs TLS: set kafka.ssl to true (MSK's IAM listeners use TLS)",
    path: ["ssl"],
  });

export const StorageSection = z
  .object({
    endpoint: z.url().optional().describe("S3-compatible endpoint (MinIO, S3Proxy); AWS when unset"),
    region: z.string().default("us-east-1").describe("S3 region"),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe("Path-style S3 URLs (on by default with an endpoint)"),
    accessKeyId: z.string().optional().describe("S3 access key; the AWS default chain when unset"),
    secretAccessKey: z.string().optional().describe("S3 secret key (use ${ENV_VAR}; never logged)"),
  })
  .strict();

export const WarehouseSection = z
  .object({
    location: z
      .string()
      .regex(/^(file|s3):\/\//, "must start with file:// or s3://")
      .default("file://./warehouse")
      .describe("Where table data and metadata live: file://path or s3://bucket/prefix"),
    storage: StorageSection.default(StorageSection.parse({})).describe("Object storage settings"),
  })
  .strict();

const EmbeddedCatalog = z
  .object({ type: z.literal("embedded").describe("Table pointers kept in the warehouse itself (default)") })
  .strict();
const RestCatalog = z
  .object({
    type: z.literal("rest").describe("An Iceberg REST catalog"),
    uri: z.url().describe("REST catalog base URI"),
    warehouse: z.string().optional().describe("Warehouse name sent to /v1/config"),
    prefix: z.string().optional().describe("Path prefix, if the server does not announce one"),
    token: z.string().optional().describe("Static bearer token (never logged)"),
    credential: z
      .string()
      .optional()
      .describe("OAuth2 client credentials client_id:client_secret (never logged)"),
    scope: z.string().optional().describe("OAuth2 scope (default catalog)"),
    headers: z.record(z.string(), z.string()).default({}).describe("Extra HTTP headers"),
  })
  .strict();
const GlueCatalog = z
  .object({
    type: z.literal("glue").describe("AWS Glue Data Catalog"),
    region: z.string().default("us-east-1").describe("Glue region"),
    endpoint: z.url().optional().describe("Glue endpoint (e.g. moto); AWS when unset"),
    catalogId: z.string().optional().describe("Glue catalog id (AWS account); the caller's when unset"),
  })
  .strict();

export const CatalogSection = z.discriminatedUnion("type", [EmbeddedCatalog, RestCatalog, GlueCatalog]);

export const HttpSection = z
  .object({
    host: z
      .string()
      .default("127.0.0.1")
      .describe(
        "Address for /healthz, /readyz, /metrics: loopback only by default; 0.0.0.0 for a scraper or probe on another host or in a container",
      ),
    port: z.number().int().min(0).max(65535).default(9464).describe("Port for /healthz, /readyz, /metrics"),
  })
  .strict();

export const SchemaRegistrySection = z
  .object({
    url: z.url().describe("Confluent-compatible Schema Registry URL (comma-separate several for failover)"),
    username: z.string().optional().describe("Basic auth user"),
    password: z.string().optional().describe("Basic auth password (never logged)"),
    bearerToken: z.string().optional().describe("Bearer token (never logged)"),
    tls: TlsSection.optional().describe("TLS for https registry URLs: private CA, client certificate"),
  })
  .strict();

export const CommitSection = z
  .object({
    intervalMs: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(10_000)
      .describe(
        "Commit at least this often (1 s .. 1 h): the tables' open data files are closed and committed with the offsets they cover, one file per table partition per commit (more only past write.target-file-size-bytes).",
      ),
    idleMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(1000)
      .describe(
        "After a size limit or a full buffer flushed records (a backlog or burst is being drained), commit as soon as no record has arrived for this long instead of waiting for the interval (once per drain); 0 waits for the interval.",
      ),
    unreadyAfterMs: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(0)
      .describe(
        "How long table commits (or loading the tables' offsets) may keep failing before /readyz fails with the error; 0: at the first failure. Failures are retried and logged at error level either way.",
      ),
    maxRecords: z
      .number()
      .int()
      .min(1)
      .default(500_000)
      .describe(
        "Flush a table's buffer into its open data files (encoded row groups, streamed to storage; committed at the next commit) as soon as it holds this many records.",
      ),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .default(24 * 1024 * 1024)
      .describe(
        "... or this many bytes (columns in Arrow's layout, about the Arrow size). A flush frees the buffer: memory follows this and the row group size (write.parquet.row-group-size-bytes), not the file size.",
      ),
  })
  .strict();

export const BufferSection = z
  .object({
    maxBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(48 * 1024 * 1024)
      .describe(
        "Above this many buffered bytes in total (buffered plus being flushed, as commit.maxBytes counts them), consumption pauses until a flush frees memory. About twice commit.maxBytes keeps flushes near that size.",
      ),
  })
  .strict();

export const DlqSection = z
  .object({
    topic: z.string().min(1).default("floe-dlq").describe("Default dead-letter topic"),
    compression: z
      .enum(["none", "gzip", "snappy", "lz4", "zstd"])
      .default("none")
      .describe(
        "Record-batch codec of dead letters. Default none: each dead letter is sent alone, where a codec saves little, and every Kafka client reads it",
      ),
  })
  .strict();

export const LogSection = z
  .object({
    level: z
      .enum(["debug", "info", "warn", "error"])
      .default("info")
      .describe("Log level (JSON lines on stderr)"),
  })
  .strict();

export const ConfigSchema = z
  .object({
    kafka: KafkaSection.default(KafkaSection.parse({})).describe("Kafka connection and consumer group"),
    warehouse: WarehouseSection.default(WarehouseSection.parse({})).describe("Table storage"),
    catalog: CatalogSection.default({ type: "embedded" }).describe("Where tables are registered"),
    schemaRegistry: SchemaRegistrySection.optional().describe("For avro, json-schema and protobuf routes"),
    commit: CommitSection.default(CommitSection.parse({})).describe("When buffered records are committed"),
    buffer: BufferSection.default(BufferSection.parse({})).describe("Memory bound"),
    tables: z.array(TableRoute).default([]).describe("Routes: which topics go to which tables, and how"),
    dlq: DlqSection.default(DlqSection.parse({})).describe("Dead letters"),
    http: HttpSection.default(HttpSection.parse({})).describe("Health and metrics endpoints"),
    log: LogSection.default(LogSection.parse({})).describe("Logging"),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

/** Validates a parsed config object; the error lists every problem as `key.path: message`. */
export function parseConfig(input: unknown, source = "config"): Config {
  const result = ConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${key}: ${issue.message}`;
  });
  throw new FloeError("CONFIG_INVALID", `${source} is invalid:\n  ${problems.join("\n  ")}`, {
    context: { source, key: result.error.issues[0]?.path.join(".") },
  });
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed document. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv = process.env, path = ""): unknown {
  if (typeof value === "string") {
    return value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      throw new FloeError("CONFIG_INVALID", `${path || "(root)"}: environment variable ${name} is not set`, {
        context: { key: path, variable: name },
      });
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, `${path}.${i}`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

/** Reads a YAML or JSON config file (JSON is YAML), substitutes the environment and validates it. */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new FloeError("CONFIG_INVALID", `cannot read config file ${file}: ${(e as Error).message}`, {
      cause: e,
      context: { source: file },
    });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new FloeError("CONFIG_INVALID", `${file} is not valid YAML/JSON: ${(e as Error).message}`, {
      cause: e,
      context: { source: file },
    });
  }
  return parseConfig(substituteEnv(doc, env), file);
}
