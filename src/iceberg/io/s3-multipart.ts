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
  const { path, bytes } = req;
  if (req.ifNoneMatch && (await host.exists(path))) {
    throw new FloeError("PRECONDITION_FAILED", "write failed: object already exists", { context: { path } });
  }
  const target = { path, bucket: req.bucket, key: req.key };
  const uploadId = await startUpload(host, target, req.contentType);
  try {
    const spans = planParts(bytes.length, req.partSize);
    const parts = await uploadParts(host, req, uploadId, spans);
    await completeUpload(host, target, uploadId, parts, req.ifNoneMatch, () => host.holds(path, bytes));
    host.log.debug("s3 multipart upload completed", { path, parts: parts.length, bytes: bytes.length });
    return parts.length;
  } catch (e) {
    await abortUpload(host, target, uploadId);
    throw e;
  }
}

/** Where a multipart upload goes. */
export interface UploadTarget {
  path: string;
  bucket: string;
  key: string;
}

/** Creates a multipart upload and returns its id. */
export async function startUpload(
  host: MultipartHost,
  t: UploadTarget,
  contentType: string | undefined,
): Promise<string> {
  const created = await host.call("createMultipartUpload", t.path, () =>
    host.client.send(
      new (s3Sdk().CreateMultipartUploadCommand)({ Bucket: t.bucket, Key: t.key, ContentType: contentType }),
    ),
  );
  if (!created.UploadId) {
    throw new FloeError("IO_ERROR", "createMultipartUpload returned no upload id", {
      context: { path: t.path },
    });
  }
  return created.UploadId;
}

/** Uploads one part (retried on its own) and returns it for the completion. */
export async function putPart(
  host: MultipartHost,
  t: UploadTarget,
  uploadId: string,
  partNumber: number,
  body: Uint8Array,
): Promise<CompletedPart> {
  const out = await host.call("uploadPart", t.path, () =>
    host.client.send(
      new (s3Sdk().UploadPartCommand)({
        Bucket: t.bucket,
        Key: t.key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
    ),
  );
  if (!out.ETag) {
    throw new FloeError("IO_ERROR", "uploadPart returned no ETag", { context: { path: t.path, partNumber } });
  }
  return { PartNumber: partNumber, ETag: out.ETag };
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
        parts[span.partNumber - 1] = await putPart(
          host,
          req,
          uploadId,
          span.partNumber,
          req.bytes.subarray(span.start, span.end),
        );
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

/**
 * Completes the upload (with `If-None-Match: *` when asked). After an attempt that may have landed,
 * "already exists" or "no such upload" can be our own completion answering back: `landed` decides.
 */
export async function completeUpload(
  host: MultipartHost,
  t: UploadTarget,
  uploadId: string,
  parts: CompletedPart[],
  ifNoneMatch: boolean,
  landed: () => Promise<boolean>,
): Promise<void> {
  const op = "completeMultipartUpload";
  let uncertain = false;
  await host.call(op, t.path, async () => {
    try {
      await host.client.send(
        new (s3Sdk().CompleteMultipartUploadCommand)({
          Bucket: t.bucket,
          Key: t.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: ifNoneMatch ? "*" : undefined,
        }),
      );
    } catch (e) {
      const err = classifyS3Error(e, { op, path: t.path });
      const echo = err.code === "PRECONDITION_FAILED" || err.code === "NOT_FOUND";
      if (uncertain && echo && (await landed())) {
        host.log.info("s3 completion landed on an earlier attempt", { path: t.path });
        return;
      }
      if (mayHaveApplied(err)) uncertain = true;
      throw err;
    }
  });
}

/** Aborts the upload so no parts linger (and bill); a failure to abort is logged, not thrown. */
export async function abortUpload(host: MultipartHost, t: UploadTarget, uploadId: string): Promise<void> {
  const { path, bucket, key } = t;
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
