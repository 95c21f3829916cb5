/**
 * iceberg/spec's types in the resolved form this layer writes, and their Arrow mapping.
 *
 * A WriteType is a spec type parsed once (writeFieldsFromSchema in schema-mapping.ts derives them from
 * the table schema): its kind is the spec's PrimitiveKind (or struct, list, map), a decimal's precision
 * and scale and a fixed's length are numbers, so the per-column code switches on `kind` instead of
 * parsing type strings. Every field, list element and map key/value becomes an Arrow field carrying
 * `PARQUET:field_id`.
 *
 * Iceberg type -> Arrow type -> Parquet (as written by arrow-rs 56 in parquet-wasm 0.7.2):
 *   boolean      Bool                      BOOLEAN
 *   int          Int32                     INT32
 *   long         Int64                     INT64
 *   float        Float32                   FLOAT
 *   double       Float64                   DOUBLE
 *   date         DateDay                   INT32 (DATE)
 *   time         TimeMicrosecond           INT64 (TIME(MICROS, isAdjustedToUTC=false))
 *   timestamp    TimestampMicrosecond      INT64 (TIMESTAMP(MICROS, isAdjustedToUTC=false))
 *   timestamptz  TimestampMicrosecond UTC  INT64 (TIMESTAMP(MICROS, isAdjustedToUTC=true))
 *   string       Utf8                      BYTE_ARRAY (STRING)
 *   binary       Binary                    BYTE_ARRAY
 *   uuid         FixedSizeBinary(16)       FIXED_LEN_BYTE_ARRAY(16), no UUID annotation (arrow-parquet.ts)
 *   fixed[L]     FixedSizeBinary(L)        FIXED_LEN_BYTE_ARRAY(L)
 *   decimal(P,S) Decimal128(P,S)           INT32 if P<=9, INT64 if P<=18, else FIXED_LEN_BYTE_ARRAY
 *   struct       Struct                    group
 *   list         List<element>             LIST, 3-level (list / element)
 *   map          Map<entries<key,value>>   MAP (entries / key, value)
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import { MAX_DECIMAL_PRECISION, type PrimitiveKind } from "../spec/index.js";
import { fieldIdMetadata } from "./field-id.js";

/** Arrow's canonical extension metadata; uuid fields carry `arrow.uuid` so readers (and metrics) know. */
export const ARROW_EXTENSION_NAME_KEY = "ARROW:extension:name";
export const UUID_EXTENSION_NAME = "arrow.uuid";

/** The spec's primitive kinds this layer cannot write to Parquet yet. */
export type UnwritableKind = "unknown" | "variant" | "timestamp_ns" | "timestamptz_ns";

/** The spec's primitive kinds without parameters that this layer writes. */
export type WritableSimpleKind = Exclude<PrimitiveKind, UnwritableKind | "fixed" | "decimal">;

export type WritePrimitiveType =
  | { readonly kind: WritableSimpleKind }
  | { readonly kind: "fixed"; readonly length: number }
  | { readonly kind: "decimal"; readonly precision: number; readonly scale: number };

export interface WriteStructType {
  readonly kind: "struct";
  readonly fields: readonly WriteField[];
}

export interface WriteListType {
  readonly kind: "list";
  readonly elementId: number;
  readonly elementRequired: boolean;
  readonly element: WriteType;
}

export interface WriteMapType {
  readonly kind: "map";
  readonly keyId: number;
  readonly key: WriteType;
  readonly valueId: number;
  readonly valueRequired: boolean;
  readonly value: WriteType;
}

export type WriteType = WritePrimitiveType | WriteStructType | WriteListType | WriteMapType;

/** One Iceberg field to write: id, name, required flag and type. */
export interface WriteField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: WriteType;
}

