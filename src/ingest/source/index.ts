// The Kafka source port and its one adapter (kafkajs): the only code that imports a Kafka client.
// May import: errors, log, config, tls.

export { createKafka, createKafkaClient } from "./client.js";
export { CODEC_NAMES, type CodecName, compressionType, registerCodecs } from "./codecs.js";
export { classifyCrash, type KafkajsSourceOptions, kafkajsClient } from "./kafkajs.js";
export type {
  BatchControl,
  KafkaClient,
  OutgoingRecord,
  RecordProducer,
  Source,
  SourceBatch,
  SourceHandlers,
  SourceHeaders,
  SourceMessage,
  TopicPartitionOffset,
} from "./port.js";
export { explainKafkaError, type KafkaSecurity, kafkaSecurity } from "./security.js";
