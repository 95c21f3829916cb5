// Runs `floe run --config <file>` in this process (through vite-node, without a build), so tests can
// start, signal and kill a real sink process.
import { Kafka } from "kafkajs";
import { main } from "../../src/cli.js";
import { installStopSignals } from "../../src/service/stop-signals.js";

// Test-only: FLOE_TEST_SESSION_TIMEOUT_MS shortens the consumer group session. A process killed with
// SIGKILL never leaves its group, and the coordinator holds the next join until the dead member's
// session expires (30 s by default): crash/rebalance suites restart sinks many times and would spend
// minutes waiting. The sink's behaviour is unchanged; only how fast Kafka notices a dead member.
const sessionTimeout = Number(process.env.FLOE_TEST_SESSION_TIMEOUT_MS ?? "0");
if (sessionTimeout > 0) {
  const consumer = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function (this: Kafka, config) {
    return consumer.call(this, {
      ...config,
      sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 6)),
    });
  };
}

// vite-node's dev server registers its own SIGTERM listener that exits at once (code 143), which
// would skip the sink's graceful shutdown: the sink's handlers (as bin/floe.js installs them) are the
// only ones.
process.removeAllListeners("SIGTERM");
process.removeAllListeners("SIGINT");
const signals = installStopSignals({ graceMs: 45_000 });

const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  onSignal: signals.onSignal,
});
process.exit(code);
