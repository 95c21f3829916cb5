import { describe, expect, it } from "vitest";
import { FloeError, mayHaveApplied } from "../../../src/errors.js";
import { classifyS3Error } from "../../../src/iceberg/io/index.js";
import { networkError, sdkError } from "./fake-s3.js";

const scope = { op: "read", path: "s3://bucket/t/data/f.parquet" };

describe("classifyS3Error", () => {
  it.each([
    ["NoSuchKey", 404, "NOT_FOUND", false],
    ["NotFound", 404, "NOT_FOUND", false],
    ["NoSuchBucket", 404, "NOT_FOUND", false],
    ["NoSuchUpload", 404, "NOT_FOUND", false],
    ["PreconditionFailed", 412, "PRECONDITION_FAILED", false],
    ["ConditionalRequestConflict", 409, "COMMIT_CONFLICT", true],
    ["AccessDenied", 403, "UNAUTHORIZED", false],
    ["SignatureDoesNotMatch", 403, "UNAUTHORIZED", false],
    ["InvalidAccessKeyId", 403, "UNAUTHORIZED", false],
    ["SlowDown", 503, "SERVICE_UNAVAILABLE", true],
    ["ThrottlingException", 400, "SERVICE_UNAVAILABLE", true],
    ["TooManyRequests", 429, "SERVICE_UNAVAILABLE", true],
    ["InternalError", 500, "SERVICE_UNAVAILABLE", true],
    ["BadGateway", 502, "SERVICE_UNAVAILABLE", true],
    ["RequestTimeout", 400, "SERVICE_UNAVAILABLE", true],
    ["BadDigest", 400, "IO_ERROR", true],
    ["InvalidRange", 416, "INVALID_ARGUMENT", false],
    ["EntityTooSmall", 400, "INVALID_ARGUMENT", false],
  ] as const)("%s (%i) -> %s, retryable %s", (name, status, code, retryable) => {
    const err = classifyS3Error(sdkError(name, status), scope);
    expect(err).toBeInstanceOf(FloeError);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.context).toMatchObject({ op: "read", path: scope.path, httpStatus: status, s3Code: name });
  });

  it("classifies the SDK's response checksum mismatch as a retryable corrupted body", () => {
    const e = new Error(
      'Checksum mismatch: expected "4TmmHA==" but received "lj6Wig==" in response header "x-amz-checksum-crc32".',
    );
    const err = classifyS3Error(e, scope);
    expect(err.code).toBe("IO_ERROR");
    expect(err.retryable).toBe(true);
    expect(err.context).toMatchObject({ reason: "checksum" });
  });

  it("classifies network errors and SDK timeouts as retryable and possibly applied", () => {
    for (const e of [networkError("ECONNRESET"), networkError("EPIPE"), sdkError("TimeoutError")]) {
      const err = classifyS3Error(e, scope);
      expect(err.code).toBe("SERVICE_UNAVAILABLE");
      expect(err.retryable).toBe(true);
      expect(mayHaveApplied(err)).toBe(true);
    }
  });

  it("knows which failures prove the request was refused", () => {
    expect(mayHaveApplied(classifyS3Error(sdkError("SlowDown", 503), scope))).toBe(false);
    expect(mayHaveApplied(classifyS3Error(sdkError("ConditionalRequestConflict", 409), scope))).toBe(false);
    expect(mayHaveApplied(classifyS3Error(sdkError("InternalError", 500), scope))).toBe(true);
  });

  it("keeps FloeErrors, wraps odd values, and never carries the raw SDK error", () => {
    const mine = new FloeError("NOT_FOUND", "x");
    expect(classifyS3Error(mine, scope)).toBe(mine);
    expect(classifyS3Error("weird", scope).code).toBe("IO_ERROR");
    const raw = Object.assign(sdkError("AccessDenied", 403), {
      $response: { headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKID/..., Signature=abc" } },
      config: { credentials: { secretAccessKey: "s3cr3t" } },
    });
    const err = classifyS3Error(raw, scope);
    expect(err.cause).not.toBe(raw);
    expect(JSON.stringify({ err, cause: err.cause, context: err.context, message: err.message })).not.toMatch(
      /s3cr3t|Signature=/,
    );
    expect((err.cause as Error).name).toBe("AccessDenied");
  });
});
