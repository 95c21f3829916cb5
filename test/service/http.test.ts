import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { startHttpServer } from "../../src/service/http.js";
import { Registry } from "../../src/service/metrics.js";
import { rawRequest, slowClient, TIMED_OUT } from "../support/raw-http.js";

const health = { ready: () => ({ ready: true }) };
const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function start(extra: { headersTimeoutMs?: number; requestTimeoutMs?: number; host?: string } = {}) {
  const http = await startHttpServer({
    host: extra.host ?? "127.0.0.1",
    port: 0,
    registry: new Registry(),
    health,
    ...extra,
  });
  opened.push(http.close);
  return { ...http, port: (http.server.address() as AddressInfo).port };
}

describe("service http endpoints", () => {
  it("listen on loopback by default (config http.host)", async () => {
    const config = parseConfig({}, "test");
    expect(config.http.host).toBe("127.0.0.1");
    const http = await start({ host: config.http.host });
    expect((http.server.address() as AddressInfo).address).toBe("127.0.0.1");
    expect(
      (await rawRequest(http.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status,
    ).toBe(200);
  });

  it("close a connection whose headers trickle in (slow loris)", async () => {
    const http = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const r = await slowClient(http.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", { drip: "X-Slow: y\r\n" });
    expect(r.received).toMatch(TIMED_OUT);
  }, 15_000);

  it("close a connection that never sends a request", async () => {
    const http = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    const r = await slowClient(http.port, "");
    expect(r.received).toMatch(TIMED_OUT);
  }, 15_000);

  it("enforce short timeouts by default, checked every second", async () => {
    const http = await start();
    expect(http.server.headersTimeout).toBeLessThanOrEqual(5_000);
    expect(http.server.requestTimeout).toBeLessThanOrEqual(10_000);
  });
});
