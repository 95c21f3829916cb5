import avsc from "avsc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { parseConfig } from "../../../src/config.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { currentSchema } from "../../../src/iceberg/spec/index.js";
import { avscOptions } from "../../../src/ingest/decode/avro.js";
import { wireHeader } from "../../../src/ingest/decode/index.js";
import { Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, produce, stackClient, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { registerSchema } from "../../support/registry.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, testLogger, waitFor } from "./support.js";

// Avro records in the Confluent wire format, written by producers on two versions of the schema (v2
// adds an optional field), land in one table on an S3 warehouse: the table evolves once, the new
// column is null for every v1 row (also for v1 records that arrive after v2 ones), and DuckDB and
// PyIceberg read it all.
//
// The registry is a real one: the stack's Apicurio Registry, through its Confluent-compatible API
// (Confluent's own registry is not on the package registries the stack provisions from). Both versions
// are registered under the topic's subject, as producers' serializers register them.

const V1 = {
  type: "record",
  name: "Event",
  namespace: "floe.it",
  fields: [
    { name: "id", type: "long" },
    { name: "name", type: "string" },
    { name: "amount", type: "double" },
    { name: "at", type: { type: "long", logicalType: "timestamp-micros" } },
    { name: "tags", type: { type: "array", items: "string" } },
  ],
};
const V2 = { ...V1, fields: [...V1.fields, { name: "region", type: ["null", "string"], default: null }] };
// The ids the registry hands out when the test registers the two versions.
let v1Id = 0;
let v2Id = 0;
const PARTITIONS = 3;
// ids [0, 4000): v1 before the table exists; [4000, 8000): v2; [8000, 10000): v1 again, interleaved.
const TOTAL = 10_000;

const regionOf = (i: number) => (i % 4 === 0 ? null : `r${i % 5}`);

function encode(i: number): Buffer {
  const v2 = i >= 4000 && i < 8000;
  const type = v2 ? typeV2 : typeV1;
  const base = {
    id: BigInt(i),
    name: `n${i}`,
    amount: i / 4,
    at: 1_700_000_000_000_000n + BigInt(i) * 1000n,
    tags: i % 3 === 0 ? [] : [`t${i % 3}`, "x"],
  };
  const value = v2 ? { ...base, region: regionOf(i) } : base;
  return Buffer.concat([wireHeader(v2 ? v2Id : v1Id), type.toBuffer(value)]);
}
const typeV1 = avsc.Type.forSchema(V1 as never, avscOptions({}) as never);
const typeV2 = avsc.Type.forSchema(V2 as never, avscOptions({}) as never);

describe("sink: Avro with two schema versions", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let sink: Sink | undefined;
  const topic = uniqueName("avro");
  const group = uniqueName("g");
  const id = { namespace: ["avro"], name: "events" };
  let schemasAfterV1 = 0;

  beforeAll(async () => {
    wh = await freshWarehouse("s3");
    v1Id = await registerSchema(`${topic}-value`, { schema: JSON.stringify(V1) });
    v2Id = await registerSchema(`${topic}-value`, { schema: JSON.stringify(V2) });
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    const env = stackEnv();
    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [env.FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        schemaRegistry: { url: env.FLOE_SCHEMA_REGISTRY_URL },
        commit: { intervalMs: 1000 },
        tables: [{ topics: [topic], table: "avro.events", format: "avro", onError: "fail" }],
      }),
      client: stackClient("floe-sink-avro"),
      catalog: wh.catalog,
      io: wh.io,
      logger: testLogger(),
      metrics: sinkMetrics(),
    });
    await sink.start();
    // v1 first: the table is created from v1 and committed before any v2 record arrives.
    await produce(kafka, topic, PARTITIONS, 4000, (i) => ({ key: `k${i}`, value: encode(i) }));
    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === 4000n,
      60_000,
      "the v1 records committed",
    );
    schemasAfterV1 = (await wh.catalog.loadTable(id)).metadata.schemas.length;
    // Then v2 records, interleaved with v1 records from producers not upgraded yet.
    const order = [
      ...Array.from({ length: 4000 }, (_, i) => 4000 + i),
      ...Array.from({ length: 2000 }, (_, i) => 8000 + i),
    ].sort((a, b) => (a % 2000) - (b % 2000) || a - b);
    await produce(kafka, topic, PARTITIONS, order.length, (n) => {
      const i = order[n] ?? 0;
      return { key: `k${i}`, value: encode(i) };
    });
    await waitFor(
      async () => (await committedTotal(wh.catalog, id, group, topic)) === BigInt(TOTAL),
      90_000,
      "all records committed",
    );
    const stopped = sink.waitUntilStopped();
    await sink.stop();
    expect(await stopped).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await sink?.stop();
  });

  it("evolves the table once: v2's optional field becomes a new column, v1 ids kept", async () => {
    const md = (await wh.catalog.loadTable(id)).metadata;
    expect(schemasAfterV1).toBe(1);
    expect(md.schemas).toHaveLength(2);
    const first = md.schemas[0];
    const now = currentSchema(md);
    const region = now.fields.find((f) => f.name === "region");
    expect(region).toMatchObject({ type: "string", required: false });
    expect(first?.fields.some((f) => f.name === "region")).toBe(false);
    for (const f of first?.fields ?? []) {
      expect(now.fields.find((g) => g.name === f.name)?.id).toBe(f.id);
    }
    expect(region?.id).toBeGreaterThan(Math.max(...(first?.fields ?? []).map((f) => f.id)));
  });

  it("DuckDB reads every record once, with region null exactly for v1 rows", async () => {
    const table = await wh.catalog.loadTable(id);
    const duck = await openDuckDB();
    try {
      const [row] = await query(
        duck.conn,
        `SELECT count(*) AS n, count(DISTINCT id) AS ids,
                count(DISTINCT (_kafka_partition, _kafka_offset)) AS positions,
                count(*) FILTER (WHERE (id < 4000 OR id >= 8000) AND region IS NULL) AS v1_null,
                count(*) FILTER (WHERE id >= 4000 AND id < 8000 AND region IS NOT DISTINCT FROM
                                 (CASE WHEN id % 4 = 0 THEN NULL ELSE 'r' || (id % 5)::VARCHAR END)) AS v2_ok,
                count(*) FILTER (WHERE name = 'n' || id::VARCHAR AND amount = id / 4
                                 AND epoch_us("at") = 1700000000000000 + id * 1000
                                 AND len(tags) = CASE WHEN id % 3 = 0 THEN 0 ELSE 2 END) AS values_ok
         FROM iceberg_scan('${table.metadataLocation}')`,
      );
      expect(row).toEqual({
        n: BigInt(TOTAL),
        ids: BigInt(TOTAL),
        positions: BigInt(TOTAL),
        v1_null: 6000n,
        v2_ok: 4000n,
        values_ok: BigInt(TOTAL),
      });
    } finally {
      duck.close();
    }
  });

  it("PyIceberg reads both versions' rows with the evolved schema", async () => {
    const table = await wh.catalog.loadTable(id);
    const out = await runPython<{ rows: Record<string, unknown>[]; iceberg_types: Record<string, string> }>(
      "read_pyiceberg.py",
      [table.metadataLocation, "", "id IN (1, 4001, 4004, 8001)"],
    );
    expect(out.iceberg_types).toMatchObject({
      id: "long",
      name: "string",
      amount: "double",
      at: "timestamptz",
      region: "string",
    });
    const byId = Object.fromEntries(out.rows.map((r) => [String(r.id), r.region]));
    expect(byId).toEqual({ "1": null, "4001": "r1", "4004": null, "8001": null });
  });
});