/** Names Parquet's LIST / MAP conventions use for the nested Arrow fields. */
export const LIST_ELEMENT_NAME = "element";
// apache-arrow JS renames a Map's entries field to "entries" (ARROW-8716), so Parquet gets
// `repeated group entries` rather than the conventional `key_value`; the Parquet spec lets readers accept
// any name for that group.
export const MAP_ENTRIES_NAME = "entries";
export const MAP_KEY_NAME = "key";
export const MAP_VALUE_NAME = "value";

/** The Arrow data type for a write type (nested fields carry their field ids). */
export function arrowType(type: WriteType): arrow.DataType {
  switch (type.kind) {
    case "boolean":
      return new arrow.Bool();
    case "int":
      return new arrow.Int32();
    case "long":
      return new arrow.Int64();
    case "float":
      return new arrow.Float32();
    case "double":
      return new arrow.Float64();
    case "date":
      return new arrow.DateDay();
    case "time":
      return new arrow.TimeMicrosecond();
    case "timestamp":
      return new arrow.TimestampMicrosecond();
    case "timestamptz":
      return new arrow.TimestampMicrosecond("UTC");
    case "string":
      return new arrow.Utf8();
    case "binary":
      return new arrow.Binary();
    case "uuid":
      return new arrow.FixedSizeBinary(16);
    case "fixed":
      if (!Number.isInteger(type.length) || type.length <= 0) {
        throw new FloeError(
          "INVALID_ARGUMENT",
          `fixed length must be a positive integer, got ${type.length}`,
        );
      }
      return new arrow.FixedSizeBinary(type.length);
    case "decimal":
      checkDecimal(type.precision, type.scale);
      return new arrow.Decimal(type.scale, type.precision, 128);
    case "struct":
      return new arrow.Struct(type.fields.map(arrowField));
    case "list":
      return new arrow.List(
        makeField(LIST_ELEMENT_NAME, type.element, !type.elementRequired, type.elementId),
      );
    case "map": {
      const key = makeField(MAP_KEY_NAME, type.key, false, type.keyId);
      const value = makeField(MAP_VALUE_NAME, type.value, !type.valueRequired, type.valueId);
      // Map_'s typings want Struct<{key, value}> by TS name; the runtime only needs two children.
      const entries = new arrow.Struct([key, value]) as arrow.Struct<{
        key: arrow.DataType;
        value: arrow.DataType;
      }>;
      return new arrow.Map_(new arrow.Field(MAP_ENTRIES_NAME, entries, false));
    }
  }
}

/** The Arrow field for a write field: nullable unless required, metadata `PARQUET:field_id`. */
export function arrowField(field: WriteField): arrow.Field {
  return makeField(field.name, field.type, !field.required, field.id);
}

function makeField(name: string, type: WriteType, nullable: boolean, id: number): arrow.Field {
  const extra = type.kind === "uuid" ? { [ARROW_EXTENSION_NAME_KEY]: UUID_EXTENSION_NAME } : undefined;
  return new arrow.Field(name, arrowType(type), nullable, fieldIdMetadata(id, extra));
}

/** True for a FixedSizeBinary(16) field marked as a uuid (`ARROW:extension:name` = `arrow.uuid`). */
export function isUuidField(field: arrow.Field): boolean {
  return (
    field.metadata.get(ARROW_EXTENSION_NAME_KEY) === UUID_EXTENSION_NAME &&
    arrow.DataType.isFixedSizeBinary(field.type) &&
    field.type.byteWidth === 16
  );
}

/** The Arrow schema for a list of top-level write fields. */
export function arrowSchema(fields: readonly WriteField[]): arrow.Schema {
  return new arrow.Schema(fields.map(arrowField));
}

function checkDecimal(precision: number, scale: number): void {
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_DECIMAL_PRECISION) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `decimal precision must be 1..${MAX_DECIMAL_PRECISION}, got ${precision}`,
    );
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new FloeError("INVALID_ARGUMENT", `decimal scale must be 0..precision, got ${scale}`);
  }
}
