/**
 * The HTTP request pipeline of the REST catalog server, as a plain node:http request listener (so the
 * service's own HTTP server can mount it too): auth (a bearer token, or without one loopback Host and
 * Origin only) -> parse the target -> route -> operation ->
 * JSON response (int64-safe) or the REST error model, plus one log line per request. Secrets (the
 * Authorization header, config values) are never logged; the query string is not logged either.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { FloeError } from "../../errors.js";
import { stringifyJson } from "../../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../../log.js";
import { type Catalog, formatIdentifier, type TableIdentifier } from "../catalog.js";
import { bearerAuth, checkLoopbackRequest } from "./auth.js";
import { DEFAULT_MAX_BODY_BYTES, readJson } from "./body.js";
import { type ErrorScope, errorBody, RestError, toRestError } from "./errors.js";
import { createOperations, type OperationContext, type Reply, type TableConfigSource } from "./operations.js";
import { parseTarget } from "./paths.js";
import { type Method, matchRoute, type Route } from "./routes.js";

export interface RestCatalogHandlerOptions {
  /** The catalog to expose; any implementation of the port. */
  catalog: Catalog;
  /**
   * When set, every request needs `Authorization: Bearer <token>` (16-4096 visible ASCII characters).
   * Without a token only requests whose Host and Origin headers are loopback are served (403 otherwise),
   * so that no web page (cross-origin posts, DNS rebinding) can reach a catalog on a developer's machine.
   */
  token?: string;
  /** Optional path prefix (`/v1/{prefix}/...`), announced to clients in the config `overrides`. */
  prefix?: string;
  /** When set, `/v1/config?warehouse=X` must name this warehouse (any name is accepted otherwise). */
  warehouse?: string;
  /** Catalog properties for clients: `defaults` (clients may override) and `overrides` (they may not). */
  defaults?: Readonly<Record<string, string>>;
  overrides?: Readonly<Record<string, string>>;
  /**
   * Extra `config` returned with every loaded or created table, e.g. FileIO settings and storage
   * credentials (`s3.endpoint`, `s3.access-key-id`, ...). Anyone who can call the server sees them.
   */
  tableConfig?: TableConfigSource;
  /** Also return the per-table config the catalog itself reports (e.g. vended by an upstream). */
  forwardCatalogConfig?: boolean;
  /** Allow `location` in create-table and `set-location` updates (default false: the catalog decides). */
  allowCustomLocations?: boolean;
  /**
   * Accept commits naming statistics files or manifest lists outside the table's data/ and metadata/
   * directories (default false: 400). Maintenance never deletes such files either way.
   */
  allowForeignPaths?: boolean;
  /** Request bodies above this size get 413 (default 4 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
}

export type RestCatalogHandler = (req: IncomingMessage, res: ServerResponse) => void;

const PREFIX = /^[A-Za-z0-9._~-]{1,128}$/;
const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "DELETE"]);

function checkOptions(o: RestCatalogHandlerOptions): void {
  if (o.prefix !== undefined && (!PREFIX.test(o.prefix) || o.prefix === "." || o.prefix === "..")) {
    throw new FloeError("CONFIG_INVALID", "the REST prefix must be 1-128 characters of [A-Za-z0-9._~-]");
  }
  const max = o.maxBodyBytes;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1024)) {
    throw new FloeError("CONFIG_INVALID", "maxBodyBytes must be an integer of at least 1024");
  }
}

function scopeOf(route: Route, method: Method): ErrorScope {
  return route.table !== undefined && method === "POST" && route.methods.POST === "commitTable"
    ? "commit"
    : route.scope;
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply, requestId: string): number {
  if (res.headersSent || res.destroyed) return 0;
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Request-Id": requestId,
    ...reply.headers,
  };
  if (reply.body === undefined || reply.status === 204 || reply.status === 304) {
    res.writeHead(reply.status, headers);
    res.end();
    return 0;
  }
  const text = stringifyJson(reply.body);
  const bytes = Buffer.byteLength(text);
  res.writeHead(reply.status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": String(bytes),
  });
  res.end(req.method === "HEAD" ? undefined : text);
  return bytes;
}

/** A node:http request listener serving `catalog` over the Iceberg REST API. */
export function createRestCatalogHandler(options: RestCatalogHandlerOptions): RestCatalogHandler {
  checkOptions(options);
  const logger = options.logger ?? silentLogger;
  const auth =
    options.token === undefined
      ? (_: string | undefined, req: IncomingMessage) => checkLoopbackRequest(req.headers)
      : bearerAuth(options.token);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const operations = createOperations({
    catalog: options.catalog,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.warehouse === undefined ? {} : { warehouse: options.warehouse }),
    defaults: options.defaults ?? {},
    overrides: options.overrides ?? {},
    ...(options.tableConfig === undefined ? {} : { tableConfig: options.tableConfig }),
    forwardCatalogConfig: options.forwardCatalogConfig ?? false,
    allowCustomLocations: options.allowCustomLocations ?? false,
    allowForeignPaths: options.allowForeignPaths ?? false,
    logger,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const requestId = randomUUID().slice(0, 8);
    const method = req.method ?? "";
    let scope: ErrorScope = "config";
    let template = "unmatched";
    let table: TableIdentifier | undefined;
    let namespace: readonly string[] | undefined;
    let reply: Reply;
    let failure: RestError | undefined;
    try {
      auth(req.headers.authorization, req);
      const target = parseTarget(req.url);
      const route = matchRoute(target.segments, options.prefix);
      template = route.template;
      table = route.table;
      namespace = route.namespace;
      const op = METHODS.has(method) ? route.methods[method as Method] : undefined;
      if (op === undefined) {
        throw new RestError(
          405,
          "MethodNotAllowedException",
          `${method} is not allowed on ${route.template}`,
          {
            Allow: Object.keys(route.methods).join(", "),
          },
        );
      }
      scope = scopeOf(route, method as Method);
      const ctx: OperationContext = {
        query: target.query,
        headers: req.headers,
        ...(route.namespace === undefined ? {} : { namespace: route.namespace }),
        ...(route.table === undefined ? {} : { table: route.table }),
        body: () => readJson(req, maxBody),
      };
      reply = await operations[op](ctx);
    } catch (e) {
      failure = toRestError(e, scope);
      reply = { status: failure.status, body: errorBody(failure), headers: { ...failure.headers } };
    }
    let bytes = 0;
    try {
      bytes = send(req, res, reply, requestId);
    } catch (e) {
      failure = toRestError(e, scope);
      reply = { status: failure.status, body: errorBody(failure) };
      bytes = send(req, res, reply, requestId);
    }
    const fields = {
      requestId,
      method,
      route: template,
      status: reply.status,
      ms: Math.round(performance.now() - started),
      bytes,
      ...(table !== undefined
        ? { table: formatIdentifier(table) }
        : namespace !== undefined
          ? { namespace: namespace.join(".") }
          : {}),
      ...(failure === undefined ? {} : { error: failure.type }),
    };
    if (failure !== undefined && failure.status >= 500) {
      const cause = failure.cause;
      logger.error("rest catalog request failed", {
        ...fields,
        message: failure.message,
        ...(cause instanceof Error ? { cause } : {}),
      });
    } else {
      logger.info("rest catalog request", fields);
    }
  };

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.error("rest catalog handler crashed", { error: e instanceof Error ? e : String(e) });
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end('{"error":{"message":"internal error","type":"InternalServerError","code":500}}');
      } else {
        res.destroy();
      }
    });
  };
}
