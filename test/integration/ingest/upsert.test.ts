import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Catalog, Table } from "../../../src/catalog/index.js";
import { compactTable } from "../../../src/compaction/index.js";
import { parseConfig } from "../../../src/config.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, testLogger, waitFor } from "./support.js";

// An upsert route end to end against the real broker: inserts, updates (several per key within one
// commit), tombstone deletes, re-inserts after deletes; after every commit the table read by DuckDB is
// the model (last value per key). Then a restart (the key index comes from its checkpoint, not a
// rescan), a compaction that rewrites the files the index points into, and more changes on top.
const PARTITIONS = 2;

type Change = { id: number; name?: string; v?: number };

describe("sink: upsert tables", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  // With a key index budget of about 60 keys: its sorted run lives on disk (spilled) after the inserts.
  it("keeps one row per key through updates, deletes, a restart and a compaction", async () => {
    const keyIndexSpillDir = await mkdtemp(join(tmpdir(), "floe-upsert-spill-"));
    await scenario({ keyIndexMemoryMB: 0.001, keyIndexSpillDir });
    await rm(keyIndexSpillDir, { recursive: true, force: true });
  }, 240_000);

  // Partitioned by a field that changes with the key's updates (rows move between partitions: their old
  // row is deleted in the old partition), as a format v3 table (deletion vectors).
  it("moves keys between partitions of a v3 table with deletion vectors", async () => {
    await scenario({ partitionBy: ["region"], properties: { "format-version": "3" } });
  }, 240_000);

  // The opt-in for engines that want equality deletes: no key index; DuckDB applies them.
  it("deletes by key equality when the table asks for it", async () => {
    await scenario({ properties: { "floe.upsert.deletes": "equality" } });
  }, 240_000);

  async function scenario(opts: {
    partitionBy?: string[];
    properties?: Record<string, string>;
    keyIndexMemoryMB?: number;
    keyIndexSpillDir?: string;
  }) {
    const wh = await freshWarehouse("local");
    const topic = uniqueName("upsert");
    const group = uniqueName("g");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const id = { namespace: ["cdc"], name: "customers" };
    const model = new Map<number, { name: string; v: number }>();
    let sent = 0;

    const start = async () => {
      sink = new Sink({
        config: parseConfig({
          kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
          warehouse: { location: wh.warehouse },
          commit: { intervalMs: 1000, idleMs: 300 },
          tables: [
            {
              topics: [topic],
              table: "cdc.customers",
              mode: "upsert",
              key: ["id"],
              keyIndexCheckpointSeconds: 1,
              ...opts,
            },
          ],
        }),
        client: stackClient("floe-upsert"),
        catalog: wh.catalog,
        io: wh.io,
        logger: testLogger(),
        metrics: sinkMetrics(),
      });
      await sink.start();
    };

    const send = async (changes: Change[]) => {
      const messages = changes.map((c) => ({
        key: String(c.id),
        partition: c.id % PARTITIONS,
        value:
          c.name === undefined
            ? null
            : JSON.stringify({ id: c.id, name: c.name, v: c.v, region: `r${(c.v ?? 0) % 3}` }),
      }));
      await producer.send({ topic, messages, acks: -1 });
      for (const c of changes) {
        if (c.name === undefined) model.delete(c.id);
        else model.set(c.id, { name: c.name, v: c.v ?? 0 });
      }
      sent += changes.length;
      await waitFor(
        async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(sent),
        60_000,
        `${sent} changes committed`,
      );
      await expectModel(wh.catalog, model);
    };

    await start();
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    // Inserts.
    await send(range(0, 200).map((i) => ({ id: i, name: `c${i}`, v: 1 })));
    // Updates (key 5 three times in one commit), tombstones, an update of a key never seen.
    await send([
      ...range(0, 100).map((i) => ({ id: i, name: `c${i}-b`, v: 2 })),
      { id: 5, name: "five-c", v: 3 },
      { id: 5, name: "five-d", v: 4 },
      ...range(150, 170).map((i) => ({ id: i })),
      { id: 999 },
      { id: 1000, name: "new", v: 1 },
    ]);
    await new Promise((r) => setTimeout(r, 1100)); // the next commit writes a key index checkpoint
    // Re-inserts after deletes, a delete and re-insert of one key within a commit.
    await send([
      ...range(150, 155).map((i) => ({ id: i, name: `back${i}`, v: 5 })),
      { id: 7 },
      { id: 7, name: "seven-again", v: 6 },
      { id: 8, name: "eight-last", v: 7 },
      { id: 8 },
    ]);
    const spillDir = opts.keyIndexSpillDir;
    // Spilled: the index made its directory (this process, this table) for its run file (unlinked
    // once open).
    if (spillDir !== undefined) expect(readdirSync(spillDir)).toHaveLength(1);
    let md = (await wh.catalog.loadTable(id)).metadata;
    const equality = opts.properties?.["floe.upsert.deletes"] === "equality";
    const deletes = md.snapshots.map((s) =>
      Number(s.summary[equality ? "added-equality-deletes" : "added-position-deletes"] ?? 0),
    );
    expect(deletes.reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(md.properties["floe.upsert.key"]).toBe("id");
    if (opts.properties?.["format-version"] === "3") {
      expect(md["format-version"]).toBe(3);
      expect(md.snapshots.some((s) => Number(s.summary["added-dvs"] ?? 0) > 0)).toBe(true);
    }

    // Restart: the new sink loads the latest checkpoint (written with a commit at least a second after
    // the previous one) and catches up from there.
    await sink?.stop();
    if (spillDir !== undefined) expect(readdirSync(spillDir)).toEqual([]); // removed at stop
    md = (await wh.catalog.loadTable(id)).metadata;
    expect(md.snapshots.some((s) => s.summary["floe.key-index"] !== undefined)).toBe(!equality);
    await start();
    await send(range(0, 50).map((i) => ({ id: i, name: `c${i}-after-restart`, v: 8 })));

    // Compaction rewrites every file the index points into; the sink catches up and goes on.
    await compact(wh.catalog, wh.io, id);
    md = (await wh.catalog.loadTable(id)).metadata;
    await send([...range(20, 60).map((i) => ({ id: i, name: `c${i}-after-compaction`, v: 9 })), { id: 1 }]);
    await producer.disconnect();
    await sink?.stop();
    sink = undefined;
  }
});

async function compact(catalog: Catalog, io: FileIO, id: { namespace: string[]; name: string }) {
  const table = new Table(catalog, await catalog.loadTable(id), io);
  const result = await compactTable(table, { lease: false });
  expect(result.status, result.error).toBe("ok");
  expect(result.filesAfter).toBeLessThan(result.filesBefore);
  expect(result.deleteFilesAfter).toBe(0);
}

async function expectModel(catalog: Catalog, model: ReadonlyMap<number, { name: string; v: number }>) {
  const md = await catalog.loadTable({ namespace: ["cdc"], name: "customers" });
  const duck = await openDuckDB();
  try {
    const rows = (await query(
      duck.conn,
      `SELECT id, name, v FROM iceberg_scan('${md.metadataLocation}') ORDER BY id`,
    )) as { id: bigint; name: string; v: bigint }[];
    const want = [...model]
      .sort(([a], [b]) => a - b)
      .map(([id, r]) => ({ id: BigInt(id), name: r.name, v: BigInt(r.v) }));
    expect(rows.map((r) => ({ id: BigInt(r.id), name: r.name, v: BigInt(r.v) }))).toEqual(want);
  } finally {
    duck.close();
  }
}
