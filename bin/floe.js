#!/usr/bin/env node
// The `floe` command: runs the compiled CLI (npm run build writes dist/).
// Signals are caught before anything else loads: a SIGTERM during start-up ends in a clean shutdown
// (exit 0), and the watchdog bounds any shutdown (30 s to commit plus 15 s to disconnect).
import { installStopSignals } from "../dist/service/stop-signals.js";

const signals = installStopSignals({ graceMs: 45_000 });
const { main } = await import("../dist/cli.js");

const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  onSignal: signals.onSignal,
});
process.exitCode = code;
// Whatever a client library leaves open (sockets, timers) must not keep a finished command alive.
setTimeout(() => process.exit(code), 1000).unref();
