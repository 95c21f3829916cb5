import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { parseConfig } from "../../src/config.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { countFields, currentSchema } from "../../src/iceberg/spec/index.js";
import { DLQ_HEADERS, Sink } from "../../src/ingest/index.js";
import { createLogger } from "../../src/log.js";
import { sinkMetrics } from "../../src/service/metrics.js";
import { liveRows } from "../compaction/helpers.js";
import { FakeKafka, type FakeSource } from "../support/fake-kafka.js";

// Issue 13, finding 1 and the names items of 9: a record whose field names no column may have (empty,
// control characters, over 255 bytes, `_kafka_*` next to the metadata columns, a dotted name that
// collides with a nested one) or that would take the table past its column limit is that record's
// error: a dead letter naming the field or the limit, never a schema change. The table stays writable.

const TABLE = { namespace: ["db"], name: "t" };

function setup(route: Record<string, unknown> = {}) {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  const kafka = new FakeKafka();
  const config = parseConfig({
    kafka: { groupId: "g" },
    commit: { intervalMs: 3_600_000, idleMs: 0 },
    tables: [{ topics: ["t"], table: "db.t", format: "json", onError: "dlq", ...route }],
  });
  const sinks: Sink[] = [];
  const errors: string[] = [];
  const run = async (): Promise<{ sink: Sink; source: FakeSource }> => {
    const sink = new Sink({
      config,
      client: kafka,
      catalog,
      io,
      logger: createLogger({
        level: "error",
        write: (line) => {
          errors.push(line);
        },
      }),
      metrics: sinkMetrics(),
    });
    await sink.start();
    sinks.push(sink);
    const source = kafka.sources.at(-1);
    if (!source) throw new Error("the sink made no source");
    source.assign({ t: [0] });
    await new Promise((r) => setTimeout(r, 0));
    await source.drain();
    await sink.requestFlush();
    return { sink, source };
  };
  const table = async () => new Table(catalog, await catalog.loadTable(TABLE), io);
  const ids = async () =>
    (await liveRows(await table()))
      .map((r) => Number(String(JSON.parse(r).id).replace(/n$/, "")))
      .sort((a, b) => a - b);
  const letters = () =>
    kafka.produced.map((p) => ({
      offset: Number(p.record.headers?.[DLQ_HEADERS.offset]?.toString()),
      reason: p.record.headers?.[DLQ_HEADERS.reason]?.toString(),
      message: p.record.headers?.[DLQ_HEADERS.message]?.toString() ?? "",
    }));
  cleanups.push(async () => {
    for (const s of sinks) await s.stop();
  });
  return { kafka, catalog, run, table, ids, letters, errors };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("sink: field names no column may have (issue 13)", () => {
  it('finding 1: {"id":1,"":1} is a dead letter, the table stays writable and restarts work', async () => {
    const s = setup();
    s.kafka.append("t", 0, [{ id: 0 }]);
    s.kafka.append("t", 0, [Buffer.from('{"id":1,"":1}')]);
    s.kafka.append("t", 0, [{ id: 2, name: "x" }]);
    const a = await s.run();
    expect(s.letters()).toEqual([
      { offset: 1, reason: "SCHEMA_INCOMPATIBLE", message: expect.stringMatching(/field name "" is empty/) },
    ]);
    expect(await s.ids()).toEqual([0, 2]);
    expect(currentSchema((await s.table()).metadata).fields.map((f) => f.name)).not.toContain("");
    await a.sink.stop();

    // A restart, and later records, land.
    s.kafka.append("t", 0, [{ id: 3 }, Buffer.from('{"id":4,"":2}'), { id: 5 }]);
    const b = await s.run();
    expect(await s.ids()).toEqual([0, 2, 3, 5]);
    expect(s.letters().map((l) => l.offset)).toEqual([1, 4]);
    expect(b.sink.ready()).toEqual({ ready: true });
  });

  it("the first record of a new table with an empty name does not create the column", async () => {
    const s = setup();
    s.kafka.append("t", 0, [Buffer.from('{"":1,"id":1}'), { id: 2 }]);
    await s.run();
    expect(await s.ids()).toEqual([2]);
    expect(s.letters().map((l) => l.offset)).toEqual([0]);
  });

  it("refuses control characters, names over 255 bytes and dotted collisions, naming the field", async () => {
    const s = setup();
    const long = "é".repeat(128); // 256 bytes of UTF-8
    s.kafka.append("t", 0, [
      { id: 0, a: { b: 1 } },
      Buffer.from('{"id":1,"bad\\u0001":1}'),
      { id: 2, [long]: 1 },
      { id: 3, "a.b": 2 },
      { id: 4, s: { "": 1 } },
      { id: 5, ok: 1 },
    ]);
    await s.run();
    expect(await s.ids()).toEqual([0, 5]);
    const messages = s.letters().map((l) => l.message);
    expect(messages).toEqual([
      expect.stringMatching(/field name "bad\\u0001" contains the control character U\+0001/),
      expect.stringMatching(/256 bytes of UTF-8, more than 255/),
      expect.stringMatching(/field name "s." is empty/),
      // Found when merged into the table's schema, at commit: after the ones refused when decoded.
      expect.stringMatching(/field names "a"."b" and "a.b" collide/),
    ]);
  });

  it("value fields named _kafka_* are dead letters next to the metadata columns, columns without them", async () => {
    const s = setup();
    s.kafka.append("t", 0, [{ id: 0 }, { id: 1, _kafka_topic: "spoofed" }, { id: 2, _kafka_extra: 1 }]);
    await s.run();
    expect(await s.ids()).toEqual([0]);
    expect(s.letters().map((l) => l.message)).toEqual([
      expect.stringMatching(/field name "_kafka_topic" starts with "_kafka_", which is reserved/),
      expect.stringMatching(/field name "_kafka_extra" starts with "_kafka_"/),
    ]);

    const plain = setup({ metadataColumns: false });
    plain.kafka.append("t", 0, [{ id: 0, _kafka_topic: "mine" }]);
    await plain.run();
    expect(plain.letters()).toEqual([]);
    const rows = (await liveRows(await plain.table())).map((r) => JSON.parse(r));
    expect(rows.map((r) => r._kafka_topic)).toEqual(["mine"]);
  });

  it("a record with 10,000 fields is a dead letter naming the limit; the table keeps its columns", async () => {
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]));
    const s = setup();
    s.kafka.append("t", 0, [{ id: 0, ...wide }, { id: 1 }]); // the wide one first: it would create the table
    await s.run();
    expect(await s.ids()).toEqual([1]);
    expect(s.letters()).toEqual([
      {
        offset: 0,
        reason: "SCHEMA_INCOMPATIBLE",
        message: expect.stringMatching(
          /over the limit of 1000 \(tables\.0\.maxColumns, counting nested fields\)/,
        ),
      },
    ]);
    const columns = countFields(currentSchema((await s.table()).metadata));
    expect(columns).toBeLessThan(20);

    // Later: the same record again, and one that fits.
    s.kafka.append("t", 0, [
      { id: 2, ...wide },
      { id: 3, extra: 1 },
    ]);
    await s.run();
    expect(await s.ids()).toEqual([1, 3]);
    expect(s.letters().map((l) => l.offset)).toEqual([0, 2]);
    expect(countFields(currentSchema((await s.table()).metadata))).toBe(columns + 1);
  });

  it("maxColumns is per route", async () => {
    const s = setup({ maxColumns: 10, metadataColumns: false });
    s.kafka.append("t", 0, [
      { id: 0, a: 1 },
      { id: 1, s: { x: 1, y: 2, z: [1, 2] } }, // 2 + 1 + 3 + 1 (list element) = 7: fits
      { id: 2, m: { p: 1, q: 2, r: 3 } }, // 7 + 4 = 11: over
    ]);
    await s.run();
    expect(await s.ids()).toEqual([0, 1]);
    expect(s.letters().map((l) => l.message)).toEqual([
      expect.stringMatching(/to 11 columns, over the limit of 10/),
    ]);
  });
});
