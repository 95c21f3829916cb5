/**
 * SIGTERM / SIGINT handling that is in place from the process's first moment: a signal that comes
 * before the command has wired its shutdown (while modules load, the config is read, the group is
 * joined) is remembered and handed over as soon as it is, instead of killing the process mid-way.
 * The first signal starts a watchdog: a process whose shutdown has not finished `graceMs` later exits
 * with code 1, so a stopped sink never leaves a live process behind. Later signals are ignored (the
 * graceful shutdown is already under way, and the watchdog bounds it).
 *
 * This module imports nothing, so bin/floe.js can load it before the rest of the CLI.
 */

export interface StopSignals {
  /** Registers the command's stop function; called at once if a signal already came. */
  onSignal(stop: () => void): void;
  /** Whether a stop signal has come. */
  requested(): boolean;
}

export interface StopSignalOptions {
  /** How long the shutdown may take after the first signal before the process exits with code 1. */
  graceMs: number;
  /** Where the watchdog's last words go (a JSON log line); stderr by default. */
  write?: (line: string) => void;
  exit?: (code: number) => void;
  /** The process to listen on (tests pass an EventEmitter). */
  on?: (signal: "SIGTERM" | "SIGINT", handler: () => void) => void;
}

export function installStopSignals(opts: StopSignalOptions): StopSignals {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const on = opts.on ?? ((signal, handler) => process.on(signal, handler));
  let requested = false;
  const stops: (() => void)[] = [];
  const handler = (signal: string) => () => {
    if (requested) return;
    requested = true;
    const timer = setTimeout(() => {
      write(
        `${JSON.stringify({
          level: "error",
          time: new Date().toISOString(),
          msg: `shutdown did not finish within ${Math.round(opts.graceMs / 1000)} s of ${signal}; exiting`,
        })}\n`,
      );
      exit(1);
    }, opts.graceMs);
    timer.unref?.();
    for (const stop of stops.splice(0)) stop();
  };
  on("SIGTERM", handler("SIGTERM"));
  on("SIGINT", handler("SIGINT"));
  return {
    onSignal(stop) {
      if (requested) queueMicrotask(stop);
      else stops.push(stop);
    },
    requested: () => requested,
  };
}
