/**
 * Partition values between their JS form (see PartitionValue) and the Avro datum avsc reads and
 * writes for the partition record `r102`.
 */

import { FloeError } from "../../errors.js";
import {
  bigintToFixedBytes,
  bytesToUuid,
  checkValue,
  decimalParams,
  decimalRequiredBytes,
  type IcebergType,
  minBytesToBigint,
  type PartitionData,
  type PartitionType,
  type PartitionValue,
  type PrimitiveValue,
  primitiveKind,
  uuidToBytes,
} from "../spec/index.js";
import { asBuffer } from "./decode-util.js";
import { partitionFieldType, toPrimitiveValue } from "./partition-types.js";
import { isValidAvroName, sanitizeAvroName } from "./schemas.js";
import type { RecordView } from "./writer-schema.js";
import { typeInfo, unwrapOptional } from "./writer-schema.js";

/**
 * One JS partition value -> the Avro datum of its Iceberg type: the value is checked as the spec's
 * representation (values.ts, after toPrimitiveValue), then uuids become 16 bytes and decimals the
 * fixed of decimalRequiredBytes(P) the schema declares.
 */
export function partitionValueToAvro(
  name: string,
  type: IcebergType | string,
  value: PartitionValue | null,
): unknown {
  if (value === null || value === undefined) return null;
  const icebergType = partitionFieldType(type);
  let v: PrimitiveValue;
  try {
    v = checkValue(icebergType, toPrimitiveValue(icebergType, value));
  } catch (e) {
    const shown = typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
    throw new FloeError("INVALID_ARGUMENT", `partition field ${name} (${icebergType}) cannot hold ${shown}`, {
      cause: e,
      context: { field: name, type: icebergType },
    });
  }
  switch (primitiveKind(icebergType)) {
    case "binary":
    case "fixed":
      return asBuffer(v as Uint8Array);
    case "uuid":
      return asBuffer(uuidToBytes(v as string));
    case "decimal": {
      const precision = decimalParams(icebergType)?.precision ?? 0;
      return asBuffer(bigintToFixedBytes(v as bigint, decimalRequiredBytes(precision)));
    }
    default:
      return v;
  }
}

/** The Avro field name a partition field is written under. */
export function avroPartitionFieldName(name: string): string {
  return isValidAvroName(name) ? name : sanitizeAvroName(name);
}

/** JS partition tuple -> the Avro datum of `r102`, keyed by Avro field names. */
export function partitionToAvro(partitionType: PartitionType, data: PartitionData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of partitionType.fields) {
    out[avroPartitionFieldName(field.name)] = partitionValueToAvro(
      field.name,
      field.type,
      data[field.name] ?? null,
    );
  }
  return out;
}

/** One Avro partition datum -> JS, guided by the writer's Avro type (logical types included). */
export function partitionValueFromAvro(avroType: unknown, value: unknown): PartitionValue | null {
  if (value === null || value === undefined) return null;
  const { type, attrs } = typeInfo(avroType as never);
  const logical = attrs.logicalType;
  if (value instanceof Uint8Array) {
    if (logical === "decimal") return minBytesToBigint(value);
    if (logical === "uuid" && value.length === 16) return bytesToUuid(value);
    return new Uint8Array(value);
  }
  if (typeof value === "string" && logical === "uuid") return value.toLowerCase();
  if (type === "long" && typeof value === "number") return BigInt(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "string") return value;
  if (typeof value === "boolean") return value;
  throw new FloeError("DECODE_FAILED", `unsupported partition value of Avro type ${type}`);
}

/**
 * Decoded `r102` datum -> JS partition tuple keyed by partition field name. Names come from the
 * header's partition spec (by field id) when given, else from `iceberg-field-name`, else the Avro name.
 */
export function partitionFromAvro(
  view: RecordView,
  datum: unknown,
  specNamesById: ReadonlyMap<number, string>,
): PartitionData {
  const out: PartitionData = {};
  const record = (datum ?? {}) as Record<string, unknown>;
  for (const field of view.schema.fields) {
    const id = field["field-id"];
    const original = field["iceberg-field-name"];
    const name =
      (typeof id === "number" ? specNamesById.get(id) : undefined) ??
      (typeof original === "string" ? original : field.name);
    out[name] = partitionValueFromAvro(unwrapOptional(field.type, view.named), record[field.name]);
  }
  return out;
}
