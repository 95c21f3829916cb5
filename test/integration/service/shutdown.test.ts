import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTopics, produce, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";

// SIGTERM at any moment of `floe run`'s life (bin/floe, as deployed: modules loading, config read,
// HTTP up, joining the group, running, committing) ends in a clean exit 0 within the grace period,
// never a process killed by its own signal and never one left alive.

const ROOT = resolve(import.meta.dirname, "../../..");
const FLOE = join(ROOT, "bin/floe");

interface Run {
  child: ChildProcess;
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterSignalMs: number }>;
  signalAt?: number;
  waitFor(text: string): Promise<void>;
}

function startFloe(configFile: string): Run {
  const child = spawn(FLOE, ["run", "--config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  const stderr: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr.push(chunk);
    const all = stderr.join("");
    for (const w of [...waiters]) {
      if (all.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const run: Run = {
    child,
    stderr,
    exited: new Promise((res) =>
      child.once("exit", (code, signal) =>
        res({ code, signal, afterSignalMs: Math.round(performance.now() - (run.signalAt ?? 0)) }),
      ),
    ),
    waitFor: (text) =>
      stderr.join("").includes(text)
        ? Promise.resolve()
        : new Promise((r, reject) => {
            waiters.push({ text, resolve: r });
            void run.exited.then(() => reject(new Error(`floe exited before logging '${text}'`)));
          }),
  };
  return run;
}

function term(run: Run): void {
  run.signalAt = performance.now();
  run.child.kill("SIGTERM");
}

describe("floe run: SIGTERM at any moment", () => {
  const topic = uniqueName("shutdown");
  /** A config of its own per run (fresh group and warehouse), so every run has records to commit. */
  const freshConfig = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), "floe-shutdown-"));
    const file = join(dir, "floe.json");
    await writeFile(
      file,
      JSON.stringify({
        kafka: { brokers: [stackEnv().FLOE_KAFKA_BROKERS], groupId: uniqueName("g-shutdown") },
        warehouse: { location: `file://${join(dir, "wh")}` },
        commit: { intervalMs: 1000 },
        http: { host: "127.0.0.1", port: 0 },
        tables: [{ topics: [topic], table: "ops.events", format: "json" }],
      }),
    );
    return file;
  };

  beforeAll(async () => {
    expect(existsSync(join(ROOT, "dist/cli.js")), "npm run build first (npm test does)").toBe(true);
    const kafka = stackKafka();
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: 2 }]);
    await admin.disconnect();
    await produce(kafka, topic, 2, 2000, (i) => ({ value: JSON.stringify({ id: i }) }));
  });

  const moments: [string, (run: Run) => Promise<void>][] = [
    ["after 400 ms (modules loading, config read)", () => new Promise((r) => setTimeout(r, 400))],
    ["when the HTTP endpoints are up (before the group join)", (run) => run.waitFor("http endpoints up")],
    [
      "while the group is joining",
      (run) => run.waitFor("http endpoints up").then(() => new Promise((r) => setTimeout(r, 40))),
    ],
    ["once running", (run) => run.waitFor('"sink running"')],
    ["after a commit", (run) => run.waitFor('"committed"')],
  ];

  it("at once, before Node runs any code: ends at once (by the signal's default action), never lingers", async () => {
    const run = startFloe(await freshConfig());
    term(run);
    const exit = await Promise.race([
      run.exited,
      new Promise<"alive">((r) => setTimeout(() => r("alive"), 50_000)),
    ]);
    if (exit === "alive") run.child.kill("SIGKILL");
    expect(exit).not.toBe("alive");
    // Either Node had not installed its handlers yet (killed by SIGTERM, nothing done) or it had (exit 0).
    expect(exit === "alive" ? "alive" : exit.signal === "SIGTERM" || exit.code === 0).toBe(true);
  });

  for (const [when, wait] of moments) {
    it(`exits 0 when signalled ${when}`, async () => {
      const run = startFloe(await freshConfig());
      await wait(run);
      term(run);
      const exit = await Promise.race([
        run.exited,
        new Promise<"alive">((r) => setTimeout(() => r("alive"), 50_000)),
      ]);
      if (exit === "alive") run.child.kill("SIGKILL");
      const tail = run.stderr.join("").trim().split("\n").slice(-5).join("\n");
      expect(exit, `still alive 50 s after SIGTERM:\n${tail}`).not.toBe("alive");
      expect(exit, tail).toMatchObject({ code: 0, signal: null });
    }, 90_000);
  }
});
