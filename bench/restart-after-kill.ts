// Restart after kill -9: how long from killing `floe run` (no LeaveGroup, so the broker keeps the dead
// member's partitions until its session times out) until the restarted process commits again, for
// several `kafka.sessionTimeoutMs` values. A producer keeps a trickle of JSON records flowing the whole
// time, so the first commit comes as soon as the restarted sink owns its partitions. kafkajs has no
// static membership (group.instance.id), so the session timeout is the lever.
//
// Run: npm run build && npx vite-node bench/restart-after-kill.ts [--timeouts 30000,10000,6000] [--runs 2]
// Writes bench/results/restart-after-kill.json and .md.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { startFloe } from "./support/floe-process.js";
import {
  benchEnv,
  createTopic,
  deleteTopic,
  localWarehouse,
  machine,
  ROOT,
  round,
  uniqueName,
} from "./support/sink-harness.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const timeouts = arg("timeouts", "30000,10000,6000").split(",").map(Number);
const runs = Number(arg("runs", "2"));
const PARTITIONS = 4;

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const env = benchEnv();
  const topic = uniqueName("restart");
  await createTopic(env.brokers, topic, PARTITIONS);
  const kafka = new Kafka({
    clientId: "floe-bench-trickle",
    brokers: [env.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  let producing = true;
  let id = 0;
  const trickle = (async () => {
    while (producing) {
      const messages = Array.from({ length: 100 }, () => ({
        value: JSON.stringify({ id: id++, at: Date.now() }),
      }));
      await producer.send({ topic, messages });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const results: { sessionTimeoutMs: number; run: number; restartToReadyS: number; killToCommitS: number }[] =
    [];
  try {
    for (const sessionTimeoutMs of timeouts) {
      for (let run = 1; run <= runs; run++) {
        const config = {
          kafka: { brokers: [env.brokers], groupId: uniqueName("g-restart"), sessionTimeoutMs },
          warehouse: { location: await localWarehouse() },
          commit: { intervalMs: 1000 },
          log: { level: "warn" },
          tables: [{ topics: [topic], table: "bench.restart", format: "json" }],
        };
        const first = await startFloe(config);
        await waitUntil(
          async () => (await first.metric("floe_records_committed_total")) > 0,
          60_000,
          "a commit",
        );
        const t0 = performance.now();
        first.child.kill("SIGKILL");
        const second = await startFloe(config);
        const ready = performance.now();
        await waitUntil(
          async () => (await second.metric("floe_records_committed_total")) > 0,
          sessionTimeoutMs + 60_000,
          "the restarted sink's first commit",
        );
        const committed = performance.now();
        await second.stop();
        const r = {
          sessionTimeoutMs,
          run,
          restartToReadyS: round((ready - t0) / 1000, 2),
          killToCommitS: round((committed - t0) / 1000, 2),
        };
        results.push(r);
        console.log(JSON.stringify(r));
      }
    }
  } finally {
    producing = false;
    await trickle;
    await producer.disconnect();
    await deleteTopic(env.brokers, topic);
  }
  const when = new Date().toISOString();
  const out = { when, machine: machine(), partitions: PARTITIONS, results };
  await writeFile(join(ROOT, "bench/results/restart-after-kill.json"), `${JSON.stringify(out, null, 2)}\n`);
  const lines = [
    `# Restart after kill -9 (${when.slice(0, 10)})`,
    "",
    `\`floe run\` killed with SIGKILL while a trickle of JSON records (500/s, ${PARTITIONS} partitions) flows; a new`,
    "process starts at once with the same config. Kill to ready: the new process answers /readyz. Kill to",
    "commit: its first table commit (it must own the partitions, which the dead member keeps until its",
    "session times out).",
    "",
    "| kafka.sessionTimeoutMs | run | kill to ready (s) | kill to first commit (s) |",
    "|---|---|---|---|",
    ...results.map((r) => `| ${r.sessionTimeoutMs} | ${r.run} | ${r.restartToReadyS} | ${r.killToCommitS} |`),
    "",
  ];
  await writeFile(join(ROOT, "bench/results/restart-after-kill.md"), lines.join("\n"));
  console.log(lines.join("\n"));
}

await main();
