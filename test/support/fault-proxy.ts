/**
 * A fault-injecting HTTP reverse proxy for tests (node:http only), placed between Floe and one HTTP
 * service: S3Proxy, the Iceberg REST reference server, moto. Every request is forwarded to `target`
 * unchanged (Host header included, so SigV4 signatures stay valid) unless a rule picks it for a fault:
 *
 *   status    answer 503 SlowDown / 500 InternalError (S3's XML error body, or a given body) without
 *             forwarding; the request never reached the service
 *   reset     forward, read the whole response, then reset the client's connection: the write
 *             happened but the client cannot know
 *   delay     wait, then forward
 *   truncate  forward, then send the response headers and only part of the body, and drop the connection
 *   refuse    reset this request and refuse every connection for a window (the proxy stops listening and
 *             listens again on the same port); also `refuseFor(ms)` at any moment
 *
 * Rules are tried in order; a rule whose predicate matches draws one number from the proxy's seeded
 * PRNG and fires below its probability (the first rule that fires wins). Given the same seed and the
 * same order of requests the same requests are hit; print `proxy.seed` on failure (FLOE_FAULT_SEED
 * replays it, see `faultSeed`). `counts` holds every fault injected, by kind.
 */
import { randomBytes } from "node:crypto";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { seededRandom as prng } from "./random.js";

export type FaultKind = "503" | "500" | "reset" | "delay" | "truncate" | "refuse";

export interface FaultRequest {
  method: string;
  /** Path and query as received (`/bucket/key?uploadId=...`). */
  url: string;
  /** Path without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** 1-based index of this request among all the proxy received. */
  n: number;
}

export interface FaultRule {
  kind: FaultKind;
  /** Which requests the rule considers (default: all). */
  when?: (req: FaultRequest) => boolean;
  /** Chance of firing on a matching request (default 1). */
  probability?: number;
  /** Lets the first `after` matching requests through untouched. */
  after?: number;
  /** At most this many faults from this rule. */
  limit?: number;
  /** delay: how long to hold the request; refuse: the window. */
  ms?: number;
  /** status: the body to send instead of S3's XML error (e.g. a REST catalog's JSON error). */
  body?: string;
  contentType?: string;
  /** truncate: the fraction of the body sent (default 0.5). */
  keep?: number;
  /** A label for counts and logs (default `kind`). */
  name?: string;
  /** Called when the rule fires (to script what follows, e.g. fault the client's retries too). */
  onFire?: (req: FaultRequest) => void;
}

export interface FaultEvent {
  n: number;
  kind: FaultKind;
  name: string;
  method: string;
  url: string;
  /** When the fault was injected (ms since the epoch). */
  at: number;
  /** The service's status for a forwarded request (reset, delay, truncate); undefined if not forwarded. */
  status?: number;
}

export interface FaultProxyOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:9000. */
  target: string;
  seed?: number;
  rules?: FaultRule[];
  /** Port to listen on (default: any free one). */
  port?: number;
  /** Counts requests (faulty or not) by the label it returns, in `tallies` (e.g. "commit", "uploadPart"). */
  tally?: (req: FaultRequest) => string | undefined;
}

/** The seed for a test's proxy: FLOE_FAULT_SEED when set (to replay a failure), else `fallback`. */
export function faultSeed(fallback: number): number {
  const env = process.env.FLOE_FAULT_SEED;
  return env === undefined || env === "" ? fallback : Number(env);
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "expect", "proxy-connection", "upgrade", "te"]);

const S3_ERRORS = {
  "503": { code: "SlowDown", message: "Please reduce your request rate." },
  "500": { code: "InternalError", message: "We encountered an internal error. Please try again." },
} as const;

interface RuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
}

