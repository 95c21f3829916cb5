import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { kafkajsClient } from "../../../src/ingest/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { javaConsoleProduce, javaConsume } from "../../support/java-kafka.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { batchCodecs, kafkaLogDir } from "../../support/kafka-log.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { committedTotal, SinkProcess, sinkConfig, waitFor, writeConfig } from "./support.js";

// Producers we did not write: librdkafka (confluent-kafka) and the Java client (the stack's Kafka
// distribution, through its ConsoleProducer) each write PER_CODEC records in every record-batch codec
// into their own topic. The broker's log segments show the batches kept each codec. One `floe run`
// (the real wiring, which registers the codecs) drains both topics into one table; every record must
// land exactly once with its value, key and headers.

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
type Codec = (typeof CODECS)[number];
const PRODUCERS = ["librdkafka", "java"] as const;
type ProducerName = (typeof PRODUCERS)[number];
const PER_CODEC = 300;
const PARTITIONS = 2;

interface Expected {
  id: number;
  producer: ProducerName;
  codec: Codec;
  seq: number;
  text: string;
  amount: number;
  ok: boolean;
  n: number;
  key: string;
  topic: string;
}

function records(producer: ProducerName, codec: Codec, base: number, topic: string): Expected[] {
  return Array.from({ length: PER_CODEC }, (_, seq) => {
    const id = base + seq;
    return {
      id,
      producer,
      codec,
      seq,
      // Non-ASCII text and a longer, repetitive part so the codecs have something to do.
      text: `Grüße ${codec} №${seq} — ${"abc".repeat(seq % 40)} 🚀`,
      amount: id + 0.25,
      ok: seq % 3 === 0,
      n: seq * 7,
      key: `k-${id}`,
      topic,
    };
  });
}

const jsonValue = (r: Expected) =>
  JSON.stringify({
    id: r.id,
    producer: r.producer,
    codec: r.codec,
    seq: r.seq,
    text: r.text,
    amount: r.amount,
    ok: r.ok,
    nested: { n: r.n },
  });

