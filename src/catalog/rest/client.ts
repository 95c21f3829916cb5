/**
 * RestCatalog: the Catalog port over the Apache Iceberg REST catalog API.
 *
 * On first use it calls `GET /v1/config?warehouse=...` and builds its configuration as the spec says:
 * server defaults, then client settings (warehouse, prefix), then server overrides. The `prefix` and
 * `namespace-separator` from that merge shape every path; `endpoints` says whether HEAD existence
 * checks are available. Commits POST `{identifier, requirements, updates}`: 409 is COMMIT_CONFLICT;
 * 500/502/503/504, a timeout or a lost connection after sending is COMMIT_STATE_UNKNOWN.
 */
import { FloeError } from "../../errors.js";
import { parseTableMetadata, type TableRequirement, type TableUpdate } from "../../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  type Catalog,
  type CreateTableRequest,
  checkName,
  checkNamespace,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  type TableIdentifier,
} from "../catalog.js";
import { type AuthProvider, bearerAuth, noAuth, OAuth2ClientCredentials } from "./auth.js";
import { invalidResponse, type RestOperation } from "./errors.js";
import { type FetchLike, type RawResponse, RestHttp } from "./http.js";
import type { RestCatalogConfig, RestCatalogOptions } from "./options.js";
import { decodeSeparator, RestPaths } from "./paths.js";
import {
  CommitTableResponseSchema,
  ConfigResponseSchema,
  createTableBody,
  GetNamespaceResponseSchema,
  ListNamespacesResponseSchema,
  ListTablesResponseSchema,
  LoadTableResultSchema,
  parseBody,
  requirementJson,
  tableConfig,
  updateJson,
} from "./payloads.js";

const HEAD_NAMESPACE = "HEAD /v1/{prefix}/namespaces/{namespace}";
const HEAD_TABLE = "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}";
const MAX_PAGES = 10_000;

function checkIdentifier(id: TableIdentifier): TableIdentifier {
  checkNamespace(id.namespace);
  checkName("table", id.name);
  return id;
}

export class RestCatalog implements Catalog {
  readonly kind = "rest";
  private readonly http: RestHttp;
  private readonly log: Logger;
  private setup: Promise<{ config: RestCatalogConfig; paths: RestPaths }> | undefined;
  /** Last `config` per table from a load or create, returned again with commit results. */
  private readonly tableConfigs = new Map<string, Record<string, string>>();

