import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { stackEnv } from "./stack.js";

const exec = promisify(execFile);
export const PY_DIR = resolve(import.meta.dirname, "py");

/**
 * Runs a Python script from test/support/py in the stack's verifier env and parses the JSON it prints
 * on its last stdout line. The stack's endpoints are passed in the environment.
 */
export async function runPython<T = unknown>(
  script: string,
  args: string[] = [],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T> {
  const env = stackEnv();
  const timeoutMs = options.timeoutMs ?? 170_000;
  try {
    const { stdout } = await exec(env.FLOE_PYTHON, [resolve(PY_DIR, script), ...args], {
      env: { ...process.env, ...env, ...options.env, PYTHONUNBUFFERED: "1", TZ: "UTC" },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    const last = stdout.trim().split("\n").at(-1) ?? "";
    return JSON.parse(last) as T;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const tail = (err.stderr ?? "").trim().split("\n").slice(-25).join("\n");
    throw new Error(`python ${script} failed: ${err.message.split("\n")[0]}\n${tail}`);
  }
}
