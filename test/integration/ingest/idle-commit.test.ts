import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { createTopics, produce, stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, expectExactlyOnce, testLogger, waitFor } from "./support.js";

// The end of a backlog commits once records stop (commit.idleMs), not at the next interval tick. With an
// hour-long interval: 100 records (= commit.maxRecords) are written into the table's open file by size,
// which marks a drain; 20 more, too few for any size limit, follow; all 120 must then commit once no
// further records come, as one snapshot with one file (a size limit writes row groups, not commits).
const FIRST = 100;
const TAIL = 20;

describe("sink: end of a backlog", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it("commits the open file and what is left once no records arrive after a size-triggered flush", async () => {
    const wh = await freshWarehouse("local");
    const topic = uniqueName("idle");
    const group = uniqueName("g");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: 1 }]);
    await admin.disconnect();
    const value = (i: number) => ({ value: JSON.stringify({ id: i, name: `record-${i}` }) });

    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        commit: { intervalMs: 3_600_000, maxRecords: FIRST, idleMs: 500 },
        tables: [{ topics: [topic], table: "idle.events" }],
      }),
      client: stackClient("floe-idle"),
      catalog: wh.catalog,
      io: wh.io,
      logger: testLogger(),
      metrics: sinkMetrics(),
    });
    await sink.start();
    const id = { namespace: ["idle"], name: "events" };
    await produce(kafka, topic, 1, FIRST, value);
    await produce(kafka, topic, 1, TAIL, (i) => value(FIRST + i));
    // Well inside the hour-long interval: only the idle commit can commit these.
    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(FIRST + TAIL),
      60_000,
      "the backlog committed",
    );
    const table = await wh.catalog.loadTable(id);
    expect(table.metadata.snapshots.map((s) => Number(s.summary["added-records"]))).toEqual([FIRST + TAIL]);
    expect(table.metadata.snapshots.map((s) => Number(s.summary["added-data-files"]))).toEqual([1]);
    await expectExactlyOnce(table.metadataLocation, topic, 1, FIRST + TAIL);
  }, 120_000);
});
