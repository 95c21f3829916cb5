/**
 * A small Confluent Schema Registry client: schemas by id (GET /schemas/ids/{id}) and referenced schemas
 * by subject and version (GET /subjects/{subject}/versions/{version}). Registered schemas are immutable,
 * so each is cached forever; concurrent requests for one id share a fetch, and a failed fetch is not
 * cached. Credentials (basic auth, bearer token, or user:password in the URL) go only into the
 * Authorization header: error messages name the registry's origin and never a secret.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { loadTls, type TlsSettings, tlsFetch } from "../../tls.js";

export type SchemaType = "AVRO" | "JSON" | "PROTOBUF";

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface RegisteredSchema {
  schemaType: SchemaType;
  schema: string;
  references?: SchemaReference[];
}

export interface SchemaRegistryOptions {
  /** Base URL; a comma-separated list fails over in order when a registry is unreachable. */
  url: string;
  username?: string;
  password?: string;
  bearerToken?: string;
  fetch?: typeof fetch;
  /** TLS for https URLs: a private CA, a client certificate (file paths or inline PEM). */
  tls?: TlsSettings;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

const SchemaResponse = z.object({
  schema: z.string(),
  schemaType: z.enum(["AVRO", "JSON", "PROTOBUF"]).optional(),
  references: z
    .array(z.object({ name: z.string(), subject: z.string(), version: z.number().int() }))
    .optional(),
});

const VersionResponse = SchemaResponse.extend({ id: z.number().int() });

const ErrorResponse = z.object({ message: z.string() }).partial();

function toRegistered(body: z.infer<typeof SchemaResponse>): RegisteredSchema {
  return {
    schemaType: body.schemaType ?? "AVRO",
    schema: body.schema,
    ...(body.references && body.references.length > 0 ? { references: body.references } : {}),
  };
}

interface Endpoint {
  /** Base URL without credentials and without a trailing slash. */
  base: string;
  /** For messages: scheme, host and port only. */
  origin: string;
  basic?: string;
}

function parseEndpoint(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new FloeError("CONFIG_INVALID", "schema registry url is not a valid URL");
  }
  const basic = url.username
    ? Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
        "base64",
      )
    : undefined;
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return { base: url.toString().replace(/\/+$/, ""), origin: url.origin, ...(basic ? { basic } : {}) };
}

/**
 * Values made once per key from registered schemas (which never change): concurrent callers share one
 * promise, a failure is forgotten so the next call tries again, and `ready` answers without a promise
 * once the value is made. The registry client caches its responses in it, the decoders their compiled
 * schemas.
 */
class SchemaCache<K, V> {
  readonly #pending = new Map<K, Promise<V>>();
  readonly #ready = new Map<K, V>();

  /** The value for `key`, made by `make` unless a call for `key` already did (or is doing) so. */
  get(key: K, make: () => Promise<V>): Promise<V> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = make().then((value) => {
        this.#ready.set(key, value);
        return value;
      });
      this.#pending.set(key, pending);
      pending.catch(() => {
        if (this.#pending.get(key) === pending) this.#pending.delete(key);
      });
    }
    return pending;
  }

  /** The value for `key` if it has been made, else undefined. */
  ready(key: K): V | undefined {
    return this.#ready.get(key);
  }
}

/** A schema that a registered schema references, directly or through other references. */
export interface ReferencedSchema {
  /** The reference that first named it (its `name` is the import or type name the referrer uses). */
  ref: SchemaReference;
  schema: RegisteredSchema;
  /** For messages: `<subject> version <n>`. */
  what: string;
}

/**
 * The schemas `root` references, directly or through others, each once (by subject and version),
 * every one before the schemas that reference it. `what` names the root in messages; references
 * nesting more than 32 deep are DECODE_FAILED.
 */
export async function referencedSchemas(
  registry: SchemaRegistryClient,
  root: RegisteredSchema,
  what: string,
): Promise<ReferencedSchema[]> {
  const out: ReferencedSchema[] = [];
  const seen = new Set<string>();
  const visit = async (schema: RegisteredSchema, label: string, depth: number): Promise<void> => {
    if (depth > 32) {
      throw new FloeError("DECODE_FAILED", `schema references nest too deeply at ${label} (in ${what})`);
    }
    for (const ref of schema.references ?? []) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const referenced = await registry.getSubjectVersion(ref.subject, ref.version);
      const refWhat = `${ref.subject} version ${ref.version}`;
      await visit(referenced, refWhat, depth + 1);
      out.push({ ref, schema: referenced, what: refWhat });
    }
  };
  await visit(root, what, 0);
  return out;
}

/** Turns a registered schema into what a decoder uses; `registry` resolves its references. */
export type SchemaCompiler<T> = (
  registry: SchemaRegistryClient,
  id: number,
  registered: RegisteredSchema,
) => T | Promise<T>;

/**
 * A decoder's compiled schemas by schema id: fetched from the registry and compiled once each. A
 * schema of another type than `schemaType` is DECODE_FAILED.
 */
export class CompiledSchemas<T> {
  readonly #cache = new SchemaCache<number, T>();
  readonly #registry: SchemaRegistryClient;
  readonly #schemaType: SchemaType;
  readonly #compile: SchemaCompiler<T>;

