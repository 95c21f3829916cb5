/**
 * `floe run` and `floe catalog serve`: wire config -> FileIO, catalog, Kafka, sink, HTTP endpoints;
 * stop gracefully on SIGTERM/SIGINT (commit what is buffered within the deadline, exit 0).
 */
import { type Catalog, s3TableConfig, startRestCatalogServer } from "../catalog/index.js";
import type { Config } from "../config.js";
import type { FloeError } from "../errors.js";
import { createKafkaClient, explainKafkaError, Sink } from "../ingest/index.js";
import type { Logger } from "../log.js";
import { startHttpServer } from "./http.js";
import { sinkMetrics } from "./metrics.js";
import { createCatalog, createFileIO } from "./wiring.js";

export interface RunOptions {
  logger: Logger;
  /** Called with a stop function; the CLI wires it to SIGTERM/SIGINT. */
  onStopSignal?: (stop: () => void) => void;
  shutdownDeadlineMs?: number;
}

/** Runs the sink until stopped; resolves with the process exit code. */
export async function runSink(config: Config, opts: RunOptions): Promise<number> {
  const { logger } = opts;
  const io = createFileIO(config, logger);
  const catalog = createCatalog(config, io, logger);
  const metrics = sinkMetrics();
  const sink = new Sink({ config, client: createKafkaClient(config, logger), catalog, io, logger, metrics });
  const http = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    registry: metrics.registry,
    health: sink,
  });
  logger.info("http endpoints up", { url: http.url, endpoints: "/healthz /readyz /metrics" });
  let stopping = false;
  opts.onStopSignal?.(() => {
    if (stopping) return;
    stopping = true;
    logger.info("stop requested: committing buffered records");
    void sink.stop(opts.shutdownDeadlineMs ?? 30_000);
  });
  let error: FloeError | undefined;
  try {
    await sink.start();
    error = await sink.waitUntilStopped();
  } catch (e) {
    await sink.stop(opts.shutdownDeadlineMs ?? 30_000).catch(() => undefined);
    if (!stopping) throw explainKafkaError(e, config.kafka);
    // Stopped while starting: the client's complaints about being disconnected are not an error.
    error = await sink.waitUntilStopped();
  } finally {
    await http.close();
  }
  if (error) {
    logger.error("sink stopped with an error", { error });
    return 1;
  }
  logger.info("sink stopped cleanly");
  return 0;
}

export interface ServeOptions {
  logger: Logger;
  host: string;
  port: number;
  token?: string;
  prefix?: string;
  /** Hand the warehouse's S3 keys to clients in each table's config (only behind a token!). */
  vendCredentials?: boolean;
  /** Accept commits naming files outside the table's location (statistics, manifest lists). */
  allowForeignPaths?: boolean;
  onStopSignal?: (stop: () => void) => void;
  onListening?: (url: string) => void;
}

/** Serves the configured catalog over the Iceberg REST API until stopped. */
export async function serveCatalog(
  config: Config,
  opts: ServeOptions,
  catalogOverride?: Catalog,
): Promise<number> {
  const io = createFileIO(config, opts.logger);
  const catalog = catalogOverride ?? createCatalog(config, io, opts.logger);
  const s = config.warehouse.storage;
  const onS3 = config.warehouse.location.startsWith("s3://");
  const server = await startRestCatalogServer({
    catalog,
    host: opts.host,
    port: opts.port,
    ...(opts.token === undefined ? {} : { token: opts.token }),
    ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
    allowForeignPaths: opts.allowForeignPaths === true,
    logger: opts.logger,
    ...(onS3
      ? {
          tableConfig: s3TableConfig(
            {
              ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint }),
              region: s.region,
              pathStyle: s.forcePathStyle || s.endpoint !== undefined,
              ...(s.accessKeyId && s.secretAccessKey
                ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } }
                : {}),
            },
            { credentials: opts.vendCredentials === true },
          ),
        }
      : {}),
  });
  opts.onListening?.(server.url);
  await new Promise<void>((resolve) => opts.onStopSignal?.(resolve));
  await server.close();
  return 0;
}
