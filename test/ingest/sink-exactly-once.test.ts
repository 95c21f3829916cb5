import { afterEach, describe, expect, it } from "vitest";
import { type Catalog, EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { parseConfig } from "../../src/config.js";
import { FloeError } from "../../src/errors.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { committedOffsets, Sink } from "../../src/ingest/index.js";
import { createLogger } from "../../src/log.js";
import { sinkMetrics } from "../../src/service/metrics.js";
import { liveRows } from "../compaction/helpers.js";
import { FakeKafka, type FakeSource } from "../support/fake-kafka.js";

// The sink's exactly-once logic against a fake Kafka behind the source port: positions come from the
// tables, gaps and transaction markers neither stall nor skip, zombies lose, revoked partitions are
// dropped, and nothing past a record that cannot be read is committed.

const GROUP = "g";
const TABLE = { namespace: ["db"], name: "t" };

/** The catalog, but unreachable while `down` (and able to lose one commit's response). */
class FlakyCatalog {
  down = false;
  /** The next commit is applied, then the catalog goes down and the response is lost. */
  loseNextResponse = false;
  constructor(private readonly inner: EmbeddedCatalog) {}
  catalog(): Catalog {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (this.down) throw new FloeError("SERVICE_UNAVAILABLE", "catalog unreachable: ECONNREFUSED");
          const out = await value.apply(target, args);
          if (prop === "commitTable" && this.loseNextResponse) {
            this.loseNextResponse = false;
            this.down = true;
            throw new FloeError("COMMIT_STATE_UNKNOWN", "commit response lost: socket hang up");
          }
          return out;
        };
      },
    }) as Catalog;
  }
}

function setup(
  opts: {
    onError?: "fail" | "skip" | "dlq";
    format?: "json" | "string";
    unreadyAfterMs?: number;
    tableField?: string;
  } = {},
) {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  const flaky = new FlakyCatalog(catalog);
  const kafka = new FakeKafka();
  const config = parseConfig({
    kafka: { groupId: GROUP },
    commit: { intervalMs: 3_600_000, idleMs: 0, unreadyAfterMs: opts.unreadyAfterMs ?? 0 },
    tables: [
      {
        topics: ["t"],
        table: opts.tableField ? "db.{field}" : "db.t",
        ...(opts.tableField ? { tableField: opts.tableField } : {}),
        format: opts.format ?? "json",
        onError: opts.onError ?? "dlq",
        ...(opts.format === "string" ? {} : { schema: jsonSchema }),
      },
    ],
  });
  const metrics = sinkMetrics();
  const sinks: Sink[] = [];
  const newSink = async (): Promise<{ sink: Sink; source: FakeSource }> => {
    const sink = new Sink({
      config,
      client: kafka,
      catalog: flaky.catalog(),
      io,
      logger: createLogger({ level: "error", write: () => undefined }),
      metrics,
    });
    await sink.start();
    sinks.push(sink);
    const source = kafka.sources.at(-1);
    if (!source) throw new Error("the sink made no source");
    return { sink, source };
  };
  const ids = async (): Promise<number[]> => {
    const table = new Table(catalog, await catalog.loadTable(TABLE), io);
    return (await liveRows(table))
      .map((r) => Number(String(JSON.parse(r).id).replace(/n$/, "")))
      .sort((a, b) => a - b);
  };
  const offsets = async () => committedOffsets((await catalog.loadTable(TABLE)).metadata, GROUP).get("t");
  const settle = async (source: FakeSource) => {
    await new Promise((r) => setTimeout(r, 0));
    await source.drain();
  };
  cleanups.push(async () => {
    for (const s of sinks) await s.stop();
  });
  return { kafka, catalog, flaky, io, metrics, newSink, ids, offsets, settle };
}

