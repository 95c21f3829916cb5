/**
 * `startRestCatalogServer`: a node:http server around the REST catalog handler, with a graceful
 * close (stop accepting, let in-flight requests finish, drop idle keep-alive sockets, force-close what
 * is left after a deadline). Binds to 127.0.0.1 unless told otherwise; another address needs a token.
 * Slow clients are cut: headers must arrive within `headersTimeoutMs`, the whole request within
 * `requestTimeoutMs`, checked every second (Node checks every 30 s by default, which held slow-loris
 * connections for minutes).
 *
 * Clients (verified against the local stack): with `tableConfig: s3TableConfig(...)` the storage
 * settings travel in each table's `config` and clients need only the URI, the warehouse name and the
 * token:
 *   DuckDB 1.4  ATTACH '<warehouse>' AS c (TYPE iceberg, ENDPOINT '<url>', AUTHORIZATION_TYPE 'none')
 *               or ... TOKEN '<token>' (or SECRET of TYPE iceberg with TOKEN); it lists top-level
 *               namespaces only, nested ones are queried as c."a.b".t
 *   PyIceberg   RestCatalog(name, uri=<url>, warehouse=<warehouse>, token=<token>)
 *   Spark       spark.sql.catalog.c=org.apache.iceberg.spark.SparkCatalog, .type=rest, .uri, .warehouse, .token
 * The prefix, when set, reaches all three through the config `overrides`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FloeError } from "../../errors.js";
import { silentLogger } from "../../log.js";
import { isLoopbackHost } from "./auth.js";
import { createRestCatalogHandler, type RestCatalogHandlerOptions } from "./handler.js";

export interface RestCatalogServerOptions extends RestCatalogHandlerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default 8181; 0 picks a free one). */
  port?: number;
  /** How long close() waits for in-flight requests before cutting connections (default 10 s). */
  closeTimeoutMs?: number;
  /** A request's headers must arrive within this long (default 10 s). */
  headersTimeoutMs?: number;
  /** A whole request (headers and body) must arrive within this long (default 30 s). */
  requestTimeoutMs?: number;
}

export interface RestCatalogServer {
  /** Base URL clients use as the catalog `uri`, e.g. `http://127.0.0.1:8181`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting requests, waits for in-flight ones (bounded), then closes every connection. */
  close(): Promise<void>;
}

/** Starts serving `options.catalog` over the Iceberg REST API; resolves once listening. */
export async function startRestCatalogServer(options: RestCatalogServerOptions): Promise<RestCatalogServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8181;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FloeError("CONFIG_INVALID", `invalid port ${port}`);
  }
  if (options.token === undefined && !isLoopbackHost(host)) {
    throw new FloeError(
      "CONFIG_INVALID",
      `the REST catalog server binds to ${host}, beyond loopback, so it needs a token (FLOE_CATALOG_TOKEN for floe catalog serve)`,
    );
  }
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const logger = options.logger ?? silentLogger;
  const handler = createRestCatalogHandler(options);
  let closing = false;
  let inFlight = 0;
  const server: Server = createServer(
    {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    },
    (req, res) => {
      inFlight++;
      res.once("close", () => inFlight--);
      if (closing) res.setHeader("Connection", "close");
      handler(req, res);
    },
  );
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) =>
      reject(new FloeError("IO_ERROR", `cannot listen on ${host}:${port}: ${e.message}`, { cause: e }));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (e) => logger.error("rest catalog server error", { error: e }));
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  logger.info("rest catalog server listening", {
    url,
    catalog: options.catalog.kind,
    auth: options.token === undefined ? "none" : "bearer",
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + (options.closeTimeoutMs ?? 10_000);
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        server.closeIdleConnections();
      }
      if (inFlight > 0) logger.warn("rest catalog server closing with requests in flight", { inFlight });
      server.closeAllConnections();
      await done;
      logger.info("rest catalog server closed", { url });
    })();
    return closed;
  };
  return { url, host: address.address, port: address.port, close };
}