export class FaultProxy {
  readonly seed: number;
  readonly target: URL;
  /** Faults injected, by rule name (the kind unless the rule is named). */
  readonly counts: Record<string, number> = {};
  /** Every fault injected, in order (the newest 10 000). */
  readonly events: FaultEvent[] = [];
  /** Requests by the `tally` option's labels. */
  readonly tallies: Record<string, number> = {};
  requests = 0;
  forwarded = 0;
  #tally: ((req: FaultRequest) => string | undefined) | undefined;
  #rules: RuleState[] = [];
  #random: () => number;
  #server: http.Server;
  #agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  #sockets = new Set<Socket>();
  #port = 0;
  #listening = false;
  #refuseUntil = 0;
  #reopen: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: FaultProxyOptions) {
    this.seed = options.seed ?? randomBytes(4).readUInt32BE(0);
    this.target = new URL(options.target);
    this.#random = prng(this.seed);
    this.#tally = options.tally;
    this.setRules(options.rules ?? []);
    this.#server = http.createServer({ keepAlive: true }, (req, res) => void this.#handle(req, res));
    this.#server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.once("close", () => this.#sockets.delete(s));
    });
    // Answer `Expect: 100-continue` ourselves: the body is read here before anything is forwarded.
    this.#server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      res.writeContinue();
      void this.#handle(req, res);
    });
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.#listen(options.port ?? 0);
    return proxy;
  }

  /** The proxy's base URL (same scheme-less shape as the target: http://127.0.0.1:PORT). */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Replaces the rules (counters start again); faults already counted stay counted. */
  setRules(rules: FaultRule[]): void {
    this.#rules = rules.map((rule) => ({ rule, matched: 0, fired: 0 }));
  }

  /** Total faults injected, optionally of some kinds/names only. */
  total(...names: string[]): number {
    return Object.entries(this.counts)
      .filter(([k]) => names.length === 0 || names.includes(k))
      .reduce((a, [, v]) => a + v, 0);
  }

  /** One line for logs and failure messages. */
  describe(): string {
    const counts = Object.entries(this.counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    return `fault proxy -> ${this.target.host} seed ${this.seed} (FLOE_FAULT_SEED=${this.seed} replays): ${this.requests} requests, ${this.forwarded} forwarded, faults: ${counts || "none"}`;
  }

  /**
   * Stops listening for `ms` (connections are refused), dropping open connections, then listens again.
   * Counted as one `refuse` fault.
   */
  async refuseFor(ms: number): Promise<void> {
    this.counts.refuse = (this.counts.refuse ?? 0) + 1;
    await this.#refuse(ms);
  }

  async #refuse(ms: number): Promise<void> {
    this.#refuseUntil = Math.max(this.#refuseUntil, Date.now() + ms);
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        for (const s of this.#sockets) s.destroy();
      });
    }
    clearTimeout(this.#reopen);
    this.#reopen = setTimeout(
      () => {
        if (!this.#closed) void this.#listen(this.#port);
      },
      Math.max(0, this.#refuseUntil - Date.now()),
    );
  }

  /** Whether the proxy accepts connections now. */
  get listening(): boolean {
    return this.#listening;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reopen);
    this.#agent.destroy();
    if (!this.#listening) return;
    this.#listening = false;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.#server.once("error", onError);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.#listening = true;
  }

  #count(rule: FaultRule, req: FaultRequest): FaultEvent {
    const name = rule.name ?? rule.kind;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    const event: FaultEvent = {
      n: req.n,
      kind: rule.kind,
      name,
      method: req.method,
      url: req.url,
      at: Date.now(),
    };
    this.events.push(event);
    if (this.events.length > 10_000) this.events.splice(0, 1000);
    return event;
  }

  #pick(req: FaultRequest): FaultRule | undefined {
    for (const state of this.#rules) {
      const { rule } = state;
      if (rule.when && !rule.when(req)) continue;
      state.matched++;
      if (state.matched <= (rule.after ?? 0)) continue;
      if (rule.limit !== undefined && state.fired >= rule.limit) continue;
      // Every matching rule draws, fired or not, so a seed picks the same requests every run.
      if (this.#random() >= (rule.probability ?? 1)) continue;
      state.fired++;
      rule.onFire?.(req);
      return rule;
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const n = ++this.requests;
    const url = req.url ?? "/";
    const info: FaultRequest = {
      method: req.method ?? "GET",
      url,
      path: url.split("?")[0] ?? url,
      headers: req.headers,
      n,
    };
    let body: Buffer;
    try {
      body = await readAll(req);
    } catch {
      res.destroy();
      return;
    }
    const label = this.#tally?.(info);
    if (label !== undefined) this.tallies[label] = (this.tallies[label] ?? 0) + 1;
    const rule = this.#pick(info);
    const event = rule ? this.#count(rule, info) : undefined;
    switch (rule?.kind) {
      case "503":
      case "500":
        return this.#answerError(rule, info, res);
      case "refuse":
        res.socket?.resetAndDestroy();
        await this.#refuse(rule.ms ?? 1000);
        return;
      case "delay":
        await new Promise((r) => setTimeout(r, rule.ms ?? 1000));
        break;
      default:
        break;
    }
    let upstream: { status: number; headers: IncomingHttpHeaders; body: Buffer };
    try {
      upstream = await this.#forward(req, body);
    } catch {
      // The service itself failed (it is down, or dropped us): the client sees a dropped connection.
      res.socket?.resetAndDestroy();
      return;
    }
    this.forwarded++;
    if (event) event.status = upstream.status;
    if (rule?.kind === "reset") {
      // The service applied the request; its answer never reaches the client.
      res.socket?.resetAndDestroy();
      return;
    }
    const headers = { ...upstream.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    delete headers["transfer-encoding"];
    if (rule?.kind === "truncate") {
      const keep = Math.floor(upstream.body.length * (rule.keep ?? 0.5));
      res.writeHead(upstream.status, { ...headers, "content-length": String(upstream.body.length) });
      res.write(upstream.body.subarray(0, keep), () => res.socket?.destroy());
      return;
    }
    if (info.method !== "HEAD") headers["content-length"] = String(upstream.body.length);
    res.writeHead(upstream.status, headers);
    res.end(info.method === "HEAD" ? undefined : upstream.body);
  }

  #answerError(rule: FaultRule, req: FaultRequest, res: ServerResponse): void {
    const status = rule.kind === "503" ? 503 : 500;
    const s3 = S3_ERRORS[rule.kind as "503" | "500"];
    const body =
      rule.body ??
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${s3.code}</Code><Message>${s3.message}</Message><Resource>${escapeXml(req.path)}</Resource><RequestId>fault-${req.n}</RequestId></Error>`;
    const headers: http.OutgoingHttpHeaders = {
      "content-type": rule.contentType ?? (rule.body === undefined ? "application/xml" : "application/json"),
      "x-amz-request-id": `fault-${req.n}`,
      "content-length": Buffer.byteLength(body),
    };
    res.writeHead(status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  }

  #forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    return new Promise((resolve, reject) => {
      const out = http.request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.#agent,
          setHost: false,
        },
        (up) => {
          readAll(up).then(
            (b) => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: b }),
            reject,
          );
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
    stream.on("aborted", () => reject(new Error("aborted")));
  });
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
