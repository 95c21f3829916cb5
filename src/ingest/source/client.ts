/**
 * The kafkajs client for a validated config: brokers, TLS and SASL from `kafka.ssl` / `kafka.sasl`
 * (see security.ts), every record-batch codec registered, and the client's logs through our logger.
 */
import { Kafka, type LogEntry, logLevel } from "kafkajs";
import type { Config } from "../../config.js";
import type { Logger } from "../../log.js";
import { registerCodecs } from "./codecs.js";
import { kafkajsClient } from "./kafkajs.js";
import type { KafkaClient } from "./port.js";
import { kafkaSecurity } from "./security.js";

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
  return kafkajsClient(createKafka(config, logger), {
    producerCompression: config.dlq.compression,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
  });
}
