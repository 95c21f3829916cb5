// Process helpers: run a command to completion, start a detached service with a pid file, stop it.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { paths } from "./settings.mjs";

export class StackError extends Error {}

/** Runs a command; resolves with its stdout, rejects with its tail of output on a non-zero exit. */
export function run(cmd, args, { env, cwd, echo = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (echo) process.stderr.write(d);
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (echo) process.stderr.write(d);
    });
    child.on("error", (e) => reject(new StackError(`${cmd}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolvePromise(out);
      else {
        const tail = `${out}\n${err}`.trim().split("\n").slice(-15).join("\n");
        reject(new StackError(`${cmd} ${args.join(" ")} exited with ${code}:\n${tail}`));
      }
    });
  });
}

/** True when `cmd` can be executed (found on PATH). */
export async function hasCommand(cmd) {
  try {
    await run("sh", ["-c", `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

const pidFile = (name) => join(paths.run, `${name}.pid`);
export const logFile = (name) => join(paths.logs, `${name}.log`);

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** The pid recorded for a service, when that process is still running. */
export function runningPid(name) {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(file, { force: true });
  return undefined;
}

/** Starts a service in its own process group, detached from us, logging to logs/<name>.log. */
export function startDetached(name, cmd, args, { env, cwd } = {}) {
  mkdirSync(paths.run, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const fd = openSync(logFile(name), "a");
  writeFileSync(fd, `\n=== ${new Date().toISOString()} starting ${name}: ${cmd} ${args.join(" ")}\n`);
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  child.unref();
  if (child.pid === undefined) throw new StackError(`${name}: could not start ${cmd}`);
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

/** Stops a service's process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(name, graceMs = 15000) {
  const pid = runningPid(name);
  if (pid === undefined) return false;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) signal("SIGKILL");
  while (isAlive(pid)) await sleep(100);
  rmSync(pidFile(name), { force: true });
  return true;
}

/** The last lines of a service's log, for error messages. */
export function logTail(name, lines = 12) {
  const file = logFile(name);
  if (!existsSync(file)) return "(no log yet)";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** A cross-process lock (mkdir is atomic) so that concurrent `up` calls do not race. */
export async function withLock(fn, timeoutMs = 15 * 60 * 1000) {
  mkdirSync(paths.state, { recursive: true });
  const owner = join(paths.lock, "pid");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(paths.lock);
      writeFileSync(owner, `${process.pid}\n`);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const holder = existsSync(owner) ? Number(readFileSync(owner, "utf8")) : Number.NaN;
      if (Number.isInteger(holder) && !isAlive(holder)) {
        rmSync(paths.lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`another 'scripts/stack' holds ${paths.lock}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lock, { recursive: true, force: true });
  }
}
