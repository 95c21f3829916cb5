import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { stackEnv, uniqueName } from "../../support/stack.js";

describe("stack: Kafka (KRaft)", () => {
  it("produces a record and consumes it back from a new topic", async () => {
    const env = stackEnv();
    const kafka = new Kafka({
      clientId: "floe-smoke",
      brokers: [env.FLOE_KAFKA_BROKERS],
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName("smoke");
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(
        true,
      );
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: "k1", value: JSON.stringify({ hello: "floe" }), partition: 1, headers: { h: "v" } }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName("smoke-group") });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; partition: number; header: string }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no record consumed within 60s")), 60_000);
        void consumer.run({
          eachMessage: async ({ message, partition }) => {
            clearTimeout(timer);
            resolve({
              key: message.key?.toString() ?? "",
              value: message.value?.toString() ?? "",
              partition,
              header: message.headers?.h?.toString() ?? "",
            });
          },
        });
      },
    );
    await consumer.disconnect();
    expect(received).toEqual({ key: "k1", value: '{"hello":"floe"}', partition: 1, header: "v" });
  });
});
