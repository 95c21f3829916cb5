import type { S3Client } from "@aws-sdk/client-s3";
import { FloeError, isFloeError, mayHaveApplied } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  checkRange,
  type FileInfo,
  type FileIO,
  ownedBytes,
  type WriteOptions,
  type WriteStream,
} from "./file-io.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./retry.js";
import { classifyS3Error } from "./s3-errors.js";
import { MIB, MIN_PART_SIZE, type MultipartHost, uploadMultipart } from "./s3-multipart.js";
import { s3Sdk } from "./s3-sdk.js";
import { formatS3Uri, parseS3Uri } from "./s3-uri.js";
import { s3WriteStream } from "./s3-write-stream.js";

export { s3Sdk } from "./s3-sdk.js";

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3FileIOOptions {
  /** Custom endpoint for S3-compatible stores (`http://127.0.0.1:9000`). */
  endpoint?: string;
  /** Region; without it the SDK's region chain (AWS_REGION, profile) decides. */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`); defaults to true when `endpoint` is set. */
  pathStyle?: boolean;
  /** Static credentials; without them the SDK's default provider chain is used. */
  credentials?: S3Credentials;
  /** Our retry loop (the SDK's own retries are switched off); default 5 attempts, 100 ms .. 5 s. */
  retry?: Partial<RetryPolicy>;
  /** Bodies larger than this go up as multipart uploads (default 16 MiB). */
  multipartThresholdBytes?: number;
  /** Part size for multipart uploads, at least 5 MiB (default 8 MiB). */
  partSizeBytes?: number;
  /** Parts in flight per upload (default 4). */
  multipartConcurrency?: number;
  /** MaxKeys per ListObjectsV2 page, 1..1000 (default 1000). */
  listPageSize?: number;
  /** Keys per DeleteObjects request, 1..1000 (default 1000). */
  deleteBatchSize?: number;
  /** TCP connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** A request whose socket stays idle this long fails as a timeout (default 60 s). */
  socketTimeoutMs?: number;
  /** Concurrent sockets to the store (default 64). */
  maxSockets?: number;
  /**
   * SDK flexible checksums (CRC32 on uploads, validation on downloads): "when_supported" (the
   * SDK default) or "when_required" for S3-compatible stores that reject the checksum headers.
   */
  checksums?: "when_supported" | "when_required";
  logger?: Logger;
  /** A ready client (tests, unusual setups); the connection options above are then ignored. */
  client?: S3Client;
}

export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 16 * MIB;
export const DEFAULT_PART_SIZE_BYTES = 8 * MIB;

/**
 * FileIO over S3 and S3-compatible stores. Every request runs through one retry loop with full
 * jitter (the SDK's retries are off, maxAttempts 1), so that conditional writes can tell their own
 * earlier attempt from a rival: a `PutObject If-None-Match: *` retried after a 5xx or a dropped
 * connection may get 412 because the first attempt landed, and only then do we compare the stored
 * bytes with ours before reporting PRECONDITION_FAILED.
 */
export class S3FileIO implements FileIO {
  readonly #client: S3Client;
  readonly #policy: RetryPolicy;
  readonly #log: Logger;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #concurrency: number;
  readonly #pageSize: number;
  readonly #deleteBatch: number;
  readonly #host: MultipartHost;

  constructor(options: S3FileIOOptions = {}) {
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#log = options.logger ?? silentLogger;
    this.#threshold = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES;
    this.#partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
    this.#concurrency = options.multipartConcurrency ?? 4;
    this.#pageSize = options.listPageSize ?? 1000;
    this.#deleteBatch = options.deleteBatchSize ?? 1000;
    checkInt("partSizeBytes", this.#partSize, MIN_PART_SIZE, 5 * 1024 * MIB);
    checkInt("multipartThresholdBytes", this.#threshold, MIN_PART_SIZE, Number.MAX_SAFE_INTEGER);
    checkInt("multipartConcurrency", this.#concurrency, 1, 64);
    checkInt("listPageSize", this.#pageSize, 1, 1000);
    checkInt("deleteBatchSize", this.#deleteBatch, 1, 1000);
    checkInt("retry.attempts", this.#policy.attempts, 1, 100);
    this.#client = options.client ?? createS3Client(options);
    this.#host = {
      client: this.#client,
      log: this.#log,
      call: (op, path, fn) => this.#call(op, path, fn),
      exists: (path) => this.exists(path),
      holds: (path, bytes) => this.#holds(path, bytes),
    };
  }

  async read(path: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(path);
    return this.#call("read", path, async () => {
      const out = await this.#client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key }));
      // Reading the body is part of the attempt: a connection dropped mid-body is retried too.
      return ownedBytes((await out.Body?.transformToByteArray()) ?? new Uint8Array(0));
    });
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(path, offset, length);
    const { bucket, key } = parseS3Uri(path);
    if (length === 0) {
      await this.stat(path);
      return new Uint8Array(0);
    }
    return this.#call("readRange", path, async () => {
      try {
        const out = await this.#client.send(
          new (s3Sdk().GetObjectCommand)({
            Bucket: bucket,
            Key: key,
            Range: `bytes=${offset}-${offset + length - 1}`,
          }),
        );
        const body = ownedBytes((await out.Body?.transformToByteArray()) ?? new Uint8Array(0));
        // A store that ignores Range answers 200 with the whole object.
        if (out.ContentRange === undefined && body.length > length) {
          return body.slice(Math.min(offset, body.length), Math.min(offset + length, body.length));
        }
        return body;
      } catch (e) {
        // 416: the range starts at or past the end of an existing object.
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) {
          return new Uint8Array(0);
        }
        throw e;
      }
    });
  }

  async write(path: string, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const { bucket, key } = parseS3Uri(path);
    const ifNoneMatch = options.ifNoneMatch === true;
    if (bytes.length > this.#threshold) {
      await uploadMultipart(this.#host, {
        path,
        bucket,
        key,
        bytes,
        partSize: this.#partSize,
        concurrency: this.#concurrency,
        ifNoneMatch,
        contentType: options.contentType,
      });
      return;
    }
    let uncertain = false;
    await this.#call("write", path, async () => {
      try {
        await this.#client.send(
          new (s3Sdk().PutObjectCommand)({
            Bucket: bucket,
            Key: key,
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: options.contentType,
            IfNoneMatch: ifNoneMatch ? "*" : undefined,
          }),
        );
      } catch (e) {
        const err = classifyS3Error(e, { op: "write", path });
        if (
          ifNoneMatch &&
          uncertain &&
          err.code === "PRECONDITION_FAILED" &&
          (await this.#holds(path, bytes))
        ) {
          this.#log.info("s3 conditional write landed on an earlier attempt", { path });
          return;
        }
        if (mayHaveApplied(err)) uncertain = true;
        throw err;
      }
    });
  }

  async openWrite(path: string, options: WriteOptions = {}): Promise<WriteStream> {
    const { bucket, key } = parseS3Uri(path);
    return s3WriteStream(this.#host, { path, bucket, key }, options, {
      partSize: this.#partSize,
      concurrency: this.#concurrency,
      put: (bytes) => this.write(path, bytes, options),
      size: async () => {
        try {
          return (await this.stat(path)).size;
        } catch (e) {
          if (isFloeError(e, "NOT_FOUND")) return undefined;
          throw e;
        }
      },
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (e) {
      if (isFloeError(e, "NOT_FOUND")) return false;
      throw e;
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const { bucket, key } = parseS3Uri(path);
    const out = await this.#call("stat", path, () =>
      this.#client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: bucket, Key: key })),
    );
    return { path, size: out.ContentLength ?? 0, lastModifiedMs: out.LastModified?.getTime() ?? 0 };
  }

  async delete(path: string): Promise<void> {
    const { bucket, key } = parseS3Uri(path);
    try {
      await this.#call("delete", path, () =>
        this.#client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key })),
      );
    } catch (e) {
      if (!isFloeError(e, "NOT_FOUND") || e.context.s3Code === "NoSuchBucket") throw e;
    }
  }

  async deleteMany(paths: readonly string[]): Promise<void> {
    const byBucket = new Map<string, string[]>();
    for (const path of paths) {
      const { bucket, key } = parseS3Uri(path);
      const keys = byBucket.get(bucket) ?? [];
      keys.push(key);
      byBucket.set(bucket, keys);
    }
    for (const [bucket, keys] of byBucket) {
      const unique = [...new Set(keys)];
      for (let i = 0; i < unique.length; i += this.#deleteBatch) {
        await this.#deleteBatchOf(bucket, unique.slice(i, i + this.#deleteBatch));
      }
    }
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const { scheme, bucket, key } = parseS3Uri(prefix, { allowEmptyKey: true });
    let token: string | undefined;
    let page = 0;
    do {
      const continuation = token;
      const out = await this.#call("list", prefix, () =>
        this.#client.send(
          new (s3Sdk().ListObjectsV2Command)({
            Bucket: bucket,
            Prefix: key === "" ? undefined : key,
            ContinuationToken: continuation,
            MaxKeys: this.#pageSize,
          }),
        ),
      );
      page++;
      this.#log.debug("s3 list page", { path: prefix, page, keys: out.Contents?.length ?? 0 });
      for (const obj of out.Contents ?? []) {
        // Keys ending in "/" are folder markers made by consoles, not files.
        if (!obj.Key || obj.Key.endsWith("/")) continue;
        yield {
          path: formatS3Uri(scheme, bucket, obj.Key),
          size: obj.Size ?? 0,
          lastModifiedMs: obj.LastModified?.getTime() ?? 0,
        };
      }
      if (out.IsTruncated && !out.NextContinuationToken) {
        throw new FloeError("IO_ERROR", "list page truncated without a continuation token", {
          context: { path: prefix, page },
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Releases the client's sockets. */
  close(): void {
    this.#client.destroy();
  }

  async #deleteBatchOf(bucket: string, keys: string[]): Promise<void> {
    const where = formatS3Uri("s3", bucket, keys[0] ?? "");
    let remaining = keys;
    await this.#call("deleteMany", where, async () => {
      const out = await this.#client.send(
        new (s3Sdk().DeleteObjectsCommand)({
          Bucket: bucket,
          Delete: { Objects: remaining.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = (out.Errors ?? []).filter((f) => f.Code !== "NoSuchKey");
      const first = failed[0];
      if (!first) return;
      // Only the keys that failed are sent again on the next attempt.
      remaining = failed.map((f) => f.Key ?? "").filter((k) => k !== "");
      const path = formatS3Uri("s3", bucket, first.Key ?? "");
      const err = classifyS3Error({ name: first.Code, message: first.Message }, { op: "deleteMany", path });
      throw new FloeError(err.code, `${err.message} (${failed.length} of ${keys.length} keys failed)`, {
        cause: err,
        retryable: err.retryable,
        context: { ...err.context, failed: failed.length },
      });
    });
  }

  /** Whether the object at `path` holds exactly `bytes`. */
  async #holds(path: string, bytes: Uint8Array): Promise<boolean> {
    const info = await this.stat(path).catch((e: unknown) => {
      if (isFloeError(e, "NOT_FOUND")) return undefined;
      throw e;
    });
    if (!info || info.size !== bytes.length) return false;
    return Buffer.from(await this.read(path)).equals(bytes);
  }

  #call<T>(op: string, path: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await fn();
        } catch (e) {
          throw classifyS3Error(e, { op, path });
        }
      },
      {
        policy: this.#policy,
        onRetry: (e, attempt, delayMs) => {
          const err = e as FloeError;
          this.#log.warn("s3 request failed; retrying", {
            op,
            path,
            attempt,
            delayMs,
            code: err.code,
            s3Code: err.context.s3Code,
            reason: err.context.reason,
          });
        },
      },
    );
  }
}

/** Builds an S3Client with our timeouts and the SDK's retries switched off (we retry ourselves). */
export function createS3Client(options: S3FileIOOptions): S3Client {
  const agent = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
  const checksums = options.checksums === "when_required" ? "WHEN_REQUIRED" : "WHEN_SUPPORTED";
  return new (s3Sdk().S3Client)({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    forcePathStyle: options.pathStyle ?? options.endpoint !== undefined,
    maxAttempts: 1,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 5_000,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
      httpAgent: agent,
      httpsAgent: agent,
    },
  });
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `S3FileIO option ${name} must be an integer in [${min}, ${max}]`,
      {
        context: { option: name, value },
      },
    );
  }
}
