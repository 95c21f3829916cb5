/**
 * The REST catalog's HTTP layer: one request with a timeout that covers the whole exchange (headers and
 * body), auth headers from the AuthProvider, one retry after a 401/419 with refreshed credentials, and
 * bounded retries with jittered backoff for idempotent requests (GET/HEAD) only. Never logs headers or
 * bodies; every message is scrubbed of secrets.
 */
import type { ErrorContext } from "../../errors.js";
import { stringifyJson } from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import { errorFromResponse, errorFromTransport, type RestOperation } from "./errors.js";

/** Adds credentials to catalog requests and refreshes them after a 401/419. */
export interface AuthProvider {
  /** Headers to add to each catalog request. */
  headers(): Promise<Record<string, string>>;
  /**
   * Called after the catalog answered 401/419 to a request sent with `sent` headers. Returns true when
   * fresh credentials are in place and the request may be retried once.
   */
  refresh(sent: Readonly<Record<string, string>>): Promise<boolean>;
  /** Every secret this provider holds, for scrubbing messages. */
  secrets(): string[];
}

/** The subset of `fetch` the client uses; injectable for tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Thrown by fetchWithTimeout when no response arrived; `timedOut` tells a timeout from a network error. */
export class TransportFailure extends Error {
  constructor(
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(timedOut ? "request timed out" : "request failed", { cause });
    this.name = "TransportFailure";
  }
}

/** Sends one request and reads the whole body, aborting when `timeoutMs` passes. */
export async function fetchWithTimeout(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<RawResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await fetchFn(url, { ...init, signal: controller.signal });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (e) {
    throw new TransportFailure(timedOut, timedOut ? undefined : e);
  } finally {
    clearTimeout(timer);
  }
}

export interface RestHttpOptions {
  fetch: FetchLike;
  auth: AuthProvider;
  /** Extra headers sent with every catalog request. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Extra attempts for GET/HEAD after a network error, timeout, 429, 502, 503 or 504. */
  retries: number;
  retryBaseDelayMs: number;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface RestRequest {
  op: RestOperation;
  method: "GET" | "HEAD" | "POST" | "DELETE";
  url: string;
  /** Serialised with stringifyJson (bigint as bare integers). */
  body?: unknown;
  /** Non-2xx statuses the caller handles itself (e.g. 404 for an existence check). */
  accept?: readonly number[];
  context?: ErrorContext;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const SECRET_HEADER = /(secret|password|token|credential|authorization|api[-_]?key|cookie|session)/i;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RestHttp {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RestHttpOptions) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Secrets to keep out of messages: the auth provider's and those in secret-looking extra headers. */
  secrets(): string[] {
    const fromHeaders = Object.entries(this.options.headers)
      .filter(([k]) => SECRET_HEADER.test(k))
      .map(([, v]) => v);
    return [...this.options.auth.secrets(), ...fromHeaders];
  }

  async send(req: RestRequest): Promise<RawResponse> {
    const { logger, timeoutMs } = this.options;
    const idempotent = req.method === "GET" || req.method === "HEAD";
    const maxAttempts = idempotent ? 1 + Math.max(0, this.options.retries) : 1;
    const what = `${req.method} ${new URL(req.url).pathname}`;
    const body = req.body === undefined ? undefined : stringifyJson(req.body);
    let authRetried = false;
    let attempt = 1;
    for (;;) {
      const authHeaders = await this.options.auth.headers();
      const headers = new Headers();
      for (const [k, v] of Object.entries(this.options.headers)) headers.set(k, v);
      headers.set("accept", "application/json");
      for (const [k, v] of Object.entries(authHeaders)) headers.set(k, v);
      if (body !== undefined) headers.set("content-type", "application/json");
      const started = Date.now();
      let res: RawResponse;
      try {
        res = await fetchWithTimeout(
          this.options.fetch,
          req.url,
          { method: req.method, headers, ...(body === undefined ? {} : { body }) },
          timeoutMs,
        );
      } catch (e) {
        if (!(e instanceof TransportFailure)) throw e;
        const err = errorFromTransport({
          op: req.op,
          what,
          cause: e.cause,
          timedOut: e.timedOut,
          timeoutMs,
          secrets: this.secrets(),
          ...(req.context ? { context: req.context } : {}),
        });
        if (attempt < maxAttempts) {
          logger.warn("REST catalog request failed, retrying", { request: what, attempt, error: err });
          await this.backoff(attempt++);
          continue;
        }
        throw err;
      }
      logger.debug("REST catalog request", {
        request: what,
        status: res.status,
        ms: Date.now() - started,
        attempt,
      });
      if ((res.status === 401 || res.status === 419) && !authRetried) {
        authRetried = true;
        if (await this.options.auth.refresh(authHeaders)) {
          logger.info("REST catalog rejected the token, retrying with a fresh one", { request: what });
          continue;
        }
      }
      if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status)) return res;
      if (attempt < maxAttempts && RETRY_STATUS.has(res.status)) {
        logger.warn("REST catalog busy, retrying", { request: what, status: res.status, attempt });
        await this.backoff(attempt++);
        continue;
      }
      throw errorFromResponse({
        op: req.op,
        status: res.status,
        body: res.text,
        what,
        secrets: this.secrets(),
        ...(req.context ? { context: req.context } : {}),
      });
    }
  }

  private backoff(attempt: number): Promise<void> {
    const cap = Math.min(10_000, this.options.retryBaseDelayMs * 2 ** (attempt - 1));
    return this.sleep(Math.floor(Math.random() * cap));
  }
}
