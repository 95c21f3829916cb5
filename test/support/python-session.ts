import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { resolve } from "node:path";
import { PY_DIR } from "./python.js";
import { stackEnv } from "./stack.js";

/**
 * A long-lived Python script from test/support/py in the stack's verifier env, driven one JSON command
 * per stdin line; it answers each with one stdout line starting with `@@ ` (anything else it prints is
 * ignored). For scripts that hold something slow to start, such as a Spark session, across a test file.
 */
export class PythonSession {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = "";
  private stderr = "";
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private exited: string | undefined;
  private readonly exit: Promise<void>;

  constructor(script: string) {
    const env = stackEnv();
    this.proc = spawn(env.FLOE_PYTHON, [resolve(PY_DIR, script)], {
      env: { ...process.env, ...env, PYTHONUNBUFFERED: "1", TZ: "UTC" },
      cwd: PY_DIR,
    });
    this.proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf("\n");
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.startsWith("@@ ")) {
          const w = this.waiting;
          this.waiting = undefined;
          w?.resolve(JSON.parse(line.slice(3)));
        }
        nl = this.buffer.indexOf("\n");
      }
    });
    this.proc.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    this.exit = new Promise((r) => this.proc.once("exit", () => r()));
    this.proc.on("exit", (code, signal) => {
      this.exited = `python ${script} exited (code ${code}, signal ${signal})`;
      this.waiting?.reject(new Error(`${this.exited}\n${this.stderrTail()}`));
      this.waiting = undefined;
    });
  }

  private stderrTail(): string {
    return this.stderr
      .split("\n")
      .filter((l) => !/^\s*(WARN|INFO)|WARNING/.test(l))
      .slice(-30)
      .join("\n");
  }

  /** Sends one command and waits for its answer; an answer with `ok: false` rejects. */
  request<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    if (this.waiting) return Promise.reject(new Error("one request at a time"));
    return new Promise<unknown>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.proc.stdin.write(`${JSON.stringify(command)}\n`);
    }).then((answer) => {
      const a = answer as { ok?: boolean; error?: string; trace?: string };
      if (a.ok === false) throw new Error(`${a.error}\n${a.trace ?? ""}\n${this.stderrTail()}`);
      return answer as T;
    });
  }

  /** Asks the script to quit (it stops Spark), and kills it if it does not exit within `ms`. */
  async close(ms = 30_000): Promise<void> {
    if (this.exited) return;
    await this.request({ cmd: "quit" }).catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), ms);
    await this.exit;
    clearTimeout(timer);
  }
}
