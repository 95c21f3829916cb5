import { describe, expect, it } from "vitest";
import { GlueCatalog } from "../../../src/catalog/glue/glue-catalog.js";
import { classifyGlueError, sdkAttempts } from "../../../src/catalog/glue/index.js";
import { FloeError } from "../../../src/errors.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { createLogger } from "../../../src/log.js";
import { glueError, networkError } from "./fake-glue.js";

const scope = { op: "UpdateTable", database: "db", table: "t" };

describe("classifyGlueError", () => {
  it.each([
    ["EntityNotFoundException", 400, "NOT_FOUND", false, undefined],
    ["AlreadyExistsException", 400, "ALREADY_EXISTS", false, undefined],
    ["ConcurrentModificationException", 400, "COMMIT_CONFLICT", true, undefined],
    ["AccessDeniedException", 400, "UNAUTHORIZED", false, undefined],
    ["UnrecognizedClientException", 400, "UNAUTHORIZED", false, undefined],
    ["SomethingElse", 403, "UNAUTHORIZED", false, undefined],
    ["InvalidInputException", 400, "INVALID_ARGUMENT", false, undefined],
    ["ResourceNumberLimitExceededException", 400, "INVALID_ARGUMENT", false, undefined],
    ["ThrottlingException", 400, "SERVICE_UNAVAILABLE", true, "throttled"],
    ["InternalServiceException", 500, "SERVICE_UNAVAILABLE", true, "server-error"],
    ["ServiceUnavailable", 503, "SERVICE_UNAVAILABLE", true, "server-error"],
    ["OperationTimeoutException", 400, "SERVICE_UNAVAILABLE", true, "timeout"],
  ])("%s (%i) -> %s", (name, status, code, retryable, reason) => {
    const e = classifyGlueError(glueError(name, status), scope);
    expect(e).toBeInstanceOf(FloeError);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.context.reason).toBe(reason);
    expect(e.context).toMatchObject({ op: "UpdateTable", database: "db", table: "t", glueCode: name });
    expect(e.message).toContain("glue UpdateTable db.t");
  });

  it("treats a broken connection as a network failure that may have applied", () => {
    const e = classifyGlueError(networkError("ECONNRESET", 3), scope);
    expect(e.code).toBe("SERVICE_UNAVAILABLE");
    expect(e.context).toMatchObject({ reason: "network", errno: "ECONNRESET", attempts: 3 });
  });

  it("reads the SDK's attempt count", () => {
    expect(sdkAttempts(glueError("X", 500, { attempts: 3 }))).toBe(3);
    expect(sdkAttempts(new Error("plain"))).toBe(1);
    expect(sdkAttempts(undefined)).toBe(1);
  });

  it("keeps only the name and message of the SDK error as the cause", () => {
    const raw = Object.assign(glueError("AccessDeniedException", 400), {
      $response: { headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIDSECRET" } },
    });
    const e = classifyGlueError(raw, scope);
    expect(e.cause).toBeInstanceOf(Error);
    expect(Object.keys(e.cause as object)).not.toContain("$response");
    expect(JSON.stringify({ m: e.message, c: e.context })).not.toContain("AKIDSECRET");
  });

  it("passes FloeErrors through", () => {
    const f = new FloeError("NOT_FOUND", "x");
    expect(classifyGlueError(f, scope)).toBe(f);
  });
});

describe("secrets", () => {
  it("never puts credentials in errors or logs when Glue is unreachable", async () => {
    const lines: string[] = [];
    const catalog = new GlueCatalog({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: { accessKeyId: "AKIAFLOETESTKEY", secretAccessKey: "s3cr3t-DO-NOT-LEAK" },
      io: new MemoryFileIO(),
      maxAttempts: 1,
      logger: createLogger({ level: "debug", write: (l) => lines.push(l) }),
    });
    try {
      const err = await catalog.listNamespaces().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FloeError);
      expect((err as FloeError).code).toBe("SERVICE_UNAVAILABLE");
      expect((err as FloeError).retryable).toBe(true);
      const text = JSON.stringify({
        message: (err as FloeError).message,
        context: (err as FloeError).context,
        cause: String((err as FloeError).cause),
        logs: lines,
      });
      expect(text).not.toContain("s3cr3t-DO-NOT-LEAK");
      expect(text).not.toContain("AKIAFLOETESTKEY");
    } finally {
      catalog.close();
    }
  });
});
