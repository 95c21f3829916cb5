import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, formatIdentifier } from "../../../src/catalog/index.js";
import { parseConfig } from "../../../src/config.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { committedOffsets, Sink } from "../../../src/ingest/index.js";
import { silentLogger } from "../../../src/log.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, produce, stackClient, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";

// 200k JSON records over 2 topics x 3 partitions -> exactly those rows, one per (topic, partition,
// offset), with the declared types, readable by DuckDB and PyIceberg.
const PER_TOPIC = 100_000;
const PARTITIONS = 3;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("sink: JSON topics into tables", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  const topics = [uniqueName("clicks"), uniqueName("views")];
  const group = uniqueName("g");
  let sink: Sink;
  const metrics = sinkMetrics();

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(
      admin,
      topics.map((topic) => ({ topic, partitions: PARTITIONS })),
    );
    await admin.disconnect();
    for (const topic of topics) {
      await produce(kafka, topic, PARTITIONS, PER_TOPIC, (i) => ({
        key: `user-${i % 1000}`,
        value: JSON.stringify({
          id: i,
          user: `user-${i % 1000}`,
          amount: (i % 10_000) / 100,
          ok: i % 3 === 0,
          at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
          tags: i % 5 === 0 ? ["a", "b"] : [],
          device: { model: `m${i % 7}`, fw: i % 11 },
        }),
        headers: { source: "test" },
      }));
    }
    const config = parseConfig({
      kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
      warehouse: { location: wh.warehouse },
      commit: { intervalMs: 2000 },
      tables: [
        {
          topicPattern: `^(${topics.join("|")})$`,
          table: "events.{topic}",
          partitionBy: ["day(at)"],
          schema: {
            type: "struct",
            fields: [
              { id: 1, name: "id", required: true, type: "long" },
              { id: 2, name: "user", required: false, type: "string" },
              { id: 3, name: "amount", required: false, type: "double" },
              { id: 4, name: "ok", required: false, type: "boolean" },
              { id: 5, name: "at", required: true, type: "timestamptz" },
              {
                id: 6,
                name: "tags",
                required: false,
                type: { type: "list", "element-id": 9, element: "string", "element-required": false },
              },
              {
                id: 7,
                name: "device",
                required: false,
                type: {
                  type: "struct",
                  fields: [
                    { id: 10, name: "model", required: false, type: "string" },
                    { id: 11, name: "fw", required: false, type: "int" },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    sink = new Sink({
      config,
      client: stackClient("floe-sink"),
      catalog: wh.catalog,
      io: wh.io,
      logger: silentLogger,
      metrics,
    });
    await sink.start();
    await waitFor(
      async () => {
        for (const topic of topics) {
          const id = { namespace: ["events"], name: topic };
          if (!(await wh.catalog.tableExists(id))) return false;
          const offsets = committedOffsets((await wh.catalog.loadTable(id)).metadata, group).get(topic);
          const done = [...(offsets?.values() ?? [])].reduce((a, b) => a + b, 0n);
          if (done < BigInt(PER_TOPIC)) return false;
        }
        return true;
      },
      170_000,
      "all records committed",
    );
    await sink.stop();
  }, 300_000);

  afterAll(async () => {
    await sink?.stop();
  });

  it("commits every record exactly once, with Kafka metadata columns", async () => {
    const duck = await openDuckDB();
    try {
      for (const topic of topics) {
        const table = await wh.catalog.loadTable({ namespace: ["events"], name: topic });
        const rows = await query(
          duck.conn,
          `SELECT count(*) AS n, count(DISTINCT (_kafka_topic, _kafka_partition, _kafka_offset)) AS d,
                  count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi, sum(id) AS s,
                  count(*) FILTER (WHERE _kafka_key = 'user-' || (id % 1000)::VARCHAR) AS keys,
                  count(*) FILTER (WHERE _kafka_headers['source'] = 'test') AS headers
           FROM iceberg_scan('${table.metadataLocation}')`,
        );
        expect(rows[0]).toEqual({
          n: BigInt(PER_TOPIC),
          d: BigInt(PER_TOPIC),
          ids: BigInt(PER_TOPIC),
          lo: 0n,
          hi: BigInt(PER_TOPIC - 1),
          s: BigInt((PER_TOPIC * (PER_TOPIC - 1)) / 2),
          keys: BigInt(PER_TOPIC),
          headers: BigInt(PER_TOPIC),
        });
      }
    } finally {
      duck.close();
    }
  });

  it("infers types and partitions by day(at)", async () => {
    const table = await wh.catalog.loadTable({ namespace: ["events"], name: topics[0] ?? "" });
    const out = await runPython<{ iceberg_types: Record<string, string>; rows: unknown[] }>(
      "read_pyiceberg.py",
      [table.metadataLocation, "", "id < 3"],
    );
    expect(out.iceberg_types).toMatchObject({
      at: "timestamptz",
      id: "long",
      user: "string",
      amount: "double",
      ok: "boolean",
      _kafka_offset: "long",
      _kafka_timestamp: "timestamptz",
    });
    expect(out.rows).toHaveLength(3);
    expect(table.metadata["partition-specs"][0]?.fields[0]?.transform).toBe("day");
  });

  it("exports Prometheus metrics for what it did", () => {
    const text = metrics.registry.render();
    expect(text).toMatch(/floe_records_in_total\{topic="[^"]+"\} \d+/);
    expect(text).toMatch(/floe_commits_total\{outcome="committed",table="events\.[^"]+"\} \d+/);
    expect(
      metrics.recordsCommitted.get({
        table: formatIdentifier({ namespace: ["events"], name: topics[0] ?? "" }),
      }),
    ).toBe(PER_TOPIC);
  });
});
