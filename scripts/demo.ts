// `npm run demo`: Floe end to end on the embedded defaults. Brings up the local stack, produces telco
// call-detail records and IoT telemetry (with a few malformed records) and Debezium change events of a
// customers table (plan changes, cancellations) to Kafka, runs the sink into a
// local warehouse with the embedded catalog, serves that catalog over Floe's REST endpoint, queries the
// tables with DuckDB through it, prints the dead letters, and cleans up what it started.
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { Kafka, logLevel } from "kafkajs";
import { EmbeddedCatalog, startRestCatalogServer } from "../src/catalog/index.js";
import { parseConfig } from "../src/config.js";
import { RoutingFileIO } from "../src/iceberg/io/index.js";
import { committedOffsets, DLQ_HEADERS, kafkajsClient, Sink } from "../src/ingest/index.js";
import { createLogger } from "../src/log.js";
import { sinkMetrics } from "../src/service/index.js";
import { CUSTOMERS_TOPIC, customerEvents, planSummary } from "./demo-cdc.js";
import { cdrSchema, makeCdr, makeReading, telemetrySchema } from "./demo-data.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const STACK = join(ROOT, "scripts", "stack");
const WAREHOUSE_DIR = join(ROOT, "demo-warehouse");
const CDR_TOPIC = "demo.cdr";
const TELEMETRY_TOPIC = "demo.telemetry";
const DLQ_TOPIC = "demo.dlq";
const PER_TOPIC = Number(process.env.FLOE_DEMO_RECORDS ?? 40_000);
const CUSTOMERS = 2_000;
const CUSTOMER_CHANGES = 8_000;
const REST_PORT = Number(process.env.FLOE_DEMO_REST_PORT ?? 8282);

