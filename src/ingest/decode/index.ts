// Record decoding: Kafka value bytes -> a row and the record's own Iceberg schema. JSON (inferred or
// declared), Avro, JSON Schema and Protobuf in the Schema Registry wire format, plain strings and bytes.
// May import: errors, iceberg/spec and iceberg/avro (through their index.ts), ../schema.

export { compileAvroSchema } from "./avro-schema.js";
export { createDecoder } from "./decoder.js";
export { atRecord, decodeFailed, requireValue } from "./errors.js";
export { JsonDecoder, parseJsonText } from "./json.js";
export { compileJsonSchema } from "./json-schema.js";
export { compileProtobufMessage } from "./protobuf-schema.js";
export {
  type RegisteredSchema,
  type SchemaReference,
  SchemaRegistryClient,
  type SchemaRegistryOptions,
  type SchemaType,
} from "./registry.js";
export type { DecodedRecord, DecodeInput, Decoder, DecoderConfig } from "./types.js";
export { readMessageIndexes, readWireHeader, type WireHeader, wireHeader } from "./wire.js";
