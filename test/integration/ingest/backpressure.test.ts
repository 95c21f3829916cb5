import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { ROW_BYTES, Sink } from "../../../src/ingest/index.js";
import { createLogger } from "../../../src/log.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { createTopics, produce, stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, expectExactlyOnce, waitFor } from "./support.js";

// Memory bound: with buffer.maxBytes far below the backlog and no other trigger in reach (a long interval,
// huge size triggers), the sink must stop consuming while full, flush the buffers into the table's open
// files to make room (row groups streamed out, nothing committed), and go on: the buffer never holds much
// more than the limit, and every record lands exactly once, in one commit with one file per partition.
const PARTITIONS = 2;
const PER_PARTITION = 15_000;
const LIMIT = 1024 * 1024;

describe("sink: backpressure", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it("waits for flushes when buffer.maxBytes is reached, stays near the limit and loses nothing", async () => {
    const wh = await freshWarehouse("local");
    const topic = uniqueName("bp");
    const group = uniqueName("g");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    const value = (i: number) => JSON.stringify({ id: i, name: `record-${i}`, pad: "x".repeat(200) });
    await produce(kafka, topic, PARTITIONS, PARTITIONS * PER_PARTITION, (i) => ({
      value: value(i),
    }));

    const config = parseConfig({
      kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
      warehouse: { location: wh.warehouse },
      commit: { intervalMs: 3_600_000, maxRecords: 10_000_000, maxBytes: 1024 ** 3 },
      buffer: { maxBytes: LIMIT },
      tables: [{ topics: [topic], table: "bp.events" }],
    });
    const metrics = sinkMetrics();
    sink = new Sink({
      config,
      client: stackClient("floe-bp"),
      catalog: wh.catalog,
      io: wh.io,
      logger: createLogger({ level: process.env.BP_DEBUG ? "debug" : "error" }),
      metrics,
    });
    let maxBuffered = 0;
    let pausedSeen = false;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, metrics.bufferBytes.get({}) ?? 0);
      pausedSeen ||= metrics.paused.get({}) === 1;
    }, 5);
    const id = { namespace: ["bp"], name: "events" };
    const total = PARTITIONS * PER_PARTITION;
    try {
      await sink.start();
      // Consuming the whole backlog needs room the limit only gives back through commits.
      await waitFor(
        () => metrics.recordsIn.get({ topic }) >= total,
        Number(process.env.BP_WAIT ?? 120_000),
        "every record consumed",
      );
    } finally {
      clearInterval(sampler);
    }
    await sink.stop(); // commits the rest
    const table = await wh.catalog.loadTable(id);
    // ~7 MB buffered in all through a 1 MiB limit went out as many flushes into the open file, which
    // commits at stop (a slow machine may see a rebalance commit it once before): one file per commit.
    const withData = table.metadata.snapshots.filter((s) => Number(s.summary["added-records"] ?? 0) > 0);
    expect(withData.length).toBeGreaterThanOrEqual(1);
    expect(withData.length).toBeLessThanOrEqual(2);
    expect(withData.every((s) => s.summary["added-data-files"] === "1")).toBe(true);
    expect(pausedSeen).toBe(true);
    // The gauge counts buffered plus committing bytes: at most one record past the limit.
    expect(maxBuffered).toBeGreaterThan(LIMIT / 2);
    // (A record: its columns, at most its JSON text again plus slots, and the kept value.)
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + ROW_BYTES + 3 * value(total).length + 64);
    expect(await committedTotal(wh.catalog, id, group, topic)).toBe(BigInt(total));
    await expectExactlyOnce(table.metadataLocation, topic, PARTITIONS, PER_PARTITION);
  }, 180_000);
});
