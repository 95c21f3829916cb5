import { afterAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { committedOffsets } from "../../../src/ingest/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  committedTotal,
  killRepeatedly,
  producePaced,
  SinkGroup,
  SinkProcess,
  seededRandom,
  sinkConfig,
  sleep,
  tableOffsets,
  waitFor,
  writeConfig,
} from "./support.js";

// Exactly-once for upserts while the sink's processes come and go, on a stream of changes over 8k keys
// (updates, tombstone deletes, re-inserts; a key always in the same partition):
// - kill -9 the sink at random moments, restarting it each time;
// - two sinks in one group rebalance: a third joins and leaves, one is frozen past the session timeout
//   and thawed as a zombie whose commits must lose.
// A replayed or zombie commit must never delete a row it should keep or keep one it should delete: every
// snapshot reads as exactly the model at its committed offsets (last value per key), one row per key.
const PARTITIONS = 4;
const KEYS = 8_000;
const SEED = Number(process.env.FLOE_TEST_SEED ?? Date.now() % 2 ** 31);
// See test/support/sink-process.ts: how fast the group forgets a dead or frozen member.
const ENV = { FLOE_TEST_SESSION_TIMEOUT_MS: "6000" };
const TABLE = { namespace: ["cdc"], name: "state" };

/** Change i's key: spread over the keys, always in partition i % PARTITIONS (producePaced's choice). */
const keyOf = (i: number) =>
  ((Math.imul(i, 2654435761) >>> 0) % (KEYS / PARTITIONS)) * PARTITIONS + (i % PARTITIONS);
const deletes = (i: number) => (Math.imul(i + 7, 40503) >>> 0) % 100 < 8;

const makeChange = (i: number) => {
  const id = keyOf(i);
  return { key: String(id), value: deletes(i) ? null : JSON.stringify({ id, v: i, note: `change ${i}` }) };
};

/**
 * The model, (id, v) by id, after the changes below `offsets` (next offset per partition; change i is
 * record i / PARTITIONS of partition i % PARTITIONS): changes of one key are in one partition, in order.
 */
function model(offsets: ReadonlyMap<number, bigint>): [number, number][] {
  const last = new Map<number, number>();
  const end = Math.max(0, ...[...offsets].map(([p, o]) => Number(o) * PARTITIONS + p));
  for (let i = 0; i < end; i++) {
    if (BigInt(Math.floor(i / PARTITIONS)) >= (offsets.get(i % PARTITIONS) ?? 0n)) continue;
    if (deletes(i)) last.delete(keyOf(i));
    else last.set(keyOf(i), i);
  }
  return [...last].sort(([a], [b]) => a - b);
}

/** Offsets at the end of changes [0, total). */
const allOf = (total: number) =>
  new Map(Array.from({ length: PARTITIONS }, (_, p): [number, bigint] => [p, BigInt(total / PARTITIONS)]));

/** A fresh warehouse, topic and group, and the config file of an upsert route between them. */
async function upsertRoute(prefix: string) {
  const wh = await freshWarehouse("local");
  const topic = uniqueName(prefix);
  const group = uniqueName("g");
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
      tables: [
        {
          topics: [topic],
          table: "cdc.state",
          onError: "fail",
          mode: "upsert",
          key: ["id"],
          // Checkpoints often, so restarts and new owners load some and catch up from others.
          keyIndexCheckpointSeconds: 3,
        },
      ],
    }),
  );
  return { wh, topic, group, configFile };
}

/**
 * Produces changes [0, total): all but the last tenth paced while the sinks come and go, the rest at
 * once after `release()`.
 */
function produceChanges(prefix: string, topic: string, total: number, pauseMs: number) {
  const kafka = stackKafka(`floe-${prefix}-producer`);
  const held = total - total / 10;
  let release = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const done = (async () => {
    await producePaced(kafka, topic, PARTITIONS, held, pauseMs, makeChange);
    await released;
    await producePaced(kafka, topic, PARTITIONS, total, 0, makeChange, held);
  })();
  return { done, release };
}