const jsonSchema = {
  type: "struct",
  fields: [{ id: 1, name: "id", required: true, type: "long" }],
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i }));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("sink exactly-once logic (fake source)", () => {
  it("commits each record once and restarts where the table's offsets say, not the group's", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 120));
    s.kafka.append("t", 1, rows(1000, 30));
    const a = await s.newSink();
    a.source.assign({ t: [0, 1] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    await a.sink.stop();
    expect(a.source.commits.at(-1)).toEqual(
      expect.arrayContaining([
        { topic: "t", partition: 0, offset: 120n },
        { topic: "t", partition: 1, offset: 30n },
      ]),
    );

    // A restart whose group offsets were lost (position 0) still starts at the table's offsets.
    s.kafka.append("t", 0, rows(120, 10));
    const b = await s.newSink();
    b.source.assign({ t: [0, 1] }, 0n);
    await s.settle(b.source);
    await b.sink.requestFlush();
    expect(await s.ids()).toEqual([...range(0, 130), ...range(1000, 30)]);
    expect((await s.offsets())?.get(0)).toBe(130n);
  });

  it("reads across compacted gaps, aborted records and transaction markers without stalling", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 10)); // 0-9
    s.kafka.skipOffsets("t", 0, 5); // 10-14 compacted away
    s.kafka.append("t", 0, rows(10, 10)); // 15-24
    s.kafka.hide("t", 0, 4); // 25-27 aborted, 28 its marker
    s.kafka.append("t", 0, rows(20, 10)); // 29-38
    s.kafka.hide("t", 0, 1); // 39: commit marker, the partition's last offset
    s.kafka.fetchSize = 7; // fetches that begin inside gaps and end on hidden offsets
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 30));
    // The committed offset is past the final marker: a restart neither re-reads nor waits.
    expect((await s.offsets())?.get(0)).toBe(40n);
    await a.sink.stop();

    s.kafka.hide("t", 0, 2); // 40-41: an aborted transaction after the restart point
    s.kafka.append("t", 0, rows(30, 5)); // 42-46
    const b = await s.newSink();
    b.source.assign({ t: [0] });
    await s.settle(b.source);
    await b.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 35));
    expect((await s.offsets())?.get(0)).toBe(47n);
  });

  it("seeks back when a fetch begins past its position instead of skipping records", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 40));
    s.kafka.fetchSize = 10;
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await a.source.fetchOnce(); // 0-9 buffered
    a.source.jump("t", 0, 25n); // the client's position moves behind the sink's back
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 40));
  });

  it("a zombie's batch loses to the writer that committed the range first", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 50));
    const zombie = await s.newSink();
    zombie.source.assign({ t: [0] });
    await s.settle(zombie.source); // 0-49 buffered, not committed
    // A rebalance the zombie missed: another member owns the partition, reads and commits it.
    const owner = await s.newSink();
    s.kafka.append("t", 0, rows(50, 10));
    owner.source.assign({ t: [0] });
    await s.settle(owner.source);
    await owner.sink.requestFlush();
    expect((await s.offsets())?.get(0)).toBe(60n);
    await zombie.sink.requestFlush(); // must not commit 0-49 again
    expect(await s.ids()).toEqual(range(0, 60));
    expect((await s.offsets())?.get(0)).toBe(60n);
    // The zombie was sent back to where the table is.
    await s.settle(zombie.source);
    expect(zombie.source.position("t", 0)).toBe(60n);
  });

  it("drops what it buffered for a revoked partition; the new owner reads it", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 20));
    s.kafka.append("t", 1, rows(100, 20));
    const a = await s.newSink();
    a.source.assign({ t: [0, 1] });
    await s.settle(a.source);
    a.source.assign({ t: [0] }); // partition 1 moves away before a commit
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 20));
    expect((await s.offsets())?.get(1)).toBeUndefined();
    const b = await s.newSink();
    b.source.assign({ t: [1] });
    await s.settle(b.source);
    await b.sink.requestFlush();
    expect(await s.ids()).toEqual([...range(0, 20), ...range(100, 20)]);
  });

  it("counts and skips tombstones and empty values in a JSON append table", async () => {
    const s = setup();
    s.kafka.append("t", 0, [{ id: 1 }, null, Buffer.alloc(0), { id: 2 }, null]);
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual([1, 2]);
    expect((await s.offsets())?.get(0)).toBe(5n);
    const text = s.metrics.registry.render();
    expect(text).toMatch(/floe_records_skipped_total\{reason="tombstone",topic="t"\} 2/);
    expect(text).toMatch(/floe_records_skipped_total\{reason="empty-value",topic="t"\} 1/);
    expect(s.kafka.produced).toHaveLength(0); // not dead letters
  });

  it("keeps a tombstone as a null value in a string table", async () => {
    const s = setup({ format: "string" });
    s.kafka.append("t", 0, ["a", null, Buffer.alloc(0)]);
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    const table = new Table(s.catalog, await s.catalog.loadTable(TABLE), s.io);
    const values = (await liveRows(table)).map((r) => JSON.parse(r).value);
    expect(values.sort()).toEqual(['"a"', "", null].sort());
  });

  it("stops with DECODE_FAILED naming the partition and offset when a batch cannot be decoded", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 10));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    a.source.crash("a fetched record batch could not be decoded: unknown compression codec 6");
    const error = await a.sink.waitUntilStopped();
    expect(error?.code).toBe("DECODE_FAILED");
    expect(error?.message).toContain("t/0 at offset 10");
    expect(error?.context).toMatchObject({ topic: "t", partition: 0, offset: 10n });
    // What came before the bad batch is committed; nothing past it.
    expect((await s.offsets())?.get(0)).toBe(10n);
  });

  it("sends a dead letter the topic refuses as too large in a bounded form, and goes on", async () => {
    const s = setup();
    s.kafka.maxRecordBytes = 20_000;
    const huge = Buffer.from(`{"id": ${"9".repeat(100_000)}`); // not JSON: a dead letter of ~100 KB
    s.kafka.append("t", 0, [{ id: 1 }, huge, { id: 2 }]);
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual([1, 2]);
    expect((await s.offsets())?.get(0)).toBe(3n);
    expect(s.kafka.produced).toHaveLength(1);
    const letter = s.kafka.produced[0]?.record;
    const h = (k: string) => letter?.headers[k]?.toString();
    expect(h("floe.dlq.truncated")).toBe("true");
    expect(h("floe.dlq.original-size")).toBe(String(huge.length));
    expect(h("floe.source.offset")).toBe("1");
    expect(letter?.value?.length).toBeGreaterThan(0);
    expect(letter?.value?.length).toBeLessThan(20_000);
    expect(letter?.value).toEqual(huge.subarray(0, letter?.value?.length));
  });

  it("stops naming the record when not even a bounded dead letter fits; its offset is not committed", async () => {
    const s = setup();
    s.kafka.maxRecordBytes = 50; // less than the dead letter's own headers
    s.kafka.append("t", 0, [{ id: 1 }, "not json at all"]);
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    const error = await a.sink.waitUntilStopped();
    expect(error?.code).toBe("IO_ERROR");
    expect(error?.message).toContain("dead letter for t/0@1 could not be written to floe-dlq");
    // Dead letters are acknowledged before any table commit: nothing was committed.
    expect(await s.catalog.tableExists(TABLE)).toBe(false);
  });

  it("rides out a catalog outage: re-reads and retries, never stops, commits everything once", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 50));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    s.flaky.down = true;
    await a.sink.requestFlush(); // fails: the batch is to be read again
    expect(a.sink.ready()).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/last commit failed/),
    });
    expect(a.source.pendingSeek("t", 0)).toBe(0n); // sought back to where the failed batch began
    s.kafka.append("t", 0, rows(50, 20));
    await s.settle(a.source);
    await a.sink.requestFlush(); // still down
    s.flaky.down = false;
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 70));
    expect((await s.offsets())?.get(0)).toBe(70n);
    expect(a.sink.ready()).toEqual({ ready: true });
    expect(s.metrics.registry.render()).toMatch(/floe_commits_total\{outcome="error",table="db\.t"\} 2/);
  });

  it("a commit that landed while its response was lost is not committed again after the outage", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 30));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush(); // creates the table: 0-29
    s.kafka.append("t", 0, rows(30, 30));
    await s.settle(a.source);
    s.flaky.loseNextResponse = true; // 30-59 land, the response is lost, the catalog goes down
    await a.sink.requestFlush();
    expect(a.sink.ready().ready).toBe(false);
    s.flaky.down = false;
    s.kafka.append("t", 0, rows(60, 10));
    await s.settle(a.source); // re-reads 30-69
    await a.sink.requestFlush(); // finds 30-59 committed: moves past them
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 70));
    expect((await s.offsets())?.get(0)).toBe(70n);
  });

  it("an assignment during a catalog outage waits for the tables' offsets instead of failing", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 30));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush(); // 0-29 committed
    await a.sink.stop();
    s.kafka.append("t", 0, rows(30, 10));
    s.flaky.down = true;
    const b = await s.newSink();
    b.source.assign({ t: [0] }, 0n); // the group's offsets were lost: only the table knows where to start
    const draining = s.settle(b.source); // its batches wait for the positions
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.sink.ready()).toMatchObject({ ready: false, reason: expect.stringMatching(/offsets failed/) });
    s.flaky.down = false;
    await draining;
    await s.settle(b.source);
    await b.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 40));
    expect(b.sink.ready()).toEqual({ ready: true });
  });

  it("is not ready while the Kafka client restarts itself, and ready again once it fetches", async () => {
    const s = setup();
    s.kafka.append("t", 0, rows(0, 5));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    expect(a.sink.ready()).toEqual({ ready: true });
    a.source.trouble("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
    expect(a.sink.ready()).toEqual({
      ready: false,
      reason: "kafka: Connection error: connect ECONNREFUSED 127.0.0.1:9092",
    });
    a.source.trouble(undefined);
    expect(a.sink.ready()).toEqual({ ready: true });
  });

  it("with commit.unreadyAfterMs, stays ready through failures shorter than it", async () => {
    const s = setup({ unreadyAfterMs: 60_000 });
    s.kafka.append("t", 0, rows(0, 5));
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    s.flaky.down = true;
    await a.sink.requestFlush();
    expect(a.sink.ready()).toEqual({ ready: true });
    s.flaky.down = false;
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual(range(0, 5));
  });

  it("dead-letters a record it cannot route with floe.error.stage route", async () => {
    const s = setup({ tableField: "kind" });
    s.kafka.append("t", 0, [{ id: 1, kind: "t" }, { id: 2 }]);
    const a = await s.newSink();
    a.source.assign({ t: [0] });
    await s.settle(a.source);
    await a.sink.requestFlush();
    expect(await s.ids()).toEqual([1]);
    expect(s.kafka.produced).toHaveLength(1);
    const h = s.kafka.produced[0]?.record.headers ?? {};
    expect(h["floe.error.stage"]?.toString()).toBe("route");
    expect(h["floe.source.offset"]?.toString()).toBe("1");
    expect(h["floe.error.message"]?.toString()).toContain("routing field 'kind'");
  });
});