  constructor(registry: SchemaRegistryClient, schemaType: SchemaType, compile: SchemaCompiler<T>) {
    this.#registry = registry;
    this.#schemaType = schemaType;
    this.#compile = compile;
  }

  /** The compiled schema of `id`, fetching and compiling it on first use. */
  get(id: number): Promise<T> {
    return this.#cache.get(id, async () => {
      const registered = await this.#registry.getSchema(id);
      if (registered.schemaType !== this.#schemaType) {
        throw new FloeError(
          "DECODE_FAILED",
          `schema id ${id} has schemaType ${registered.schemaType}, expected ${this.#schemaType}`,
        );
      }
      return this.#compile(this.#registry, id, registered);
    });
  }

  /** The compiled schema of `id` if it is ready, else undefined. */
  ready(id: number): T | undefined {
    return this.#cache.ready(id);
  }
}

export class SchemaRegistryClient {
  readonly #endpoints: Endpoint[];
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #byId = new SchemaCache<number, RegisteredSchema>();
  readonly #byVersion = new SchemaCache<string, RegisteredSchema & { id: number }>();

  constructor(opts: SchemaRegistryOptions) {
    this.#endpoints = opts.url
      .split(",")
      .filter((u) => u.trim() !== "")
      .map(parseEndpoint);
    if (this.#endpoints.length === 0) throw new FloeError("CONFIG_INVALID", "schema registry url is empty");
    if (opts.bearerToken) this.#authorization = `Bearer ${opts.bearerToken}`;
    else if (opts.username !== undefined)
      this.#authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ""}`).toString("base64")}`;
    this.#fetch =
      opts.fetch ?? (opts.tls ? tlsFetch(loadTls(opts.tls, "schemaRegistry.tls")) : globalThis.fetch);
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** The schema registered under `id`. Unknown ids are DECODE_FAILED "unknown schema id N". */
  getSchema(id: number): Promise<RegisteredSchema> {
    return this.#byId.get(id, () =>
      this.#get(`/schemas/ids/${id}`, `unknown schema id ${id}`).then((body) => {
        const parsed = SchemaResponse.safeParse(body);
        if (!parsed.success) throw this.#badResponse(`schema id ${id}`);
        return toRegistered(parsed.data);
      }),
    );
  }

  /** A schema by subject and version, as schema references name them. */
  getSubjectVersion(subject: string, version: number): Promise<RegisteredSchema & { id: number }> {
    const path = `/subjects/${encodeURIComponent(subject)}/versions/${version}`;
    return this.#byVersion.get(`${subject}\u0000${version}`, () =>
      this.#get(path, `unknown schema reference ${subject} version ${version}`).then((body) => {
        const parsed = VersionResponse.safeParse(body);
        if (!parsed.success) throw this.#badResponse(`subject ${subject} version ${version}`);
        return { ...toRegistered(parsed.data), id: parsed.data.id };
      }),
    );
  }

  #badResponse(what: string): FloeError {
    return new FloeError("DECODE_FAILED", `schema registry returned an unreadable response for ${what}`);
  }

  /** GETs `path` from the first endpoint that answers; unreachable endpoints fail over to the next. */
  async #get(path: string, notFound: string): Promise<unknown> {
    let last: FloeError | undefined;
    for (const endpoint of this.#endpoints) {
      try {
        return await this.#getFrom(endpoint, path, notFound);
      } catch (e) {
        if (!(e instanceof FloeError) || e.code !== "SERVICE_UNAVAILABLE") throw e;
        last = e;
      }
    }
    throw last ?? new FloeError("SERVICE_UNAVAILABLE", "schema registry is unreachable");
  }

  async #getFrom(endpoint: Endpoint, path: string, notFound: string): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json",
    };
    const authorization = this.#authorization ?? (endpoint.basic ? `Basic ${endpoint.basic}` : undefined);
    if (authorization) headers.authorization = authorization;
    const where = `schema registry ${endpoint.origin}`;
    let response: Response;
    try {
      response = await this.#fetch(`${endpoint.base}${path}`, {
        method: "GET",
        headers,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw new FloeError(
        "SERVICE_UNAVAILABLE",
        timedOut ? `${where} did not answer within ${this.#timeoutMs} ms` : `${where} is unreachable`,
        { cause: e, context: { registry: endpoint.origin } },
      );
    }
    const text = await response.text().catch(() => "");
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch (e) {
        throw new FloeError("DECODE_FAILED", `${where} returned invalid JSON for ${path}`, { cause: e });
      }
    }
    const status = response.status;
    let detail = "";
    try {
      const body = ErrorResponse.safeParse(JSON.parse(text));
      if (body.success && body.data.message) detail = `: ${body.data.message.slice(0, 200)}`;
    } catch {
      // not JSON: the status says enough
    }
    const context = { registry: endpoint.origin, status };
    if (status === 404) throw new FloeError("DECODE_FAILED", `${notFound} (${where})`, { context });
    if (status === 401 || status === 403) {
      throw new FloeError("UNAUTHORIZED", `${where} refused the request (HTTP ${status})${detail}`, {
        context,
      });
    }
    if (status === 408 || status === 429 || status >= 500) {
      throw new FloeError("SERVICE_UNAVAILABLE", `${where} answered HTTP ${status}${detail}`, { context });
    }
    throw new FloeError("IO_ERROR", `${where} answered HTTP ${status} for ${path}${detail}`, { context });
  }
}
