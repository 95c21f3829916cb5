import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { Sink } from "../../../src/ingest/index.js";
import { silentLogger } from "../../../src/log.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { createTopics, stackClient, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { tableOffsets, waitFor } from "./support.js";

// A record batch the sink cannot decode, on a real broker: librdkafka writes an LZ4 batch into a
// running stream, and this sink's client has no LZ4 codec (removed from kafkajs's table for this file:
// what every Floe before the codecs did, and what any codec that fails on a corrupt batch does). The sink stops with DECODE_FAILED naming the topic,
// partition and offset instead of restarting its consumer forever, and commits nothing past the batch.

describe("sink: a record batch that cannot be decoded", () => {
  let sink: Sink | undefined;
  let lz4: (typeof CompressionCodecs)[CompressionTypes.LZ4] | undefined;
  afterAll(async () => {
    await sink?.stop();
    if (lz4) CompressionCodecs[CompressionTypes.LZ4] = lz4;
  });

  it("stops with DECODE_FAILED naming topic, partition and offset; nothing past it is committed", async () => {
    const topic = uniqueName("undecodable");
    const group = uniqueName("g-undecodable");
    const wh = await freshWarehouse("local");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const batch = (from: number) =>
      Array.from({ length: 10 }, (_, i) => ({ value: JSON.stringify({ id: from + i }) }));
    await producer.send({ topic, messages: batch(0), compression: CompressionTypes.GZIP }); // 0-9

    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 1000 },
        tables: [{ topics: [topic], table: "bad.batches", format: "json" }],
      }),
      client: stackClient("floe-undecodable"),
      catalog: wh.catalog,
      io: wh.io,
      logger: silentLogger,
      metrics: sinkMetrics(),
    });
    // This sink's client has no LZ4 codec (stackKafka registered every codec; take LZ4 out again).
    lz4 = CompressionCodecs[CompressionTypes.LZ4];
    Reflect.deleteProperty(CompressionCodecs, CompressionTypes.LZ4);
    await sink.start();
    const id = { namespace: ["bad"], name: "batches" };
    await waitFor(
      async () => (await tableOffsets(wh.catalog, id, group, topic)).get(0) === 10n,
      60_000,
      "the first batch committed",
    );

    const spec = join(tmpdir(), `${uniqueName("lz4")}.json`);
    await writeFile(
      spec,
      JSON.stringify({
        topic,
        compression: "lz4",
        records: Array.from({ length: 10 }, (_, i) => ({
          value: JSON.stringify({ id: 10 + i }),
          partition: 0,
        })),
      }),
    );
    await runPython("produce_librdkafka.py", [spec], { timeoutMs: 60_000 }); // 10-19, LZ4
    await producer.send({ topic, messages: batch(20), compression: CompressionTypes.GZIP }); // 20-29
    await producer.disconnect();

    const error = await Promise.race([
      sink.waitUntilStopped(),
      new Promise<"running">((r) => setTimeout(() => r("running"), 60_000)),
    ]);
    expect(error, "the sink kept running past an undecodable batch").not.toBe("running");
    expect(error).toMatchObject({ code: "DECODE_FAILED", retryable: false });
    const e = error as Error & { context: Record<string, unknown> };
    expect(e.message, e.message).toContain(`${topic}/0 at offset 10`);
    expect(e.context).toMatchObject({ topic, partition: 0, offset: 10n });
    expect((await tableOffsets(wh.catalog, id, group, topic)).get(0)).toBe(10n);
  });
});
