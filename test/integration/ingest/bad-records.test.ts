import avsc from "avsc";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { parseConfig } from "../../../src/config.js";
import type { FloeError } from "../../../src/errors.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { avscOptions } from "../../../src/ingest/decode/avro.js";
import { wireHeader } from "../../../src/ingest/decode/index.js";
import { DLQ_HEADERS, Sink } from "../../../src/ingest/index.js";
import { sinkMetrics } from "../../../src/service/index.js";
import { type FakeRegistry, startRegistry } from "../../ingest/decode/registry-server.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { stackClient, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  SinkProcess,
  seededRandom,
  sinkConfig,
  sleep,
  tableOffsets,
  testLogger,
  waitFor,
  writeConfig,
} from "./support.js";

// A corpus of bad records (invalid JSON, NaN/Infinity literals, wrong types for a declared schema,
// numbers out of range, invalid UTF-8, deep nesting, a 5 MB value, tombstones, a type conflict found
// only at commit time; for an Avro route: unknown schema ids, bytes not in the wire format, truncated
// payloads, schemas that are not Avro or cannot be mapped) interleaved with good records. With
// onError: dlq every bad record reaches the dead-letter topic once, with its reason and source
// headers and its original key, value and headers, and every good record lands in its table. With
// onError: fail the sink stops with an error naming the record, and nothing past it is committed.

type Value = Buffer | null;
interface Rec {
  topic: string;
  partition: number;
  key: string;
  value: Value;
  bad?: { code: "DECODE_FAILED" | "SCHEMA_INCOMPATIBLE"; stage: "decode" | "schema"; what: string };
  /** Tombstones and empty values: counted and skipped, neither a row nor a dead letter. */
  skipped?: "tombstone" | "empty-value";
  /** Offset in its partition, known once the record is placed. */
  offset?: bigint;
  id?: number;
}

const JSON_SCHEMA = {
  type: "struct",
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "name", required: false, type: "string" },
    { id: 3, name: "amount", required: false, type: "double" },
    { id: 4, name: "at", required: false, type: "timestamptz" },
    {
      id: 5,
      name: "tags",
      required: false,
      type: { type: "list", "element-id": 7, element: "string", "element-required": false },
    },
    {
      id: 6,
      name: "nested",
      required: false,
      type: { type: "struct", fields: [{ id: 8, name: "a", required: false, type: "int" }] },
    },
  ],
};

const AVRO_GOOD = {
  type: "record",
  name: "Reading",
  namespace: "floe.it",
  fields: [
    { name: "id", type: "long" },
    { name: "name", type: "string" },
    { name: "at", type: { type: "long", logicalType: "timestamp-millis" } },
  ],
};
const AVRO_GOOD_ID = 201;
const avroGood = avsc.Type.forSchema(AVRO_GOOD as never, avscOptions({}) as never);
const avroPayload = (id: number, at = 1_700_000_000_000n + BigInt(id)) =>
  Buffer.from(avroGood.toBuffer({ id: BigInt(id), name: `r${id}`, at }));
const framed = (schemaId: number, payload: Buffer) => Buffer.concat([wireHeader(schemaId), payload]);

const goodJson = (id: number) =>
  Buffer.from(
    JSON.stringify({
      id,
      name: `n${id}`,
      amount: id / 2,
      at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
      tags: id % 2 === 0 ? ["a"] : [],
      nested: { a: id % 100 },
      extra_n: id, // not declared: inferred as a long column
    }),
  );

const B = (s: string) => Buffer.from(s);
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
const decodeBad = (what: string) => ({ code: "DECODE_FAILED" as const, stage: "decode" as const, what });

