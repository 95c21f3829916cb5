/**
 * Partition values between their JS form (see PartitionValue) and the Avro datum avsc reads and
 * writes for the partition record `r102`.
 */

import { FloeError } from "../../errors.js";
import {
  bigintToFixedBytes,
  bytesToUuid,
  decimalParams,
  decimalRequiredBytes,
  fixedLength,
  minBytesToBigint,
  type PartitionData,
  type PartitionType,
  type PartitionValue,
  primitiveKind,
  uuidToBytes,
} from "../spec/index.js";
import { asBuffer } from "./decode-util.js";
import { partitionFieldType } from "./partition-types.js";
import { isValidAvroName, sanitizeAvroName } from "./schemas.js";
import type { RecordView } from "./writer-schema.js";
import { typeInfo, unwrapOptional } from "./writer-schema.js";

function invalid(name: string, type: string, value: unknown): FloeError {
  const shown = typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
  return new FloeError("INVALID_ARGUMENT", `partition field ${name} (${type}) cannot hold ${shown}`, {
    context: { field: name, type },
  });
}

function toBigint(value: PartitionValue, name: string, type: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw invalid(name, type, value);
}

/** One JS partition value -> the Avro datum of its Iceberg type. */
export function partitionValueToAvro(name: string, type: string, value: PartitionValue | null): unknown {
  if (value === null || value === undefined) return null;
  const icebergType = partitionFieldType(type);
  switch (primitiveKind(icebergType)) {
    case "boolean":
      if (typeof value !== "boolean") throw invalid(name, type, value);
      return value;
    case "int":
    case "date":
      if (typeof value !== "number" || !Number.isInteger(value) || value !== (value | 0)) {
        throw invalid(name, type, value);
      }
      return value;
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns": {
      const v = toBigint(value, name, type);
      if (BigInt.asIntN(64, v) !== v) throw invalid(name, type, value);
      return v;
    }
    case "float":
    case "double":
      if (typeof value !== "number") throw invalid(name, type, value);
      return value;
    case "string":
      if (typeof value !== "string") throw invalid(name, type, value);
      return value;
    case "binary":
      if (!(value instanceof Uint8Array)) throw invalid(name, type, value);
      return asBuffer(value);
    case "fixed":
      if (!(value instanceof Uint8Array) || value.length !== fixedLength(icebergType)) {
        throw invalid(name, type, value);
      }
      return asBuffer(value);
    case "uuid":
      if (typeof value !== "string" && !(value instanceof Uint8Array)) throw invalid(name, type, value);
      return asBuffer(
        value instanceof Uint8Array && value.length === 16 ? value : uuidToBytes(String(value)),
      );
    case "decimal": {
      const v = toBigint(value, name, type);
      const precision = decimalParams(icebergType)?.precision ?? 0;
      if ((v < 0n ? -v : v) >= 10n ** BigInt(precision)) throw invalid(name, type, value);
      return asBuffer(bigintToFixedBytes(v, decimalRequiredBytes(precision)));
    }
    case "unknown":
    case "variant":
      throw invalid(name, type, value);
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