const say = (s = "") => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n== ${s}`);

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? ""
      : typeof v === "number"
        ? String(Math.round(v * 100) / 100)
        : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(cols),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join("\n");
}

async function main(): Promise<void> {
  step("1/6 local stack (Kafka, S3, REST, moto) — scripts/stack up");
  const wasUp = await run(STACK, ["status"]).then(
    () => true,
    () => false,
  );
  const up = await run(STACK, ["up"], { maxBuffer: 1 << 24 });
  process.stdout.write(up.stdout);
  const env = JSON.parse((await run(STACK, ["env", "--json"])).stdout) as Record<string, string>;

  const kafka = new Kafka({
    clientId: "floe-demo",
    brokers: [env.FLOE_KAFKA_BROKERS ?? "127.0.0.1:9092"],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  step(
    "2/6 topics: demo.cdr (telco call-detail records), demo.telemetry (IoT sensors), demo.customers (Debezium CDC), demo.dlq",
  );
  const existing = await admin.listTopics();
  const stale = [CDR_TOPIC, TELEMETRY_TOPIC, CUSTOMERS_TOPIC, DLQ_TOPIC].filter((t) => existing.includes(t));
  if (stale.length > 0) {
    await admin.deleteTopics({ topics: stale });
    await new Promise((r) => setTimeout(r, 2000));
  }
  await admin.createTopics({
    topics: [
      { topic: CDR_TOPIC, numPartitions: 3 },
      { topic: TELEMETRY_TOPIC, numPartitions: 3 },
      { topic: CUSTOMERS_TOPIC, numPartitions: 3 },
      { topic: DLQ_TOPIC, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });

  step(
    `3/6 producing ${PER_TOPIC.toLocaleString()} CDRs and ${PER_TOPIC.toLocaleString()} sensor readings (a few malformed)`,
  );
  const producer = kafka.producer();
  await producer.connect();
  const t0 = Date.now();
  let bad = 0;
  for (let start = 0; start < PER_TOPIC; start += 2000) {
    const n = Math.min(2000, PER_TOPIC - start);
    const cdrs = Array.from({ length: n }, (_, i) => makeCdr(start + i));
    const readings = Array.from({ length: n }, (_, i) => makeReading(start + i));
    bad += [...cdrs, ...readings].filter((m) => m.malformed).length;
    await producer.send({ topic: CDR_TOPIC, messages: cdrs.map(({ key, value }) => ({ key, value })) });
    await producer.send({
      topic: TELEMETRY_TOPIC,
      messages: readings.map(({ key, value }) => ({ key, value })),
    });
  }
  const cdc = customerEvents(CUSTOMERS, CUSTOMER_CHANGES, 3);
  for (let start = 0; start < cdc.records.length; start += 2000) {
    await producer.send({ topic: CUSTOMERS_TOPIC, messages: cdc.records.slice(start, start + 2000) });
  }
  await producer.disconnect();
  say(
    `   produced ${(2 * PER_TOPIC).toLocaleString()} records (${bad} malformed) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const { snapshot, planChanges, cancellations, signups } = cdc.counts;
  say(
    `   and ${cdc.records.length.toLocaleString()} Debezium records of billing.public.customers: ${snapshot} snapshot reads, ${planChanges} plan changes, ${cancellations} cancellations (each a delete and a tombstone), ${signups} sign-ups`,
  );

  step("4/6 floe run: embedded catalog over ./demo-warehouse, commit every 2 s");
  await rm(WAREHOUSE_DIR, { recursive: true, force: true });
  const warehouse = pathToFileURL(WAREHOUSE_DIR).href;
  const config = parseConfig({
    kafka: { brokers: [env.FLOE_KAFKA_BROKERS], groupId: `floe-demo-${Date.now()}` },
    warehouse: { location: warehouse },
    commit: { intervalMs: 2000 },
    dlq: { topic: DLQ_TOPIC },
    tables: [
      {
        topics: [CDR_TOPIC],
        table: "telco.cdr",
        schema: cdrSchema,
        partitionBy: ["hour(call_start)"],
        onError: "dlq",
      },
      {
        topics: [TELEMETRY_TOPIC],
        table: "iot.telemetry",
        schema: telemetrySchema,
        partitionBy: ["day(ts)", "bucket(8, sensor_id)"],
        onError: "dlq",
      },
      {
        topics: [CUSTOMERS_TOPIC],
        table: "telco.customers",
        mode: "upsert",
        key: ["id"],
        envelope: "debezium",
        onError: "dlq",
      },
    ],
  });
  const io = new RoutingFileIO();
  const catalog = new EmbeddedCatalog({ warehouse, io });
  const metrics = sinkMetrics();
  const sink = new Sink({
    config,
    client: kafkajsClient(kafka),
    catalog,
    io,
    logger: createLogger({ level: "error" }),
    metrics,
  });
  const server = await startRestCatalogServer({
    catalog,
    port: REST_PORT,
    logger: createLogger({ level: "warn" }),
  });
  await sink.start();
  const t1 = Date.now();
  const target = 2n * BigInt(PER_TOPIC) + BigInt(cdc.records.length);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    let done = 0n;
    for (const [ns, name, topic] of [
      ["telco", "cdr", CDR_TOPIC],
      ["iot", "telemetry", TELEMETRY_TOPIC],
      ["telco", "customers", CUSTOMERS_TOPIC],
    ] as const) {
      if (!(await catalog.tableExists({ namespace: [ns], name }))) continue;
      const offsets = committedOffsets(
        (await catalog.loadTable({ namespace: [ns], name })).metadata,
        config.kafka.groupId,
      ).get(topic);
      done += [...(offsets?.values() ?? [])].reduce((a, b) => a + b, 0n);
    }
    const elapsed = ((Date.now() - t1) / 1000).toFixed(0).padStart(3);
    say(
      `   ${elapsed} s  committed ${done.toLocaleString().padStart(9)} / ${target.toLocaleString()} offsets   dead letters ${metrics.dlq.total()}`,
    );
    if (done >= target) break;
    if (Date.now() - t1 > 300_000) throw new Error("the demo's sink did not catch up within 5 minutes");
  }
  await sink.stop();

  step(`5/6 DuckDB: ATTACH Floe's REST catalog at ${server.url}`);
  const db = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const conn = await db.connect();
  for (const ext of ["httpfs", "avro", "iceberg"])
    await conn.run(`LOAD '${join(env.FLOE_DUCKDB_EXTENSION_DIR ?? "", `${ext}.duckdb_extension`)}'`);
  await conn.run(
    `ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${server.url}', AUTHORIZATION_TYPE 'none')`,
  );
  const q = async (sql: string) =>
    (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  say("\nRows per table:");
  say(
    table(
      await q(
        `SELECT 'telco.cdr' AS "table", count(*) AS "rows" FROM lake.telco.cdr UNION ALL SELECT 'iot.telemetry', count(*) FROM lake.iot.telemetry
         UNION ALL SELECT 'telco.customers', count(*) FROM lake.telco.customers`,
      ),
    ),
  );
  say("\nCalls per hour (telco.cdr):");
  say(
    table(
      await q(`SELECT strftime(date_trunc('hour', call_start), '%Y-%m-%d %H:00') AS hour, count(*) AS calls,
                      round(avg(duration_s), 1) AS avg_duration_s, count(*) FILTER (WHERE dropped) AS dropped
               FROM lake.telco.cdr GROUP BY 1 ORDER BY 1`),
    ),
  );
  say("\nSensor readings per hour (iot.telemetry):");
  say(
    table(
      await q(`SELECT strftime(date_trunc('hour', ts), '%Y-%m-%d %H:00') AS hour, count(*) AS readings,
                      round(avg(temperature_c), 2) AS avg_temp_c, max(device.firmware) AS newest_firmware
               FROM lake.iot.telemetry GROUP BY 1 ORDER BY 1`),
    ),
  );
  say(
    "\nCustomers per plan now (telco.customers: an upsert table kept by Debezium events, deletes applied):",
  );
  const plans = await q(`SELECT plan, count(*) AS customers, round(sum(monthly_fee), 2) AS monthly_revenue
                         FROM lake.telco.customers GROUP BY plan ORDER BY plan`);
  say(table(plans));
  const same =
    JSON.stringify(plans.map((r) => ({ ...r, customers: Number(r.customers) }))) ===
    JSON.stringify(planSummary(cdc.model));
  say(
    `   the same as the source database after the last change: ${same ? "yes" : "NO"} (${cdc.model.size} customers)`,
  );
  conn.closeSync();
  db.closeSync();

  say("\nDead-lettered records (demo.dlq):");
  say(table(await readDlq(kafka)));

  step("6/6 query the same tables yourself (while `floe catalog serve` or this demo runs):");
  say(
    `   DuckDB:    ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT 'http://127.0.0.1:${REST_PORT}', AUTHORIZATION_TYPE 'none');`,
  );
  say(
    `   PyIceberg: load_catalog('floe', type='rest', uri='http://127.0.0.1:${REST_PORT}').load_table('telco.cdr').scan().to_arrow()`,
  );
  say("   Spark:     --conf spark.sql.catalog.floe=org.apache.iceberg.spark.SparkCatalog \\");
  say(
    `              --conf spark.sql.catalog.floe.type=rest --conf spark.sql.catalog.floe.uri=http://127.0.0.1:${REST_PORT}`,
  );
  say(`   The tables live in ${WAREHOUSE_DIR}; serve them with:`);
  say(
    `   npm run build && bin/floe catalog serve --port ${REST_PORT} --config <(echo 'warehouse: {location: "${warehouse}"}')`,
  );
  say(`   or read one directly: SELECT * FROM iceberg_scan('${WAREHOUSE_DIR}/telco/cdr');`);

  await server.close();
  await admin.disconnect();
  if (!wasUp) {
    await run(STACK, ["down"]);
    say("\nstopped the local stack the demo started.");
  }
  say("\ndemo finished.");
}

async function readDlq(kafka: Kafka): Promise<Record<string, unknown>[]> {
  const admin = kafka.admin();
  await admin.connect();
  const end = Number((await admin.fetchTopicOffsets(DLQ_TOPIC))[0]?.high ?? 0);
  await admin.disconnect();
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: `floe-demo-dlq-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: DLQ_TOPIC, fromBeginning: true });
  const rows: Record<string, unknown>[] = [];
  await new Promise<void>((done) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const h = (k: string) => message.headers?.[k]?.toString() ?? "";
        if (rows.length < 12) {
          rows.push({
            source: `${h(DLQ_HEADERS.topic)}/${h(DLQ_HEADERS.partition)}@${h(DLQ_HEADERS.offset)}`,
            reason: h(DLQ_HEADERS.reason),
            message: h(DLQ_HEADERS.message).slice(0, 70),
            value: (message.value?.toString() ?? "").slice(0, 40),
          });
        }
        if (Number(message.offset) + 1 >= end) done();
      },
    });
  });
  await consumer.disconnect();
  rows.push({ source: `(${end} dead letters in all)` });
  return rows;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
