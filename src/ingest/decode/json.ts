/**
 * JSON values: plain JSON (schema inferred per record, or a declared Iceberg schema plus inferred extra
 * top-level fields) and JSON Schema payloads in the Schema Registry wire format. Text is strict UTF-8;
 * integers beyond 2^53 stay exact (parseJson gives bigint); NaN and Infinity are not JSON and fail.
 * Inferred schemas are interned by shape, so records of one shape share one StructType object.
 */

import { FloeError } from "../../errors.js";
import {
  type JsonValue,
  type NestedField,
  parseJson,
  parseSchema,
  type StructType,
} from "../../iceberg/spec/index.js";
import { conformJson, conformJsonValues, inferFields, numberFields, shapeKey } from "../schema/index.js";
import { decodeFailed, decodeUtf8, requireValue } from "./errors.js";
import { type CompiledJsonSchema, compileJsonSchema } from "./json-schema.js";
import { RecentShapes } from "./json-shapes.js";
import { CompiledSchemas, type RegisteredSchema, type SchemaRegistryClient } from "./registry.js";
import type { DecodedRecord, DecodeInput, Decoder } from "./types.js";
import { readWireHeader } from "./wire.js";

type Obj = Record<string, unknown>;

/**
 * Whether a parsed value holds an integer-valued number beyond 2^53 - 1: every integer literal that
 * JSON.parse could not keep exact parses to one (a literal above 2^53 - 1 rounds to a double at least
 * 2^53). Past the depth limit it answers true, which only costs a second, exact parse.
 */
function hasUnsafeInteger(v: unknown, depth = 0): boolean {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (typeof v !== "object" || v === null) return false;
  if (depth > 32) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnsafeInteger(x, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (hasUnsafeInteger((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/**
 * Strict UTF-8, then JSON. The native JSON.parse is several times faster than parseJson; when its result
 * holds an integer it could not keep exact, the text is parsed again with parseJson, which keeps big
 * integers as bigint.
 */
export function parseJsonText(bytes: Uint8Array, from = 0): JsonValue {
  const text = decodeUtf8(from === 0 ? bytes : bytes.subarray(from));
  try {
    const fast = JSON.parse(text) as JsonValue;
    return hasUnsafeInteger(fast) ? parseJson(text) : fast;
  } catch (e) {
    const message = e instanceof Error ? e.message : "unreadable";
    throw decodeFailed(message.startsWith("invalid JSON") ? message : `invalid JSON: ${message}`, e);
  }
}

function requireObject(value: JsonValue): Obj {
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof value === "bigint") {
    const what = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    throw decodeFailed(`a JSON record must be an object, got ${what}`);
  }
  return value;
}

/** At most this many shapes are interned; beyond it the table starts over (shapes are cheap to rebuild). */
const MAX_SHAPES = 1024;

/** Parses the `schema` option of a json decoder: Iceberg schema JSON (object or text). */
function declaredStruct(schema: unknown): StructType {
  try {
    const json = typeof schema === "string" ? parseJson(schema) : schema;
    return numberFields(parseSchema(json).fields);
  } catch (e) {
    throw new FloeError(
      "CONFIG_INVALID",
      `json decoder schema: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** A record decoded for a column buffer: its values now, its row object only if someone asks. */
class ColumnarRecord implements DecodedRecord {
  constructor(
    readonly schema: StructType,
    readonly values: readonly unknown[],
    private readonly parsed: Obj,
  ) {}

  get row(): Record<string, unknown> {
    return conformJson(this.schema, this.parsed);
  }
}

export class JsonDecoder implements Decoder {
  readonly #declared: StructType | undefined;
  readonly #declaredNames: ReadonlySet<string>;
  readonly #shapes = new Map<string, StructType>();
  readonly #recent = new RecentShapes();

  /** With `columns`, records carry their values for a column buffer (see DecodedRecord.values). */
  constructor(
    schema?: unknown,
    private readonly columns = false,
  ) {
    this.#declared = schema === undefined || schema === null ? undefined : declaredStruct(schema);
    this.#declaredNames = new Set(this.#declared?.fields.map((f) => f.name) ?? []);
  }

  /** The interned struct for declared fields plus these inferred ones. */
  #intern(inferred: NestedField[]): StructType {
    const key = shapeKey(inferred);
    let struct = this.#shapes.get(key);
    if (struct === undefined) {
      if (this.#shapes.size >= MAX_SHAPES) this.#shapes.clear();
      struct = numberFields([...(this.#declared?.fields ?? []), ...inferred]);
      this.#shapes.set(key, struct);
    }
    if (this.#declared === undefined) this.#recent.add(struct);
    return struct;
  }

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    return this.decodeSync(input);
  }

  decodeSync(input: DecodeInput): DecodedRecord {
    return this.decodeValue(parseJsonText(requireValue(input)));
  }

  /** The record for an already parsed JSON value (DECODE_FAILED unless it is an object). */
  decodeValue(parsed: JsonValue): DecodedRecord {
    const value = requireObject(parsed);
    let schema: StructType;
    if (this.#declared === undefined) {
      schema = this.#recent.find(value) ?? this.#intern(inferFields(value));
    } else {
      // Fields beyond the declared ones (usually none), without the arrays Object.keys().filter() makes.
      const extra: string[] = [];
      for (const k in value) if (!this.#declaredNames.has(k) && value[k] !== null) extra.push(k);
      const inferred = extra.length === 0 ? [] : inferFields(value, extra);
      schema = inferred.length === 0 ? this.#declared : this.#intern(inferred);
    }
    if (this.columns) return new ColumnarRecord(schema, conformJsonValues(schema, value), value);
    return { row: conformJson(schema, value), schema };
  }
}

function compileRegisteredJsonSchema(
  _registry: SchemaRegistryClient,
  id: number,
  registered: RegisteredSchema,
): CompiledJsonSchema {
  if (registered.references !== undefined) {
    throw new FloeError("SCHEMA_INCOMPATIBLE", `schema id ${id}: JSON Schema references are not supported`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(registered.schema);
  } catch (e) {
    throw decodeFailed(`schema id ${id} is not valid JSON Schema JSON`, e);
  }
  return compileJsonSchema(doc);
}

/** JSON Schema payloads: header, then JSON text validated by converting it to the registered schema. */
export class JsonSchemaDecoder implements Decoder {
  readonly #compiled: CompiledSchemas<CompiledJsonSchema>;

  constructor(registry: SchemaRegistryClient) {
    this.#compiled = new CompiledSchemas(registry, "JSON", compileRegisteredJsonSchema);
  }

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    const bytes = requireValue(input);
    const { schemaId, payloadOffset } = readWireHeader(bytes);
    const compiled = await this.#compiled.get(schemaId);
    const value = parseJsonText(bytes, payloadOffset);
    const record = compiled.wrapped ? { value } : requireObject(value);
    return { row: conformJson(compiled.struct, record), schema: compiled.struct };
  }
}
