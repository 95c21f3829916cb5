import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { stackFileIO } from "../../support/warehouse.js";
import { committedTotal, SinkProcess, sinkConfig, sleep, waitFor, writeConfig } from "../ingest/support.js";
import { DedicatedBroker } from "./dedicated-broker.js";
import { readBack, SCHEMA } from "./support.js";

// A broker restart mid-run: records arrive at ~1000/s while a dedicated single-node KRaft broker (never
// the stack's shared one) is stopped with SIGTERM (controlled shutdown), kept down 10 s and started
// again on the same ports and log dir; then the same with kill -9. The producer retries its sends
// (idempotent, one in flight), so the records in Kafka are exactly the ones produced. The sink must
// ride it out without exiting, and PyIceberg must find every record of the topic exactly once.

const PARTITIONS = 2;
const BATCH = 200;
const PAUSE_MS = 200;
const DOWN_MS = 10_000;

describe("faults: broker restart", () => {
  let broker: DedicatedBroker | undefined;
  let sink: SinkProcess | undefined;
  let warehouseDir: string | undefined;

  beforeAll(async () => {
    broker = await DedicatedBroker.start(stackEnv().FLOE_STACK_HOME);
  }, 120_000);
  afterEach(() => {
    sink?.kill("SIGKILL");
  });
  afterAll(async () => {
    await broker?.destroy();
    if (warehouseDir) await rm(warehouseDir, { recursive: true, force: true });
  });

  it("rides out a SIGTERM restart and a kill -9 restart of its broker without exiting, exactly once", async () => {
    const b = broker;
    if (!b) throw new Error("no dedicated broker");
    onTestFailed(() => {
      if (sink) console.error(`sink log tail:\n${sink.tail(60)}`);
      console.error(`broker output tail:\n${b.tail().slice(-3000)}`);
    });
    const topic = uniqueName("restart");
    const group = uniqueName("g-restart");
    const id = { namespace: [uniqueName("restart")], name: "events" };
    warehouseDir = await mkdtemp(join(tmpdir(), "floe-wh-restart-"));
    const warehouse = pathToFileURL(warehouseDir).href;
    const catalog = new EmbeddedCatalog({ warehouse, io: stackFileIO() });

    const admin = b.kafka("floe-restart-admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();

    const configFile = await writeConfig(
      sinkConfig({
        brokers: b.brokers,
        group,
        warehouse,
        tables: [{ topics: [topic], table: `${id.namespace[0]}.events`, onError: "fail", schema: SCHEMA }],
      }),
    );
    sink = SinkProcess.start(configFile);
    const running = sink;
    const up = await running.waitForLog((l) => l.msg === "http endpoints up", 90_000, "http endpoints up");
    await running.waitForLog((l) => l.msg === "partitions assigned", 90_000, "partitions assigned");
    const alive = () => running.child.exitCode === null && running.child.signalCode === null;

    // The producer: batches of 200 every 200 ms; a batch that fails is sent again (same idempotent
    // producer) until it is acknowledged, so `produced` is exactly what Kafka holds.
    let produced = 0;
    let failedSends = 0;
    let producing = true;
    const producer = b.kafka("floe-restart-producer").producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const loop = (async () => {
      while (producing) {
        const messages = [];
        for (let i = produced; i < produced + BATCH; i++) {
          messages.push({
            key: `k${i}`,
            value: JSON.stringify({ id: i, payload: `p${i % 9973}` }),
            partition: i % PARTITIONS,
          });
        }
        for (;;) {
          try {
            await producer.send({ topic, messages, acks: -1 });
            break;
          } catch {
            failedSends++;
            await sleep(500);
          }
        }
        produced += BATCH;
        await sleep(PAUSE_MS);
      }
    })();

    const readyz = async () => {
      try {
        const r = await fetch(`${String(up.url)}/readyz`);
        return `${r.status} ${await r.text()}`;
      } catch (e) {
        return String(e);
      }
    };
    const outages: { signal: string; downS: number; recoveryS: number; readyzDown: string[] }[] = [];
    const restart = async (signal: NodeJS.Signals) => {
      await waitFor(
        async () => {
          if (!alive()) throw new Error(`the sink exited (${running.child.exitCode})`);
          return (await committedTotal(catalog, id, group, topic)) >= BigInt(produced);
        },
        60_000,
        `the sink caught up before the ${signal} restart`,
      );
      await sleep(3000);
      const downAt = Date.now();
      await b.stop(signal);
      const readyzDown: string[] = [];
      while (Date.now() - downAt < DOWN_MS) {
        readyzDown.push(await readyz());
        await sleep(2000);
      }
      await b.resume();
      const backAt = Date.now();
      const target = BigInt(produced);
      await waitFor(
        async () => {
          if (!alive())
            throw new Error(`the sink exited (${running.child.exitCode}) after the ${signal} restart`);
          return (await committedTotal(catalog, id, group, topic)) >= target + BigInt(BATCH);
        },
        60_000,
        `the sink committing records produced after the ${signal} restart`,
      );
      outages.push({
        signal,
        downS: (backAt - downAt) / 1000,
        recoveryS: (Date.now() - backAt) / 1000,
        readyzDown: [...new Set(readyzDown)],
      });
    };
    await restart("SIGTERM");
    await restart("SIGKILL");
    // While the broker was down the sink said so on /readyz (the client restarting itself).
    for (const o of outages) {
      expect(
        o.readyzDown.some((r) => r.startsWith("503") && r.includes("kafka")),
        `${o.signal}: ${o.readyzDown.join(" | ")}`,
      ).toBe(true);
    }
    await sleep(2000);
    producing = false;
    await loop;
    await producer.disconnect();

    // What Kafka holds: exactly the produced records (the idempotent producer's retries added none).
    const check = b.kafka("floe-restart-check").admin();
    await check.connect();
    const ends = await check.fetchTopicOffsets(topic);
    await check.disconnect();
    const highWater = new Map(ends.map((o) => [String(o.partition), Number(o.high)]));
    const inKafka = [...highWater.values()].reduce((a, n) => a + n, 0);
    expect(inKafka, "records in Kafka vs acknowledged sends").toBe(produced);

    await waitFor(
      async () => {
        if (!alive()) throw new Error(`the sink exited (${running.child.exitCode})`);
        return (await committedTotal(catalog, id, group, topic)) === BigInt(produced);
      },
      60_000,
      `all ${produced} records committed`,
    );
    expect(alive(), "the sink exited by itself").toBe(true);
    expect((await readyz()).startsWith("200"), "ready after the restarts").toBe(true);
    running.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);

    const readback = await readBack((await catalog.loadTable(id)).metadataLocation, topic);
    expect(readback.missing, "files referenced by a snapshot are missing").toEqual([]);
    expect({ rows: readback.rows, distinct: readback.distinct, duplicates: readback.duplicates }).toEqual({
      rows: produced,
      distinct: produced,
      duplicates: 0,
    });
    const want: Record<string, [number, number, number]> = {};
    for (const [p, n] of highWater) want[p] = [n, 0, n - 1];
    expect(readback.partitions).toEqual(want);
    console.log(
      `broker-restart table: ${JSON.stringify({ faults: outages, failedSends, records: produced, duplicates: readback.duplicates, missing: produced - readback.distinct, restarts: 0 })}`,
    );
  }, 240_000);
});
