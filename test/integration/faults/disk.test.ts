import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { stackFileIO } from "../../support/warehouse.js";
import {
  committedTotal,
  producePaced,
  SinkProcess,
  sinkConfig,
  sleep,
  waitFor,
  writeConfig,
} from "../ingest/support.js";
import { expectExactlyOnce, readBack, SCHEMA } from "./support.js";

// The local warehouse's disk fills up, and later turns read-only, mid-run: the warehouse is a small
// tmpfs mount (a real ENOSPC from the kernel: a filler file takes every free byte; a real EROFS:
// `mount -o remount,ro`). Each time the sink keeps running, logs the failed commit with the cause and
// the directory, fails /readyz with the reason, commits neither the table nor Kafka offsets past what
// landed, and once the operator frees the space (or remounts rw) it commits everything by itself:
// PyIceberg finds every produced record exactly once.

const PARTITIONS = 2;
const TOTAL = 45_000;
const FAULT_MS = 8_000;

function mount(args: string[]): void {
  execFileSync("mount", args, { stdio: "pipe" });
}

/** Writes zeros to `file` until the filesystem has no byte left (ENOSPC). */
async function fillDisk(file: string): Promise<number> {
  const handle = await fs.open(file, "w");
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(chunk);
          written += bytesWritten;
          if (bytesWritten < size) break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw e;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

describe("faults: local warehouse disk full or read-only", () => {
  let sink: SinkProcess | undefined;
  let mounted: string | undefined;
  afterEach(async () => {
    sink?.kill("SIGKILL");
    if (sink) await sink.exited;
    if (mounted) {
      try {
        mount(["-o", "remount,rw", mounted]);
      } catch {}
      try {
        execFileSync("umount", [mounted], { stdio: "pipe" });
      } catch {
        execFileSync("umount", ["-l", mounted], { stdio: "pipe" });
      }
      await fs.rmdir(mounted).catch(() => {});
      mounted = undefined;
    }
  });

  it("retries through a full disk and a read-only remount without committing past them, exactly once", async () => {
    onTestFailed(() => {
      if (sink) console.error(`sink log tail:\n${sink.tail(60)}`);
    });
    const env = stackEnv();
    const dir = await mkdtemp(join(tmpdir(), "floe-wh-disk-"));
    mount(["-t", "tmpfs", "-o", "size=32m", "tmpfs", dir]);
    mounted = dir;
    const warehouseDir = join(dir, "wh");
    const filler = join(dir, "filler");
    const warehouse = pathToFileURL(warehouseDir).href;
    const catalog = new EmbeddedCatalog({ warehouse, io: stackFileIO() });
    const topic = uniqueName("disk");
    const group = uniqueName("g-disk");
    const id = { namespace: [uniqueName("disk")], name: "events" };
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(admin, [{ topic, partitions: PARTITIONS }]);

    sink = SinkProcess.start(
      await writeConfig(
        sinkConfig({
          brokers: env.FLOE_KAFKA_BROKERS,
          group,
          warehouse,
          tables: [{ topics: [topic], table: `${id.namespace[0]}.events`, onError: "fail", schema: SCHEMA }],
        }),
      ),
    );
    const running = sink;
    const up = await running.waitForLog((l) => l.msg === "http endpoints up", 90_000, "http endpoints up");
    await running.waitForLog((l) => l.msg === "partitions assigned", 90_000, "partitions assigned");
    const alive = () => running.child.exitCode === null && running.child.signalCode === null;
    const readyz = async () => {
      const r = await fetch(`${String(up.url)}/readyz`);
      return { status: r.status, reason: await r.text() };
    };
    const groupOffsets = async () => {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };

    // ~1000 records/s for ~45 s.
    const producing = producePaced(stackKafka("floe-disk-producer"), topic, PARTITIONS, TOTAL, 1000, (i) => ({
      key: `k${i}`,
      value: JSON.stringify({ id: i, payload: `p${i % 9973}` }),
    }));
    await waitFor(
      async () => (await committedTotal(catalog, id, group, topic)) > 0n,
      60_000,
      "a first commit",
    );

    const faults: Record<string, unknown>[] = [];
    const fault = async (
      name: string,
      errno: string,
      cause: RegExp,
      inject: () => Promise<void>,
      fix: () => Promise<void>,
    ) => {
      const failuresBefore = running.logs.filter(
        (l) => l.msg === "table commit failed; reading its records again and retrying",
      ).length;
      await inject();
      const injectedAt = Date.now();
      const failure = await running.waitForLog(
        (l) =>
          l.msg === "table commit failed; reading its records again and retrying" &&
          JSON.stringify(l.error).includes(errno),
        30_000,
        `a commit failing with ${errno}`,
        false,
      );
      // The log names the cause and the directory to fix.
      expect(String((failure.error as { message?: string }).message)).toMatch(cause);
      expect(String((failure.error as { message?: string }).message)).toContain(warehouseDir);
      const tableAtFailure = await committedTotal(catalog, id, group, topic);
      const readiness: { status: number; reason: string }[] = [];
      while (Date.now() - injectedAt < FAULT_MS) {
        readiness.push(await readyz());
        await sleep(1000);
      }
      expect(alive(), `the sink exited during ${name}`).toBe(true);
      // Not ready, with the reason; nothing committed past the fault: not to the table, not to Kafka.
      expect(readiness.some((r) => r.status === 503 && cause.test(r.reason))).toBe(true);
      expect(await committedTotal(catalog, id, group, topic)).toBe(tableAtFailure);
      expect(await groupOffsets()).toBeLessThanOrEqual(Number(tableAtFailure));
      await fix();
      const fixedAt = Date.now();
      await waitFor(
        async () => {
          if (!alive()) throw new Error(`the sink exited (${running.child.exitCode}) after ${name}`);
          return (
            (await committedTotal(catalog, id, group, topic)) > tableAtFailure &&
            (await readyz()).status === 200
          );
        },
        60_000,
        `commits again after ${name} is fixed`,
      );
      faults.push({
        name,
        failedCommits:
          running.logs.filter((l) => l.msg === "table commit failed; reading its records again and retrying")
            .length - failuresBefore,
        faultS: (fixedAt - injectedAt) / 1000,
        recoveryS: (Date.now() - fixedAt) / 1000,
        reason: readiness.find((r) => r.status === 503)?.reason.trim(),
      });
    };

    await fault(
      "disk full",
      "ENOSPC",
      /no space left on device \(ENOSPC\)/,
      async () => {
        await fillDisk(filler);
      },
      async () => {
        await fs.rm(filler);
      },
    );
    await fault(
      "read-only remount",
      "EROFS",
      /read-only file system \(EROFS\)/,
      async () => {
        // A remount fails (EBUSY) while a file is open for writing: try again.
        await waitFor(
          () => {
            try {
              mount(["-o", "remount,ro", dir]);
              return true;
            } catch {
              return false;
            }
          },
          20_000,
          "the warehouse remounted read-only",
        );
      },
      async () => {
        mount(["-o", "remount,rw", dir]);
      },
    );

    await producing;
    await waitFor(
      async () => {
        if (!alive()) throw new Error(`the sink exited (${running.child.exitCode})`);
        return (await committedTotal(catalog, id, group, topic)) === BigInt(TOTAL);
      },
      90_000,
      `all ${TOTAL} records committed`,
    );
    expect((await readyz()).status).toBe(200);
    running.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
    await admin.disconnect();

    const readback = await readBack((await catalog.loadTable(id)).metadataLocation, topic);
    expectExactlyOnce(readback, PARTITIONS, TOTAL);
    console.log(
      `disk table: ${JSON.stringify({ faults, records: TOTAL, duplicates: readback.duplicates, missing: TOTAL - readback.distinct, restarts: 0 })}`,
    );
  }, 240_000);
});