describe("sink: records from librdkafka and the Java client in every codec", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  const env = () => stackEnv();
  const topics: Record<ProducerName, string> = {
    librdkafka: uniqueName("fp_rdkafka"),
    java: uniqueName("fp_java"),
  };
  const group = uniqueName("g");
  const id = { namespace: ["foreign"], name: "events" };
  let sink: SinkProcess | undefined;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(
      admin,
      PRODUCERS.map((p) => ({ topic: topics[p], partitions: PARTITIONS })),
    );
    await admin.disconnect();
  });

  afterAll(() => {
    sink?.kill("SIGKILL");
  });

  it("lands every record exactly once with its value, key and headers", async () => {
    const expected: Expected[] = [];
    const dir = await mkdtemp(join(tmpdir(), "floe-fp-"));
    let base = 0;
    const jobs: Promise<unknown>[] = [];
    for (const codec of CODECS) {
      const rd = records("librdkafka", codec, base, topics.librdkafka);
      base += PER_CODEC;
      const java = records("java", codec, base, topics.java);
      base += PER_CODEC;
      expected.push(...rd, ...java);
      const spec = join(dir, `${codec}.json`);
      await writeFile(
        spec,
        JSON.stringify({
          topic: topics.librdkafka,
          compression: codec,
          records: rd.map((r) => ({
            key: r.key,
            value: jsonValue(r),
            headers: { src: "librdkafka", codec },
            partition: r.id % PARTITIONS,
          })),
        }),
      );
      jobs.push(runPython("produce_librdkafka.py", [spec], { timeoutMs: 60_000 }));
      // One JVM per codec (compression is a producer setting); two at a time on the 2 cores.
      jobs.push(
        javaConsoleProduce({
          stackHome: env().FLOE_STACK_HOME,
          brokers: env().FLOE_KAFKA_BROKERS,
          topic: topics.java,
          compression: codec,
          records: java.map((r) => ({ key: r.key, value: jsonValue(r), headers: { src: "java", codec } })),
        }),
      );
      if (jobs.length >= 4) await Promise.all(jobs.splice(0));
    }
    await Promise.all(jobs);

    // The broker stored each producer's batches in the codec it was asked for.
    const logDir = kafkaLogDir(env().FLOE_STACK_HOME);
    for (const producer of PRODUCERS) {
      const stored = batchCodecs(logDir, topics[producer]);
      expect(
        Object.fromEntries([...stored].map(([c, s]) => [c, s.records])),
        `${producer}: records per codec in the broker's log`,
      ).toEqual(Object.fromEntries(CODECS.map((c) => [c, PER_CODEC])));
    }

    const config = await writeConfig(
      sinkConfig({
        brokers: env().FLOE_KAFKA_BROKERS,
        group,
        warehouse: wh.warehouse,
        intervalMs: 1000,
        tables: [{ topics: PRODUCERS.map((p) => topics[p]), table: "foreign.events", onError: "fail" }],
      }),
    );
    sink = SinkProcess.start(config);
    const total = BigInt(CODECS.length * PER_CODEC);
    await waitFor(
      async () => {
        if (sink?.child.exitCode !== null) throw new Error(`the sink exited:\n${sink?.tail()}`);
        for (const p of PRODUCERS) {
          if ((await committedTotal(wh.catalog, id, group, topics[p])) !== total) return false;
        }
        return true;
      },
      90_000,
      "every record of both topics committed",
    );
    sink.kill("SIGTERM");
    expect((await sink.exited).code).toBe(0);

    const table = await wh.catalog.loadTable(id);
    const duck = await openDuckDB();
    try {
      const rows = (await query(
        duck.conn,
        `SELECT id, producer, codec, seq, text, amount, ok, nested.n AS n, _kafka_key AS key,
                _kafka_topic AS topic, _kafka_partition AS partition, _kafka_offset AS offset,
                _kafka_headers['src'] AS src, _kafka_headers['codec'] AS hcodec
         FROM iceberg_scan('${table.metadataLocation}') ORDER BY id`,
      )) as Record<string, unknown>[];
      expect(rows.length).toBe(expected.length);
      // (topic, partition, offset) unique: no record landed twice.
      const positions = new Set(rows.map((r) => `${r.topic}/${r.partition}/${r.offset}`));
      expect(positions.size).toBe(rows.length);
      const got = rows.map((r) => ({
        id: Number(r.id),
        producer: r.producer,
        codec: r.codec,
        seq: Number(r.seq),
        text: r.text,
        amount: r.amount,
        ok: r.ok,
        n: Number(r.n),
        key: r.key,
        topic: r.topic,
        headers: [r.src, r.hcodec],
      }));
      expect(got).toEqual(expected.map((e) => ({ ...e, headers: [e.producer, e.codec] })));
      // Partitions and offsets as the broker numbered them: per topic partition, 0..n-1 with no gaps.
      const perPartition = await query(
        duck.conn,
        `SELECT _kafka_topic AS topic, _kafka_partition AS partition, count(*) AS n,
                min(_kafka_offset) AS lo, max(_kafka_offset) AS hi
         FROM iceberg_scan('${table.metadataLocation}') GROUP BY ALL ORDER BY ALL`,
      );
      for (const p of perPartition as { n: bigint; lo: bigint; hi: bigint }[]) {
        expect(p.lo).toBe(0n);
        expect(p.hi).toBe(p.n - 1n);
      }
      expect((perPartition as { n: bigint }[]).reduce((a, p) => a + p.n, 0n)).toBe(BigInt(expected.length));
    } finally {
      duck.close();
    }
  }, 150_000);

  it("dead letters sent in every codec are read back by librdkafka and the Java client", async () => {
    // The dead-letter producer (kafkajs with Floe's codecs) writes PER records in each codec.
    const topic = uniqueName("fp_dlq");
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: CODECS.length }]);
    await admin.disconnect();
    const PER = 120;
    const sent = new Map<string, string>();
    for (const codec of CODECS) {
      const producer = kafkajsClient(stackKafka("floe-fp-dlq"), { producerCompression: codec }).producer();
      await producer.connect();
      try {
        // Dead letters go one at a time, but a batch of several exercises the block framing too.
        for (let batch = 0; batch < 4; batch++) {
          const records = Array.from({ length: PER / 4 }, (_, i) => {
            const n = batch * (PER / 4) + i;
            const value = JSON.stringify({ codec, n, text: `dead letter ${n} ${"é".repeat(n * 37)}` });
            sent.set(`${codec}/${n}`, value);
            return { key: Buffer.from(`${codec}/${n}`), value: Buffer.from(value), headers: {} };
          });
          await producer.send(topic, records);
        }
      } finally {
        await producer.disconnect();
      }
    }
    // The broker kept each batch in the codec the producer wrote.
    const stored = batchCodecs(kafkaLogDir(env().FLOE_STACK_HOME), topic);
    expect(Object.fromEntries([...stored].map(([c, s]) => [c, s.records]))).toEqual(
      Object.fromEntries(CODECS.map((c) => [c, PER])),
    );

    const total = CODECS.length * PER;
    const [rd, java] = await Promise.all([
      runPython<{ records: { key: string; value: string }[] }>(
        "consume_librdkafka.py",
        [topic, String(total)],
        {
          timeoutMs: 90_000,
        },
      ),
      javaConsume({
        stackHome: env().FLOE_STACK_HOME,
        brokers: env().FLOE_KAFKA_BROKERS,
        topic,
        expected: total,
      }),
    ]);
    const want = new Map([...sent].sort());
    expect(new Map(rd.records.map((r) => [r.key, r.value] as const).sort())).toEqual(want);
    expect(rd.records.length).toBe(total);
    expect(new Map(java.map((r) => [r.key!.toString(), r.value!.toString()] as const).sort())).toEqual(want);
    expect(java.length).toBe(total);
  }, 120_000);
});
