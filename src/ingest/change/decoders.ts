/**
 * Decoders for change records: Debezium values in JSON (JsonConverter with or without schemas), and the
 * Kafka key of a tombstone or a Debezium delete.
 *
 * A key's encoding is read from its bytes, so no separate key format is configured: bytes in the Schema
 * Registry wire format (magic byte 0, schema id) are decoded through the registry by the registered
 * schema's type (Avro, JSON Schema, Protobuf); anything else is JSON (an object with the key fields, a
 * Connect `{schema, payload}` key, or a bare scalar when the key has one field); bytes that are not JSON
 * are taken as a UTF-8 string when the key has one field (a StringSerializer key).
 */

import { FloeError } from "../../errors.js";
import type { JsonValue } from "../../iceberg/spec/index.js";
import {
  atRecord,
  createDecoder,
  type DecodedRecord,
  type DecodeInput,
  type Decoder,
  JsonDecoder,
  parseJsonText,
  readWireHeader,
  requireValue,
  type SchemaRegistryClient,
  type SchemaType,
} from "../decode/index.js";
import { compileConnectSchema, EMPTY_RECORD, isConnectEnvelope } from "./connect.js";

/** A parsed JSON value as a record: Connect schema-and-payload typed by its schema, else inferred. */
function jsonRecord(plain: JsonDecoder, value: JsonValue, scalarField: string | undefined): DecodedRecord {
  if (isConnectEnvelope(value)) {
    if (value.schema === null || value.payload === null) return EMPTY_RECORD;
    const compiled = compileConnectSchema(value.schema);
    const row = compiled.toRow(value.payload);
    return { row, schema: compiled.struct };
  }
  const isScalar = typeof value !== "object" || value === null || Array.isArray(value);
  if (isScalar && scalarField !== undefined && value !== null) {
    return plain.decodeValue({ [scalarField]: value });
  }
  return plain.decodeValue(value);
}

/**
 * JSON values of a Debezium route: JsonConverter's `{schema, payload}` form is unwrapped and typed by its
 * Connect schema (connect.ts); a plain envelope `{before, after, source, op, ts_ms}` is inferred as the
 * json format does.
 */
export class DebeziumJsonDecoder implements Decoder {
  readonly #plain = new JsonDecoder();

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    return this.decodeSync(input);
  }

  decodeSync(input: DecodeInput): DecodedRecord {
    try {
      return jsonRecord(this.#plain, parseJsonText(requireValue(input)), undefined);
    } catch (e) {
      throw atRecord(input, e);
    }
  }
}

const FORMAT: Record<SchemaType, "avro" | "json-schema" | "protobuf"> = {
  AVRO: "avro",
  JSON: "json-schema",
  PROTOBUF: "protobuf",
};

/** Kafka keys (passed as `value` of the DecodeInput), decoded by what their bytes are; see the file comment. */
export class KeyDecoder implements Decoder {
  readonly #plain = new JsonDecoder();
  readonly #scalarField: string | undefined;
  readonly #registry: SchemaRegistryClient | undefined;
  readonly #byFormat = new Map<string, Decoder>();
  readonly #typeById = new Map<number, SchemaType>();

  /** `key`: the route's key fields (a bare scalar or string key is the value of the only one). */
  constructor(key: readonly string[], registry?: SchemaRegistryClient) {
    this.#scalarField = key.length === 1 ? key[0] : undefined;
    this.#registry = registry;
  }

  #wireId(bytes: Uint8Array): number | undefined {
    if (this.#registry === undefined || bytes.length < 5 || bytes[0] !== 0) return undefined;
    return readWireHeader(bytes).schemaId;
  }

  #registryDecoder(type: SchemaType): Decoder {
    const format = FORMAT[type];
    let d = this.#byFormat.get(format);
    if (d === undefined) {
      d = createDecoder({ format, registry: this.#registry as SchemaRegistryClient });
      this.#byFormat.set(format, d);
    }
    return d;
  }

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    const bytes = requireKey(input);
    const id = this.#wireId(bytes);
    if (id === undefined) return this.decodeSync(input) as DecodedRecord;
    let type = this.#typeById.get(id);
    if (type === undefined) {
      try {
        type = (await (this.#registry as SchemaRegistryClient).getSchema(id)).schemaType;
      } catch (e) {
        throw atRecord(input, e);
      }
      this.#typeById.set(id, type);
    }
    return this.#registryDecoder(type).decode(input);
  }

  /** Undefined when a registry key's schema is not known yet (then await `decode`). */
  decodeSync(input: DecodeInput): DecodedRecord | undefined {
    const bytes = requireKey(input);
    const id = this.#wireId(bytes);
    if (id !== undefined) {
      const type = this.#typeById.get(id);
      return type === undefined ? undefined : this.#registryDecoder(type).decodeSync?.(input);
    }
    try {
      let parsed: JsonValue;
      try {
        parsed = parseJsonText(bytes);
      } catch (e) {
        if (this.#scalarField === undefined) throw e;
        return this.#plain.decodeValue({ [this.#scalarField]: Buffer.from(bytes).toString("utf8") });
      }
      if (parsed === null || (typeof parsed !== "object" && this.#scalarField === undefined)) {
        throw new FloeError(
          "KEY_INVALID",
          parsed === null ? "the Kafka key is JSON null" : "a key of several fields needs a JSON object key",
          { context: { field: "" } },
        );
      }
      return jsonRecord(this.#plain, parsed, this.#scalarField);
    } catch (e) {
      throw atRecord(input, e);
    }
  }
}

function requireKey(input: DecodeInput): Uint8Array {
  if (input.value === null) {
    throw new FloeError("KEY_INVALID", "record has no key, so its delete cannot be keyed", {
      context: { topic: input.topic, partition: input.partition, offset: input.offset },
    });
  }
  return input.value;
}

/** The key decoder of a route: `key` is the route's key fields. */
export function keyDecoderFor(
  route: { readonly key?: readonly string[] | undefined },
  registry?: SchemaRegistryClient,
): KeyDecoder {
  return new KeyDecoder(route.key ?? [], registry);
}
