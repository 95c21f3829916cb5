/**
 * The REST error model ({"error": {"message", "type", "code"}}) and the mapping from FloeError codes
 * thrown by a Catalog to HTTP statuses and the exception type names Java, PyIceberg and DuckDB branch on.
 * Where a FloeError code alone is ambiguous (NOT_FOUND: namespace or table? PRECONDITION_FAILED: not
 * empty or commit?) the route's scope decides. Inside a table commit every server-side failure is
 * CommitStateUnknownException: the client must reload and check before retrying, never assume failure.
 */
import { FloeError } from "../../errors.js";

export type RestErrorType =
  | "BadRequestException"
  | "NotAuthorizedException"
  | "ForbiddenException"
  | "NoSuchNamespaceException"
  | "NoSuchTableException"
  | "NotFoundException"
  | "MethodNotAllowedException"
  | "UnsupportedOperationException"
  | "AlreadyExistsException"
  | "NamespaceNotEmptyException"
  | "CommitFailedException"
  | "RequestTooLargeException"
  | "UnsupportedMediaTypeException"
  | "UnprocessableEntityException"
  | "CommitStateUnknownException"
  | "InternalServerError"
  | "ServiceUnavailableException";

/** An error that becomes one HTTP error response. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly type: RestErrorType,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RestError";
  }
}

export interface ErrorResponse {
  error: { message: string; type: RestErrorType; code: number };
}

export function errorBody(e: RestError): ErrorResponse {
  return { error: { message: e.message, type: e.type, code: e.status } };
}

/** What a route works on: decides NOT_FOUND / PRECONDITION_FAILED types and commit semantics. */
export type ErrorScope = "config" | "namespace" | "table" | "commit";

export function badRequest(message: string): RestError {
  return new RestError(400, "BadRequestException", message);
}

export function unsupported(message: string): RestError {
  return new RestError(406, "UnsupportedOperationException", message);
}

/** The storage refused a path as too long: a name over 255 bytes became a file or directory name. */
function nameTooLong(e: unknown): boolean {
  for (let cur = e, i = 0; cur instanceof Error && i < 4; cur = cur.cause, i++) {
    if ((cur as NodeJS.ErrnoException).code === "ENAMETOOLONG") return true;
    if (cur instanceof FloeError && cur.context.errno === "ENAMETOOLONG") return true;
  }
  return false;
}

/** Maps anything a handler threw to a RestError. Unknown errors keep their text out of the response. */
export function toRestError(e: unknown, scope: ErrorScope): RestError {
  if (e instanceof RestError) return e;
  if (scope !== "commit" && nameTooLong(e)) {
    return new RestError(
      400,
      "BadRequestException",
      "a namespace or table name is too long for the warehouse storage (at most 255 bytes per name)",
      {},
      { cause: e },
    );
  }
  if (!(e instanceof FloeError)) {
    return scope === "commit"
      ? new RestError(
          500,
          "CommitStateUnknownException",
          "internal error while committing; state unknown",
          {},
          { cause: e },
        )
      : new RestError(500, "InternalServerError", "internal error", {}, { cause: e });
  }
  const message = e.message;
  const opts = { cause: e };

  switch (e.code) {
    case "INVALID_ARGUMENT":
    case "SCHEMA_INCOMPATIBLE":
    case "DECODE_FAILED":
    case "KEY_INVALID":
      return new RestError(400, "BadRequestException", message, {}, opts);
    case "NOT_FOUND": {
      const table = e.context.table !== undefined;
      const namespace = e.context.namespace !== undefined;
      const isTable = table || (!namespace && (scope === "table" || scope === "commit"));
      return new RestError(
        404,
        isTable ? "NoSuchTableException" : "NoSuchNamespaceException",
        message,
        {},
        opts,
      );
    }
    case "ALREADY_EXISTS":
      return new RestError(409, "AlreadyExistsException", message, {}, opts);
    case "COMMIT_CONFLICT":
      return new RestError(409, "CommitFailedException", message, {}, opts);
    case "PRECONDITION_FAILED":
      return new RestError(
        409,
        scope === "namespace" ? "NamespaceNotEmptyException" : "CommitFailedException",
        message,
        {},
        opts,
      );
    case "UNSUPPORTED":
      return new RestError(406, "UnsupportedOperationException", message, {}, opts);
    case "UNAUTHORIZED":
      // The catalog's own backend refused us: the client's credentials are fine, so not a 401.
      return new RestError(
        403,
        "ForbiddenException",
        `the catalog backend refused access: ${message}`,
        {},
        opts,
      );
    case "COMMIT_STATE_UNKNOWN":
      return new RestError(500, "CommitStateUnknownException", message, {}, opts);
    case "SERVICE_UNAVAILABLE":
      return new RestError(
        503,
        scope === "commit" ? "CommitStateUnknownException" : "ServiceUnavailableException",
        message,
        { "Retry-After": "1" },
        opts,
      );
    case "IO_ERROR":
    case "CONFIG_INVALID":
    case "INTERNAL":
      if (scope === "commit") return new RestError(500, "CommitStateUnknownException", message, {}, opts);
      if (e.retryable) {
        return new RestError(503, "ServiceUnavailableException", message, { "Retry-After": "1" }, opts);
      }
      return new RestError(500, "InternalServerError", message, {}, opts);
  }
}
