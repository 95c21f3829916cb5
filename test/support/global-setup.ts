import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import type { StackEnv } from "./stack.js";

const run = promisify(execFile);
const STACK = resolve(import.meta.dirname, "..", "..", "scripts", "stack");

/**
 * Brings the real local stack up (provisioning on first use) before any integration test runs, and
 * hands its endpoints to the tests. If a service cannot start the whole run fails with the reason:
 * integration suites never skip.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const status = await run(STACK, ["status"]).then(
    () => true,
    () => false,
  );
  try {
    const up = await run(STACK, ["up"], { maxBuffer: 16 * 1024 * 1024 });
    process.stderr.write(up.stderr);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    // Leave nothing half-started behind when this run brought the stack up.
    if (!status) await run(STACK, ["down"]).catch(() => undefined);
    throw new Error(`the local stack did not come up (scripts/stack up):\n${err.stderr ?? err.message}`);
  }
  const { stdout } = await run(STACK, ["env", "--json"]);
  const env = JSON.parse(stdout) as StackEnv;
  Object.assign(process.env, env);
  project.provide("stack", env);
  const startedHere = !status;
  return async () => {
    // Leave a stack we found running; stop one we started unless asked to keep it.
    if (startedHere && process.env.FLOE_STACK_KEEP !== "1") await run(STACK, ["down"]);
  };
}
