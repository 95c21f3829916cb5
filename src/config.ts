/**
 * Floe's configuration: one root zod schema composed from section schemas, `${VAR}` / `${VAR:-default}`
 * substitution from the environment, YAML or JSON files, and errors that name the offending key.
 * Every setting has a default, so an empty file runs on the embedded defaults.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { FloeError } from "./errors.js";

export const KafkaSection = z
  .object({
    brokers: z.array(z.string().min(1)).min(1).default(["127.0.0.1:9092"]),
    clientId: z.string().min(1).default("floe"),
    groupId: z.string().min(1).default("floe"),
    ssl: z.boolean().default(false),
    sasl: z
      .object({
        mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

export const StorageSection = z
  .object({
    endpoint: z.url().optional(),
    region: z.string().default("us-east-1"),
    forcePathStyle: z.boolean().default(false),
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
  })
  .strict();

export const WarehouseSection = z
  .object({
    location: z
      .string()
      .regex(/^(file|s3):\/\//, "must start with file:// or s3://")
      .default("file://./warehouse"),
    storage: StorageSection.default(StorageSection.parse({})),
  })
  .strict();

const EmbeddedCatalog = z.object({ type: z.literal("embedded") }).strict();
const RestCatalog = z
  .object({
    type: z.literal("rest"),
    uri: z.url(),
    warehouse: z.string().optional(),
    prefix: z.string().optional(),
    token: z.string().optional(),
    credential: z.string().optional(),
    scope: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();
const GlueCatalog = z
  .object({
    type: z.literal("glue"),
    region: z.string().default("us-east-1"),
    endpoint: z.url().optional(),
    catalogId: z.string().optional(),
  })
  .strict();

export const CatalogSection = z.discriminatedUnion("type", [EmbeddedCatalog, RestCatalog, GlueCatalog]);

export const HttpSection = z
  .object({
    host: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(9464),
  })
  .strict();

export const SchemaRegistrySection = z
  .object({
    url: z.url(),
    username: z.string().optional(),
    password: z.string().optional(),
    bearerToken: z.string().optional(),
  })
  .strict();

export const CommitSection = z
  .object({
    /** Commit buffered records at least this often (1 s .. 1 h). */
    intervalMs: z.number().int().min(1000).max(3_600_000).default(10_000),
    /** ... or as soon as this many records are buffered for one table. */
    maxRecords: z.number().int().min(1).default(500_000),
    /** ... or this many bytes (decoded size estimate) for one table. */
    maxBytes: z.number().int().min(1024).default(128 * 1024 * 1024),
  })
  .strict();

export const BufferSection = z
  .object({
    /** Above this many buffered bytes in total, consumption pauses until a commit frees memory. */
    maxBytes: z.number().int().min(1024 * 1024).default(256 * 1024 * 1024),
  })
  .strict();

export const TableRoute = z
  .object({
    /** Topics consumed for this route: names, or one regex with `topicPattern`. */
    topics: z.array(z.string().min(1)).min(1).optional(),
    topicPattern: z.string().min(1).optional(),
    /** Target table `ns.table`; `{topic}` and `{field}` are replaced (topic name / value of `tableField`). */
    table: z.string().min(3),
    /** Route each record by this top-level field of its value into `table` (with `{field}`). */
    tableField: z.string().optional(),
    format: z.enum(["json", "avro", "json-schema", "protobuf", "string", "bytes"]).default("json"),
    /** For json: a declared Iceberg schema (struct JSON); otherwise inferred from the data. */
    schema: z.unknown().optional(),
    /** Partition spec for auto-created tables, e.g. ["day(event_time)", "bucket(16, device_id)"]. */
    partitionBy: z.array(z.string()).default([]),
    /** Add _kafka_topic, _kafka_partition, _kafka_offset, _kafka_timestamp, _kafka_key, _kafka_headers. */
    metadataColumns: z.boolean().default(true),
    /** What to do with a record that cannot be decoded or written. */
    onError: z.enum(["fail", "skip", "dlq"]).default("dlq"),
    /** Dead-letter topic for this route (default: dlq.topic). */
    dlqTopic: z.string().min(1).optional(),
    /** New fields become new columns; allowed widenings are applied. */
    evolve: z.boolean().default(true),
    properties: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .refine((r) => (r.topics === undefined) !== (r.topicPattern === undefined), {
    message: "set exactly one of topics or topicPattern",
  });

export const DlqSection = z.object({ topic: z.string().min(1).default("floe-dlq") }).strict();

export const LogSection = z
  .object({
    level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  })
  .strict();

export const ConfigSchema = z
  .object({
    kafka: KafkaSection.default(KafkaSection.parse({})),
    warehouse: WarehouseSection.default(WarehouseSection.parse({})),
    catalog: CatalogSection.default({ type: "embedded" }),
    schemaRegistry: SchemaRegistrySection.optional(),
    commit: CommitSection.default(CommitSection.parse({})),
    buffer: BufferSection.default(BufferSection.parse({})),
    tables: z.array(TableRoute).default([]),
    dlq: DlqSection.default(DlqSection.parse({})),
    http: HttpSection.default(HttpSection.parse({})),
    log: LogSection.default(LogSection.parse({})),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type TableRouteConfig = z.infer<typeof TableRoute>;

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
