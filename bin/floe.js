#!/usr/bin/env node
// The `floe` command: runs the compiled CLI (npm run build writes dist/).
import { main } from "../dist/cli.js";

const code = await main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  onSignal: (stop) => {
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  },
});
process.exitCode = code;
