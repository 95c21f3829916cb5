import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { Sink } from "../../../src/ingest/index.js";
import { silentLogger } from "../../../src/log.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { stackClient, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { sleep, tableOffsets, waitFor } from "./support.js";

// Real offset gaps from a real broker: a librdkafka transactional producer that commits and aborts
// alternately (aborted records and transaction markers occupy offsets a read_committed consumer never
// sees), and a compacted topic whose cleaner removed records. The sink lands exactly the visible
// records, its committed offsets reach each partition's end (past the final marker), and a restart
// neither re-reads nor stalls.

const PARTITIONS = 2;

async function highWatermarks(topic: string): Promise<Map<number, bigint>> {
  const admin = stackKafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

async function produceTransactions(spec: Record<string, unknown>) {
  const file = join(tmpdir(), `${uniqueName("txn")}.json`);
  await writeFile(file, JSON.stringify(spec));
  return runPython<{ committed: number[]; aborted: number[] }>("produce_transactions.py", [file]);
}

describe("sink: transactions (read_committed) and compacted topics", () => {
  const group = uniqueName("g-txn");
  const txTopic = uniqueName("txn");
  const compactTopic = uniqueName("compacted");
  let wh: Awaited<ReturnType<typeof freshWarehouse>>;
  let sink: Sink | undefined;
  let committed: number[] = [];
  let aborted: number[] = [];
  const survivors = new Map<string, number>(); // compacted topic: key -> last value id

  const config = () =>
    parseConfig({
      kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
      warehouse: { location: wh.warehouse },
      commit: { intervalMs: 1000 },
      tables: [
        { topics: [txTopic], table: "tx.events", format: "json" },
        { topics: [compactTopic], table: "tx.compacted", format: "json" },
      ],
    });
  const startSink = async () => {
    const s = new Sink({
      config: config(),
      client: stackClient("floe-txn"),
      catalog: wh.catalog,
      io: wh.io,
      logger: silentLogger,
      metrics: sinkMetrics(),
    });
    await s.start();
    return s;
  };
  /** Every partition's committed offset has reached the topic's end. */
  const caughtUp = async (table: string, topic: string) => {
    const want = await highWatermarks(topic);
    const got = await tableOffsets(wh.catalog, { namespace: ["tx"], name: table }, group, topic);
    return [...want].every(([p, high]) => high === 0n || got.get(p) === high);
  };

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const admin = stackKafka().admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: txTopic, numPartitions: PARTITIONS },
        {
          topic: compactTopic,
          numPartitions: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.ms", value: "100" },
            { name: "min.cleanable.dirty.ratio", value: "0.001" },
            { name: "delete.retention.ms", value: "100" },
          ],
        },
      ],
    });
    await admin.disconnect();

    const out = await produceTransactions({
      topic: txTopic,
      partitions: PARTITIONS,
      transactions: 8,
      per_transaction: 50,
      transactional_id: uniqueName("tx"),
      compression: "gzip",
    });
    committed = out.committed;
    aborted = out.aborted;

    // The compacted topic: 20 keys rewritten in 6 rounds, each round in its own segment.
    const producer = stackKafka().producer();
    await producer.connect();
    let id = 0;
    for (let round = 0; round < 6; round++) {
      const messages = Array.from({ length: 20 }, (_, k) => {
        survivors.set(`key-${k}`, id);
        return { key: `key-${k}`, value: JSON.stringify({ id: id++, round }) };
      });
      await producer.send({ topic: compactTopic, messages });
      await sleep(300); // segment.ms passes: the next round rolls a new segment
    }
    await producer.disconnect();
    // Wait for the log cleaner (it wakes every 15 s by default) to remove superseded records.
    await waitFor(
      async () => (await visibleCount(compactTopic)) < id,
      90_000,
      "the log cleaner to compact the topic",
    );

    sink = await startSink();
    await waitFor(
      async () => (await caughtUp("events", txTopic)) && (await caughtUp("compacted", compactTopic)),
      120_000,
      "the sink to commit up to the end of both topics",
    );
  }, 300_000);

  afterAll(async () => {
    await sink?.stop();
  });

  it("lands every committed transaction's records once and no aborted record", async () => {
    expect(aborted.length).toBeGreaterThan(0);
    const duck = await openDuckDB();
    try {
      const md = (await wh.catalog.loadTable({ namespace: ["tx"], name: "events" })).metadataLocation;
      const rows = await query(duck.conn, `SELECT id FROM iceberg_scan('${md}') ORDER BY id`);
      expect(rows.map((r) => Number(r.id))).toEqual([...committed].sort((a, b) => a - b));
    } finally {
      duck.close();
    }
  });

  it("commits offsets past the final transaction marker of each partition", async () => {
    const got = await tableOffsets(wh.catalog, { namespace: ["tx"], name: "events" }, group, txTopic);
    const high = await highWatermarks(txTopic);
    expect(got).toEqual(high);
    // Each partition holds more offsets than visible records: markers and aborted records.
    const visible = committed.length;
    const total = [...high.values()].reduce((a, b) => a + b, 0n);
    expect(total).toBeGreaterThan(BigInt(visible + aborted.length));
  });

  it("lands exactly what survived compaction, across the cleaner's gaps", async () => {
    const duck = await openDuckDB();
    try {
      const md = (await wh.catalog.loadTable({ namespace: ["tx"], name: "compacted" })).metadataLocation;
      const rows = await query(
        duck.conn,
        `SELECT _kafka_key AS k, id, _kafka_offset AS o FROM iceberg_scan('${md}') ORDER BY o`,
      );
      expect(rows.length).toBe(await visibleCount(compactTopic));
      // The newest value of every key survives compaction, so it must be in the table.
      const byKey = new Map<string, number[]>();
      for (const r of rows) byKey.set(String(r.k), [...(byKey.get(String(r.k)) ?? []), Number(r.id)]);
      for (const [k, last] of survivors) expect(byKey.get(k)).toContain(last);
      const offsets = rows.map((r) => BigInt(r.o as bigint));
      expect(new Set(offsets).size).toBe(offsets.length);
    } finally {
      duck.close();
    }
  });

  it("restarts without re-reading or stalling, and goes on with new transactions", async () => {
    await sink?.stop();
    const before = (await wh.catalog.loadTable({ namespace: ["tx"], name: "events" })).metadata;
    const snapshotsBefore = before.snapshots.length;
    const more = await produceTransactions({
      topic: txTopic,
      partitions: PARTITIONS,
      transactions: 2,
      per_transaction: 10,
      first_id: 100_000,
      abort: "none",
      transactional_id: uniqueName("tx2"),
    });
    sink = await startSink();
    await waitFor(() => caughtUp("events", txTopic), 60_000, "the restarted sink to catch up");
    const duck = await openDuckDB();
    try {
      const md = (await wh.catalog.loadTable({ namespace: ["tx"], name: "events" })).metadataLocation;
      const rows = await query(
        duck.conn,
        `SELECT count(*) AS n, count(DISTINCT id) AS d FROM iceberg_scan('${md}')`,
      );
      const n = BigInt(committed.length + more.committed.length);
      expect(rows[0]).toEqual({ n, d: n });
    } finally {
      duck.close();
    }
    const after = (await wh.catalog.loadTable({ namespace: ["tx"], name: "events" })).metadata;
    expect(after.snapshots.length).toBeGreaterThan(snapshotsBefore);
  });
});

/** Records a read_committed consumer sees in a single-partition topic, read from the beginning. */
async function visibleCount(topic: string): Promise<number> {
  const kafka = stackKafka();
  const consumer = kafka.consumer({ groupId: uniqueName("count"), readUncommitted: false });
  const high = (await highWatermarks(topic)).get(0) ?? 0n;
  let seen = 0;
  let done = high === 0n;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (BigInt(batch.lastOffset()) + 1n >= high) done = true;
      },
    });
    await waitFor(() => done, 30_000, `reading ${topic} to its end`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
