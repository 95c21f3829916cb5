/** A scripted fetch for RestCatalog unit tests: routes by "METHOD /path", records every call. */
import type { FetchLike } from "../../../src/catalog/rest/index.js";

export interface Call {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export function json(status: number, body: unknown): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export function restError(status: number, type: string, message: string): Response {
  return json(status, { error: { message, type, code: status, stack: ["at Secret.internal(X.java:1)"] } });
}

export interface FakeServer {
  fetch: FetchLike;
  calls: Call[];
  /** Calls other than the config and token requests. */
  catalogCalls(): Call[];
}

/**
 * `routes` maps "METHOD /path" (path without query) to a handler; GET /v1/config answers `config`
 * unless routed explicitly. Unrouted requests get a 500 so a test notices them.
 */
export function fakeServer(
  routes: Record<string, Handler>,
  config: unknown = { defaults: {}, overrides: {} },
): FakeServer {
  const calls: Call[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input);
    const call: Call = {
      method: init.method ?? "GET",
      url,
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? init.body : "",
    };
    calls.push(call);
    const key = `${call.method} ${url.pathname}`;
    const handler = routes[key] ?? (key === "GET /v1/config" ? () => json(200, config) : undefined);
    if (handler === undefined) return restError(500, "TestRouteMissing", `no route for ${key}`);
    const signal = init.signal;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(new DOMException("This operation was aborted", "AbortError"));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      Promise.resolve()
        .then(() => handler(call))
        .then(resolve, reject);
    });
  };
  return {
    fetch,
    calls,
    catalogCalls: () =>
      calls.filter((c) => c.url.pathname !== "/v1/config" && !c.url.pathname.endsWith("/oauth/tokens")),
  };
}

/** A handler that never answers until the request is aborted (for timeout tests). */
export function hang(): Handler {
  return () => new Promise<Response>(() => {});
}

/** Minimal v2 metadata text; `snapshotId` (if given) is written as a bare integer. */
export function metadataJson(options: { snapshotId?: bigint; location?: string } = {}): string {
  const id = options.snapshotId;
  const snap =
    id === undefined
      ? `"current-snapshot-id": -1, "snapshots": [], "refs": {}`
      : `"current-snapshot-id": ${id}, "refs": {"main": {"snapshot-id": ${id}, "type": "branch"}},
         "snapshots": [{"snapshot-id": ${id}, "sequence-number": 1, "timestamp-ms": 1700000000000,
           "manifest-list": "s3://w/t/metadata/snap-${id}.avro", "summary": {"operation": "append"}}]`;
  return `{
    "format-version": 2,
    "table-uuid": "7f3c4b1e-8a52-4c0e-9a4e-2b9b3f0a1c55",
    "location": "${options.location ?? "s3://warehouse/db/t"}",
    "last-sequence-number": ${id === undefined ? 0 : 1},
    "last-updated-ms": 1700000000000,
    "last-column-id": 2,
    "current-schema-id": 0,
    "schemas": [{"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "ts", "required": false, "type": "timestamptz"}]}],
    "default-spec-id": 0,
    "partition-specs": [{"spec-id": 0, "fields": [{"name": "ts_day", "transform": "day", "source-id": 2, "field-id": 1000}]}],
    "last-partition-id": 1000,
    "default-sort-order-id": 0,
    "sort-orders": [{"order-id": 0, "fields": []}],
    "properties": {},
    ${snap}
  }`;
}

/** A LoadTableResult / CommitTableResponse body around `metadataJson`. */
export function loadResult(metadata: string, extra = ""): Response {
  return new Response(
    `{"metadata-location": "s3://warehouse/db/t/metadata/00001.metadata.json", "metadata": ${metadata}${extra}}`,
    { status: 200, headers: { "content-type": "application/json" } },
  );
}
