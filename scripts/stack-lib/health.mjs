// Health probes that speak each service's own protocol, using only Node built-ins.
import { createHash, createHmac } from "node:crypto";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { s3 } from "./settings.mjs";

/**
 * Sends a Kafka ApiVersions (v0) request and resolves true when the broker answers with error 0. With
 * `tls` (node:tls options: ca, cert, key, passphrase) the request goes over TLS, verified against `ca`.
 */
export function kafkaApiVersions(host, port, timeoutMs = 3000, tls = undefined) {
  return new Promise((resolve) => {
    const clientId = Buffer.from("floe-stack");
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    let o = body.writeInt16BE(18, 0); // api key: ApiVersions
    o = body.writeInt16BE(0, o); // api version 0
    o = body.writeInt32BE(7, o); // correlation id
    o = body.writeInt16BE(clientId.length, o);
    clientId.copy(body, o);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);

    const socket = tls ? tlsConnect({ host, port, ...tls }) : connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on(tls ? "secureConnect" : "connect", () => socket.write(Buffer.concat([size, body])));
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 10) return;
      const correlation = buf.readInt32BE(4);
      const errorCode = buf.readInt16BE(8);
      done(correlation === 7 && errorCode === 0);
    });
  });
}

/** Resolves true when something accepts a TCP connection on host:port. */
export function tcpOpen(host, port, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => done(true));
  });
}

/** Resolves with the HTTP status of a request, or 0 when nothing answers. */
export async function httpStatus(url, init = {}, timeoutMs = 3000) {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

/** A minimal AWS Signature V4 request to the local S3 store (path-style, unsigned query). */
export async function s3Request(method, path, { body = "", headers = {} } = {}) {
  const url = new URL(path, s3.endpoint);
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const all = {
    host: url.host,
    "x-amz-content-sha256": payloadHash,
    "x-amz-date": amzDate,
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const names = Object.keys(all).sort();
  const canonical = [
    method,
    url.pathname,
    "",
    ...names.map((n) => `${n}:${String(all[n]).trim()}`),
    "",
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${day}/${s3.region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${s3.secretAccessKey}`, day);
  for (const part of [s3.region, "s3", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const authorization = `AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  const { host: _host, ...sent } = all;
  try {
    const res = await fetch(url, {
      method,
      body: method === "GET" || method === "HEAD" ? undefined : body,
      headers: { ...sent, authorization },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, text: await res.text() };
  } catch (e) {
    return { status: 0, text: String(e) };
  }
}
