/**
 * Iceberg data types in their JSON serialization (spec, Appendix C). Primitive types are strings
 * ("int", "decimal(9, 2)", "fixed[16]"); nested types are objects keyed by `type`.
 *
 * Parsing normalises primitive strings: lower case, and `decimal(P,S)` is written as `decimal(P, S)`,
 * the form the Java implementation writes and every reader accepts. So two equal types compare equal
 * as strings.
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";

/** The largest decimal precision Iceberg allows. */
export const MAX_DECIMAL_PRECISION = 38;

export const SIMPLE_PRIMITIVE_TYPES = [
  "unknown",
  "boolean",
  "int",
  "long",
  "float",
  "double",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
  "string",
  "uuid",
  "binary",
  "variant",
] as const;

export type SimplePrimitiveType = (typeof SIMPLE_PRIMITIVE_TYPES)[number];
export type DecimalTypeString = `decimal(${number}, ${number})`;
export type FixedTypeString = `fixed[${number}]`;
export type PrimitiveType = SimplePrimitiveType | DecimalTypeString | FixedTypeString;

/** The primitive type without its parameters: what a switch over value representations needs. */
export type PrimitiveKind = SimplePrimitiveType | "decimal" | "fixed";

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  /** JSON single-value serialization (Appendix D) of the default for rows written before the field existed. */
  "initial-default"?: unknown;
  /** JSON single-value serialization of the default used when a writer does not supply the field. */
  "write-default"?: unknown;
}

export interface StructType {
  type: "struct";
  fields: NestedField[];
}

export interface ListType {
  type: "list";
  "element-id": number;
  element: IcebergType;
  "element-required": boolean;
}

export interface MapType {
  type: "map";
  "key-id": number;
  key: IcebergType;
  "value-id": number;
  value: IcebergType;
  "value-required": boolean;
}

export type NestedType = StructType | ListType | MapType;
export type IcebergType = PrimitiveType | NestedType;

const SIMPLE_SET: ReadonlySet<string> = new Set(SIMPLE_PRIMITIVE_TYPES);
const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED_RE = /^fixed\[\s*(\d+)\s*\]$/;

/** Builds a decimal type string, validating 1 <= precision <= 38 and 0 <= scale. */
export function decimalType(precision: number, scale: number): DecimalTypeString {
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_DECIMAL_PRECISION) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `decimal precision must be 1..${MAX_DECIMAL_PRECISION}, got ${precision}`,
      {
        context: { precision },
      },
    );
  }
  if (!Number.isInteger(scale) || scale < 0) {
    throw new FloeError("INVALID_ARGUMENT", `decimal scale must be a non-negative integer, got ${scale}`, {
      context: { scale },
    });
  }
  return `decimal(${precision}, ${scale})`;
}

/** Builds a fixed type string, validating length >= 1. */
export function fixedType(length: number): FixedTypeString {
  if (!Number.isInteger(length) || length < 1) {
    throw new FloeError("INVALID_ARGUMENT", `fixed length must be a positive integer, got ${length}`, {
      context: { length },
    });
  }
  return `fixed[${length}]`;
}

/** Parses a primitive type string (any case, `decimal(9,2)` or `decimal(9, 2)`) into canonical form. */
export function parsePrimitiveType(text: string): PrimitiveType {
  const s = text.trim().toLowerCase();
  if (SIMPLE_SET.has(s)) return s as SimplePrimitiveType;
  const dec = DECIMAL_RE.exec(s);
  if (dec) return decimalType(Number(dec[1]), Number(dec[2]));
  const fixed = FIXED_RE.exec(s);
  if (fixed) return fixedType(Number(fixed[1]));
  throw new FloeError("UNSUPPORTED", `unknown Iceberg primitive type "${text}"`, { context: { type: text } });
}

/** Like parsePrimitiveType, but returns undefined for anything that is not a valid primitive type. */
export function tryParsePrimitiveType(text: string): PrimitiveType | undefined {
  try {
    return parsePrimitiveType(text);
  } catch {
    return undefined;
  }
}

/** Precision and scale of a decimal type string, or undefined if the type is not a decimal. */
export function decimalParams(type: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof type !== "string") return undefined;
  const m = DECIMAL_RE.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** Length of a fixed type string, or undefined if the type is not fixed. */
export function fixedLength(type: IcebergType): number | undefined {
  if (typeof type !== "string") return undefined;
  const m = FIXED_RE.exec(type);
  return m ? Number(m[1]) : undefined;
}

