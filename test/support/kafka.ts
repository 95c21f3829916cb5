import { type Admin, Kafka, logLevel } from "kafkajs";
import { type KafkaClient, kafkajsClient, registerCodecs } from "../../src/ingest/index.js";
import { stackEnv } from "./stack.js";

/** A kafkajs client for the stack's broker, with every record-batch codec registered. */
export function stackKafka(clientId = "floe-test"): Kafka {
  registerCodecs();
  return new Kafka({ clientId, brokers: [stackEnv().FLOE_KAFKA_BROKERS], logLevel: logLevel.NOTHING });
}

/** The sink's client port over the stack's broker. */
export function stackClient(clientId = "floe-test"): KafkaClient {
  return kafkajsClient(stackKafka(clientId));
}

export async function createTopics(
  admin: Admin,
  topics: { topic: string; partitions: number }[],
): Promise<void> {
  await admin.createTopics({
    topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
    waitForLeaders: true,
  });
}

/** Produces `count` messages to a topic round-robin over its partitions, in batches. */
export async function produce(
  kafka: Kafka,
  topic: string,
  partitions: number,
  count: number,
  make: (i: number) => { key?: string; value: string | Buffer | null; headers?: Record<string, string> },
  batchSize = 2000,
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let start = 0; start < count; start += batchSize) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + batchSize); i++) {
        messages.push({ ...make(i), partition: i % partitions });
      }
      await producer.send({ topic, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}
