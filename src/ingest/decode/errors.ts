/** Errors raised while decoding one record, carrying the record's position. */

import { FloeError } from "../../errors.js";
import type { DecodeInput } from "./types.js";

export function decodeFailed(message: string, cause?: unknown): FloeError {
  return new FloeError("DECODE_FAILED", message, cause === undefined ? {} : { cause });
}

/**
 * Adds the record position to a DECODE_FAILED or SCHEMA_INCOMPATIBLE error (anything not a FloeError
 * becomes DECODE_FAILED). Other FloeErrors, such as an unreachable registry, are returned as they are:
 * they are not the record's fault and keep their code and retryability.
 */
export function atRecord(input: DecodeInput, e: unknown): FloeError {
  const where = { topic: input.topic, partition: input.partition, offset: input.offset };
  const prefix = `record ${input.topic}[${input.partition}]@${input.offset}`;
  if (e instanceof FloeError) {
    if (e.code !== "DECODE_FAILED" && e.code !== "SCHEMA_INCOMPATIBLE") return e;
    return new FloeError(e.code, `${prefix}: ${e.message}`, {
      cause: e,
      retryable: e.retryable,
      context: { ...e.context, ...where },
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new FloeError("DECODE_FAILED", `${prefix}: ${message}`, { cause: e, context: where });
}

/** Decodes UTF-8 strictly (invalid sequences are DECODE_FAILED, a leading BOM is dropped). */
const utf8 = new TextDecoder("utf-8", { fatal: true });
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (e) {
    throw decodeFailed("value is not valid UTF-8", e);
  }
}

export function requireValue(input: DecodeInput): Uint8Array {
  if (input.value === null) throw decodeFailed("record has no value (a tombstone)");
  return input.value;
}
