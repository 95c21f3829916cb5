/**
 * Maps Iceberg REST catalog responses and transport failures to FloeError codes.
 *
 * The REST error model is `{"error": {"message", "type", "code", "stack"?}}`. We keep `message` and
 * `type` (never the server's stack) and classify by HTTP status and operation: a 409 means "already
 * exists" on create, "commit conflict" on commit and "not empty" on drop namespace; 5xx or a lost
 * connection after sending a commit means the commit state is unknown.
 */
import { type ErrorCode, type ErrorContext, FloeError } from "../../errors.js";
import { parseJson } from "../../iceberg/spec/index.js";

/** What the client was doing; decides how ambiguous statuses (409, 5xx) are read. */
export type RestOperation =
  | "config"
  | "oauth"
  | "listNamespaces"
  | "createNamespace"
  | "loadNamespace"
  | "namespaceExists"
  | "dropNamespace"
  | "listTables"
  | "createTable"
  | "loadTable"
  | "tableExists"
  | "dropTable"
  | "commitTable";

export interface RestErrorBody {
  message?: string;
  type?: string;
}

const MAX_MESSAGE = 500;
export const REDACTED = "[redacted]";

/** Replaces every occurrence of each secret (tokens, client secrets) with [redacted]. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Reads the REST error model from a body; tolerates non-JSON bodies from proxies (returns {}). */
export function parseErrorBody(text: string): RestErrorBody {
  if (text.trim() === "") return {};
  try {
    const json = parseJson(text);
    if (json === null || typeof json !== "object" || Array.isArray(json)) return {};
    const error = (json as Record<string, unknown>).error;
    if (error === null || typeof error !== "object" || Array.isArray(error)) return {};
    const e = error as Record<string, unknown>;
    return {
      ...(typeof e.message === "string" ? { message: e.message } : {}),
      ...(typeof e.type === "string" ? { type: e.type } : {}),
    };
  } catch {
    return {};
  }
}

function isCommit(op: RestOperation): boolean {
  return op === "commitTable";
}

function codeFor(op: RestOperation, status: number, type: string | undefined): ErrorCode {
  if (isCommit(op) && (status === 500 || status === 502 || status === 503 || status === 504)) {
    return "COMMIT_STATE_UNKNOWN";
  }
  switch (status) {
    case 400:
    case 422:
      return "INVALID_ARGUMENT";
    case 401:
    case 403:
    case 419:
      return "UNAUTHORIZED";
    case 404:
      return "NOT_FOUND";
    case 405:
    case 406:
    case 501:
      return "UNSUPPORTED";
    case 409:
      if (isCommit(op)) return "COMMIT_CONFLICT";
      if (op === "dropNamespace") return "PRECONDITION_FAILED";
      if (type?.includes("CommitFailed")) return "COMMIT_CONFLICT";
      return "ALREADY_EXISTS";
    case 412:
      return isCommit(op) ? "COMMIT_CONFLICT" : "PRECONDITION_FAILED";
    case 408:
    case 429:
      return "SERVICE_UNAVAILABLE";
  }
  if (status >= 500) return "SERVICE_UNAVAILABLE";
  return "INTERNAL";
}

/** Short words for what a status means, used when the server sent no message. */
function statusWords(status: number): string {
  const words: Record<number, string> = {
    400: "bad request",
    401: "not authorized",
    403: "forbidden",
    404: "not found",
    406: "unsupported operation",
    409: "conflict",
    419: "authentication timed out",
    422: "unprocessable entity",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
  };
  return words[status] ?? "unexpected response";
}

export interface ResponseErrorInput {
  op: RestOperation;
  status: number;
  body: string;
  /** Request description for the message, e.g. `POST /v1/namespaces/db/tables/t`. */
  what: string;
  context?: ErrorContext;
  secrets: readonly string[];
}

/** The FloeError for a non-2xx catalog response. */
export function errorFromResponse(input: ResponseErrorInput): FloeError {
  const parsed = parseErrorBody(input.body);
  const code = codeFor(input.op, input.status, parsed.type);
  const detail = (parsed.message ?? statusWords(input.status)).slice(0, MAX_MESSAGE);
  const type = parsed.type ? `${parsed.type}: ` : "";
  const message = scrub(
    `REST catalog ${input.what} failed with HTTP ${input.status}: ${type}${detail}`,
    input.secrets,
  );
  const retryable =
    code === "COMMIT_CONFLICT" || code === "COMMIT_STATE_UNKNOWN" || code === "SERVICE_UNAVAILABLE";
  return new FloeError(code, message, {
    retryable,
    context: {
      ...input.context,
      status: input.status,
      ...(parsed.type ? { errorType: parsed.type.slice(0, 200) } : {}),
    },
  });
}

/** Node's codes for failures that happen before any byte of the request reaches the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur !== null && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when a transport error proves the request never reached the server. */
export function neverSent(e: unknown): boolean {
  const code = causeCode(e);
  return code !== undefined && NOT_SENT.has(code);
}

export interface TransportErrorInput {
  op: RestOperation;
  what: string;
  cause: unknown;
  timedOut: boolean;
  timeoutMs: number;
  context?: ErrorContext;
  secrets: readonly string[];
}

/**
 * The FloeError for a request that got no response: a timeout or a network failure. For a commit
 * that may have reached the server this is COMMIT_STATE_UNKNOWN; otherwise SERVICE_UNAVAILABLE.
 */
export function errorFromTransport(input: TransportErrorInput): FloeError {
  const reason = input.timedOut
    ? `timed out after ${input.timeoutMs} ms`
    : `${causeCode(input.cause) ?? "network error"}: ${
        input.cause instanceof Error ? input.cause.message : String(input.cause)
      }`;
  const unknown = isCommit(input.op) && !neverSent(input.cause);
  const message = scrub(
    `REST catalog ${input.what} ${reason}${unknown ? "; the commit state is unknown" : ""}`,
    input.secrets,
  );
  return new FloeError(unknown ? "COMMIT_STATE_UNKNOWN" : "SERVICE_UNAVAILABLE", message.slice(0, 1000), {
    cause: input.cause,
    retryable: true,
    context: { ...input.context, timedOut: input.timedOut },
  });
}

/** A 2xx response whose body is not what the spec says. */
export function invalidResponse(
  op: RestOperation,
  what: string,
  detail: string,
  secrets: readonly string[],
  context?: ErrorContext,
): FloeError {
  // A commit answered 200 has landed even if we cannot read the answer: make the caller reload.
  const code: ErrorCode = isCommit(op) ? "COMMIT_STATE_UNKNOWN" : "INTERNAL";
  return new FloeError(
    code,
    scrub(`REST catalog ${what} returned an invalid response: ${detail}`.slice(0, 1000), secrets),
    { context: context ?? {} },
  );
}
