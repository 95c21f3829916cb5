/**
 * The service's HTTP endpoints: `/healthz` (the process runs), `/readyz` (the sink is consuming and its
 * last commit did not fail), `/metrics` (Prometheus text format).
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
}): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
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
