/** createDecoder: the decoder for a topic's configured format, with record positions on its errors. */

import type { StructType } from "../../iceberg/spec/index.js";
import { AvroDecoder } from "./avro.js";
import { atRecord, decodeUtf8 } from "./errors.js";
import { JsonDecoder, JsonSchemaDecoder } from "./json.js";
import { ProtobufDecoder } from "./protobuf.js";
import type { DecodedRecord, DecodeInput, Decoder, DecoderConfig } from "./types.js";

const STRING_SCHEMA: StructType = {
  type: "struct",
  fields: [{ id: 1, name: "value", required: false, type: "string" }],
};
const BYTES_SCHEMA: StructType = {
  type: "struct",
  fields: [{ id: 1, name: "value", required: false, type: "binary" }],
};

/** Each value as one UTF-8 string column `value` (a tombstone is a null value). */
class StringDecoder implements Decoder {
  async decode(input: DecodeInput): Promise<DecodedRecord> {
    return this.decodeSync(input);
  }
  decodeSync(input: DecodeInput): DecodedRecord {
    return { row: { value: input.value === null ? null : decodeUtf8(input.value) }, schema: STRING_SCHEMA };
  }
}

/** Each value as one binary column `value` (a tombstone is a null value). */
class BytesDecoder implements Decoder {
  async decode(input: DecodeInput): Promise<DecodedRecord> {
    return this.decodeSync(input);
  }
  decodeSync(input: DecodeInput): DecodedRecord {
    return { row: { value: input.value }, schema: BYTES_SCHEMA };
  }
}

/** Rethrows a decoder's DECODE_FAILED / SCHEMA_INCOMPATIBLE errors with the record's topic, partition, offset. */
class Positioned implements Decoder {
  constructor(private readonly inner: Decoder) {}
  async decode(input: DecodeInput): Promise<DecodedRecord> {
    try {
      return await this.inner.decode(input);
    } catch (e) {
      throw atRecord(input, e);
    }
  }
  decodeSync(input: DecodeInput): DecodedRecord | undefined {
    if (this.inner.decodeSync === undefined) return undefined;
    try {
      return this.inner.decodeSync(input);
    } catch (e) {
      throw atRecord(input, e);
    }
  }
}

/** The decoder for a format. Throws CONFIG_INVALID for a bad declared JSON schema. */
export function createDecoder(config: DecoderConfig): Decoder {
  switch (config.format) {
    case "json":
      return new Positioned(new JsonDecoder(config.schema, config.columns));
    case "avro":
      return new Positioned(new AvroDecoder(config.registry));
    case "json-schema":
      return new Positioned(new JsonSchemaDecoder(config.registry));
    case "protobuf":
      return new Positioned(new ProtobufDecoder(config.registry));
    case "string":
      return new Positioned(new StringDecoder());
    case "bytes":
      return new BytesDecoder();
  }
}
