import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { Sink } from "../../../src/ingest/index.js";
import { silentLogger } from "../../../src/log.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { tableOffsets, waitFor } from "./support.js";

// A dead letter the dead-letter topic refuses (its max.message.bytes is below the record's size) on a
// real broker: it is sent again in a bounded form (value cut, headers saying so) and the sink goes on,
// instead of stopping on it at every restart.

describe("sink: a dead letter too large for the dead-letter topic", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it("lands in a bounded form and the sink goes on", async () => {
    const topic = uniqueName("big");
    const dlqTopic = uniqueName("big-dlq");
    const group = uniqueName("g-big");
    const wh = await freshWarehouse("local");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1 },
        { topic: dlqTopic, numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "20000" }] },
      ],
    });
    await admin.disconnect();
    const huge = `{"id": 2, "blob": "${"x".repeat(300_000)}"`; // not JSON (unterminated), ~300 KB
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ value: '{"id": 1}' }, { value: huge, headers: { trace: "abc" } }, { value: '{"id": 3}' }],
    });
    await producer.disconnect();

    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 1000 },
        dlq: { topic: dlqTopic },
        tables: [{ topics: [topic], table: "big.events", format: "json", onError: "dlq" }],
      }),
      client: stackClient("floe-big"),
      catalog: wh.catalog,
      io: wh.io,
      logger: silentLogger,
      metrics: sinkMetrics(),
    });
    await sink.start();
    const id = { namespace: ["big"], name: "events" };
    await waitFor(
      async () => (await tableOffsets(wh.catalog, id, group, topic)).get(0) === 3n,
      60_000,
      "all three records committed",
    );

    const letters: { value: Buffer | null; headers: Record<string, string> }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName("dlq-reader") });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        letters.push({ value: message.value, headers });
      },
    });
    await waitFor(() => letters.length >= 1, 30_000, "the dead letter");
    await consumer.disconnect();
    const [letter] = letters;
    expect(letter?.headers["floe.dlq.truncated"]).toBe("true");
    expect(letter?.headers["floe.dlq.original-size"]).toBe(String(Buffer.byteLength(huge)));
    expect(letter?.headers["floe.source.offset"]).toBe("1");
    expect(letter?.headers["floe.error.stage"]).toBe("decode");
    expect(letter?.headers.trace).toBe("abc");
    expect(letter?.value?.length).toBeGreaterThan(1000);
    expect(letter?.value?.toString()).toBe(huge.slice(0, letter?.value?.length));
  });
});
