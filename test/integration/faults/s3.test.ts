import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { main } from "../../../src/cli.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { FaultProxy, type FaultRequest, faultSeed } from "../../support/fault-proxy.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { stackFileIO } from "../../support/warehouse.js";
import { sinkConfig, sleep, writeConfig } from "../ingest/support.js";
import { countLogs, expectExactlyOnce, readBack, runScenario, SCHEMA } from "./support.js";

// The sink's whole warehouse (data files, manifests, the embedded catalog's metadata) on S3 through a
// fault proxy: 5% of requests answered 503 SlowDown, 1% forwarded and then reset, 2% delayed 3 s, 1% of
// reads truncated, for the whole run. A backlog of large records makes the first commits write data files above the 16 MiB
// multipart threshold, so multipart uploads (create, parts, complete) run through the faults too; on
// top of the random faults, the third data-file PUT, the first part upload and the first completion
// are reset after forwarding, the 4th and 5th PUT answered 503 and the 6th read truncated, so every
// write path meets a fault in every run.
const SEED = faultSeed(20261207);
const PARTITIONS = 6;
const BACKLOG = 9_000; // ~3 KB each: ~27 MB, above commit.maxBytes (24 MiB) -> a ~18 MiB data file
const STEADY = 24_000;

const isDataPut = (r: FaultRequest) =>
  r.method === "PUT" && r.path.includes("/data/") && !r.url.includes("uploadId=");
const isPart = (r: FaultRequest) => r.method === "PUT" && r.url.includes("partNumber=");
const isComplete = (r: FaultRequest) => r.method === "POST" && r.url.includes("uploadId=");

