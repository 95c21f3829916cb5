import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Catalog } from "../../../src/catalog/index.js";
import { parseConfig } from "../../../src/config.js";
import { formatDecimal, minBytesToBigint } from "../../../src/iceberg/spec/index.js";
import { Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackClient, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, testLogger, waitFor } from "./support.js";

// Debezium change events as the connector emits them (test/support/py/produce_debezium.py: a Postgres
// customers table through JsonConverter with schemas, without schemas, and through the AvroConverter and
// the Schema Registry), each into an upsert table with envelope debezium. The history has a snapshot,
// updates, deletes followed by tombstones and re-inserts; it is produced in two slices, and after each
// the table read by DuckDB is the table the events leave (last state per key, deleted keys absent).
const PARTITIONS = 2;
const ENCODINGS = ["json-schema", "json", "avro"] as const;
type Encoding = (typeof ENCODINGS)[number];

interface Produced {
  produced: number;
  changes: Record<"c" | "r" | "u" | "d", number>;
  tombstones: number;
  reinserts: number;
  expected: Row[];
}
interface Row {
  id: number;
  name: string | null;
  email: string | null;
  plan: string | null;
  balance: string | null;
  updated_at: number | null;
  signup_date: number | null;
}

async function produceSlice(spec: Record<string, unknown>): Promise<Produced> {
  const file = join(tmpdir(), `${uniqueName("dbz")}.json`);
  await writeFile(file, JSON.stringify(spec));
  return runPython<Produced>("produce_debezium.py", [file]);
}

/** The columns as the producer's expected rows give them, per encoding's column types. */
function selectFor(encoding: Encoding): string {
  // JSON with schema: decimal, timestamp and date columns; Avro: decimal, and the io.debezium.time
  // longs/ints (no Avro logical type); JSON without schema: base64 text and plain longs.
  if (encoding === "json-schema") {
    return `id, name, email, plan, CAST(balance AS VARCHAR) AS balance, epoch_us(updated_at) AS updated_at,
            signup_date - DATE '1970-01-01' AS signup_date`;
  }
  if (encoding === "avro")
    return "id, name, email, plan, CAST(balance AS VARCHAR) AS balance, updated_at, signup_date";
  return "id, name, email, plan, balance, updated_at, signup_date";
}

const base64Decimal = (text: string) => formatDecimal(minBytesToBigint(Buffer.from(text, "base64")), 2);

async function readTable(catalog: Catalog, name: string, encoding: Encoding): Promise<Row[]> {
  const md = await catalog.loadTable({ namespace: ["cdc"], name });
  const duck = await openDuckDB();
  try {
    const rows = await query(
      duck.conn,
      `SELECT ${selectFor(encoding)} FROM iceberg_scan('${md.metadataLocation}') ORDER BY id`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name as string | null,
      email: r.email as string | null,
      plan: r.plan as string | null,
      balance:
        r.balance === null
          ? null
          : encoding === "json"
            ? base64Decimal(String(r.balance))
            : String(r.balance),
      updated_at: r.updated_at === null ? null : Number(r.updated_at),
      signup_date: r.signup_date === null ? null : Number(r.signup_date),
    }));
  } finally {
    duck.close();
  }
}

describe("sink: Debezium change events into upsert tables", () => {
  let sink: Sink | undefined;
  afterAll(async () => {
    await sink?.stop();
  });

  it("JSON with schema, JSON without schema and Avro leave the source table", async () => {
    const wh = await freshWarehouse("local");
    const group = uniqueName("g");
    const topics = Object.fromEntries(ENCODINGS.map((e) => [e, uniqueName(`dbz-${e}`)])) as Record<
      Encoding,
      string
    >;
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(
      admin,
      ENCODINGS.map((e) => ({ topic: topics[e], partitions: PARTITIONS })),
    );
    await admin.disconnect();
    const table = (e: Encoding) => `customers_${e.replace("-", "_")}`;
    sink = new Sink({
      config: parseConfig({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
        warehouse: { location: wh.warehouse },
        schemaRegistry: { url: stackEnv().FLOE_SCHEMA_REGISTRY_URL },
        commit: { intervalMs: 1000, idleMs: 300 },
        tables: ENCODINGS.map((e) => ({
          topics: [topics[e]],
          table: `cdc.${table(e)}`,
          format: e === "avro" ? "avro" : "json",
          mode: "upsert",
          key: ["id"],
          envelope: "debezium",
          onError: "fail",
        })),
      }),
      client: stackClient("floe-debezium"),
      catalog: wh.catalog,
      io: wh.io,
      logger: testLogger(),
      metrics: sinkMetrics(),
    });
    await sink.start();

    const sent: Record<Encoding, number> = { "json-schema": 0, json: 0, avro: 0 };
    const totals = { c: 0, r: 0, u: 0, d: 0, tombstones: 0, reinserts: 0 };
    const history = { seed: 17, keys: 60, events: 600, snapshot: 40, partitions: PARTITIONS };
    for (const [from, to] of [
      [0, 250],
      [250, 600],
    ]) {
      const expected: Record<string, Row[]> = {};
      for (const e of ENCODINGS) {
        const out = await produceSlice({ ...history, topic: topics[e], encoding: e, from, to });
        sent[e] += out.produced;
        expected[e] = out.expected;
        if (e === "avro") {
          for (const k of ["c", "r", "u", "d"] as const) totals[k] += out.changes[k];
          totals.tombstones += out.tombstones;
          totals.reinserts += out.reinserts;
        }
      }
      for (const e of ENCODINGS) {
        const id = { namespace: ["cdc"], name: table(e) };
        await waitFor(
          async () => (await committedTotal(wh.catalog, id, group, topics[e])) === BigInt(sent[e]),
          90_000,
          `${sent[e]} ${e} records committed`,
        );
        expect(await readTable(wh.catalog, table(e), e), `${e} after change ${to}`).toEqual(expected[e]);
      }
    }
    // Every kept row carries its change's op and log position (the CDC metadata columns).
    for (const e of ENCODINGS) {
      const md = await wh.catalog.loadTable({ namespace: ["cdc"], name: table(e) });
      const duck = await openDuckDB();
      try {
        const ops = await query(
          duck.conn,
          `SELECT _cdc_op AS op, count(*) AS n, count(*) FILTER (WHERE _cdc_pos IS NULL OR _cdc_ts_ms IS NULL) AS missing
           FROM iceberg_scan('${md.metadataLocation}') GROUP BY 1 ORDER BY 1`,
        );
        // Snapshot rows (r) are all updated or deleted by the end of this history.
        expect(ops.map((r) => r.op)).toEqual(["c", "u"]);
        expect(ops.every((r) => Number(r.missing) === 0)).toBe(true);
      } finally {
        duck.close();
      }
    }
    // The history exercised what it is meant to.
    expect(totals.r).toBe(40);
    expect(totals.u).toBeGreaterThan(100);
    expect(totals.d).toBeGreaterThan(30);
    expect(totals.tombstones).toBe(totals.d);
    expect(totals.reinserts).toBeGreaterThan(10);

    // Deletes of rows written in earlier commits are position deletes every reader applies.
    const md = (await wh.catalog.loadTable({ namespace: ["cdc"], name: table("avro") })).metadata;
    const posDeletes = md.snapshots.reduce((n, s) => n + Number(s.summary["added-position-deletes"] ?? 0), 0);
    expect(posDeletes).toBeGreaterThan(0);
    expect(md.snapshots.every((s) => Number(s.summary["added-equality-deletes"] ?? 0) === 0)).toBe(true);
  }, 300_000);
});
