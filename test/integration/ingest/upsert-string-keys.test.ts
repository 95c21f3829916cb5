import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, testLogger, waitFor } from "./support.js";

// String keys that look like numbers: values {"id": "1001", ...} keyed by a StringSerializer key
// "1001" (which is also the JSON number 1001). A tombstone must delete the row with the string key.
describe("sink: upsert with numeric-looking string keys", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it('a tombstone keyed "1001" deletes the row whose id is the string "1001"', async () => {
    const wh = await freshWarehouse("local");
    const topic = uniqueName("upsert-strkeys");
    const group = uniqueName("g");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: 1 }]);
    await admin.disconnect();
    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 1000, idleMs: 300 },
        tables: [{ topics: [topic], table: "cdc.strkeys", mode: "upsert", key: ["id"], onError: "fail" }],
      }),
      client: stackClient("floe-strkeys"),
      catalog: wh.catalog,
      io: wh.io,
      logger: testLogger(),
      metrics: sinkMetrics(),
    });
    await sink.start();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const id = { namespace: ["cdc"], name: "strkeys" };
    const send = async (messages: { key: string; value: string | null }[], total: number) => {
      await producer.send({ topic, messages, acks: -1 });
      await waitFor(
        async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(total),
        60_000,
        `${total} committed`,
      );
    };
    await send(
      ["1001", "1002", "abc"].map((k) => ({ key: k, value: JSON.stringify({ id: k, plan: "free" }) })),
      3,
    );
    await send(
      [
        { key: "1001", value: null },
        { key: "abc", value: null },
      ],
      5,
    );
    await producer.disconnect();
    const md = await wh.catalog.loadTable(id);
    const duck = await openDuckDB();
    try {
      const rows = await query(
        duck.conn,
        `SELECT id FROM iceberg_scan('${md.metadataLocation}') ORDER BY id`,
      );
      expect(rows.map((r) => r.id)).toEqual(["1002"]);
    } finally {
      duck.close();
    }

    // A brand-new table whose first flush opens with tombstones: the table's key type comes from the
    // rows after them ("2002" is a string here, not the JSON number the key also reads as).
    const first = { namespace: ["cdc"], name: "strkeys_first" };
    const topic2 = uniqueName("upsert-strkeys-first");
    const admin2 = kafka.admin();
    await admin2.connect();
    await createTopics(admin2, [{ topic: topic2, partitions: 1 }]);
    await admin2.disconnect();
    await sink.stop();
    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 1000, idleMs: 300 },
        tables: [
          { topics: [topic2], table: "cdc.strkeys_first", mode: "upsert", key: ["id"], onError: "fail" },
        ],
      }),
      client: stackClient("floe-strkeys-first"),
      catalog: wh.catalog,
      io: wh.io,
      logger: testLogger(),
      metrics: sinkMetrics(),
    });
    await sink.start();
    const producer2 = kafka.producer({ allowAutoTopicCreation: false });
    await producer2.connect();
    const row = (k: string) => ({ key: k, value: JSON.stringify({ id: k, plan: "pro" }) });
    await producer2.send({
      topic: topic2,
      messages: [
        { key: "2002", value: null }, // never seen
        row("2001"),
        row("2002"),
        row("2003"),
        { key: "2003", value: null },
      ],
      acks: -1,
    });
    await producer2.disconnect();
    await waitFor(
      async () => (await committedTotal(wh.catalog, first, group, topic2)) === 5n,
      60_000,
      "the first flush committed",
    );
    const md2 = await wh.catalog.loadTable(first);
    const duck2 = await openDuckDB();
    try {
      const rows = await query(
        duck2.conn,
        `SELECT id, plan FROM iceberg_scan('${md2.metadataLocation}') ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: "2001", plan: "pro" },
        { id: "2002", plan: "pro" },
      ]);
    } finally {
      duck2.close();
    }
  }, 180_000);
});