  constructor(private readonly options: RestCatalogOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.uri);
    } catch {
      throw new FloeError("CONFIG_INVALID", "the REST catalog uri is not a valid URL");
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new FloeError(
        "CONFIG_INVALID",
        `the REST catalog uri must be http or https, got ${parsed.protocol}`,
      );
    }
    if (options.token !== undefined && options.credential !== undefined) {
      throw new FloeError("CONFIG_INVALID", "set either a REST catalog token or a credential, not both");
    }
    this.log = (options.logger ?? silentLogger).child({ catalog: "rest" });
    const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    const timeoutMs = options.timeoutMs ?? 30_000;
    let auth: AuthProvider = noAuth;
    if (options.token !== undefined) auth = bearerAuth(options.token);
    else if (options.credential !== undefined) {
      auth = new OAuth2ClientCredentials({
        credential: options.credential,
        tokenUri: options.oauth2ServerUri ?? RestPaths.tokens(options.uri),
        fetch: fetchFn,
        timeoutMs,
        logger: this.log,
        ...(options.scope !== undefined ? { scope: options.scope } : {}),
        ...(options.now !== undefined ? { now: options.now } : {}),
      });
    }
    this.http = new RestHttp({
      fetch: fetchFn,
      auth,
      headers: options.headers ?? {},
      timeoutMs,
      retries: options.retries ?? 2,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
      logger: this.log,
    });
  }

  /** The merged /v1/config configuration (fetched once). */
  async config(): Promise<RestCatalogConfig> {
    return (await this.ready()).config;
  }

  async listNamespaces(parent?: Namespace): Promise<Namespace[]> {
    const { paths } = await this.ready();
    if (parent !== undefined && parent.length > 0) checkNamespace(parent);
    const out: Namespace[] = [];
    await this.paginate(
      (token) => paths.namespaces(parent, token),
      "listNamespaces",
      (text, what) => {
        const body = parseBody(ListNamespacesResponseSchema, text, "listNamespaces", what, this.secrets());
        out.push(...(body.namespaces ?? []));
        return body["next-page-token"] ?? undefined;
      },
    );
    return out;
  }

  async createNamespace(
    namespace: Namespace,
    properties: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const { paths } = await this.ready();
    checkNamespace(namespace);
    await this.http.send({
      op: "createNamespace",
      method: "POST",
      url: paths.namespaces(),
      body: { namespace: [...namespace], properties: { ...properties } },
      context: { namespace: namespace.join(".") },
    });
    this.log.info("created namespace", { namespace: namespace.join(".") });
  }

  async loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>> {
    const { paths } = await this.ready();
    const res = await this.http.send({
      op: "loadNamespace",
      method: "GET",
      url: paths.namespace(namespace),
      context: { namespace: namespace.join(".") },
    });
    const body = parseBody(
      GetNamespaceResponseSchema,
      res.text,
      "loadNamespace",
      "GET namespace",
      this.secrets(),
    );
    return body.properties ?? {};
  }

  async namespaceExists(namespace: Namespace): Promise<boolean> {
    const { config, paths } = await this.ready();
    const head = supports(config, HEAD_NAMESPACE);
    const res = await this.http.send({
      op: "namespaceExists",
      method: head ? "HEAD" : "GET",
      url: paths.namespace(namespace),
      accept: [404],
      context: { namespace: namespace.join(".") },
    });
    return res.status !== 404;
  }

  async dropNamespace(namespace: Namespace): Promise<void> {
    const { paths } = await this.ready();
    await this.http.send({
      op: "dropNamespace",
      method: "DELETE",
      url: paths.namespace(namespace),
      context: { namespace: namespace.join(".") },
    });
    this.log.info("dropped namespace", { namespace: namespace.join(".") });
  }

  async listTables(namespace: Namespace): Promise<TableIdentifier[]> {
    const { paths } = await this.ready();
    checkNamespace(namespace);
    const out: TableIdentifier[] = [];
    await this.paginate(
      (token) => paths.tables(namespace, token),
      "listTables",
      (text, what) => {
        const body = parseBody(ListTablesResponseSchema, text, "listTables", what, this.secrets());
        for (const id of body.identifiers ?? []) out.push({ namespace: id.namespace, name: id.name });
        return body["next-page-token"] ?? undefined;
      },
    );
    return out;
  }

  async createTable(namespace: Namespace, request: CreateTableRequest): Promise<LoadedTable> {
    const { paths } = await this.ready();
    const identifier = checkIdentifier({ namespace, name: request.name });
    const table = formatIdentifier(identifier);
    const res = await this.http.send({
      op: "createTable",
      method: "POST",
      url: paths.tables(namespace),
      body: createTableBody(request),
      context: { table },
    });
    const loaded = this.loaded("createTable", identifier, res);
    this.log.info("created table", { table, metadataLocation: loaded.metadataLocation });
    return loaded;
  }

  async loadTable(identifier: TableIdentifier): Promise<LoadedTable> {
    const { paths } = await this.ready();
    checkIdentifier(identifier);
    const res = await this.http.send({
      op: "loadTable",
      method: "GET",
      url: paths.table(identifier),
      context: { table: formatIdentifier(identifier) },
    });
    return this.loaded("loadTable", identifier, res);
  }

  async tableExists(identifier: TableIdentifier): Promise<boolean> {
    const { config, paths } = await this.ready();
    checkIdentifier(identifier);
    const head = supports(config, HEAD_TABLE);
    const res = await this.http.send({
      op: "tableExists",
      method: head ? "HEAD" : "GET",
      url: paths.table(identifier),
      accept: [404],
      context: { table: formatIdentifier(identifier) },
    });
    return res.status !== 404;
  }

  async dropTable(identifier: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    const { paths } = await this.ready();
    checkIdentifier(identifier);
    const table = formatIdentifier(identifier);
    await this.http.send({
      op: "dropTable",
      method: "DELETE",
      url: paths.table(identifier, { purgeRequested: options.purge ? "true" : undefined }),
      context: { table },
    });
    this.tableConfigs.delete(table);
    this.log.info("dropped table", { table, purge: options.purge === true });
  }

  async commitTable(
    identifier: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<LoadedTable> {
    const { paths } = await this.ready();
    checkIdentifier(identifier);
    const table = formatIdentifier(identifier);
    const res = await this.http.send({
      op: "commitTable",
      method: "POST",
      url: paths.table(identifier),
      body: {
        identifier: { namespace: [...identifier.namespace], name: identifier.name },
        requirements: requirements.map(requirementJson),
        updates: updates.map(updateJson),
      },
      context: { table },
    });
    const what = `commit to ${table}`;
    const body = parseBody(CommitTableResponseSchema, res.text, "commitTable", what, this.secrets(), {
      table,
    });
    const metadata = this.metadata("commitTable", what, body.metadata, table);
    const config = this.tableConfigs.get(table);
    this.log.debug("committed", { table, metadataLocation: body["metadata-location"] });
    return {
      identifier,
      metadataLocation: body["metadata-location"],
      metadata,
      ...(config === undefined ? {} : { config: { ...config } }),
    };
  }

  // ---- internals ----------------------------------------------------------------------------------

  private secrets(): string[] {
    return this.http.secrets();
  }

  private ready(): Promise<{ config: RestCatalogConfig; paths: RestPaths }> {
    if (this.setup === undefined) {
      const attempt = this.fetchConfig();
      this.setup = attempt;
      // A failed setup is retried by the next call rather than cached forever.
      attempt.catch(() => {
        if (this.setup === attempt) this.setup = undefined;
      });
    }
    return this.setup;
  }

  private async fetchConfig(): Promise<{ config: RestCatalogConfig; paths: RestPaths }> {
    const res = await this.http.send({
      op: "config",
      method: "GET",
      url: RestPaths.config(this.options.uri, this.options.warehouse),
    });
    const body = parseBody(ConfigResponseSchema, res.text, "config", "GET /v1/config", this.secrets());
    const client: Record<string, string> = {};
    if (this.options.warehouse !== undefined) client.warehouse = this.options.warehouse;
    if (this.options.prefix !== undefined) client.prefix = this.options.prefix;
    const properties = { ...(body.defaults ?? {}), ...client, ...(body.overrides ?? {}) };
    const config: RestCatalogConfig = {
      properties,
      ...(body.endpoints ? { endpoints: body.endpoints } : {}),
    };
    const paths = new RestPaths(
      this.options.uri,
      properties.prefix,
      decodeSeparator(properties["namespace-separator"]),
    );
    this.log.debug("loaded REST catalog config", {
      prefix: properties.prefix,
      endpoints: body.endpoints?.length,
    });
    return { config, paths };
  }

  private async paginate(
    url: (pageToken: string | undefined) => string,
    op: RestOperation,
    page: (text: string, what: string) => string | undefined,
  ): Promise<void> {
    const seen = new Set<string>();
    let token: string | undefined;
    for (let i = 0; i < MAX_PAGES; i++) {
      const res = await this.http.send({ op, method: "GET", url: url(token) });
      const next = page(res.text, `${op} page ${i + 1}`);
      if (next === undefined || next === "") return;
      if (seen.has(next)) {
        throw invalidResponse(op, op, "the server repeated a next-page-token", this.secrets());
      }
      seen.add(next);
      token = next;
    }
    throw invalidResponse(op, op, `more than ${MAX_PAGES} pages`, this.secrets());
  }

  private metadata(op: RestOperation, what: string, json: unknown, table: string) {
    try {
      return parseTableMetadata(json);
    } catch (e) {
      throw invalidResponse(op, what, (e as Error).message.slice(0, 500), this.secrets(), { table });
    }
  }

  private loaded(op: RestOperation, identifier: TableIdentifier, res: RawResponse): LoadedTable {
    const table = formatIdentifier(identifier);
    const what = `${op} ${table}`;
    const body = parseBody(LoadTableResultSchema, res.text, op, what, this.secrets(), { table });
    const location = body["metadata-location"];
    if (location === undefined || location === null || location === "") {
      throw invalidResponse(op, what, "no metadata-location", this.secrets(), { table });
    }
    const metadata = this.metadata(op, what, body.metadata, table);
    const config = tableConfig(body, metadata.location);
    if (config === undefined) this.tableConfigs.delete(table);
    else this.tableConfigs.set(table, config);
    return {
      identifier: { namespace: [...identifier.namespace], name: identifier.name },
      metadataLocation: location,
      metadata,
      ...(config === undefined ? {} : { config: { ...config } }),
    };
  }
}

/** Whether the server supports an endpoint; without an `endpoints` list, only the spec's default set. */
function supports(config: RestCatalogConfig, endpoint: string): boolean {
  return config.endpoints?.includes(endpoint) ?? false;
}