/** Every change committed: the table's offsets of every partition are at its end. */
async function waitAllCommitted(
  catalog: EmbeddedCatalog,
  group: string,
  topic: string,
  total: number,
  tails: () => string,
): Promise<void> {
  await waitFor(
    async () => (await committedTotal(catalog, TABLE, group, topic)) === BigInt(total),
    120_000,
    "every change committed",
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${tails()}`);
  });
  const offsets = await tableOffsets(catalog, TABLE, group, topic);
  expect([...offsets].sort(([a], [b]) => a - b)).toEqual([...allOf(total)]);
}

/**
 * Every snapshot of the table reads in DuckDB (time travel) as exactly the model at its committed
 * offsets, one row per key: a replayed or zombie commit never kept a row it should delete or deleted one
 * it should keep, not even for a while. Returns the table's metadata location.
 */
async function expectModel(catalog: EmbeddedCatalog, group: string, topic: string): Promise<string> {
  const table = await catalog.loadTable(TABLE);
  const md = table.metadata;
  const duck = await openDuckDB();
  const t0 = Date.now();
  try {
    for (const [i, snap] of md.snapshots.entries()) {
      const what = `snapshot ${i + 1}/${md.snapshots.length}`;
      const rows = await query(
        duck.conn,
        `SELECT id, v, count(*) OVER (PARTITION BY id) AS n
         FROM iceberg_scan('${table.metadataLocation}', snapshot_from_id => ${snap["snapshot-id"]})
         ORDER BY id, v`,
      );
      const twice = rows.filter((r) => Number(r.n) > 1).map((r) => Number(r.id));
      expect(twice, `keys with two live rows at ${what}`).toEqual([]);
      const offsets = committedOffsets({ ...md, "current-snapshot-id": snap["snapshot-id"] }, group);
      const want = model(offsets.get(topic) ?? new Map());
      const got = rows.map((r) => [Number(r.id), Number(r.v)]);
      expect(got.length, `rows at ${what}`).toBe(want.length);
      expect(got, what).toEqual(want);
    }
    console.log(`${md.snapshots.length} snapshots read as the model by DuckDB in ${Date.now() - t0} ms`);
    return table.metadataLocation;
  } finally {
    duck.close();
  }
}

describe("sink: kill -9 during an upsert stream", () => {
  const TOTAL = 60_000;
  const KILLS = 4;
  const procs: SinkProcess[] = [];

  afterAll(() => {
    for (const p of procs) p.kill("SIGKILL");
  });

  it("every snapshot holds exactly the last value per key across kills and restarts", async () => {
    console.log(`upsert crash test seed ${SEED} (FLOE_TEST_SEED=${SEED} replays the kill choices)`);
    const route = await upsertRoute("upsert-crash");
    const random = seededRandom(SEED);
    const producing = produceChanges("upsert-crash", route.topic, TOTAL, 250);
    await killRepeatedly({
      configFile: route.configFile,
      env: ENV,
      kills: KILLS,
      random,
      maxPauseMs: 6000,
      procs,
    });
    producing.release();
    const last = SinkProcess.start(route.configFile, ENV);
    procs.push(last);
    await producing.done;
    await waitAllCommitted(route.wh.catalog, route.group, route.topic, TOTAL, () => last.tail());
    last.kill("SIGTERM");
    expect((await last.exited).code).toBe(0);
    await expectModel(route.wh.catalog, route.group, route.topic);
  }, 300_000);
});

describe("sink: rebalances during an upsert stream", () => {
  const TOTAL = 48_000;
  let sinks: SinkGroup | undefined;

  afterAll(() => sinks?.killAll());

  it("every snapshot holds exactly the last value per key across joins, a leave and a zombie", async () => {
    const route = await upsertRoute("upsert-rebal");
    const group = new SinkGroup(route.configFile, ENV);
    sinks = group;
    const producing = produceChanges("upsert-rebal", route.topic, TOTAL, 500);
    const [a, b] = await Promise.all([group.start(), group.start()]);
    await sleep(2000);
    await group.joinLeaveAndEvict(a, b);
    producing.release();
    await producing.done;
    await waitAllCommitted(
      route.wh.catalog,
      route.group,
      route.topic,
      TOTAL,
      () => `--- A\n${a.tail(15)}\n--- B\n${b.tail(15)}`,
    );
    await Promise.all([group.stopGracefully(a), group.stopGracefully(b)]);
    console.log(`upsert rebalance: superseded (zombie) commits: ${group.supersededCommits()}`);

    const metadataLocation = await expectModel(route.wh.catalog, route.group, route.topic);
    const py = await runPython<{ rows: { id: string; v: string }[] }>("read_pyiceberg.py", [
      metadataLocation,
    ]);
    const pyRows = py.rows.map((r) => [Number(r.id), Number(r.v)]).sort(([a], [b]) => (a ?? 0) - (b ?? 0));
    expect(pyRows, "PyIceberg").toEqual(model(allOf(TOTAL)));
  }, 240_000);
});
