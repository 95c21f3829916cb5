import type { CompletedPart, S3Client } from "@aws-sdk/client-s3";
import { FloeError, mayHaveApplied } from "../../errors.js";
import type { Logger } from "../../log.js";
import { classifyS3Error } from "./s3-errors.js";
import { s3Sdk } from "./s3-sdk.js";

export const MIB = 1024 * 1024;
/** S3's smallest allowed part (all but the last) and its largest part count. */
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PARTS = 10_000;

export interface PartSpan {
  partNumber: number;
  start: number;
  end: number;
}

/** Splits `total` bytes into parts of `partSize` (grown if needed to stay within 10,000 parts). */
export function planParts(total: number, partSize: number): PartSpan[] {
  const size = Math.max(partSize, Math.ceil(total / MAX_PARTS));
  const parts: PartSpan[] = [];
  for (let start = 0, n = 1; start < total; start += size, n++) {
    parts.push({ partNumber: n, start, end: Math.min(total, start + size) });
  }
  return parts;
}

/** What the multipart upload borrows from its S3FileIO. */
export interface MultipartHost {
  client: S3Client;
  log: Logger;
  /** Runs one S3 request with retries; errors come out classified. */
  call<T>(op: string, path: string, fn: () => Promise<T>): Promise<T>;
  exists(path: string): Promise<boolean>;
  /** Whether the object at `path` now holds exactly `bytes` (to settle an ambiguous completion). */
  holds(path: string, bytes: Uint8Array): Promise<boolean>;
}

export interface MultipartRequest {
  path: string;
  bucket: string;
  key: string;
  bytes: Uint8Array;
  partSize: number;
  concurrency: number;
  ifNoneMatch: boolean;
  contentType: string | undefined;
}

/**
 * Uploads `bytes` as a multipart upload, `concurrency` parts at a time, each part retried on its
 * own. With `ifNoneMatch` the completion carries `If-None-Match: *`, so the object appears only if
 * nothing is there at that moment; a HEAD first saves uploading parts that could never land. Any
 * failure aborts the upload so no parts linger (and bill). Returns the number of parts.
 */
export async function uploadMultipart(host: MultipartHost, req: MultipartRequest): Promise<number> {
  const { path, bucket, key, bytes } = req;
  if (req.ifNoneMatch && (await host.exists(path))) {
    throw new FloeError("PRECONDITION_FAILED", "write failed: object already exists", { context: { path } });
  }
  const created = await host.call("createMultipartUpload", path, () =>
    host.client.send(
      new (s3Sdk().CreateMultipartUploadCommand)({ Bucket: bucket, Key: key, ContentType: req.contentType }),
    ),
  );
  const uploadId = created.UploadId;
  if (!uploadId) {
    throw new FloeError("IO_ERROR", "createMultipartUpload returned no upload id", { context: { path } });
  }
  try {
    const spans = planParts(bytes.length, req.partSize);
    const parts = await uploadParts(host, req, uploadId, spans);
    await complete(host, req, uploadId, parts);
    host.log.debug("s3 multipart upload completed", { path, parts: parts.length, bytes: bytes.length });
    return parts.length;
  } catch (e) {
    await abort(host, path, bucket, key, uploadId);
    throw e;
  }
}

async function uploadParts(
  host: MultipartHost,
  req: MultipartRequest,
  uploadId: string,
  spans: PartSpan[],
): Promise<CompletedPart[]> {
  const parts: CompletedPart[] = new Array(spans.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < spans.length) {
      const span = spans[next++]!;
      try {
        const out = await host.call("uploadPart", req.path, () =>
          host.client.send(
            new (s3Sdk().UploadPartCommand)({
              Bucket: req.bucket,
              Key: req.key,
              UploadId: uploadId,
              PartNumber: span.partNumber,
              Body: req.bytes.subarray(span.start, span.end),
              ContentLength: span.end - span.start,
            }),
          ),
        );
        if (!out.ETag) {
          throw new FloeError("IO_ERROR", "uploadPart returned no ETag", {
            context: { path: req.path, partNumber: span.partNumber },
          });
        }
        parts[span.partNumber - 1] = { PartNumber: span.partNumber, ETag: out.ETag };
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Math.max(1, Math.min(req.concurrency, spans.length));
  // Let every in-flight part settle before the caller aborts the upload.
  const results = await Promise.allSettled(Array.from({ length: workers }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return parts;
}

async function complete(
  host: MultipartHost,
  req: MultipartRequest,
  uploadId: string,
  parts: CompletedPart[],
): Promise<void> {
  const op = "completeMultipartUpload";
  let uncertain = false;
  await host.call(op, req.path, async () => {
    try {
      await host.client.send(
        new (s3Sdk().CompleteMultipartUploadCommand)({
          Bucket: req.bucket,
          Key: req.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: req.ifNoneMatch ? "*" : undefined,
        }),
      );
    } catch (e) {
      const err = classifyS3Error(e, { op, path: req.path });
      // After an attempt that may have landed, "already exists" or "no such upload" can be our own
      // completion answering back: the content decides.
      const echo = err.code === "PRECONDITION_FAILED" || err.code === "NOT_FOUND";
      if (uncertain && echo && (await host.holds(req.path, req.bytes))) {
        host.log.info("s3 completion landed on an earlier attempt", { path: req.path });
        return;
      }
      if (mayHaveApplied(err)) uncertain = true;
      throw err;
    }
  });
}

async function abort(host: MultipartHost, path: string, bucket: string, key: string, uploadId: string) {
  try {
    await host.call("abortMultipartUpload", path, () =>
      host.client.send(
        new (s3Sdk().AbortMultipartUploadCommand)({ Bucket: bucket, Key: key, UploadId: uploadId }),
      ),
    );
  } catch (e) {
    const code = e instanceof FloeError ? e.code : "INTERNAL";
    if (code !== "NOT_FOUND") {
      host.log.warn("s3 multipart abort failed; parts may remain until a lifecycle rule removes them", {
        path,
        uploadId,
        code,
      });
    }
  }
}
