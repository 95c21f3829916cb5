/**
 * Avro records in the Schema Registry wire format. Per schema id, once: fetch the schema (and the
 * schemas it references), convert it to an Iceberg struct and parse it with avsc (logical types left
 * raw, longs as bigint). Per record: read the header, decode with the cached avsc type, convert values.
 */

import type { Type } from "avsc";
import avsc from "avsc";
import { bigintLongHook } from "../../iceberg/avro/index.js";
import { type CompiledAvroSchema, compileAvroSchema } from "./avro-schema.js";
import { decodeFailed, requireValue } from "./errors.js";
import {
  CompiledSchemas,
  type RegisteredSchema,
  referencedSchemas,
  type SchemaRegistryClient,
} from "./registry.js";
import type { DecodedRecord, DecodeInput, Decoder } from "./types.js";
import { readWireHeader } from "./wire.js";

/** avsc options: bigint longs; avsc's logical types stay off so values arrive raw. */
export function avscOptions(registry: Record<string, Type>): object {
  return { typeHook: bigintLongHook, registry };
}

interface Compiled extends CompiledAvroSchema {
  type: Type;
}

function parseSchemaText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw decodeFailed(`${what} is not valid Avro schema JSON`, e);
  }
}

export async function compileRegisteredAvro(
  registry: SchemaRegistryClient,
  id: number,
  registered: RegisteredSchema,
): Promise<Compiled> {
  const what = `schema id ${id}`;
  const parts = [...(await referencedSchemas(registry, registered, what)), { schema: registered, what }];
  const raws = parts.map((p) => parseSchemaText(p.schema.schema, p.what));
  const compiled = compileAvroSchema(raws);
  const named: Record<string, Type> = {};
  let type: Type | undefined;
  try {
    for (const raw of raws) type = avsc.Type.forSchema(raw as never, avscOptions(named) as never);
  } catch (e) {
    throw decodeFailed(`${what} is not a valid Avro schema: ${(e as Error).message}`, e);
  }
  if (type === undefined) throw decodeFailed(`${what} is empty`);
  return { ...compiled, type };
}

export class AvroDecoder implements Decoder {
  readonly #compiled: CompiledSchemas<Compiled>;

  constructor(registry: SchemaRegistryClient) {
    this.#compiled = new CompiledSchemas(registry, "AVRO", compileRegisteredAvro);
  }

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    const { schemaId } = readWireHeader(requireValue(input));
    await this.#compiled.get(schemaId);
    return this.decodeSync(input) as DecodedRecord;
  }

  decodeSync(input: DecodeInput): DecodedRecord | undefined {
    const bytes = requireValue(input);
    const { schemaId, payloadOffset } = readWireHeader(bytes);
    const compiled = this.#compiled.ready(schemaId);
    if (compiled === undefined) return undefined;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = compiled.type.decode(buf, payloadOffset);
    } catch (e) {
      throw decodeFailed(`Avro payload does not match schema id ${schemaId}: ${(e as Error).message}`, e);
    }
    if (decoded.offset < 0) throw decodeFailed(`Avro payload is truncated for schema id ${schemaId}`);
    if (decoded.offset !== buf.length) {
      throw decodeFailed(
        `Avro payload has ${buf.length - decoded.offset} bytes left over after a schema id ${schemaId} record`,
      );
    }
    return { row: compiled.toRow(decoded.value), schema: compiled.struct };
  }
}
