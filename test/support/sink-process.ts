// Runs `floe run --config <file>` in this process (through vite-node, without a build), so tests can
// start, signal and kill a real sink process.
import { main } from "../../src/cli.js";

const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  onSignal: (stop) => {
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  },
});
process.exit(code);
