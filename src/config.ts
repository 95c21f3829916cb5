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
    http: HttpSection.default(HttpSection.parse({})),
    log: LogSection.default(LogSection.parse({})),
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
