import { afterEach, describe, expect, it } from "vitest";
import { RestCatalog } from "../../../src/catalog/index.js";
import { FaultProxy, faultSeed } from "../../support/fault-proxy.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { committedTotal, producePaced, SinkProcess, sleep, waitFor, writeConfig } from "../ingest/support.js";
import { countLogs, expectExactlyOnce, readBack, reportOnFailure, SCHEMA } from "./support.js";

// A catalog outage mid-run: the REST catalog refuses connections for 20 s, then answers 503 for 25 s,
// while records keep arriving. The sink never exits: it keeps its memory within buffer.maxBytes (it
// stops fetching), /readyz fails with the reason, failed commits are counted, and once the catalog is
// back it commits everything by itself, exactly once (read back by PyIceberg).

const PARTITIONS = 2;
const TOTAL = 50_000;
const MAX_BYTES = 2 * 1024 * 1024;

describe("faults: catalog outage", () => {
  let proxy: FaultProxy | undefined;
  let sink: SinkProcess | undefined;
  afterEach(async () => {
    sink?.kill("SIGKILL");
    await proxy?.close();
  });

  it("rides out 20 s of refused connections and 25 s of 503 without a restart, exactly once", async () => {
    const env = stackEnv();
    proxy = await FaultProxy.start({ target: env.FLOE_REST_URI, seed: faultSeed(7) });
    reportOnFailure([proxy], () => sink);
    const topic = uniqueName("outage");
    const group = uniqueName("g-outage");
    const id = { namespace: [uniqueName("outage")], name: "events" };
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);
    await admin.disconnect();
    const configFile = await writeConfig({
      kafka: { brokers: [env.FLOE_KAFKA_BROKERS], groupId: group, clientId: "floe-outage" },
      warehouse: {
        location: `s3://${env.FLOE_S3_BUCKET}/rest`,
        storage: {
          endpoint: env.FLOE_S3_ENDPOINT,
          region: env.FLOE_S3_REGION,
          forcePathStyle: true,
          accessKeyId: env.FLOE_S3_ACCESS_KEY_ID,
          secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY,
        },
      },
      catalog: { type: "rest", uri: proxy.url },
      commit: { intervalMs: 1000 },
      buffer: { maxBytes: MAX_BYTES },
      http: { host: "127.0.0.1", port: 0 },
      log: { level: "info" },
      tables: [
        {
          topics: [topic],
          table: `${id.namespace[0]}.events`,
          format: "json",
          onError: "fail",
          schema: SCHEMA,
        },
      ],
    });
    sink = SinkProcess.start(configFile);
    const running = sink;
    const up = await running.waitForLog((l) => l.msg === "http endpoints up", 90_000, "http endpoints up");
    const base = String(up.url);
    await running.waitForLog((l) => l.msg === "partitions assigned", 90_000, "partitions assigned");
    const direct = new RestCatalog({ uri: env.FLOE_REST_URI });
    const metric = async (name: string) => {
      const text = await fetch(`${base}/metrics`).then((r) => r.text());
      return text
        .split("\n")
        .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
        .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    };

    // Records arrive the whole time: ~1000/s for ~50 s.
    const producing = producePaced(
      stackKafka("floe-outage-producer"),
      topic,
      PARTITIONS,
      TOTAL,
      1000,
      (i) => ({
        key: `k${i}`,
        value: JSON.stringify({ id: i, payload: `p${i % 9973}` }),
      }),
    );
    await waitFor(
      async () => (await committedTotal(direct, id, group, topic)) > 0n,
      60_000,
      "a first commit",
    );

    // The outage: 20 s refused, then 25 s of 503 on every request.
    const samples: { buffer: number; paused: number; ready: number; reason: string }[] = [];
    const sample = async () => {
      const ready = await fetch(`${base}/readyz`);
      samples.push({
        buffer: await metric("floe_buffer_bytes"),
        paused: await metric("floe_consumer_paused"),
        ready: ready.status,
        reason: await ready.text(),
      });
    };
    const outageStart = Date.now();
    void proxy.refuseFor(20_000);
    while (Date.now() - outageStart < 20_000) {
      await sample();
      await sleep(1000);
    }
    proxy.setRules([
      {
        kind: "503",
        body: JSON.stringify({
          error: { message: "Service Unavailable", type: "ServiceUnavailableException", code: 503 },
        }),
        contentType: "application/json",
      },
    ]);
    while (Date.now() - outageStart < 45_000) {
      await sample();
      await sleep(1000);
    }
    proxy.setRules([]);
    const recoveredAt = Date.now();
    await producing;
    await waitFor(
      async () => {
        if (running.child.exitCode !== null) throw new Error(`the sink exited (${running.child.exitCode})`);
        return (await committedTotal(direct, id, group, topic)) === BigInt(TOTAL);
      },
      120_000,
      "every record committed after the outage",
    );
    const recoverySeconds = (Date.now() - recoveredAt) / 1000;
    const failedCommits = await metric("floe_commits_total");
    const errors = (await fetch(`${base}/metrics`).then((r) => r.text()))
      .split("\n")
      .filter((l) => l.startsWith("floe_commits_total{") && l.includes('outcome="error"'))
      .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // During the outage: not ready, with the reason; memory bounded; consumption paused at some point.
    expect(samples.some((s) => s.ready === 503 && /commit failed/.test(s.reason))).toBe(true);
    expect(Math.max(...samples.map((s) => s.buffer))).toBeLessThanOrEqual(MAX_BYTES + 64 * 1024);
    expect(samples.some((s) => s.paused === 1)).toBe(true);
    expect(errors).toBeGreaterThan(0);
    expect(countLogs(running, "table commit failed; reading its records again and retrying")).toBeGreaterThan(
      0,
    );

    running.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
    const readback = await readBack((await direct.loadTable(id)).metadataLocation, topic);
    expectExactlyOnce(readback, PARTITIONS, TOTAL);
    console.log(
      `catalog-outage table: ${JSON.stringify({ faults: proxy.counts, refusedS: 20, http503S: 25, records: TOTAL, duplicates: readback.duplicates, missing: TOTAL - readback.distinct, failedCommits: errors, commits: failedCommits, restarts: 0, recoverySeconds })}`,
    );
  }, 300_000);
});
