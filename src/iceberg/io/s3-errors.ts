import {
  type ErrorCode,
  FloeError,
  readSdkFailure,
  type TransientCodes,
  type TransientReason,
  transientFailure,
} from "../../errors.js";

/**
 * Classification of AWS SDK / S3 errors into FloeError at the edge of S3FileIO. The result carries
 * {op, path, httpStatus, s3Code, requestId, reason} in its context and a sanitised cause (name and
 * message only): the SDK's error objects hold raw responses, and nothing from the client's
 * configuration (credentials included) may travel with our errors.
 */

/** Why a retryable failure happened: `throttled` and `conflict` mean the store refused the request. */
export type FailureReason = TransientReason | "conflict" | "checksum";

const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchBucket", "NoSuchVersion"]);
const UNAUTHORIZED = new Set([
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "CredentialsProviderError",
]);
const TRANSIENT: TransientCodes = {
  throttled: new Set([
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
  ]),
  server: new Set(["InternalError", "ServiceUnavailable", "InternalServerError"]),
  timeout: new Set(["RequestTimeout", "RequestTimeoutException", "TimeoutError"]),
};
const CONFLICT = new Set(["ConditionalRequestConflict", "OperationAborted"]);
const CHECKSUM = new Set(["BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"]);

export interface S3ErrorScope {
  op: string;
  path: string;
}

export function classifyS3Error(e: unknown, scope: S3ErrorScope): FloeError {
  if (e instanceof FloeError) return e;
  const failure = readSdkFailure(e);
  const s3Code = failure.serviceCode ?? failure.name;
  const { errno, httpStatus: status, requestId, cause } = failure;
  const make = (code: ErrorCode, text: string, reason?: FailureReason, retryable?: boolean) =>
    new FloeError(code, `${scope.op} ${text}`, {
      cause,
      context: { op: scope.op, path: scope.path, httpStatus: status, s3Code, errno, requestId, reason },
      ...(retryable === undefined ? {} : { retryable }),
    });

  if (NOT_FOUND.has(s3Code) || status === 404) {
    const what =
      s3Code === "NoSuchBucket" ? "bucket" : s3Code === "NoSuchUpload" ? "multipart upload" : "object";
    return make("NOT_FOUND", `failed: ${what} not found`);
  }
  if (s3Code === "PreconditionFailed" || status === 412) {
    return make("PRECONDITION_FAILED", "failed: object already exists (precondition failed)");
  }
  if (CONFLICT.has(s3Code) || status === 409) {
    return make("COMMIT_CONFLICT", `failed: conflicting concurrent write (${s3Code})`, "conflict", true);
  }
  if (UNAUTHORIZED.has(s3Code) || status === 401 || status === 403) {
    return make("UNAUTHORIZED", `failed: access denied (${s3Code})`, undefined, false);
  }
  // The SDK's own check of a download's x-amz-checksum-* header throws a plain Error: a body that
  // changed in flight (S3Proxy serving an object while it is overwritten) is worth another read.
  if (CHECKSUM.has(s3Code) || /^Checksum mismatch/.test(failure.message)) {
    return make("IO_ERROR", `failed: body corrupted in transit (${s3Code})`, "checksum", true);
  }
  const transient = transientFailure(failure, s3Code, TRANSIENT);
  if (transient) return make("SERVICE_UNAVAILABLE", transient.text, transient.reason, true);
  if (status === 416 || (status !== undefined && status >= 400 && status < 500)) {
    return make("INVALID_ARGUMENT", `rejected by the store (${s3Code})`, undefined, false);
  }
  return make("IO_ERROR", `failed (${s3Code})`, undefined, false);
}
