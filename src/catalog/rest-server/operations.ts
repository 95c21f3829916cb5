/**
 * The REST catalog operations, each a translation from one spec endpoint to the Catalog port: parse
 * and validate the request, call the catalog, shape the response. HTTP plumbing (auth, bodies,
 * logging, errors) lives in handler.ts.
 */
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { FloeError } from "../../errors.js";
import { FORMAT_VERSION, type JsonValue, type TableUpdate } from "../../iceberg/spec/index.js";
import { commitActions, upgradeFormatVersionAction } from "../../iceberg/table/index.js";
import type { Logger } from "../../log.js";
import {
  type Catalog,
  checkName,
  checkNamespace,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  type TableIdentifier,
} from "../catalog.js";
import { catalogTableOps } from "../table.js";
import { badRequest, RestError, unsupported } from "./errors.js";
import { checkUpdatePaths, updatePaths } from "./foreign-paths.js";
import { joinNamespace, parseNamespace } from "./paths.js";
import {
  identifierJson,
  loadTableResult,
  namespaceJson,
  parseCommitTable,
  parseCreateNamespace,
  parseCreateTable,
  parseRenameTable,
  parseUpdateNamespaceProperties,
  type SnapshotsMode,
} from "./payloads.js";
import { ENDPOINTS, type Operation } from "./routes.js";

/** Optional catalog capabilities the port does not require; used when a Catalog has them. */
export interface NamespacePropertiesUpdater {
  updateNamespaceProperties(
    namespace: Namespace,
    updates: Readonly<Record<string, string>>,
    removals: readonly string[],
  ): Promise<{ updated: string[]; removed: string[]; missing: string[] }>;
}

export interface TableRenamer {
  renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void>;
}

export type TableConfigSource =
  | Readonly<Record<string, string>>
  | ((id: TableIdentifier) => Readonly<Record<string, string>> | undefined);

export interface OperationSettings {
  catalog: Catalog;
  prefix?: string;
  warehouse?: string;
  defaults: Readonly<Record<string, string>>;
  overrides: Readonly<Record<string, string>>;
  tableConfig?: TableConfigSource;
  forwardCatalogConfig: boolean;
  allowCustomLocations: boolean;
  allowForeignPaths: boolean;
  logger: Logger;
}

export interface OperationContext {
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  namespace?: Namespace;
  table?: TableIdentifier;
  /** Reads the JSON body (bounded, int64-safe). */
  body: () => Promise<JsonValue>;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Op = (ctx: OperationContext) => Promise<Reply>;

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body,
  ...(headers ? { headers } : {}),
});
const noContent: Reply = { status: 204 };

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new FloeError("INTERNAL", `route carries no ${what}`);
  return value;
}

function hasMethod<T>(catalog: Catalog, name: keyof T): boolean {
  return typeof (catalog as unknown as Record<string, unknown>)[name as string] === "function";
}

/** Opaque page tokens: the base64url of the last key returned. */
function paginate<T>(
  items: T[],
  key: (item: T) => string,
  query: URLSearchParams,
): [T[], string | undefined] {
  const token = query.get("pageToken");
  const sizeText = query.get("pageSize");
  if (token === null) return [items, undefined];
  let size = Number.POSITIVE_INFINITY;
  if (sizeText !== null && sizeText !== "") {
    size = Number(sizeText);
    if (!Number.isInteger(size) || size < 1) throw badRequest("pageSize must be a positive integer");
  }
  const sorted = [...items].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  let start = 0;
  if (token !== "") {
    const after = Buffer.from(token, "base64url").toString("utf8");
    if (Buffer.from(after, "utf8").toString("base64url") !== token) throw badRequest("invalid pageToken");
    start = sorted.findIndex((x) => key(x) > after);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + size);
  const last = page.at(-1);
  const more = start + page.length < sorted.length && last !== undefined;
  return [page, more ? Buffer.from(key(last), "utf8").toString("base64url") : undefined];
}

function etagOf(table: LoadedTable, mode: SnapshotsMode): string {
  const h = createHash("sha256").update(`${table.metadataLocation}|${mode}`).digest("base64url");
  return `"${h.slice(0, 32)}"`;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}

function forbidLocation(allowed: boolean, what: string): void {
  if (!allowed) {
    throw new RestError(
      403,
      "ForbiddenException",
      `${what}: this server assigns table locations (start it with allowCustomLocations to permit them)`,
    );
  }
}

