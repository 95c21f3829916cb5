/** Helpers for the REST catalog server unit tests: an in-memory embedded catalog and raw HTTP calls. */
import { request } from "node:http";
import { EmbeddedCatalog } from "../../../src/catalog/index.js";
import {
  type RestCatalogServer,
  type RestCatalogServerOptions,
  startRestCatalogServer,
} from "../../../src/catalog/rest-server/index.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { type JsonValue, parseJson, stringifyJson } from "../../../src/iceberg/spec/index.js";

export function memoryCatalog(): { io: MemoryFileIO; catalog: EmbeddedCatalog } {
  const io = new MemoryFileIO();
  return { io, catalog: new EmbeddedCatalog({ warehouse: "memory://wh", io }) };
}

export async function serve(
  options: Partial<RestCatalogServerOptions> = {},
): Promise<{ server: RestCatalogServer; catalog: EmbeddedCatalog; io: MemoryFileIO }> {
  const { io, catalog } = memoryCatalog();
  const server = await startRestCatalogServer({ catalog, port: 0, ...options });
  return { server, catalog, io };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed int64-safe (undefined when empty). */
  json: JsonValue | undefined;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as-is (no JSON encoding). */
  rawBody?: string | Buffer;
  token?: string;
  headers?: Record<string, string>;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

/**
 * One HTTP request with the path sent exactly as given (fetch would normalise `..` and encodings away).
 */
export function call(
  server: RestCatalogServer,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<RawResponse> {
  const body =
    options.rawBody ?? (options.body === undefined ? undefined : stringifyJson(options.body as never));
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    if (!options.chunked) headers["Content-Length"] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: server.host, port: server.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: text === "" ? undefined : parseJson(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) {
      if (options.chunked) {
        const buf = Buffer.from(body);
        for (let i = 0; i < buf.length; i += 512) req.write(buf.subarray(i, i + 512));
      } else {
        req.write(body);
      }
    }
    req.end();
  });
}

/** The `error` object of a REST error response. */
export function errorOf(res: RawResponse): { message: string; type: string; code: number } {
  return (res.json as { error: { message: string; type: string; code: number } }).error;
}

export const SCHEMA = {
  type: "struct",
  "schema-id": 0,
  fields: [
    { id: 1, name: "id", type: "long", required: true },
    { id: 2, name: "name", type: "string", required: false },
  ],
};