/** Bad values for the JSON route (declared schema JSON_SCHEMA). */
function badJson(): { value: Value; bad: NonNullable<Rec["bad"]> }[] {
  const list: [string, Value][] = [
    ["unterminated object", B("{")],
    ["not JSON", B("not json at all")],
    ["whitespace only", B("   \n")],
    ["top-level array", B("[1,2,3]")],
    ["top-level string", B('"just a string"')],
    ["top-level number", B("42")],
    ["JSON null", B("null")],
    ["NaN literal", B('{"id":1,"amount":NaN}')],
    ["Infinity literal", B('{"id":1,"amount":Infinity}')],
    ["-Infinity literal", B('{"id":1,"amount":-Infinity}')],
    ["NaN id", B('{"id":NaN}')],
    ["string for long", B('{"id":"abc"}')],
    ["fraction for long", B('{"id":1.5}')],
    ["boolean for long", B('{"id":true}')],
    ["required field missing", B('{"name":"no id"}')],
    ["required field null", B('{"id":null}')],
    ["huge integer", B('{"id":123456789012345678901234567890}')],
    ["2^63", B('{"id":9223372036854775808}')],
    ["-2^63-1", B('{"id":-9223372036854775809}')],
    ["1e400 for long", B('{"id":1e400}')],
    ["string for double", B('{"id":1,"amount":"x"}')],
    ["bad timestamp", B('{"id":1,"at":"not a date"}')],
    ["timestamp out of range", B('{"id":1,"at":99999999999999999999}')],
    ["string for list", B('{"id":1,"tags":"x"}')],
    ["number for struct", B('{"id":1,"nested":5}')],
    ["string for int", B('{"id":1,"nested":{"a":"x"}}')],
    ["int overflow", B('{"id":1,"nested":{"a":3000000000}}')],
    ["trailing comma", B('{"id":1,}')],
    ["single quotes", B("{'id':1}")],
    ["two documents", B('{"id":1}{"id":2}')],
    ["raw control character", B('{"id":1,"name":"a\u0001b"}')],
    ["invalid UTF-8 (ff fe)", bytes('{"id":1,"name":"', [0xff, 0xfe], '"}')],
    ["overlong UTF-8", bytes('{"id":1,"name":"', [0xc0, 0xaf], '"}')],
    ["UTF-8 encoded surrogate", bytes('{"id":1,"name":"', [0xed, 0xa0, 0x80], '"}')],
    ["truncated UTF-8 sequence", bytes('{"id":1,"name":"', [0xc3], '"}')],
    ["UTF-16 with BOM", Buffer.from(`\ufeff{"id":1}`, "utf16le")],
    ["arrays nested 100k deep", B(`{"id":1,"deep":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)],
    ["objects nested 100k deep", B(`{"id":1,"deep":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`)],
    // Parse fine, but deeper than any table can take (Arrow IPC stops near 60 levels).
    ["objects nested 61 deep", B(`{"id":1,"deep":${'{"a":'.repeat(61)}1${"}".repeat(61)}}`)],
    ["lists nested 1500 deep", B(`{"id":1,"deep":${"[".repeat(1500)}1${"]".repeat(1500)}}`)],
    ["objects nested 1500 deep", B(`{"id":1,"deep":${'{"a":'.repeat(1500)}1${"}".repeat(1500)}}`)],
    ["declared list nested 50k deep", B(`{"id":1,"tags":${"[".repeat(50_000)}${"]".repeat(50_000)}}`)],
    ["5 MB unterminated value", B(`{"id":1,"name":"${"x".repeat(5 * 1024 * 1024)}`)],
  ];
  return [
    // Parsed, but no table can take its shape: refused at the schema step, not by the decoder.
    ...list.map(([what, value]) => ({
      value,
      bad:
        what === "objects nested 61 deep"
          ? { ...decodeBad(what), stage: "schema" as const }
          : decodeBad(what),
    })),
    // Decodes fine, but `extra_n` is already a long column: found when the batch is committed.
    {
      value: B('{"id":1,"extra_n":"text"}'),
      bad: { code: "SCHEMA_INCOMPATIBLE", stage: "schema", what: "type conflict with the table" },
    },
  ];
}

/** Values that carry no record: skipped and counted by reason, in every structured format. */
const EMPTY_VALUES: { value: Value; skipped: NonNullable<Rec["skipped"]> }[] = [
  { value: B(""), skipped: "empty-value" },
  { value: null, skipped: "tombstone" },
  { value: B(""), skipped: "empty-value" },
];

/** Bad values for the Avro route (registry ids: 201 good, 202 JSON, 203 not JSON, 204/205 unusable). */
function badAvro(): { value: Value; bad: NonNullable<Rec["bad"]> }[] {
  const good = avroPayload(7);
  const list: [string, Value, "DECODE_FAILED" | "SCHEMA_INCOMPATIBLE"][] = [
    ["unknown schema id", framed(999, good), "DECODE_FAILED"],
    ["magic byte 1", Buffer.concat([Buffer.from([1, 0, 0, 0, AVRO_GOOD_ID]), good]), "DECODE_FAILED"],
    ["plain JSON, not wire format", B('{"id":1,"name":"x"}'), "DECODE_FAILED"],
    ["shorter than the header", Buffer.from([0, 0, 0]), "DECODE_FAILED"],
    [
      "truncated payload",
      framed(AVRO_GOOD_ID, good.subarray(0, Math.floor(good.length / 2))),
      "DECODE_FAILED",
    ],
    ["header only", framed(AVRO_GOOD_ID, Buffer.alloc(0)), "DECODE_FAILED"],
    ["trailing bytes", framed(AVRO_GOOD_ID, Buffer.concat([good, Buffer.from([1, 2, 3])])), "DECODE_FAILED"],
    ["negative string length", framed(AVRO_GOOD_ID, Buffer.from([0x02, 0x03])), "DECODE_FAILED"],
    ["schema id of a JSON schema", framed(202, good), "DECODE_FAILED"],
    ["schema text is not JSON", framed(203, good), "DECODE_FAILED"],
    ["schema is not valid Avro", framed(204, good), "DECODE_FAILED"],
    ["union Iceberg cannot hold", framed(205, Buffer.from([0x00, 0x02])), "SCHEMA_INCOMPATIBLE"],
    ["timestamp-millis overflow", framed(AVRO_GOOD_ID, avroPayload(8, 2n ** 62n)), "DECODE_FAILED"],
  ];
  return list.map(([what, value, code]) => ({ value, bad: { code, stage: "decode", what } }));
}

/**
 * Puts records in partitions round-robin (or all in `only`), continuing the per-partition offsets in
 * `next`: each topic is written by one idempotent producer in order, so these are their offsets.
 */
function place(
  topic: string,
  partitions: number,
  next: bigint[],
  recs: Omit<Rec, "topic" | "partition">[],
  only?: number,
) {
  return recs.map((r, i): Rec => {
    const partition = only ?? i % partitions;
    const offset = next[partition] ?? 0n;
    next[partition] = offset + 1n;
    return { ...r, topic, partition, offset };
  });
}

/** Mixes `bad` into `good` at seeded random positions (order within each list kept). */
type Unplaced = Omit<Rec, "topic" | "partition">;
function interleave(good: Unplaced[], bad: Unplaced[], random: () => number): Unplaced[] {
  const out = [...good];
  for (const b of bad) out.splice(Math.floor(random() * (out.length + 1)), 0, b);
  return out;
}

async function send(kafka: Kafka, recs: Rec[]): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    // Small batches: a batch holding the 5 MB value stays under the topic's max.message.bytes.
    for (let i = 0; i < recs.length; i += 50) {
      const chunk = recs.slice(i, i + 50);
      for (const t of new Set(chunk.map((r) => r.topic))) {
        await producer.send({
          topic: t,
          acks: -1,
          messages: chunk
            .filter((r) => r.topic === t)
            .map((r) => ({
              partition: r.partition,
              key: r.key,
              value: r.value,
              headers: r.bad ? { origin: "bad-corpus" } : { origin: "good" },
            })),
        });
      }
    }
  } finally {
    await producer.disconnect();
  }
}

interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads the whole DLQ topic: waits until `atLeast` letters arrived and no more came for 2 s. */
async function readDlq(kafka: Kafka, topic: string, atLeast: number): Promise<DeadLetter[]> {
  const consumer = kafka.consumer({ groupId: uniqueName("dlq-reader"), maxBytesPerPartition: 16 << 20 });
  const letters: DeadLetter[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      letters.push({ key: message.key, value: message.value, headers });
      last = Date.now();
    },
  });
  try {
    await waitFor(
      () => letters.length >= atLeast && Date.now() - last > 2000,
      60_000,
      `${atLeast} dead letters`,
    );
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

async function createTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: [{ name: "max.message.bytes", value: String(16 << 20) }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

function jsonRoute(topic: string, table: string, onError: "dlq" | "fail") {
  return { topics: [topic], table, schema: JSON_SCHEMA, onError };
}

describe("sink: bad records", () => {
  const SEED = Number(process.env.FLOE_TEST_SEED ?? Date.now() % 2 ** 31);
  let registry: FakeRegistry;
  const kafka = () => stackKafka("floe-bad-records");

  beforeAll(async () => {
    // The in-test registry, not the stack's: a real one refuses to store ids 203 and 204 (invalid schemas).
    registry = await startRegistry();
    registry.byId.set(AVRO_GOOD_ID, { schema: JSON.stringify(AVRO_GOOD), schemaType: "AVRO" });
    registry.byId.set(202, { schema: '{"type":"object"}', schemaType: "JSON" });
    registry.byId.set(203, { schema: "{not json", schemaType: "AVRO" });
    registry.byId.set(204, {
      schema: JSON.stringify({ type: "record", name: "X", fields: [{ name: "a", type: "nope" }] }),
      schemaType: "AVRO",
    });
    registry.byId.set(205, {
      schema: JSON.stringify({ type: "record", name: "U", fields: [{ name: "u", type: ["int", "string"] }] }),
      schemaType: "AVRO",
    });
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe("onError: dlq", () => {
    let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
    const jsonTopic = uniqueName("badjson");
    const avroTopic = uniqueName("badavro");
    const dlqTopic = uniqueName("dlq");
    const group = uniqueName("g");
    const jsonTable = { namespace: ["bad"], name: "json_events" };
    const avroTable = { namespace: ["bad"], name: "avro_events" };
    const metrics = sinkMetrics();
    let sink: Sink | undefined;
    let recs: Rec[] = [];
    let letters: DeadLetter[] = [];

    beforeAll(async () => {
      console.log(`bad-records seed ${SEED}`);
      const random = seededRandom(SEED);
      wh = await freshWarehouse("local");
      const k = kafka();
      await createTopic(k, jsonTopic, 3);
      await createTopic(k, avroTopic, 2);
      await createTopic(k, dlqTopic, 1);
      sink = new Sink({
        config: parseConfig({
          kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
          warehouse: { location: wh.warehouse },
          schemaRegistry: { url: registry.url },
          commit: { intervalMs: 1000 },
          dlq: { topic: dlqTopic },
          tables: [
            jsonRoute(jsonTopic, "bad.json_events", "dlq"),
            { topics: [avroTopic], table: "bad.avro_events", format: "avro", onError: "dlq" },
          ],
        }),
        client: stackClient("floe-sink-bad"),
        catalog: wh.catalog,
        io: wh.io,
        logger: testLogger(),
        metrics,
      });
      await sink.start();
      const jsonNext = [0n, 0n, 0n];
      const avroNext = [0n, 0n];
      // Phase 1: good records only, so the table has its columns (extra_n: long) before the corpus.
      const phase1 = [
        ...place(
          jsonTopic,
          3,
          jsonNext,
          Array.from({ length: 150 }, (_, i) => ({ key: `j${i}`, value: goodJson(i), id: i })),
        ),
        ...place(
          avroTopic,
          2,
          avroNext,
          Array.from({ length: 60 }, (_, i) => ({
            key: `a${i}`,
            value: framed(AVRO_GOOD_ID, avroPayload(i)),
            id: i,
          })),
        ),
      ];
      await send(k, phase1);
      await waitFor(
        async () => (await tableOffsets(wh.catalog, jsonTable, group, jsonTopic)).size === 3,
        60_000,
        "phase 1 committed",
      );
      // Phase 2: the corpus, interleaved with more good records.
      const jsonMixed = interleave(
        Array.from({ length: 300 }, (_, i) => ({
          key: `j${150 + i}`,
          value: goodJson(150 + i),
          id: 150 + i,
        })),
        [
          ...badJson().map((b, i) => ({ key: `bad-j${i}`, value: b.value, bad: b.bad })),
          ...EMPTY_VALUES.map((e, i) => ({ key: `skip-j${i}`, ...e })),
        ],
        random,
      );
      const avroMixed = interleave(
        Array.from({ length: 120 }, (_, i) => ({
          key: `a${60 + i}`,
          value: framed(AVRO_GOOD_ID, avroPayload(60 + i)),
          id: 60 + i,
        })),
        [
          ...badAvro().map((b, i) => ({ key: `bad-a${i}`, value: b.value, bad: b.bad })),
          ...EMPTY_VALUES.map((e, i) => ({ key: `skip-a${i}`, ...e })),
        ],
        random,
      );
      const phase2 = [
        ...place(jsonTopic, 3, jsonNext, jsonMixed),
        ...place(avroTopic, 2, avroNext, avroMixed),
      ];
      await send(k, phase2);
      recs = [...phase1, ...phase2];
      const done = async (id: typeof jsonTable, topic: string, next: bigint[]) => {
        const got = await tableOffsets(wh.catalog, id, group, topic);
        return next.every((n, p) => got.get(p) === n);
      };
      await waitFor(
        async () =>
          (await done(jsonTable, jsonTopic, jsonNext)) && (await done(avroTable, avroTopic, avroNext)),
        90_000,
        "every offset of both topics committed",
      );
      const stopped = sink.waitUntilStopped();
      await sink.stop();
      expect(await stopped).toBeUndefined();
      letters = await readDlq(k, dlqTopic, recs.filter((r) => r.bad).length);
    }, 180_000);

    afterAll(async () => {
      await sink?.stop();
    });

    it("has a corpus of at least 40 bad records", () => {
      expect(recs.filter((r) => r.bad).length).toBeGreaterThanOrEqual(40);
    });

    it("dead-letters each bad record once, with its reason, source and original key, value and headers", () => {
      const bySource = new Map<string, DeadLetter[]>();
      for (const l of letters) {
        const src = `${l.headers[DLQ_HEADERS.topic]}/${l.headers[DLQ_HEADERS.partition]}@${l.headers[DLQ_HEADERS.offset]}`;
        bySource.set(src, [...(bySource.get(src) ?? []), l]);
      }
      const problems: string[] = [];
      for (const r of recs.filter((x) => x.bad)) {
        const src = `${r.topic}/${r.partition}@${r.offset}`;
        const found = bySource.get(src) ?? [];
        bySource.delete(src);
        const l = found[0];
        const what = `${r.bad?.what} (${src})`;
        if (found.length !== 1 || l === undefined) {
          problems.push(`${what}: ${found.length} dead letters`);
          continue;
        }
        if (l.headers[DLQ_HEADERS.reason] !== r.bad?.code) {
          problems.push(`${what}: reason ${l.headers[DLQ_HEADERS.reason]}, want ${r.bad?.code}`);
        }
        if (l.headers[DLQ_HEADERS.stage] !== r.bad?.stage) {
          problems.push(`${what}: stage ${l.headers[DLQ_HEADERS.stage]}, want ${r.bad?.stage}`);
        }
        if (!l.headers[DLQ_HEADERS.message]) problems.push(`${what}: no ${DLQ_HEADERS.message}`);
        if (l.key?.toString() !== r.key) problems.push(`${what}: key ${l.key?.toString()}`);
        if (r.value === null ? l.value !== null : !l.value?.equals(r.value)) {
          problems.push(
            `${what}: value differs (${l.value?.length ?? "null"} bytes, want ${r.value?.length ?? "null"})`,
          );
        }
        if (l.headers.origin !== "bad-corpus") problems.push(`${what}: original headers lost`);
      }
      for (const [src, extra] of bySource)
        problems.push(`unexpected dead letter(s) for ${src}: ${extra.length}`);
      expect(problems).toEqual([]);
      expect(metrics.dlq.get({ topic: jsonTopic, reason: "DECODE_FAILED" })).toBeGreaterThan(0);
    });

    it("counts tombstones and empty values as skipped: neither rows nor dead letters", () => {
      for (const topic of [jsonTopic, avroTopic]) {
        for (const reason of ["tombstone", "empty-value"] as const) {
          const want = recs.filter((r) => r.topic === topic && r.skipped === reason).length;
          expect(want).toBeGreaterThan(0);
          expect(metrics.skipped.get({ topic, reason }), `${topic} ${reason}`).toBe(want);
        }
      }
      const skippedKeys = new Set(recs.filter((r) => r.skipped).map((r) => r.key));
      expect(letters.filter((l) => skippedKeys.has(l.key?.toString() ?? ""))).toEqual([]);
    });

    it("commits every good record to its table exactly once", async () => {
      const duck = await openDuckDB();
      try {
        for (const [id, topic] of [
          [jsonTable, jsonTopic],
          [avroTable, avroTopic],
        ] as const) {
          const good = recs.filter((r) => r.topic === topic && !r.bad && !r.skipped);
          const table = await wh.catalog.loadTable(id);
          const [row] = await query(
            duck.conn,
            `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS s,
                    count(DISTINCT (_kafka_partition, _kafka_offset)) AS positions,
                    count(*) FILTER (WHERE _kafka_headers['origin'] = 'good') AS good
             FROM iceberg_scan('${table.metadataLocation}')`,
          );
          expect(row).toEqual({
            n: BigInt(good.length),
            ids: BigInt(good.length),
            s: BigInt(good.reduce((a, r) => a + (r.id ?? 0), 0)),
            positions: BigInt(good.length),
            good: BigInt(good.length),
          });
        }
      } finally {
        duck.close();
      }
    });
  });

  describe("onError: fail", () => {
    it("a bad record stops the sink process with exit code 1, naming it; nothing past it is committed", async () => {
      const wh = await freshWarehouse("local");
      const topic = uniqueName("failjson");
      const group = uniqueName("g");
      const dlqTopic = uniqueName("dlq-unused");
      const k = kafka();
      await createTopic(k, topic, 2);
      const next = [0n, 0n];
      // Partition 0: 40 good, one invalid JSON record at offset 40, then 40 good; partition 1: 80 good.
      const p0 = Array.from({ length: 81 }, (_, i) =>
        i === 40
          ? { key: "bad", value: B('{"id": 1, "amount": NaN}') }
          : { key: `g${i}`, value: goodJson(i), id: i },
      );
      const p1 = Array.from({ length: 80 }, (_, i) => ({
        key: `h${i}`,
        value: goodJson(1000 + i),
        id: 1000 + i,
      }));
      const recs = [...place(topic, 2, next, p0, 0), ...place(topic, 2, next, p1, 1)];
      await send(k, recs);
      const config = await writeConfig(
        sinkConfig({
          brokers: stackEnv().FLOE_KAFKA_BROKERS,
          group,
          warehouse: wh.warehouse,
          dlqTopic,
          tables: [jsonRoute(topic, "bad.fail_events", "fail")],
        }),
      );
      const proc = SinkProcess.start(config);
      const exit = await Promise.race([
        proc.exited,
        new Promise<"running">((r) => setTimeout(() => r("running"), 90_000)),
      ]);
      if (exit === "running") proc.kill("SIGKILL");
      expect(exit, proc.tail()).toEqual({ code: 1, signal: null });
      const failure = proc.logs.find((l) => l.msg === "sink stopped with an error");
      expect(JSON.stringify(failure?.error)).toContain(`record ${topic}/0@40`);
      const committed = await tableOffsets(
        wh.catalog,
        { namespace: ["bad"], name: "fail_events" },
        group,
        topic,
      );
      expect(committed.get(0) ?? 0n).toBeLessThanOrEqual(40n);
      const table = await wh.catalog.loadTable({ namespace: ["bad"], name: "fail_events" });
      const duck = await openDuckDB();
      try {
        const [row] = await query(
          duck.conn,
          `SELECT count(*) FILTER (WHERE _kafka_partition = 0 AND _kafka_offset >= 40) AS past,
                  count(*) FILTER (WHERE _kafka_partition = 0) AS before
           FROM iceberg_scan('${table.metadataLocation}')`,
        );
        expect(row?.past).toBe(0n);
        expect(row?.before).toBe(committed.get(0) ?? 0n);
      } finally {
        duck.close();
      }
    }, 120_000);

    it("a record that fails at commit time stops the sink in-process; nothing after it is committed", async () => {
      const wh = await freshWarehouse("local");
      const topic = uniqueName("failschema");
      const group = uniqueName("g");
      const id = { namespace: ["bad"], name: "fail_schema" };
      const k = kafka();
      await createTopic(k, topic, 1);
      // Table loads turn slow once the corpus is sent, so records keep arriving (and are buffered)
      // while the failing commit runs: the shutdown after it must not commit them past the bad record.
      let slow = false;
      const catalog = new Proxy(wh.catalog, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== "function") return v;
          return async (...args: unknown[]) => {
            if (slow && prop === "loadTable") await sleep(1500);
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const sink = new Sink({
        config: parseConfig({
          kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: group },
          warehouse: { location: wh.warehouse },
          commit: { intervalMs: 1000 },
          dlq: { topic: uniqueName("dlq-unused") },
          tables: [jsonRoute(topic, "bad.fail_schema", "fail")],
        }),
        client: stackClient("floe-sink-fail"),
        catalog,
        io: wh.io,
        logger: testLogger(),
        metrics: sinkMetrics(),
      });
      try {
        await sink.start();
        const stopped = sink.waitUntilStopped();
        const next = [0n];
        const good = (from: number, n: number) =>
          Array.from({ length: n }, (_, i) => ({ key: `g${from + i}`, value: goodJson(from + i) }));
        // 40 good records commit first (extra_n becomes a long column) ...
        await send(k, place(topic, 1, next, good(0, 40)));
        await waitFor(
          async () => (await tableOffsets(wh.catalog, id, group, topic)).get(0) === 40n,
          60_000,
          "40 committed",
        );
        // ... then 10 good ones, one whose extra_n is a string (offset 50), 10 more good ones, and a
        // trickle of good records for 4 s.
        slow = true;
        await send(
          k,
          place(topic, 1, next, [
            ...good(40, 10),
            { key: "bad", value: B('{"id":50,"extra_n":"no"}') },
            ...good(51, 10),
          ]),
        );
        for (let i = 0; i < 20; i++) {
          await send(k, place(topic, 1, next, good(61 + i * 2, 2)));
          await sleep(200);
        }
        const error = await Promise.race([stopped, sleep(30_000).then(() => "running" as const)]);
        expect(error).not.toBe("running");
        expect((error as FloeError | undefined)?.code).toBe("SCHEMA_INCOMPATIBLE");
        expect((error as FloeError).message).toContain(`record ${topic}/0@50 failed at schema`);
        slow = false;
        const committed = (await tableOffsets(wh.catalog, id, group, topic)).get(0);
        expect(committed).toBeLessThanOrEqual(50n);
        const table = await wh.catalog.loadTable(id);
        const duck = await openDuckDB();
        try {
          const [row] = await query(
            duck.conn,
            `SELECT count(*) FILTER (WHERE _kafka_offset >= 50) AS past, count(*) AS n
             FROM iceberg_scan('${table.metadataLocation}')`,
          );
          expect(row).toEqual({ past: 0n, n: committed });
        } finally {
          duck.close();
        }
      } finally {
        await sink.stop();
      }
    }, 120_000);
  });
});
