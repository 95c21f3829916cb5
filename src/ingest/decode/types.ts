/** The decoder contract between the sink loop and the per-format decoders. */

import type { StructType } from "../../iceberg/spec/index.js";
import type { SchemaRegistryClient } from "./registry.js";

export interface DecodeInput {
  topic: string;
  partition: number;
  offset: bigint;
  value: Uint8Array | null;
  key: Uint8Array | null;
}

/**
 * A decoded record: a row in the JS value representation for `schema` (iceberg/spec/values.ts), and the
 * record's own schema as an Iceberg struct whose field ids are LOCAL (1..n, only meaningful inside this
 * schema). Decoders hand out the same `schema` object for records of the same shape (per registry schema
 * id, per declared JSON schema, per inferred JSON shape), so callers may cache evolution by identity.
 */
export interface DecodedRecord {
  readonly row: Record<string, unknown>;
  readonly schema: StructType;
  /**
   * When the decoder has them (JSON with `columns`): the row's top-level values in `schema`'s field order
   * as TableBuffer.addValues takes them, which buffers them without making the row object.
   */
  readonly values?: readonly unknown[];
}

export interface Decoder {
  /**
   * Throws FloeError DECODE_FAILED (bad bytes, bad JSON, unknown schema id, a value that does not fit),
   * SCHEMA_INCOMPATIBLE (a registered schema Iceberg cannot express), or the registry's own errors
   * (SERVICE_UNAVAILABLE is retryable, UNAUTHORIZED is not), which are not the record's fault.
   */
  decode(input: DecodeInput): Promise<DecodedRecord>;
  /**
   * The same without a promise when no I/O is needed (the schema is known or cached); undefined when
   * `decode` must be awaited instead. Throws what `decode` would reject with.
   */
  decodeSync?(input: DecodeInput): DecodedRecord | undefined;
}

export type DecoderConfig =
  | {
      format: "json";
      schema?: unknown /* optional declared schema: Iceberg schema JSON (struct with fields) */;
      /** Records carry `values` (see DecodedRecord) and build `row` only when it is read. */
      columns?: boolean;
    }
  | { format: "avro" | "json-schema" | "protobuf"; registry: SchemaRegistryClient }
  | { format: "string" } // row {value: string}
  | { format: "bytes" }; // row {value: Uint8Array}
