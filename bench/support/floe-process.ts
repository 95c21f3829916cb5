/**
 * `floe run` as its own process, for benchmarks that measure the service as deployed: the `floe`
 * command (bin/floe, which starts Node over dist/, built first) with a JSON config file. Its memory is read from /proc (VmRSS
 * sampled, VmHWM the kernel's high-water mark) and its state from its /metrics endpoint.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./sink-harness.js";

/** Compiles src/ into dist/ (what `floe` runs). */
export function buildDist(): void {
  const r = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (${r.status})`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** KiB values of /proc/<pid>/status fields, in MB; undefined once the process is gone. */
function procStatusMB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

export interface FloeProcess {
  child: ChildProcess;
  metricsUrl: string;
  /** Sum of a metric's samples (all label sets) from /metrics; 0 when absent. */
  metric(name: string): Promise<number>;
  /** RSS samples so far: peak sampled RSS, kernel high-water mark, RSS once ready, series (MB). */
  memory(): { peakRssMB: number; hwmMB: number; startRssMB: number; series: { t: number; rss: number }[] };
  /** SIGTERM, then waits for exit (the final commit included). */
  stop(): Promise<number | null>;
  /** Set when the process exited before stop(). */
  exited(): Error | undefined;
}

/**
 * Starts `floe run` with `config` (merged with an http port) and waits until /readyz answers 200.
 * `onLogLine` sees each line the process writes to stderr (its JSON log).
 */
export async function startFloe(
  config: Record<string, unknown>,
  sampleEveryMs = 100,
  onLogLine?: (line: string) => void,
): Promise<FloeProcess> {
  const dir = await mkdtemp(join(tmpdir(), "floe-bench-run-"));
  const port = await freePort();
  const file = join(dir, "floe.json");
  await writeFile(file, JSON.stringify({ ...config, http: { host: "127.0.0.1", port } }, null, 2));
  // FLOE_BENCH_NODE_FLAGS: extra Node/V8 flags for the sink process (to compare GC settings).
  const flags = process.env.FLOE_BENCH_NODE_FLAGS ?? "";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  };
  if (flags !== "") env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} ${flags}`.trim();
  const child = spawn(join(ROOT, "bin/floe"), ["run", "--config", file], {
    cwd: dir,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  let partial = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (onLogLine === undefined) return;
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLogLine(line);
  });
  let exitError: Error | undefined;
  const exit = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      exitError ??= new Error(
        `floe run exited (${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`,
      );
      resolve(code);
    });
  });
  const pid = child.pid ?? 0;
  const t0 = performance.now();
  const series: { t: number; rss: number }[] = [];
  let peak = 0;
  let hwm = 0;
  const take = () => {
    const m = procStatusMB(pid);
    if (m === undefined) return;
    peak = Math.max(peak, m.rss);
    hwm = Math.max(hwm, m.hwm);
    series.push({ t: Math.round(performance.now() - t0), rss: Math.round(m.rss) });
  };
  const timer = setInterval(take, sampleEveryMs);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (exitError) throw exitError;
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (performance.now() > deadline) throw new Error(`floe run not ready after 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  take();
  const startRssMB = series[series.length - 1]?.rss ?? 0;
  return {
    child,
    metricsUrl,
    async metric(name) {
      const text = await fetch(metricsUrl).then((r) => r.text());
      let sum = 0;
      for (const line of text.split("\n")) {
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(" ").pop());
      }
      return sum;
    },
    memory: () => ({ peakRssMB: peak, hwmMB: hwm, startRssMB, series }),
    async stop() {
      take();
      child.kill("SIGTERM");
      const code = await exit;
      clearInterval(timer);
      return code;
    },
    exited: () => exitError,
  };
}
