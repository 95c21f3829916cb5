import { afterAll, beforeAll, describe, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  committedTotal,
  expectExactlyOnce,
  producePaced,
  SinkGroup,
  sinkConfig,
  sleep,
  waitFor,
  writeConfig,
} from "./support.js";

// Two sink processes share one group on a 6-partition topic while records are produced, and the group
// rebalances again and again: a third sink joins and leaves, one sink is frozen (SIGSTOP) until the
// group evicts it and then thawed while holding a stale buffer (a zombie whose commits must lose),
// and one is killed and replaced. At the end every (partition, offset) is in the table exactly once.
const PARTITIONS = 6;
const TOTAL = 240_000;
// See test/support/sink-process.ts: how fast the group forgets a dead or frozen member.
const ENV = { FLOE_TEST_SESSION_TIMEOUT_MS: "6000" };

const makeRecord = (i: number) => ({
  key: `k${i}`,
  value: JSON.stringify({ id: i, n: i % 1000, s: `v${i % 4099}` }),
});

describe("sink: rebalances between sink processes", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  const topic = uniqueName("rebal");
  const group = uniqueName("g");
  const id = { namespace: ["rebal"], name: "events" };
  let sinks: SinkGroup;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    const configFile = await writeConfig(
      sinkConfig({
        brokers: stackEnv().FLOE_KAFKA_BROKERS,
        group,
        warehouse: wh.warehouse,
        intervalMs: 1000,
        tables: [{ topics: [topic], table: "rebal.events", onError: "fail" }],
      }),
    );
    sinks = new SinkGroup(configFile, ENV);
  });

  afterAll(() => sinks?.killAll());

  it("commits every record exactly once across joins, leaves, an eviction and a kill", async () => {
    const kafka = stackKafka("floe-rebalance-producer");
    const held = TOTAL - 40_000;
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const producing = (async () => {
      await producePaced(kafka, topic, PARTITIONS, held, 250, makeRecord);
      await released;
      await producePaced(kafka, topic, PARTITIONS, TOTAL, 0, makeRecord, held);
    })();

    const a = await sinks.start();
    const b = await sinks.start();
    await sleep(3000);
    // 1-4. A third sink joins and leaves; B is evicted while frozen and comes back as a zombie.
    await sinks.joinLeaveAndEvict(a, b);
    await sleep(3000);

    // 5. A dies without leaving (kill -9); B takes everything, then a new A joins.
    const bAlone = sinks.reassigned(b, "rebalance after A was killed");
    a.kill("SIGKILL");
    await a.exited;
    await bAlone;
    await sleep(2000);
    const a2 = await sinks.start();

    release();
    await producing;
    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(TOTAL),
      90_000,
      "every record committed",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- A2\n${a2.tail(15)}\n--- B\n${b.tail(15)}`);
    });
    await Promise.all([sinks.stopGracefully(a2), sinks.stopGracefully(b)]);
    console.log(`superseded (zombie) commits: ${sinks.supersededCommits()}`);
    const table = await wh.catalog.loadTable(id);
    await expectExactlyOnce(table.metadataLocation, topic, PARTITIONS, TOTAL / PARTITIONS);
  }, 240_000);
});
