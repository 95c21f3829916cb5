import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredSchema {
  schema: string;
  schemaType?: "AVRO" | "JSON" | "PROTOBUF";
  references?: { name: string; subject: string; version: number }[];
}

export interface FakeRegistry {
  url: string;
  /** Every request path, in order. */
  requests: string[];
  /** Authorization headers seen. */
  authorizations: (string | undefined)[];
  byId: Map<number, StoredSchema>;
  bySubject: Map<string, StoredSchema & { id: number }>;
  /** When set, every request answers this status. */
  failWith?: number;
  /** Milliseconds to wait before answering. */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * A tiny Confluent Schema Registry: GET /schemas/ids/{id} and GET /subjects/{subject}/versions/{version},
 * with the registry's 404 body (error_code 40403). If `authorization` is given, other headers get 401.
 */
export async function startRegistry(authorization?: string): Promise<FakeRegistry> {
  const state = {
    requests: [] as string[],
    authorizations: [] as (string | undefined)[],
    byId: new Map<number, StoredSchema>(),
    bySubject: new Map<string, StoredSchema & { id: number }>(),
    failWith: undefined as number | undefined,
    delayMs: 0,
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    state.requests.push(path);
    state.authorizations.push(req.headers.authorization);
    const send = (status: number, body: unknown) => {
      setTimeout(() => {
        res.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
        res.end(JSON.stringify(body));
      }, state.delayMs);
    };
    if (state.failWith !== undefined)
      return send(state.failWith, { error_code: state.failWith, message: "boom" });
    if (req.method !== "GET") return send(405, { error_code: 405, message: "method not allowed" });
    if (authorization !== undefined && req.headers.authorization !== authorization) {
      return send(401, { error_code: 401, message: "Unauthorized" });
    }
    const byId = /^\/schemas\/ids\/(\d+)$/.exec(path);
    if (byId) {
      const found = state.byId.get(Number(byId[1]));
      return found ? send(200, found) : send(404, { error_code: 40403, message: "Schema not found" });
    }
    const bySubject = /^\/subjects\/([^/]+)\/versions\/(\d+)$/.exec(path);
    if (bySubject) {
      const found = state.bySubject.get(`${decodeURIComponent(bySubject[1] ?? "")}/${bySubject[2]}`);
      return found
        ? send(200, {
            subject: decodeURIComponent(bySubject[1] ?? ""),
            version: Number(bySubject[2]),
            ...found,
          })
        : send(404, { error_code: 40402, message: "Version not found." });
    }
    return send(404, { error_code: 404, message: "HTTP 404 Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  });
}
