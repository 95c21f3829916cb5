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
