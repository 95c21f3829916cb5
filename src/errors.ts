/**
 * The one error type Floe throws. `code` says what went wrong in a way callers can branch on,
 * `retryable` says whether the same call may succeed later, `context` carries the table, topic,
 * field or setting involved. Messages never include secrets.
 */

export const ERROR_CODES = [
  "CONFIG_INVALID",
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "COMMIT_CONFLICT",
  "COMMIT_STATE_UNKNOWN",
  "PRECONDITION_FAILED",
  "IO_ERROR",
  "UNAUTHORIZED",
  "SERVICE_UNAVAILABLE",
  "SCHEMA_INCOMPATIBLE",
  "DECODE_FAILED",
  /** An upsert record's key is missing or null, or a key column has a type that cannot be a key. */
  "KEY_INVALID",
  "UNSUPPORTED",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorContext = Record<string, string | number | bigint | boolean | undefined>;

export interface FloeErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  context?: ErrorContext;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set([
  "COMMIT_CONFLICT",
  "COMMIT_STATE_UNKNOWN",
  "SERVICE_UNAVAILABLE",
]);

export class FloeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: FloeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FloeError";
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.context = options.context ?? {};
  }
}

export function isFloeError(e: unknown, code?: ErrorCode): e is FloeError {
  return e instanceof FloeError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a FloeError, keeping FloeErrors as they are. */
export function toFloeError(e: unknown, code: ErrorCode = "INTERNAL", context?: ErrorContext): FloeError {
  if (e instanceof FloeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new FloeError(code, message, { cause: e, ...(context ? { context } : {}) });
}

// ---- failures of remote calls: what the S3 and Glue edges share ------------------------------------

/** Node errno codes of a connection that failed or broke mid-request. */
export const NETWORK_ERRNOS: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EPROTO",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** What an AWS SDK v3 error (or a Node network error) says, read without keeping the error object. */
export interface SdkFailure {
  /** The SDK's error name ("NoSuchKey", "ThrottlingException"), or "Error". */
  name: string;
  /** S3's `Code` from the response body, when the SDK set one. */
  serviceCode: string | undefined;
  /** A Node errno code ("ECONNRESET"). */
  errno: string | undefined;
  httpStatus: number | undefined;
  requestId: string | undefined;
  /** How many times the SDK sent the request (1 when it was not retried). */
  attempts: number;
  throttling: boolean;
  serverFault: boolean;
  /** The message, at most 300 characters. */
  message: string;
  /** A sanitised cause: name and message only (SDK errors hold raw responses and client settings). */
  cause: Error;
}

interface SdkErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
  $retryable?: { throttling?: unknown };
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/** Reads the fields error classification needs from anything an AWS SDK call threw. */
export function readSdkFailure(e: unknown): SdkFailure {
  const err = (e !== null && typeof e === "object" ? e : {}) as SdkErrorLike;
  const name = nonEmpty(err.name) ?? "Error";
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const message = (nonEmpty(err.message) ?? String(e)).slice(0, 300);
  return {
    name,
    serviceCode: nonEmpty(err.Code),
    errno: nonEmpty(err.code),
    httpStatus: typeof status === "number" ? status : undefined,
    requestId: nonEmpty(err.$metadata?.requestId),
    attempts: typeof attempts === "number" && attempts > 0 ? attempts : 1,
    throttling: err.$retryable?.throttling === true,
    serverFault: err.$fault === "server",
    message,
    cause: Object.assign(new Error(message), { name }),
  };
}

/** Why a remote call failed in a way that may pass; all but `throttled` mean the request may have applied. */
export type TransientReason = "throttled" | "server-error" | "timeout" | "network";

/** A service's error names for each kind of transient failure. */
export interface TransientCodes {
  throttled: ReadonlySet<string>;
  server: ReadonlySet<string>;
  timeout: ReadonlySet<string>;
}

/**
 * The transient failure a remote call met, if any, with a message tail: throttling (a throttling
 * `code`, HTTP 429 or the SDK's throttling flag), a server error (a server code or 5xx), a timeout (a
 * timeout code or 408) or a broken connection (a network errno), checked in that order.
 */
export function transientFailure(
  failure: SdkFailure,
  code: string,
  codes: TransientCodes,
): { reason: TransientReason; text: string } | undefined {
  const status = failure.httpStatus;
  if (codes.throttled.has(code) || status === 429 || failure.throttling) {
    return { reason: "throttled", text: `throttled (${code})` };
  }
  if (codes.server.has(code) || (status !== undefined && status >= 500)) {
    return { reason: "server-error", text: `failed: server error (${code})` };
  }
  if (codes.timeout.has(code) || status === 408) return { reason: "timeout", text: "timed out" };
  if (failure.errno !== undefined && NETWORK_ERRNOS.has(failure.errno)) {
    return { reason: "network", text: `failed: network error (${failure.errno})` };
  }
  return undefined;
}

/**
 * Whether a failed request may nevertheless have taken effect: the classified error's `context.reason`
 * says it was sent and then met a server error, a timeout or a broken connection.
 */
export function mayHaveApplied(e: FloeError): boolean {
  const reason = e.context.reason;
  return reason === "server-error" || reason === "timeout" || reason === "network";
}
