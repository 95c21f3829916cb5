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
// "1001" (which is also the JSON number 1001). A tombstone must delete the row with the string key,
// also when it comes before the table exists (its first flush opens with tombstones).
describe("sink: upsert with numeric-looking string keys", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it('a tombstone keyed "1001" deletes the row whose id is the string "1001"', async () => {
    const wh = await freshWarehouse("local");
    const topics = [uniqueName("upsert-strkeys"), uniqueName("upsert-strkeys-first")];
    const group = uniqueName("g");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(
      admin,
      topics.map((topic) => ({ topic, partitions: 1 })),
    );
    await admin.disconnect();
    const names = ["strkeys", "strkeys_first"];
    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 1000, idleMs: 300 },
        tables: topics.map((topic, i) => ({
          topics: [topic],
          table: `cdc.${names[i]}`,
          mode: "upsert",
          key: ["id"],
          onError: "fail",
        })),
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
    const send = async (t: number, messages: { key: string; value: string | null }[], total: number) => {
      const topic = topics[t] as string;
      await producer.send({ topic, messages, acks: -1 });
      const id = { namespace: ["cdc"], name: names[t] as string };
      await waitFor(
        async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(total),
        60_000,
        `${total} committed to ${id.name}`,
      );
    };
    const rowsOf = async (name: string) => {
      const md = await wh.catalog.loadTable({ namespace: ["cdc"], name });
      const duck = await openDuckDB();
      try {
        return await query(
          duck.conn,
          `SELECT id, plan FROM iceberg_scan('${md.metadataLocation}') ORDER BY id`,
        );
      } finally {
        duck.close();
      }
    };
    const row = (k: string, plan = "free") => ({ key: k, value: JSON.stringify({ id: k, plan }) });

    await send(0, [row("1001"), row("1002"), row("abc")], 3);
    await send(
      0,
      [
        { key: "1001", value: null },
        { key: "abc", value: null },
      ],
      5,
    );
    expect(await rowsOf("strkeys")).toEqual([{ id: "1002", plan: "free" }]);

    // A brand-new table whose first flush opens with a tombstone: the table's key type comes from the
    // rows after it ("2002" is a string here, not the JSON number the key also reads as).
    await send(
      1,
      [
        { key: "2002", value: null }, // never seen
        row("2001", "pro"),
        row("2002", "pro"),
        row("2003", "pro"),
        { key: "2003", value: null },
      ],
      5,
    );
    expect(await rowsOf("strkeys_first")).toEqual([
      { id: "2001", plan: "pro" },
      { id: "2002", plan: "pro" },
    ]);
    await producer.disconnect();
  }, 180_000);
});
