/**
 * Builds the runtime pieces from a validated config: the FileIO for the warehouse, the catalog
 * (embedded | rest | glue) and a kafkajs client whose logs go through our logger, with TLS and SASL
 * from `kafka.ssl` / `kafka.sasl` (see kafka-security.ts).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Kafka, type LogEntry, logLevel } from "kafkajs";
import { type Catalog, EmbeddedCatalog, GlueCatalog, RestCatalog } from "../catalog/index.js";
import type { Config } from "../config.js";
import { type FileIO, RoutingFileIO } from "../iceberg/io/index.js";
import { type KafkaClient, kafkajsClient, registerCodecs } from "../ingest/index.js";
import type { Logger } from "../log.js";
import { kafkaSecurity } from "./kafka-security.js";

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
      return new EmbeddedCatalog({ warehouse: warehouseLocation(config.warehouse.location), io });
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

export function createKafka(config: Config, logger: Logger): Kafka {
  registerCodecs();
  const k = config.kafka;
  const log = logger.child({ component: "kafka" });
  return new Kafka({
    clientId: k.clientId,
    brokers: k.brokers,
    ...kafkaSecurity(k, logger),
    logLevel: config.log.level === "debug" ? logLevel.INFO : logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const fields = { ...rest, broker: rest.broker };
        if (level <= logLevel.ERROR) log.error(message, fields);
        else if (level === logLevel.WARN) log.warn(message, fields);
        else log.debug(message, fields);
      },
  });
}

/** The sink's Kafka client (consumer and dead-letter producer) for a validated config. */
export function createKafkaClient(config: Config, logger: Logger): KafkaClient {
  return kafkajsClient(createKafka(config, logger), { producerCompression: config.dlq.compression });
}
