import type { S3Client } from "@aws-sdk/client-s3";

/**
 * A scripted stand-in for S3Client.send, enough of S3 for S3FileIO's unit tests: objects, multipart
 * uploads, listings and batch deletes, plus injected faults that fire before or after a command
 * takes effect (after = the request landed but the answer was lost).
 */

export interface Fault {
  /** Command class name, e.g. "PutObjectCommand". */
  command: string;
  error: unknown;
  /** Apply the command first, then fail (an ambiguous failure). */
  after?: boolean;
  /** Runs just before the fault fires (e.g. a rival writer). */
  before?: () => void;
}

export function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} (fake)`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status, requestId: "req-1" } }),
    ...extra,
  });
}

export function networkError(code = "ECONNRESET"): Error {
  return Object.assign(new Error("socket hang up"), { code });
}

interface Upload {
  key: string;
  parts: Map<number, Uint8Array>;
}

type Input = Record<string, unknown> & { Bucket?: string; Key?: string };

export class FakeS3 {
  readonly objects = new Map<string, { bytes: Uint8Array; modified: Date }>();
  readonly uploads = new Map<string, Upload>();
  readonly calls: string[] = [];
  readonly faults: Fault[] = [];
  /** Per-key DeleteObjects errors, consumed when reported. */
  readonly deleteErrors = new Map<string, string[]>();
  ignoreRange = false;
  #uploadSeq = 0;

  client(): S3Client {
    return {
      send: (command: { constructor: { name: string }; input: Input }) => this.#send(command),
      destroy: () => {},
    } as unknown as S3Client;
  }

  put(key: string, bytes: Uint8Array): void {
    this.objects.set(key, { bytes: bytes.slice(), modified: new Date() });
  }

  async #send(command: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const name = command.constructor.name;
    this.calls.push(name);
    await Promise.resolve();
    const i = this.faults.findIndex((f) => f.command === name);
    const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
    fault?.before?.();
    if (fault && !fault.after) throw fault.error;
    const out = this.#apply(name, command.input);
    if (fault) throw fault.error;
    return out;
  }

  #apply(name: string, input: Input): unknown {
    const key = input.Key ?? "";
    switch (name) {
      case "PutObjectCommand": {
        if (input.IfNoneMatch === "*" && this.objects.has(key)) throw sdkError("PreconditionFailed", 412);
        this.put(key, input.Body as Uint8Array);
        return { ETag: '"e"' };
      }
      case "GetObjectCommand": {
        const obj = this.#object(key, "NoSuchKey");
        let bytes = obj.bytes;
        let ContentRange: string | undefined;
        const range = /^bytes=(\d+)-(\d+)$/.exec(String(input.Range ?? ""));
        if (range && !this.ignoreRange) {
          const start = Number(range[1]);
          if (start >= bytes.length) throw sdkError("InvalidRange", 416);
          bytes = bytes.slice(start, Number(range[2]) + 1);
          ContentRange = `bytes ${start}-${start + bytes.length - 1}/${obj.bytes.length}`;
        }
        return { ContentRange, Body: { transformToByteArray: async () => bytes.slice() } };
      }
      case "HeadObjectCommand": {
        const obj = this.#object(key, "NotFound");
        return { ContentLength: obj.bytes.length, LastModified: obj.modified };
      }
      case "DeleteObjectCommand":
        this.objects.delete(key);
        return {};
      case "DeleteObjectsCommand": {
        const objects = (input.Delete as { Objects: { Key: string }[] }).Objects;
        const Errors: { Key: string; Code: string; Message: string }[] = [];
        for (const { Key } of objects) {
          const code = this.deleteErrors.get(Key)?.shift();
          if (code) Errors.push({ Key, Code: code, Message: `${code} (fake)` });
          else this.objects.delete(Key);
        }
        return { Errors: Errors.length > 0 ? Errors : undefined };
      }
      case "ListObjectsV2Command": {
        const prefix = String(input.Prefix ?? "");
        const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
        const max = Number(input.MaxKeys ?? 1000);
        const page = keys.slice(start, start + max);
        const truncated = start + max < keys.length;
        return {
          Contents: page.map((Key) => ({
            Key,
            Size: this.objects.get(Key)!.bytes.length,
            LastModified: this.objects.get(Key)!.modified,
          })),
          IsTruncated: truncated,
          NextContinuationToken: truncated ? String(start + max) : undefined,
        };
      }
      case "CreateMultipartUploadCommand": {
        const id = `upload-${++this.#uploadSeq}`;
        this.uploads.set(id, { key, parts: new Map() });
        return { UploadId: id };
      }
      case "UploadPartCommand": {
        const upload = this.#upload(String(input.UploadId));
        upload.parts.set(Number(input.PartNumber), (input.Body as Uint8Array).slice());
        return { ETag: `"part-${input.PartNumber}"` };
      }
      case "CompleteMultipartUploadCommand": {
        const upload = this.#upload(String(input.UploadId));
        if (input.IfNoneMatch === "*" && this.objects.has(key)) throw sdkError("PreconditionFailed", 412);
        const parts = (input.MultipartUpload as { Parts: { PartNumber: number }[] }).Parts;
        const chunks = parts.map((p) => upload.parts.get(p.PartNumber)!);
        this.put(key, Buffer.concat(chunks));
        this.uploads.delete(String(input.UploadId));
        return {};
      }
      case "AbortMultipartUploadCommand":
        this.#upload(String(input.UploadId));
        this.uploads.delete(String(input.UploadId));
        return {};
      default:
        throw new Error(`FakeS3: unexpected command ${name}`);
    }
  }

  #object(key: string, missing: string) {
    const obj = this.objects.get(key);
    if (!obj) throw sdkError(missing, 404);
    return obj;
  }

  #upload(id: string): Upload {
    const upload = this.uploads.get(id);
    if (!upload) throw sdkError("NoSuchUpload", 404);
    return upload;
  }
}
