import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  committedTotal,
  expectExactlyOnce,
  killRepeatedly,
  producePaced,
  SinkProcess,
  seededRandom,
  sinkConfig,
  tableOffsets,
  waitFor,
  writeConfig,
} from "./support.js";

// kill -9 the sink process at 10 random moments while it ingests 300k JSON records from 6 partitions
// (commit interval 1 s, so kills land between and during table commits, and between a table commit
// and the advisory Kafka offset commit), restarting it each time on the same group and warehouse.
// Then it runs to the end: the table holds every (partition, offset) exactly once.
const PARTITIONS = 6;
const TOTAL = 300_000;
const KILLS = 10;
const SEED = Number(process.env.FLOE_TEST_SEED ?? Date.now() % 2 ** 31);
// See test/support/sink-process.ts: how fast the group forgets a killed member, not sink behaviour.
const ENV = { FLOE_TEST_SESSION_TIMEOUT_MS: "6000" };

const makeRecord = (i: number) => ({
  key: `k${i}`,
  value: JSON.stringify({
    id: i,
    user: `user-${i % 977}`,
    amount: (i % 10_000) / 100,
    at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  }),
});

describe("sink: kill -9 during ingest", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  const topic = uniqueName("crash");
  const group = uniqueName("g");
  const id = { namespace: ["crash"], name: "events" };
  let configFile: string;
  const procs: SinkProcess[] = [];

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    configFile = await writeConfig(
      sinkConfig({
        brokers: stackEnv().FLOE_KAFKA_BROKERS,
        group,
        warehouse: wh.warehouse,
        intervalMs: 1000,
        tables: [
          {
            topics: [topic],
            table: "crash.events",
            onError: "fail",
            schema: {
              type: "struct",
              fields: [
                { id: 1, name: "id", required: true, type: "long" },
                { id: 2, name: "user", required: false, type: "string" },
                { id: 3, name: "amount", required: false, type: "double" },
                { id: 4, name: "at", required: true, type: "timestamptz" },
              ],
            },
          },
        ],
      }),
    );
  });

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
  });

  it("loses and duplicates nothing across 10 kills and restarts", async () => {
    console.log(`crash test seed ${SEED} (FLOE_TEST_SEED=${SEED} replays the kill choices)`);
    const random = seededRandom(SEED);
    // Records keep arriving during the kill phase (about 3k/s, slower than the sink reads);
    // the last 10% wait until it is over, so every kill lands with records still to ingest.
    const HELD_BACK = TOTAL - TOTAL / 10;
    const kafka = stackKafka("floe-crash-producer");
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const producing = (async () => {
      await producePaced(kafka, topic, PARTITIONS, HELD_BACK, 300, makeRecord);
      await released;
      await producePaced(kafka, topic, PARTITIONS, TOTAL, 0, makeRecord, HELD_BACK);
    })();
    const progress: bigint[] = [];
    await killRepeatedly({
      configFile,
      env: ENV,
      kills: KILLS,
      random,
      maxPauseMs: 7000,
      procs,
      afterKill: async () => {
        progress.push(await committedTotal(wh.catalog, id, group, topic));
      },
    });
    release();
    const last = SinkProcess.start(configFile, ENV);
    procs.push(last);
    await producing;
    console.log(`committed after each kill: ${progress.join(", ")}`);
    // The committed position never went back, and the restarts made progress.
    expect(progress).toEqual([...progress].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(progress.at(-1)).toBeGreaterThan(progress[0] ?? 0n);

    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(TOTAL),
      120_000,
      "all 300k records committed after the last restart",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${last.tail()}`);
    });
    last.kill("SIGTERM");
    expect((await last.exited).code).toBe(0);

    const offsets = await tableOffsets(wh.catalog, id, group, topic);
    expect([...offsets].sort(([a], [b]) => a - b)).toEqual(
      Array.from({ length: PARTITIONS }, (_, p) => [p, BigInt(TOTAL / PARTITIONS)]),
    );
    const table = await wh.catalog.loadTable(id);
    await expectExactlyOnce(table.metadataLocation, topic, PARTITIONS, TOTAL / PARTITIONS);
    // The rows are the records, not just the right offsets.
    const duck = await openDuckDB();
    try {
      const [row] = await query(
        duck.conn,
        `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s,
                count(*) FILTER (WHERE _kafka_partition = id % ${PARTITIONS}
                                   AND _kafka_offset = id // ${PARTITIONS}
                                   AND _kafka_key = 'k' || id::VARCHAR) AS placed
         FROM iceberg_scan('${table.metadataLocation}')`,
      );
      expect(row).toEqual({
        n: BigInt(TOTAL),
        ids: BigInt(TOTAL),
        s: BigInt((TOTAL * (TOTAL - 1)) / 2),
        placed: BigInt(TOTAL),
      });
    } finally {
      duck.close();
    }
  }, 240_000);
});
