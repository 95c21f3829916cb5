import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import { classifyCrash } from "../../../src/ingest/index.js";

const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe("classifyCrash", () => {
  it("calls a batch that cannot be decompressed or parsed DECODE_FAILED, never retryable", () => {
    for (const e of [
      named("KafkaJSNotImplemented", "LZ4 compression not implemented"),
      new RangeError("Attempt to access memory outside buffer bounds"),
      named("Error", "x", { code: "ERR_OUT_OF_RANGE" }),
      new FloeError("DECODE_FAILED", "cannot decompress zstd record batch (12 bytes)"),
      named("KafkaJSNumberOfRetriesExceeded", "retries exceeded", {
        originalError: named("KafkaJSNotImplemented", "Snappy compression not implemented"),
      }),
    ]) {
      const c = classifyCrash(e);
      expect(c.code, e.message).toBe("DECODE_FAILED");
      expect(c.retryable).toBe(false);
      expect(c.message).toMatch(/^a fetched record batch could not be decoded: /);
    }
  });

  it("leaves the cluster's errors to the cluster", () => {
    for (const e of [
      named("KafkaJSConnectionError", "Connection error: read ECONNRESET"),
      named("KafkaJSRequestTimeoutError", "Request Produce(key: 0, version: 7) timed out"),
      named("KafkaJSProtocolError", "This server does not host this topic-partition"),
    ]) {
      expect(classifyCrash(e).code, e.message).toBe("SERVICE_UNAVAILABLE");
    }
  });
});
