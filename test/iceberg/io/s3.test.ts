import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { listAll, S3FileIO, type S3FileIOOptions } from "../../../src/iceberg/io/index.js";
import { createS3Client } from "../../../src/iceberg/io/s3.js";
import { MIB } from "../../../src/iceberg/io/s3-multipart.js";
import type { LogFields } from "../../../src/log.js";
import { silentLogger } from "../../../src/log.js";
import { bytesOf, expectFloeError, patternBytes } from "./contract.js";
import { FakeS3, networkError, sdkError } from "./fake-s3.js";

const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

function setup(options: Partial<S3FileIOOptions> = {}) {
  const s3 = new FakeS3();
  const warnings: Array<[string, LogFields]> = [];
  const infos: Array<[string, LogFields]> = [];
  const logger = {
    ...silentLogger,
    warn: (m: string, f?: LogFields) => warnings.push([m, f ?? {}]),
    info: (m: string, f?: LogFields) => infos.push([m, f ?? {}]),
  };
  const io = new S3FileIO({ client: s3.client(), retry: FAST_RETRY, logger, ...options });
  return { s3, io, warnings, infos };
}

describe("S3FileIO retries", () => {
  it("retries throttling and 5xx with backoff, logging each attempt", async () => {
    const { s3, io, warnings } = setup();
    s3.faults.push({ command: "PutObjectCommand", error: sdkError("SlowDown", 503) });
    s3.faults.push({ command: "PutObjectCommand", error: sdkError("InternalError", 500) });
    await io.write("s3://b/k", bytesOf("v"));
    expect(s3.calls).toEqual(["PutObjectCommand", "PutObjectCommand", "PutObjectCommand"]);
    expect(warnings.map(([, f]) => [f.attempt, f.reason])).toEqual([
      [1, "throttled"],
      [2, "server-error"],
    ]);
    expect(new TextDecoder().decode(await io.read("s3://b/k"))).toBe("v");
  });

  it("gives up after the configured attempts with a retryable SERVICE_UNAVAILABLE", async () => {
    const { s3, io } = setup();
    for (let i = 0; i < 4; i++) s3.faults.push({ command: "GetObjectCommand", error: networkError() });
    const err = await expectFloeError(io.read("s3://b/k"), "SERVICE_UNAVAILABLE");
    expect(err.retryable).toBe(true);
    expect(err.context).toMatchObject({
      op: "read",
      path: "s3://b/k",
      errno: "ECONNRESET",
      reason: "network",
    });
    expect(s3.calls).toHaveLength(4);
  });

  it("does not retry access denied or missing objects", async () => {
    const { s3, io } = setup();
    s3.faults.push({ command: "GetObjectCommand", error: sdkError("AccessDenied", 403) });
    await expectFloeError(io.read("s3://b/k"), "UNAUTHORIZED");
    await expectFloeError(io.read("s3://b/k"), "NOT_FOUND");
    expect(s3.calls).toEqual(["GetObjectCommand", "GetObjectCommand"]);
  });

  it("retries a 409 ConditionalRequestConflict, then reports the real outcome", async () => {
    const { s3, io } = setup();
    s3.faults.push({ command: "PutObjectCommand", error: sdkError("ConditionalRequestConflict", 409) });
    await io.write("s3://b/k", bytesOf("mine"), { ifNoneMatch: true });
    expect(s3.calls).toEqual(["PutObjectCommand", "PutObjectCommand"]);
    for (let i = 0; i < 4; i++) {
      s3.faults.push({ command: "PutObjectCommand", error: sdkError("ConditionalRequestConflict", 409) });
    }
    const err = await expectFloeError(
      io.write("s3://b/k2", bytesOf("x"), { ifNoneMatch: true }),
      "COMMIT_CONFLICT",
    );
    expect(err.retryable).toBe(true);
  });
});

