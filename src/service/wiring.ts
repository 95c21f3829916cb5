/**
 * Builds the runtime pieces from a validated config: the FileIO for the warehouse and the catalog
 * (embedded | rest | glue). The Kafka client comes from ingest/source (`createKafkaClient`).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Catalog, EmbeddedCatalog, GlueCatalog, RestCatalog } from "../catalog/index.js";
import type { Config } from "../config.js";
import { type FileIO, RoutingFileIO } from "../iceberg/io/index.js";
import type { Logger } from "../log.js";

/** `file://./warehouse` and other relative file locations become absolute file URLs. */
export function warehouseLocation(location: string, cwd = process.cwd()): string {
  if (!location.startsWith("file://")) return location.replace(/\/+$/, "");
  const path = location.slice("file://".length);
  if (path.startsWith("/")) return location.replace(/\/+$/, "");
  return pathToFileURL(resolve(cwd, path)).href.replace(/\/+$/, "");
}

export function createFileIO(config: Config, logger: Logger): FileIO {
  const s = config.warehouse.storage;
  return new RoutingFileIO({
    logger,
    s3: {
      ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint }),
      region: s.region,
      pathStyle: s.forcePathStyle || s.endpoint !== undefined,
      ...(s.accessKeyId && s.secretAccessKey
        ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } }
        : {}),
    },
  });
}

export function createCatalog(config: Config, io: FileIO, logger: Logger): Catalog {
  const c = config.catalog;
  switch (c.type) {
    case "embedded":
      return new EmbeddedCatalog({ warehouse: warehouseLocation(config.warehouse.location), io, logger });
    case "rest":
      return new RestCatalog({
        uri: c.uri,
        ...(c.warehouse === undefined ? {} : { warehouse: c.warehouse }),
        ...(c.prefix === undefined ? {} : { prefix: c.prefix }),
        ...(c.token === undefined ? {} : { token: c.token }),
        ...(c.credential === undefined ? {} : { credential: c.credential }),
        ...(c.scope === undefined ? {} : { scope: c.scope }),
        headers: c.headers,
        logger,
      });
    case "glue":
      return new GlueCatalog({
        region: c.region,
        ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }),
        ...(c.catalogId === undefined ? {} : { catalogId: c.catalogId }),
        warehouse: warehouseLocation(config.warehouse.location),
        io,
        logger,
      });
  }
}