describe("faults: S3 throttling, resets and delays for a whole run", () => {
  let proxy: FaultProxy;
  let io: FileIO;

  beforeAll(async () => {
    const env = stackEnv();
    proxy = await FaultProxy.start({
      target: env.FLOE_S3_ENDPOINT,
      seed: SEED,
      rules: [
        { kind: "reset", name: "reset", when: isDataPut, after: 2, limit: 1 },
        { kind: "reset", name: "reset", when: isPart, limit: 1 },
        { kind: "reset", name: "reset", when: isComplete, limit: 1 },
        { kind: "503", name: "503", when: (r) => r.method === "PUT", after: 3, limit: 2 },
        { kind: "truncate", name: "truncate", when: (r) => r.method === "GET", after: 5, limit: 1 },
        { kind: "503", probability: 0.05 },
        { kind: "reset", probability: 0.01 },
        { kind: "delay", ms: 3000, probability: 0.02 },
        // And 1% of reads get a truncated body (the headers promise more than arrives).
        { kind: "truncate", probability: 0.01, when: (r) => r.method === "GET" },
      ],
      tally: (r) =>
        r.url.includes("uploads") && r.method === "POST" && !r.url.includes("uploadId=")
          ? "createMultipartUpload"
          : isPart(r)
            ? "uploadPart"
            : isComplete(r)
              ? "completeMultipartUpload"
              : r.method,
    });
    io = stackFileIO();
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it("ingests every record exactly once, loses no referenced file, and maintain removes what failed attempts left", async () => {
    const env = stackEnv();
    const warehouse = `s3://${env.FLOE_S3_BUCKET}/${uniqueName("faults_s3")}`;
    const catalog = new EmbeddedCatalog({ warehouse, io });
    const id = { namespace: ["faults"], name: "s3" };
    const group = uniqueName("g");
    const storage = {
      endpoint: proxy.url,
      region: env.FLOE_S3_REGION,
      forcePathStyle: true,
      accessKeyId: env.FLOE_S3_ACCESS_KEY_ID,
      secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY,
    };
    const config = sinkConfig({
      brokers: env.FLOE_KAFKA_BROKERS,
      group,
      warehouse,
      storage,
      // Long enough that the backlog's first 24 MiB are buffered between two ticks even on a busy machine.
      intervalMs: 5000,
      tables: [],
    });
    const run = await runScenario({
      name: "s3",
      proxies: [proxy],
      config,
      catalog,
      id,
      topic: uniqueName("faults_s3"),
      group,
      partitions: PARTITIONS,
      backlog: BACKLOG,
      makeBacklog: (i) => ({
        key: `k${i}`,
        value: JSON.stringify({ id: i, payload: randomBytes(2250).toString("base64") }),
      }),
      steady: STEADY,
      pauseMs: 1000,
    });
    const total = BACKLOG + STEADY;
    console.log(`s3: ${proxy.describe()}; requests by kind ${JSON.stringify(proxy.tallies)}`);
    // Faults were injected, and the multipart path ran through them.
    expect(proxy.total("503")).toBeGreaterThan(0);
    expect(proxy.total("reset")).toBeGreaterThanOrEqual(3);
    expect(proxy.total("truncate")).toBeGreaterThanOrEqual(1);
    expect(proxy.tallies.completeMultipartUpload ?? 0).toBeGreaterThan(0);
    expect(proxy.events.some((e) => e.kind === "reset" && isCompleteUrl(e.method, e.url))).toBe(true);
    const retries = countLogs(run.sink, "s3 request failed; retrying");
    expect(retries).toBeGreaterThan(0);

    // What failed attempts left: objects under the table that no snapshot references.
    const location = (await catalog.loadTable(id)).metadata.location;
    const orphans = async () => {
      const current = (await catalog.loadTable(id)).metadataLocation;
      const referenced = new Set((await readBack(current, run.topic)).referenced);
      const listed: string[] = [];
      for await (const f of io.list(`${location}/`)) listed.push(f.path);
      return listed.filter(
        (p) => !referenced.has(p) && !/\/metadata\/(v\d+\.metadata\.json|version-hint\.text)$/.test(p),
      );
    };
    // A failed attempt's leftovers, as a sink killed between writing and committing leaves them (the
    // faults above are all retried in place, so a run normally leaves none): a data file and a manifest.
    const planted = [
      `${location}/data/00000-0-${uniqueName("lost")}.parquet`,
      `${location}/metadata/${uniqueName("lost")}-m0.avro`,
    ];
    for (const p of planted) await io.write(p, randomBytes(1000));
    const before = await orphans();
    expect(before.sort()).toEqual(expect.arrayContaining(planted.sort()));
    console.log(
      `s3: ${before.length} unreferenced object(s) before maintain: ${before.slice(0, 5).join(", ")}`,
    );

    // floe maintain through the same faults, orphan grace 0.001 h (3.6 s; the flag takes positive values).
    await sleep(4000);
    const configFile = await writeConfig({
      ...config,
      tables: [{ topics: ["unused"], table: "faults.s3", schema: SCHEMA }],
    });
    let out = "";
    let err = "";
    const code = await main(
      ["maintain", "--config", configFile, "--table", "faults.s3", "--orphan-grace-hours", "0.001"],
      {
        out: (t) => (out += t),
        err: (t) => (err += t),
        env: process.env,
      },
    );
    expect(code, `floe maintain failed:\n${out}\n${err.slice(-3000)}`).toBe(0);
    expect(await orphans()).toEqual([]);
    const after = await readBack((await catalog.loadTable(id)).metadataLocation, run.topic);
    expectExactlyOnce(after, PARTITIONS, total);
    console.log(
      `s3 table: ${JSON.stringify({ faults: proxy.counts, records: total, duplicates: run.readback.duplicates, missing: run.lost, restarts: 0, retries, orphansBefore: before.length, seconds: run.seconds })}`,
    );
  }, 240_000);
});

describe("faults: S3 unreachable for 15 s mid-run", () => {
  let proxy: FaultProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  // Longer than S3FileIO's own retries last (5 attempts, about 1.5 s of backoff): the table commit
  // fails and the sink has to ride it out by itself, with the embedded catalog on the same store.
  it("refused connections to the store: no restart, the sink resumes, records exactly once", async () => {
    const env = stackEnv();
    const p = await FaultProxy.start({ target: env.FLOE_S3_ENDPOINT, seed: SEED });
    proxy = p;
    const warehouse = `s3://${env.FLOE_S3_BUCKET}/${uniqueName("faults_s3out")}`;
    const group = uniqueName("g");
    let outageEnd = 0;
    const run = await runScenario({
      name: "s3-outage",
      proxies: [p],
      config: sinkConfig({
        brokers: env.FLOE_KAFKA_BROKERS,
        group,
        warehouse,
        intervalMs: 1000,
        tables: [],
        storage: {
          endpoint: p.url,
          region: env.FLOE_S3_REGION,
          forcePathStyle: true,
          accessKeyId: env.FLOE_S3_ACCESS_KEY_ID,
          secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY,
        },
      }),
      catalog: new EmbeddedCatalog({ warehouse, io: stackFileIO() }),
      id: { namespace: ["faults"], name: "s3out" },
      topic: uniqueName("faults_s3out"),
      group,
      partitions: 4,
      steady: 24_000,
      pauseMs: 1000,
      timeoutMs: 120_000,
      during: async (sink) => {
        let commits = 0;
        await sink.waitForLog((l) => l.msg === "committed" && ++commits === 3, 60_000, "3 table commits");
        await p.refuseFor(15_000);
        outageEnd = Date.now() + 15_000;
        await sleep(15_000);
      },
    });
    // The sink's wording may change; any log line saying a commit failed counts.
    const failed = run.sink.logs.filter((l) => /commit failed/.test(l.msg)).length;
    const resumed = run.sink.logs.find(
      (l) => l.msg === "committed" && Date.parse(String(l.time)) >= outageEnd,
    );
    const recovery = resumed ? (Date.parse(String(resumed.time)) - outageEnd) / 1000 : undefined;
    console.log(
      `s3-outage table: ${JSON.stringify({ faults: p.counts, refusedSeconds: 15, failedCommits: failed, records: 24_000, duplicates: run.readback.duplicates, missing: run.lost, restarts: 0, recoverySeconds: recovery, seconds: run.seconds })}`,
    );
    // The outage was felt (commits failed) and ridden out: a commit after it, and everything once.
    expect(p.counts).toEqual({ refuse: 1 });
    expect(failed).toBeGreaterThan(0);
    expect(resumed).toBeDefined();
  }, 240_000);
});

function isCompleteUrl(method: string, url: string): boolean {
  return method === "POST" && url.includes("uploadId=");
}