describe("S3FileIO conditional writes after an ambiguous failure", () => {
  it("treats 412 as success when its own earlier attempt landed", async () => {
    const { s3, io, infos } = setup();
    s3.faults.push({ command: "PutObjectCommand", error: networkError(), after: true });
    await io.write("s3://b/v1.json", bytesOf("ours"), { ifNoneMatch: true });
    expect(s3.calls).toEqual([
      "PutObjectCommand",
      "PutObjectCommand",
      "HeadObjectCommand",
      "GetObjectCommand",
    ]);
    expect(infos.map(([m]) => m)).toContain("s3 conditional write landed on an earlier attempt");
  });

  it("reports PRECONDITION_FAILED when a rival's bytes are there", async () => {
    const { s3, io } = setup();
    s3.faults.push({
      command: "PutObjectCommand",
      error: sdkError("InternalError", 500),
      before: () => s3.put("v1.json", bytesOf("rival")),
    });
    await expectFloeError(
      io.write("s3://b/v1.json", bytesOf("ours!"), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
    await expectFloeError(
      io.write("s3://b/v1.json", bytesOf("rival"), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
  });

  it("does not second-guess a 412 on the first attempt", async () => {
    const { s3, io } = setup();
    s3.put("v1.json", bytesOf("same"));
    await expectFloeError(
      io.write("s3://b/v1.json", bytesOf("same"), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
    expect(s3.calls).toEqual(["PutObjectCommand"]);
  });
});

describe("S3FileIO multipart uploads", () => {
  const options = { multipartThresholdBytes: 5 * MIB, partSizeBytes: 5 * MIB };

  it("splits large bodies into parts and reassembles them in order", async () => {
    const { s3, io } = setup(options);
    const data = patternBytes(11 * MIB + 3, 1);
    await io.write("s3://b/big.parquet", data);
    expect(s3.calls.filter((c) => c === "UploadPartCommand")).toHaveLength(3);
    expect(s3.calls.at(-1)).toBe("CompleteMultipartUploadCommand");
    expect(Buffer.from(s3.objects.get("big.parquet")!.bytes).equals(data)).toBe(true);
  });

  it("retries a failed part on its own and aborts the upload when a part fails for good", async () => {
    const { s3, io } = setup(options);
    s3.faults.push({ command: "UploadPartCommand", error: sdkError("SlowDown", 503) });
    await io.write("s3://b/ok.parquet", patternBytes(11 * MIB, 2));
    expect(s3.calls.filter((c) => c === "UploadPartCommand")).toHaveLength(4);
    s3.calls.length = 0;
    s3.faults.push({ command: "UploadPartCommand", error: sdkError("AccessDenied", 403) });
    await expectFloeError(io.write("s3://b/bad.parquet", patternBytes(11 * MIB, 3)), "UNAUTHORIZED");
    expect(s3.calls).toContain("AbortMultipartUploadCommand");
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects.has("bad.parquet")).toBe(false);
  });

  it("fails fast with ifNoneMatch when the object exists, and aborts when it appears meanwhile", async () => {
    const { s3, io } = setup(options);
    s3.put("exists.parquet", bytesOf("x"));
    await expectFloeError(
      io.write("s3://b/exists.parquet", patternBytes(6 * MIB, 4), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
    expect(s3.calls).toEqual(["HeadObjectCommand"]);
    s3.faults.push({
      command: "CompleteMultipartUploadCommand",
      error: sdkError("PreconditionFailed", 412),
      before: () => s3.put("late.parquet", bytesOf("rival")),
    });
    await expectFloeError(
      io.write("s3://b/late.parquet", patternBytes(6 * MIB, 5), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
    expect(s3.calls.at(-1)).toBe("AbortMultipartUploadCommand");
    expect(s3.uploads.size).toBe(0);
  });

  it("settles an ambiguous completion by comparing content", async () => {
    const { s3, io } = setup(options);
    const data = patternBytes(6 * MIB, 6);
    s3.faults.push({
      command: "CompleteMultipartUploadCommand",
      error: sdkError("InternalError", 500),
      after: true,
    });
    await io.write("s3://b/amb.parquet", data, { ifNoneMatch: true });
    expect(Buffer.from(s3.objects.get("amb.parquet")!.bytes).equals(data)).toBe(true);
    expect(s3.calls.filter((c) => c === "CompleteMultipartUploadCommand")).toHaveLength(2);
  });
});

describe("S3FileIO listing, ranges and batch deletes", () => {
  it("pages through listings, keeps the prefix's scheme and skips folder markers", async () => {
    const { s3, io } = setup({ listPageSize: 10 });
    for (let i = 0; i < 25; i++) s3.put(`t/data/${String(i).padStart(2, "0")}.parquet`, new Uint8Array(i));
    s3.put("t/data/folder/", new Uint8Array(0));
    s3.put("t/other", new Uint8Array(1));
    const files = await listAll(io, "s3a://b/t/data/");
    expect(files).toHaveLength(25);
    expect(files[24]).toMatchObject({ path: "s3a://b/t/data/24.parquet", size: 24 });
    expect(s3.calls.filter((c) => c === "ListObjectsV2Command")).toHaveLength(3);
  });

  it("answers ranges past the end with no bytes and slices when the store ignores Range", async () => {
    const { s3, io } = setup();
    s3.put("r", bytesOf("0123456789"));
    expect((await io.readRange("s3://b/r", 10, 5)).length).toBe(0);
    s3.ignoreRange = true;
    expect(new TextDecoder().decode(await io.readRange("s3://b/r", 3, 4))).toBe("3456");
  });

  it("deletes in batches, retries only the keys that failed, and ignores missing keys", async () => {
    const { s3, io } = setup({ deleteBatchSize: 1000 });
    const paths = Array.from({ length: 2500 }, (_, i) => `s3://b/d/${i}`);
    for (const p of paths.slice(0, 2400)) s3.put(p.slice("s3://b/".length), bytesOf("x"));
    s3.deleteErrors.set("d/5", ["InternalError"]);
    s3.deleteErrors.set("d/2450", ["NoSuchKey"]);
    await io.deleteMany(paths);
    expect(s3.objects.size).toBe(0);
    expect(s3.calls.filter((c) => c === "DeleteObjectsCommand")).toHaveLength(4);
    s3.put("d/locked", bytesOf("x"));
    s3.deleteErrors.set("d/locked", ["AccessDenied"]);
    const err = await expectFloeError(io.deleteMany(["s3://b/d/locked"]), "UNAUTHORIZED");
    expect(err.context).toMatchObject({ s3Code: "AccessDenied", failed: 1 });
  });

  it("deletes idempotently and reports a missing bucket", async () => {
    const { s3, io } = setup();
    s3.faults.push({ command: "DeleteObjectCommand", error: sdkError("NoSuchKey", 404) });
    await io.delete("s3://b/gone");
    s3.faults.push({ command: "DeleteObjectCommand", error: sdkError("NoSuchBucket", 404) });
    const err = await expectFloeError(io.delete("s3://nobucket/x"), "NOT_FOUND");
    expect(err.message).toMatch(/bucket not found/);
  });
});

describe("S3FileIO configuration", () => {
  it("validates options", () => {
    expect(() => new S3FileIO({ partSizeBytes: MIB })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => new S3FileIO({ listPageSize: 1001 })).toThrow(/listPageSize/);
    expect(() => new S3FileIO({ retry: { attempts: 0 } })).toThrow(/retry.attempts/);
  });

  it("rejects non-S3 locations and keyless object paths", async () => {
    const { io } = setup();
    await expectFloeError(io.read("file:///tmp/x"), "INVALID_ARGUMENT");
    await expectFloeError(io.read("s3://bucket-only"), "INVALID_ARGUMENT");
    await expectFloeError(io.write("s3://bucket/", bytesOf("x")), "INVALID_ARGUMENT");
  });

  it("builds a client with SDK retries off, path-style for custom endpoints, and no visible secret", async () => {
    const secret = "very-secret-value-123";
    const options = {
      endpoint: "http://127.0.0.1:1",
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret },
    };
    const client = createS3Client(options);
    expect(await client.config.maxAttempts()).toBe(1);
    expect(client.config.forcePathStyle).toBe(true);
    expect(createS3Client({ region: "us-east-1" }).config.forcePathStyle).toBe(false);
    const io = new S3FileIO(options);
    expect(inspect(io, { depth: 10 })).not.toContain(secret);
    expect(JSON.stringify(io)).not.toContain(secret);
    io.close();
    client.destroy();
  });
});
