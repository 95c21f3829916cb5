/**
 * A file written to S3 in pieces: the pieces collect until a part's worth (at least 5 MiB), which goes
 * up as a part of a multipart upload while later pieces keep coming (at most `concurrency` parts in
 * flight; `write` waits beyond that). A file that never reaches one part is a single PutObject at
 * `close`. `close` completes the upload, with `If-None-Match: *` when asked; a failure aborts it so
 * no parts linger.
 */
import type { CompletedPart } from "@aws-sdk/client-s3";
import { FloeError } from "../../errors.js";
import { concatBytes, type WriteOptions, type WriteStream } from "./file-io.js";
import {
  abortUpload,
  completeUpload,
  type MultipartHost,
  putPart,
  startUpload,
  type UploadTarget,
} from "./s3-multipart.js";

export interface S3StreamSettings {
  partSize: number;
  concurrency: number;
  /** The whole-object write used when the file stays below one part. */
  put(bytes: Uint8Array): Promise<void>;
  /** The object's size, or undefined when it does not exist (settles an ambiguous completion). */
  size(): Promise<number | undefined>;
}

export function s3WriteStream(
  host: MultipartHost,
  target: UploadTarget,
  options: WriteOptions,
  settings: S3StreamSettings,
): WriteStream {
  const ifNoneMatch = options.ifNoneMatch === true;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  let nextPart = 1;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let ended = false;

  const begin = async (): Promise<string> => {
    if (uploadId !== undefined) return uploadId;
    if (ifNoneMatch && (await host.exists(target.path))) {
      throw new FloeError("PRECONDITION_FAILED", "write failed: object already exists", {
        context: { path: target.path },
      });
    }
    uploadId = await startUpload(host, target, options.contentType);
    return uploadId;
  };

  const send = async (body: Uint8Array): Promise<void> => {
    const id = await begin();
    const partNumber = nextPart++;
    const p = putPart(host, target, id, partNumber, body).then(
      (part) => {
        parts[partNumber - 1] = part;
      },
      (e: unknown) => {
        failure ??= e;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    while (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };

  const drain = async () => {
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
  };

  const abort = async () => {
    ended = true;
    pending = [];
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) await abortUpload(host, target, uploadId);
    uploadId = undefined;
  };

  return {
    write: async (chunk) => {
      if (ended) throw new FloeError("INTERNAL", "write after close", { context: { path: target.path } });
      if (failure !== undefined) throw failure;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      total += chunk.byteLength;
      if (pendingBytes >= settings.partSize) {
        const body = concatBytes(pending);
        pending = [];
        pendingBytes = 0;
        await send(body);
      }
    },
    close: async () => {
      if (ended) throw new FloeError("INTERNAL", "close after close", { context: { path: target.path } });
      ended = true;
      const rest = concatBytes(pending);
      pending = [];
      try {
        if (uploadId === undefined && nextPart === 1) {
          await settings.put(rest);
          return;
        }
        if (rest.byteLength > 0) await send(rest);
        await drain();
        const id = await begin();
        await completeUpload(
          host,
          target,
          id,
          parts,
          ifNoneMatch,
          async () => (await settings.size()) === total,
        );
        host.log.debug("s3 streamed upload completed", {
          path: target.path,
          parts: parts.length,
          bytes: total,
        });
      } catch (e) {
        await abort();
        throw e;
      }
    },
    abort,
  };
}
