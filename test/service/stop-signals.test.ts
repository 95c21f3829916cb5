import { afterEach, describe, expect, it, vi } from "vitest";
import { installStopSignals } from "../../src/service/stop-signals.js";

function fakeProcess() {
  const handlers = new Map<string, () => void>();
  const exits: number[] = [];
  const lines: string[] = [];
  const signals = installStopSignals({
    graceMs: 45_000,
    on: (signal, handler) => handlers.set(signal, handler),
    exit: (code) => exits.push(code),
    write: (line) => lines.push(line),
  });
  const send = (signal: "SIGTERM" | "SIGINT") => handlers.get(signal)?.();
  return { signals, send, exits, lines };
}

describe("stop signals", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands a signal that came before the command was ready to its stop function", async () => {
    const p = fakeProcess();
    p.send("SIGTERM");
    expect(p.signals.requested()).toBe(true);
    const stop = vi.fn();
    p.signals.onSignal(stop);
    await Promise.resolve();
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it("stops a registered command once, however many signals come", () => {
    const p = fakeProcess();
    const stop = vi.fn();
    p.signals.onSignal(stop);
    expect(stop).not.toHaveBeenCalled();
    p.send("SIGINT");
    p.send("SIGTERM");
    p.send("SIGINT");
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it("exits 1 with a log line when the shutdown outlives the grace period", () => {
    vi.useFakeTimers();
    const p = fakeProcess();
    p.signals.onSignal(() => undefined);
    p.send("SIGTERM");
    vi.advanceTimersByTime(44_999);
    expect(p.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(p.exits).toEqual([1]);
    expect(JSON.parse(p.lines[0] ?? "{}")).toMatchObject({
      level: "error",
      msg: "shutdown did not finish within 45 s of SIGTERM; exiting",
    });
  });
});
