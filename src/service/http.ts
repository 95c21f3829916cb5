/**
 * The service's HTTP endpoints: `/healthz` (the process runs), `/readyz` (the sink is consuming and its
 * last commit did not fail), `/metrics` (Prometheus text format). GET and HEAD only, no bodies. Config
 * `http.host` defaults to 127.0.0.1. Slow clients are cut: headers within `headersTimeoutMs`, the
 * whole request within `requestTimeoutMs`, checked every second (Node's default check runs every 30 s).
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "./metrics.js";

export interface HealthSource {
  ready(): { ready: boolean; reason?: string };
}

export async function startHttpServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthSource;
  /** Headers must arrive within this long (default 5 s). */
  headersTimeoutMs?: number;
  /** The whole request must arrive within this long (default 10 s). */
  requestTimeoutMs?: number;
}): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const headersTimeout = opts.headersTimeoutMs ?? 5_000;
  const requestTimeout = Math.max(opts.requestTimeoutMs ?? 10_000, headersTimeout);
  const options = {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  };
  const server = createServer(options, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const r = opts.health.ready();
      res
        .writeHead(r.ready ? 200 : 503, { "content-type": "text/plain" })
        .end(r.ready ? "ready\n" : `not ready: ${r.reason ?? ""}\n`);
    } else if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(opts.registry.render());
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    server,
    url: `http://${opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
