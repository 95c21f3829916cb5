import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy, type FaultRule } from "./fault-proxy.js";

// A tiny HTTP service that records what reached it and echoes the request.
let upstream: http.Server;
let target = "";
const received: { method: string; url: string; body: string; host: string }[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ method: req.method ?? "", url: req.url ?? "", body, host: req.headers.host ?? "" });
      const out = JSON.stringify({ method: req.method, url: req.url, body, pad: "x".repeat(1000) });
      res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
      res.end(out);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
});

const proxies: FaultProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  received.length = 0;
});

async function proxy(rules: FaultRule[], seed = 42): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target, seed, rules });
  proxies.push(p);
  return p;
}

// A fresh agent per request: a reset or refused connection must not be hidden by a pooled socket.
function send(
  base: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
      res.on("aborted", () => reject(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("FaultProxy", () => {
  it("forwards requests unchanged when no rule fires, Host header included", async () => {
    const p = await proxy([{ kind: "503", when: (r) => r.path === "/never" }]);
    const res = await send(p.url, "PUT", "/bucket/key?x=1", "hello");
    expect(res.status).toBe(200);
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(JSON.parse(res.body)).toMatchObject({ method: "PUT", url: "/bucket/key?x=1", body: "hello" });
    expect(received).toEqual([
      { method: "PUT", url: "/bucket/key?x=1", body: "hello", host: new URL(p.url).host },
    ]);
    expect(p.total()).toBe(0);
    expect(p.forwarded).toBe(1);
  });

  it("answers 503 SlowDown and 500 InternalError with S3's XML body without forwarding", async () => {
    const p = await proxy([
      { kind: "503", when: (r) => r.path === "/slow" },
      { kind: "500", when: (r) => r.path === "/broken" },
    ]);
    const slow = await send(p.url, "PUT", "/slow", "data");
    expect(slow.status).toBe(503);
    expect(slow.body).toContain("<Code>SlowDown</Code>");
    const broken = await send(p.url, "GET", "/broken");
    expect(broken.status).toBe(500);
    expect(broken.body).toContain("<Code>InternalError</Code>");
    expect(received).toEqual([]);
    expect(p.counts).toEqual({ "503": 1, "500": 1 });
  });

  it("sends a given body instead (a REST catalog's JSON error)", async () => {
    const body = JSON.stringify({
      error: { message: "busy", type: "ServiceUnavailableException", code: 503 },
    });
    const p = await proxy([{ kind: "503", body }]);
    const res = await send(p.url, "GET", "/v1/config");
    expect(res).toMatchObject({ status: 503, body });
    expect(res.headers["content-type"]).toBe("application/json");
  });

  it("reset: the request reaches the service, the response never reaches the client", async () => {
    const p = await proxy([{ kind: "reset", when: (r) => r.method === "POST" }]);
    const err = await send(p.url, "POST", "/v1/namespaces/ns/tables/t", "commit").catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    expect(received).toEqual([expect.objectContaining({ method: "POST", body: "commit" })]);
    expect(p.counts).toEqual({ reset: 1 });
    expect(p.forwarded).toBe(1);
    expect(p.events).toEqual([expect.objectContaining({ kind: "reset", method: "POST", status: 200 })]);
  });

  it("delay: holds the request for the given time, then forwards it", async () => {
    const p = await proxy([{ kind: "delay", ms: 300 }]);
    const t0 = Date.now();
    const res = await send(p.url, "GET", "/slowly");
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(received).toHaveLength(1);
    expect(p.counts).toEqual({ delay: 1 });
  });

  it("truncate: sends the headers and part of the body, then drops the connection", async () => {
    const p = await proxy([{ kind: "truncate", keep: 0.25 }]);
    const err = await send(p.url, "GET", "/file").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(received).toHaveLength(1);
    expect(p.counts).toEqual({ truncate: 1 });
  });

  it("refuse: connections are refused for the window, then accepted on the same port", async () => {
    const p = await proxy([]);
    const port = p.port;
    await p.refuseFor(2000);
    expect(p.listening).toBe(false);
    const err = await send(p.url, "GET", "/a").catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    const deadline = Date.now() + 15_000;
    while (!p.listening && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(p.port).toBe(port);
    expect((await send(p.url, "GET", "/b")).status).toBe(200);
    expect(p.counts).toEqual({ refuse: 1 });
  });

  it("a refuse rule resets the matching request and opens a window", async () => {
    const p = await proxy([{ kind: "refuse", ms: 300, when: (r) => r.path === "/down", limit: 1 }]);
    const err = await send(p.url, "GET", "/down").catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toMatch(/ECONNRESET|ECONNREFUSED/);
    expect(p.counts).toEqual({ refuse: 1 });
    const deadline = Date.now() + 15_000;
    while (!p.listening && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await send(p.url, "GET", "/down")).status).toBe(200);
  });

  it("after, limit and the request counter choose which requests are hit", async () => {
    const p = await proxy([
      { kind: "503", when: (r) => r.path === "/c", after: 2, limit: 2 },
      { kind: "500", name: "fifth", when: (r) => r.n === 9 },
    ]);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(p.url, "GET", "/c")).status);
    statuses.push((await send(p.url, "GET", "/other")).status);
    expect(statuses).toEqual([200, 200, 503, 503, 200, 200, 200, 200, 500]);
    expect(p.counts).toEqual({ "503": 2, fifth: 1 });
  });

  it("tallies requests by label, faulty or not", async () => {
    const p = await FaultProxy.start({
      target,
      seed: 1,
      rules: [{ kind: "503", when: (r) => r.path === "/b" }],
      tally: (r) => (r.method === "GET" ? r.path.slice(1) : undefined),
    });
    proxies.push(p);
    for (const path of ["/a", "/b", "/a"]) await send(p.url, "GET", path);
    await send(p.url, "PUT", "/a", "x");
    expect(p.tallies).toEqual({ a: 2, b: 1 });
    expect(p.requests).toBe(4);
  });

  it("is deterministic for a seed: the same requests are hit, at about the probability", async () => {
    const run = async (seed: number) => {
      const p = await proxy([{ kind: "503", probability: 0.2 }], seed);
      const hit: number[] = [];
      for (let i = 0; i < 100; i++) if ((await send(p.url, "GET", `/k${i}`)).status === 503) hit.push(i);
      expect(p.total("503")).toBe(hit.length);
      expect(p.describe()).toContain(`seed ${seed}`);
      return hit;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(5);
    expect(a.length).toBeLessThan(40);
  });
});