export function primitiveKind(type: PrimitiveType): PrimitiveKind {
  if (SIMPLE_SET.has(type)) return type as SimplePrimitiveType;
  if (type.startsWith("decimal")) return "decimal";
  if (type.startsWith("fixed")) return "fixed";
  throw new FloeError("UNSUPPORTED", `unknown Iceberg primitive type "${type}"`, { context: { type } });
}

export function isPrimitiveType(type: IcebergType): type is PrimitiveType {
  return typeof type === "string";
}

export function isStructType(type: IcebergType): type is StructType {
  return typeof type === "object" && type.type === "struct";
}

export function isListType(type: IcebergType): type is ListType {
  return typeof type === "object" && type.type === "list";
}

export function isMapType(type: IcebergType): type is MapType {
  return typeof type === "object" && type.type === "map";
}

export function isNestedType(type: IcebergType): type is NestedType {
  return typeof type === "object";
}

/** Structural equality of two types, including field ids, names, requiredness, docs and defaults. */
export function typesEqual(a: IcebergType, b: IcebergType): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.type === "struct" && b.type === "struct") {
    return (
      a.fields.length === b.fields.length &&
      a.fields.every((f, i) => {
        const g = b.fields[i];
        return g !== undefined && fieldsEqual(f, g);
      })
    );
  }
  if (a.type === "list" && b.type === "list") {
    return (
      a["element-id"] === b["element-id"] &&
      a["element-required"] === b["element-required"] &&
      typesEqual(a.element, b.element)
    );
  }
  if (a.type === "map" && b.type === "map") {
    return (
      a["key-id"] === b["key-id"] &&
      a["value-id"] === b["value-id"] &&
      a["value-required"] === b["value-required"] &&
      typesEqual(a.key, b.key) &&
      typesEqual(a.value, b.value)
    );
  }
  return false;
}

function fieldsEqual(a: NestedField, b: NestedField): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.required === b.required &&
    a.doc === b.doc &&
    jsonEqual(a["initial-default"], b["initial-default"]) &&
    jsonEqual(a["write-default"], b["write-default"]) &&
    typesEqual(a.type, b.type)
  );
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A compact human form for messages: `struct<1 id: required long, 2 tags: list<string>>`. */
export function describeType(type: IcebergType): string {
  if (typeof type === "string") return type;
  switch (type.type) {
    case "struct":
      return `struct<${type.fields.map((f) => `${f.id} ${f.name}: ${f.required ? "required " : ""}${describeType(f.type)}`).join(", ")}>`;
    case "list":
      return `list<${describeType(type.element)}>`;
    case "map":
      return `map<${describeType(type.key)}, ${describeType(type.value)}>`;
  }
}

// ---- zod schemas -------------------------------------------------------------------------------------

export const PrimitiveTypeSchema: z.ZodType<PrimitiveType> = z.string().transform((s, ctx) => {
  const parsed = tryParsePrimitiveType(s);
  if (parsed === undefined) {
    ctx.addIssue({ code: "custom", message: `unknown or invalid Iceberg primitive type "${s}"` });
    return z.NEVER;
  }
  return parsed;
});

const fieldId = z.number().int().nonnegative();
const anyType = z.lazy((): z.ZodType<IcebergType> => IcebergTypeSchema);

const nestedFieldObject = z.object({
  id: fieldId,
  name: z.string(),
  required: z.boolean(),
  type: anyType,
  doc: z.string().optional(),
  "initial-default": z.unknown().optional(),
  "write-default": z.unknown().optional(),
});

const structObject = z.object({ type: z.literal("struct"), fields: z.array(nestedFieldObject) });

const listObject = z.object({
  type: z.literal("list"),
  "element-id": fieldId,
  element: anyType,
  "element-required": z.boolean(),
});

const mapObject = z.object({
  type: z.literal("map"),
  "key-id": fieldId,
  key: anyType,
  "value-id": fieldId,
  value: anyType,
  "value-required": z.boolean(),
});

export const NestedFieldSchema: z.ZodType<NestedField> = nestedFieldObject;
export const StructTypeSchema: z.ZodType<StructType> = structObject;
export const ListTypeSchema: z.ZodType<ListType> = listObject;
export const MapTypeSchema: z.ZodType<MapType> = mapObject;

export const IcebergTypeSchema: z.ZodType<IcebergType> = z.union([
  PrimitiveTypeSchema,
  z.discriminatedUnion("type", [structObject, listObject, mapObject]),
]);

/** Parses an unknown JSON value as an Iceberg type, throwing INVALID_ARGUMENT with zod's explanation. */
export function parseIcebergType(json: unknown): IcebergType {
  const result = IcebergTypeSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid Iceberg type: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}
