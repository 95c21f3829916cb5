/**
 * Request bodies for the REST catalog server: JSON only (415 for another Content-Type, so that no
 * browser form or text/plain post, which needs no CORS preflight, is ever read), bounded (413 before
 * reading when Content-Length is too big, and while streaming otherwise), strict UTF-8, parsed int64-safe
 * with parseJson so snapshot ids stay exact bigints.
 */
import type { IncomingMessage } from "node:http";
import { isFloeError } from "../../errors.js";
import { type JsonValue, parseJson } from "../../iceberg/spec/index.js";
import { badRequest, RestError } from "./errors.js";

/** Default cap on a request body: 4 MiB (a commit with a large schema is well under 1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

function tooLarge(limit: number): RestError {
  return new RestError(413, "RequestTooLargeException", `request body larger than ${limit} bytes`, {
    Connection: "close",
  });
}

/**
 * Reads the whole body, failing with 413 past `limit` bytes. On overflow the rest of the body is read
 * and dropped (not buffered) so the client finishes sending and sees the 413; the response closes the
 * connection and the server's request timeout bounds how long that can take.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (e: RestError) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(e);
    };
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > limit) fail(tooLarge(limit));
      else chunks.push(chunk);
    });
    req.once("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    const cut = () => fail(badRequest("the request body was cut short"));
    req.once("error", cut);
    req.once("close", cut);
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `application/json` or `application/<x>+json`, parameters (charset) allowed. */
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.-]+\+)?json\s*(;|$)/i;

/** True when the request says it has no body (no Content-Length above 0, not chunked). */
function noBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] === undefined && (length === undefined || Number(length) === 0);
}

/**
 * Refuses a body that is not declared JSON with 415 (an absent body is left to the 400 that follows).
 * The body is drained, not read, so the connection stays usable.
 */
export function checkJsonContentType(req: IncomingMessage): void {
  const type = req.headers["content-type"];
  if (type === undefined && noBody(req)) return;
  if (type !== undefined && JSON_MEDIA_TYPE.test(type)) return;
  req.resume();
  throw new RestError(
    415,
    "UnsupportedMediaTypeException",
    `request bodies must be JSON (Content-Type: application/json), got ${type === undefined ? "none" : JSON.stringify(type.slice(0, 100))}`,
  );
}

/** Reads and parses a JSON body (int64-safe); 415 unless it is declared JSON, 400 if empty or not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<JsonValue> {
  checkJsonContentType(req);
  const bytes = await readBody(req, limit);
  if (bytes.length === 0) throw badRequest("a JSON request body is required");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest("the request body is not valid UTF-8");
  }
  try {
    return parseJson(text);
  } catch (e) {
    if (isFloeError(e)) throw badRequest(`malformed JSON body: ${e.message}`);
    throw e;
  }
}