/** The operations of one server, bound to its settings. */
export function createOperations(s: OperationSettings): Record<Operation, Op> {
  const { catalog } = s;
  const canUpdateProps = hasMethod<NamespacePropertiesUpdater>(catalog, "updateNamespaceProperties");
  const canRename = hasMethod<TableRenamer>(catalog, "renameTable");
  const endpoints = ENDPOINTS.filter(
    ([op]) => (op !== "updateNamespaceProperties" || canUpdateProps) && (op !== "renameTable" || canRename),
  ).map(([, name]) => name);

  const tableConfig = (loaded: LoadedTable): Record<string, string> => {
    const extra = typeof s.tableConfig === "function" ? s.tableConfig(loaded.identifier) : s.tableConfig;
    return { ...(s.forwardCatalogConfig ? loaded.config : undefined), ...extra };
  };

  return {
    async getConfig({ query }) {
      const asked = query.get("warehouse");
      if (s.warehouse !== undefined && asked !== null && asked !== "" && asked !== s.warehouse) {
        throw badRequest(
          `unknown warehouse ${JSON.stringify(asked.slice(0, 200))}; this server serves '${s.warehouse}'`,
        );
      }
      return ok({
        defaults: { ...s.defaults },
        overrides: { ...s.overrides, ...(s.prefix === undefined ? {} : { prefix: s.prefix }) },
        endpoints,
      });
    },

    async oauthTokens() {
      // OAuth2 error format (RFC 6749 5.2), which REST clients parse on this route.
      return {
        status: 400,
        body: {
          error: "unsupported_grant_type",
          error_description:
            "this catalog server takes a static bearer token; configure `token`, not `credential`",
        },
      };
    },

    async listNamespaces({ query }) {
      const parentText = query.get("parent");
      const parent = parentText === null || parentText === "" ? undefined : parseNamespace(parentText);
      if (parent !== undefined && !(await catalog.namespaceExists(parent))) {
        throw new RestError(404, "NoSuchNamespaceException", `namespace ${parent.join(".")} does not exist`);
      }
      const [page, next] = paginate(await catalog.listNamespaces(parent), joinNamespace, query);
      return ok({ namespaces: page.map(namespaceJson), ...(next ? { "next-page-token": next } : {}) });
    },

    async createNamespace({ body }) {
      const req = parseCreateNamespace(await body());
      const namespace = checkNamespace(req.namespace);
      await catalog.createNamespace(namespace, req.properties);
      return ok({ namespace: namespaceJson(namespace), properties: req.properties });
    },

    async loadNamespace({ namespace }) {
      const ns = need(namespace, "namespace");
      return ok({ namespace: namespaceJson(ns), properties: await catalog.loadNamespaceProperties(ns) });
    },

    async namespaceExists({ namespace }) {
      const ns = need(namespace, "namespace");
      if (await catalog.namespaceExists(ns)) return noContent;
      throw new RestError(404, "NoSuchNamespaceException", `namespace ${ns.join(".")} does not exist`);
    },

    async dropNamespace({ namespace }) {
      await catalog.dropNamespace(need(namespace, "namespace"));
      return noContent;
    },

    async updateNamespaceProperties({ namespace, body }) {
      if (!canUpdateProps)
        throw unsupported(`the ${catalog.kind} catalog cannot update namespace properties`);
      const ns = need(namespace, "namespace");
      const req = parseUpdateNamespaceProperties(await body());
      const both = req.removals.filter((k) => Object.hasOwn(req.updates, k));
      if (both.length > 0) {
        throw new RestError(
          422,
          "UnprocessableEntityException",
          `properties both updated and removed: ${both.slice(0, 20).join(", ")}`,
        );
      }
      const updater = catalog as unknown as NamespacePropertiesUpdater;
      return ok(await updater.updateNamespaceProperties(ns, req.updates, req.removals));
    },

    async listTables({ namespace, query }) {
      const ns = need(namespace, "namespace");
      const [page, next] = paginate(await catalog.listTables(ns), (t) => t.name, query);
      return ok({ identifiers: page.map(identifierJson), ...(next ? { "next-page-token": next } : {}) });
    },

    async createTable({ namespace, body }) {
      const ns = need(namespace, "namespace");
      const req = parseCreateTable(await body());
      if (req.stageCreate) throw unsupported("stage-create (create transactions) is not supported");
      const name = checkName("table", req.name);
      if (req.location !== undefined) forbidLocation(s.allowCustomLocations, "a custom table location");
      const { [FORMAT_VERSION]: formatVersion, ...properties } = req.properties;
      if (formatVersion !== undefined && !["2", "3"].includes(formatVersion)) {
        throw badRequest(
          `format-version ${JSON.stringify(formatVersion)}: this server creates v2 or v3 tables`,
        );
      }
      let table = await catalog.createTable(ns, {
        name,
        schema: req.schema,
        ...(req.spec === undefined ? {} : { spec: req.spec }),
        ...(req.sortOrder === undefined ? {} : { sortOrder: req.sortOrder }),
        ...(req.location === undefined ? {} : { location: req.location }),
        properties,
      });
      const wanted = formatVersion === undefined ? undefined : Number(formatVersion);
      if (wanted !== undefined && wanted > table.metadata["format-version"]) {
        const ops = catalogTableOps(catalog, table.identifier);
        table = (await commitActions(ops, upgradeFormatVersionAction(wanted), { logger: s.logger })).table;
      }
      return ok(loadTableResult(table, tableConfig(table)));
    },

    async loadTable({ table, query, headers }) {
      const id = need(table, "table");
      const modeText = query.get("snapshots");
      if (modeText !== null && modeText !== "all" && modeText !== "refs") {
        throw badRequest("snapshots must be 'all' or 'refs'");
      }
      const mode: SnapshotsMode = modeText === "refs" ? "refs" : "all";
      const loaded = await catalog.loadTable(id);
      const etag = etagOf(loaded, mode);
      if (matchesEtag(headers["if-none-match"], etag)) return { status: 304, headers: { ETag: etag } };
      return ok(loadTableResult(loaded, tableConfig(loaded), mode), { ETag: etag });
    },

    async tableExists({ table }) {
      const id = need(table, "table");
      if (await catalog.tableExists(id)) return noContent;
      throw new RestError(404, "NoSuchTableException", `table ${formatIdentifier(id)} does not exist`);
    },

    async commitTable({ table, body }) {
      const id = need(table, "table");
      const req = parseCommitTable(await body());
      const same = (a: TableIdentifier) =>
        JSON.stringify([...a.namespace, a.name]) === JSON.stringify([...id.namespace, id.name]);
      if (req.identifier !== undefined && !same(req.identifier)) {
        throw badRequest(
          `the body names table ${formatIdentifier(req.identifier)}, the path ${formatIdentifier(id)}`,
        );
      }
      if (req.updates.some((u: TableUpdate) => u.action === "set-location")) {
        forbidLocation(s.allowCustomLocations, "set-location");
      }
      if (!s.allowForeignPaths && req.updates.some((u) => updatePaths(u).length > 0)) {
        checkUpdatePaths(await catalog.loadTable(id), req.updates);
      }
      const committed = await catalog.commitTable(id, req.requirements, req.updates);
      const result = loadTableResult(committed, undefined);
      return ok({ "metadata-location": result["metadata-location"], metadata: result.metadata });
    },

    async dropTable({ table, query }) {
      const id = need(table, "table");
      // PyIceberg sends Python's `True`/`False`.
      const purge = query.get("purgeRequested")?.toLowerCase();
      if (purge !== undefined && purge !== "" && purge !== "true" && purge !== "false") {
        throw badRequest("purgeRequested must be true or false");
      }
      await catalog.dropTable(id, { purge: purge === "true" });
      return noContent;
    },

    async reportMetrics({ table, body }) {
      const report = await body();
      if (typeof report !== "object" || report === null || Array.isArray(report)) {
        throw badRequest("a metrics report must be a JSON object");
      }
      s.logger.debug("metrics report", { table: formatIdentifier(need(table, "table")) });
      return noContent;
    },

    async renameTable({ body }) {
      if (!canRename) throw unsupported(`the ${catalog.kind} catalog cannot rename tables`);
      const req = parseRenameTable(await body());
      const from = {
        namespace: checkNamespace(req.source.namespace),
        name: checkName("table", req.source.name),
      };
      const to = {
        namespace: checkNamespace(req.destination.namespace),
        name: checkName("table", req.destination.name),
      };
      await (catalog as unknown as TableRenamer).renameTable(from, to);
      return noContent;
    },
  };
}
