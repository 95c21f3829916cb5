/**
 * AWS Glue errors -> FloeError, at the edge of GlueCatalog. The result carries {op, database, table,
 * httpStatus, glueCode, errno, requestId, reason, attempts} in its context and a sanitised cause (name
 * and message only): the SDK's error objects hold raw responses, and nothing from the client's
 * configuration (credentials included) may travel with our errors.
 */
import type { Table as GlueTable } from "@aws-sdk/client-glue";
import {
  type ErrorCode,
  FloeError,
  isFloeError,
  readSdkFailure,
  type TransientCodes,
  type TransientReason,
  transientFailure,
} from "../../errors.js";
import { formatIdentifier, type TableIdentifier } from "../catalog.js";

/** Why a failure may be transient; `server-error`, `timeout` and `network` mean a sent request may have applied. */
export type GlueFailureReason = TransientReason;

const UNAUTHORIZED = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "CredentialsProviderError",
  "GlueEncryptionException",
]);
const INVALID = new Set([
  "InvalidInputException",
  "ValidationException",
  "InvalidStateException",
  "ResourceNumberLimitExceededException",
]);
const TRANSIENT: TransientCodes = {
  throttled: new Set([
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ResourceNotReadyException",
  ]),
  server: new Set(["InternalServiceException", "InternalFailure", "ServiceUnavailable"]),
  timeout: new Set([
    "OperationTimeoutException",
    "TimeoutError",
    "RequestTimeout",
    "RequestTimeoutException",
  ]),
};
export interface GlueErrorScope {
  op: string;
  database?: string;
  table?: string;
}

/** How many times the SDK sent the request before this error (1 when it was not retried). */
export function sdkAttempts(e: unknown): number {
  return readSdkFailure(e).attempts;
}

/** Classifies anything a GlueClient call threw; FloeErrors pass through unchanged. */
export function classifyGlueError(e: unknown, scope: GlueErrorScope): FloeError {
  if (e instanceof FloeError) return e;
  const failure = readSdkFailure(e);
  const { name: glueCode, errno, httpStatus: status, requestId, message, cause } = failure;
  const what = [scope.database, scope.table].filter((x) => x !== undefined).join(".");
  const make = (code: ErrorCode, text: string, reason?: GlueFailureReason, retryable?: boolean) =>
    new FloeError(code, `glue ${scope.op}${what ? ` ${what}` : ""} ${text}`, {
      cause,
      context: {
        op: scope.op,
        database: scope.database,
        table: scope.table,
        httpStatus: status,
        glueCode,
        errno,
        requestId,
        reason,
        attempts: failure.attempts,
      },
      ...(retryable === undefined ? {} : { retryable }),
    });

  if (glueCode === "EntityNotFoundException") return make("NOT_FOUND", "failed: not found");
  if (glueCode === "AlreadyExistsException") return make("ALREADY_EXISTS", "failed: already exists");
  if (glueCode === "ConcurrentModificationException") {
    return make("COMMIT_CONFLICT", "failed: concurrent modification", undefined, true);
  }
  if (UNAUTHORIZED.has(glueCode) || status === 401 || status === 403) {
    return make("UNAUTHORIZED", `failed: access denied (${glueCode})`, undefined, false);
  }
  const transient = transientFailure(failure, glueCode, TRANSIENT);
  if (transient) return make("SERVICE_UNAVAILABLE", transient.text, transient.reason, true);
  if (INVALID.has(glueCode) || (status !== undefined && status >= 400 && status < 500)) {
    return make("INVALID_ARGUMENT", `rejected (${glueCode}): ${message}`, undefined, false);
  }
  if (failure.serverFault) {
    return make("SERVICE_UNAVAILABLE", `failed: server error (${glueCode})`, "server-error", true);
  }
  // No HTTP status and no known code: most likely the connection failed mid-request.
  if (status === undefined) return make("SERVICE_UNAVAILABLE", `failed (${glueCode})`, "network", true);
  return make("INTERNAL", `failed (${glueCode})`, undefined, false);
}

// ---- the errors GlueCatalog raises itself ----

export async function orFalse(p: Promise<boolean>): Promise<boolean> {
  try {
    return await p;
  } catch (e) {
    if (isFloeError(e, "NOT_FOUND")) return false;
    throw e;
  }
}

/** Rethrows `e`, replacing a NOT_FOUND with the clearer `notFound`. */
export function rethrow(e: unknown, notFound: FloeError): never {
  if (isFloeError(e, "NOT_FOUND")) {
    throw new FloeError("NOT_FOUND", notFound.message, { cause: e, context: notFound.context });
  }
  throw e;
}

export function nsNotFound(name: string, cause?: unknown): FloeError {
  return new FloeError("NOT_FOUND", `namespace ${name} does not exist`, {
    ...(cause === undefined ? {} : { cause }),
    context: { namespace: name },
  });
}

export function tableNotFound(id: TableIdentifier, cause?: unknown): FloeError {
  return new FloeError("NOT_FOUND", `table ${formatIdentifier(id)} does not exist`, {
    ...(cause === undefined ? {} : { cause }),
    context: { table: formatIdentifier(id) },
  });
}

export function notIceberg(id: TableIdentifier, table: GlueTable): FloeError {
  const type = table.Parameters?.table_type ?? table.TableType ?? "unknown";
  return new FloeError(
    "NOT_FOUND",
    `${formatIdentifier(id)} is not an Iceberg table (Glue table_type ${JSON.stringify(type)})`,
    { context: { table: formatIdentifier(id) } },
  );
}

export function tableAlreadyExists(id: TableIdentifier, cause: unknown): FloeError {
  return new FloeError("ALREADY_EXISTS", `table ${formatIdentifier(id)} already exists`, {
    cause,
    context: { table: formatIdentifier(id) },
  });
}

export function conflict(id: TableIdentifier, why: string, cause?: unknown): FloeError {
  return new FloeError("COMMIT_CONFLICT", `commit to ${formatIdentifier(id)} conflicted: ${why}`, {
    ...(cause === undefined ? {} : { cause }),
    context: { table: formatIdentifier(id) },
  });
}
