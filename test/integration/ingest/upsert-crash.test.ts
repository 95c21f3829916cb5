import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  committedTotal,
  killRepeatedly,
  producePaced,
  SinkProcess,
  seededRandom,
  sinkConfig,
  waitFor,
  writeConfig,
} from "./support.js";

// kill -9 the sink at random moments while it turns a stream of 60k changes over 8k keys (updates,
// tombstone deletes, re-inserts) into an upsert table, restarting it each time. A replayed commit must
// never delete a row it should keep or keep one it should delete: at the end the table is exactly the
// model (last value per key), one row per key.
const PARTITIONS = 4;
const TOTAL = 60_000;
const KEYS = 8_000;
const KILLS = 4;
const SEED = Number(process.env.FLOE_TEST_SEED ?? Date.now() % 2 ** 31);
const ENV = { FLOE_TEST_SESSION_TIMEOUT_MS: "6000" };

/** Change i's key: spread over the keys, always in partition i % PARTITIONS (producePaced's choice). */
const keyOf = (i: number) =>
  ((Math.imul(i, 2654435761) >>> 0) % (KEYS / PARTITIONS)) * PARTITIONS + (i % PARTITIONS);
const deletes = (i: number) => (Math.imul(i + 7, 40503) >>> 0) % 100 < 8;

const makeChange = (i: number) => {
  const id = keyOf(i);
  return { key: String(id), value: deletes(i) ? null : JSON.stringify({ id, v: i, note: `change ${i}` }) };
};

describe("sink: kill -9 during an upsert stream", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  const topic = uniqueName("upsert-crash");
  const group = uniqueName("g");
  const id = { namespace: ["cdc"], name: "state" };
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
            table: "cdc.state",
            onError: "fail",
            mode: "upsert",
            key: ["id"],
            // Checkpoints often, so restarts load some and catch up from others.
            keyIndexCheckpointSeconds: 3,
          },
        ],
      }),
    );
  });

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
  });

  it("ends with exactly the last value per key across kills and restarts", async () => {
    console.log(`upsert crash test seed ${SEED} (FLOE_TEST_SEED=${SEED} replays the kill choices)`);
    const random = seededRandom(SEED);
    const kafka = stackKafka("floe-upsert-crash-producer");
    const HELD_BACK = TOTAL - TOTAL / 10;
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const producing = (async () => {
      await producePaced(kafka, topic, PARTITIONS, HELD_BACK, 250, makeChange);
      await released;
      await producePaced(kafka, topic, PARTITIONS, TOTAL, 0, makeChange, HELD_BACK);
    })();
    await killRepeatedly({ configFile, env: ENV, kills: KILLS, random, maxPauseMs: 6000, procs });
    release();
    const last = SinkProcess.start(configFile, ENV);
    procs.push(last);
    await producing;
    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(TOTAL),
      120_000,
      "every change committed after the last restart",
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${last.tail()}`);
    });
    last.kill("SIGTERM");
    expect((await last.exited).code).toBe(0);

    // The model: changes of one key are all in one partition, in offset order.
    const model = new Map<number, number>();
    for (let i = 0; i < TOTAL; i++) {
      if (deletes(i)) model.delete(keyOf(i));
      else model.set(keyOf(i), i);
    }
    const table = await wh.catalog.loadTable(id);
    const duck = await openDuckDB();
    try {
      const rows = await query(
        duck.conn,
        `SELECT id, v FROM iceberg_scan('${table.metadataLocation}') ORDER BY id, v`,
      );
      const got = rows.map((r) => [Number(r.id), Number(r.v)]);
      const want = [...model].sort(([a], [b]) => a - b);
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    } finally {
      duck.close();
    }
  }, 300_000);
});
