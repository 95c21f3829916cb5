/**
 * Partition field types and values in iceberg/spec's terms: the Iceberg type a partition field's type
 * string names, and a partition value in the spec's JS representation.
 */

import { FloeError } from "../../errors.js";
import {
  bytesToUuid,
  describeType,
  type IcebergType,
  type PartitionValue,
  type PrimitiveType,
  type PrimitiveValue,
  parsePrimitiveType,
  primitiveKind,
} from "../spec/index.js";

/**
 * The Iceberg type of a partition field as a canonical primitive type (type strings in any case and
 * spacing are accepted); INVALID_ARGUMENT for anything else.
 */
export function partitionFieldType(type: IcebergType | string): PrimitiveType {
  const shown = typeof type === "string" ? type : describeType(type);
  let parsed: PrimitiveType;
  try {
    if (typeof type !== "string") throw new FloeError("INVALID_ARGUMENT", "a nested type");
    parsed = parsePrimitiveType(type);
  } catch (e) {
    throw new FloeError("INVALID_ARGUMENT", `not an Iceberg primitive type: ${shown}`, {
      cause: e,
      context: { type: shown },
    });
  }
  const kind = primitiveKind(parsed);
  if (kind === "unknown" || kind === "variant") {
    throw new FloeError("INVALID_ARGUMENT", `${shown} cannot be a partition value type`, {
      context: { type: shown },
    });
  }
  return parsed;
}

/** Whether values of `kind` are 64-bit integers (bigint in JS). */
function isInt64Kind(kind: string): boolean {
  return kind === "long" || kind === "time" || kind.startsWith("timestamp");
}

/**
 * A partition value in the spec's JS representation (values.ts): a safe-integer number of a 64-bit type
 * becomes a bigint, 16 bytes of a uuid its canonical string. Anything else is returned as it is.
 */
export function toPrimitiveValue(type: PrimitiveType, value: PartitionValue): PrimitiveValue {
  const kind = primitiveKind(type);
  if (typeof value === "number" && Number.isSafeInteger(value) && (isInt64Kind(kind) || kind === "decimal")) {
    return BigInt(value);
  }
  if (kind === "uuid" && value instanceof Uint8Array) return bytesToUuid(value);
  return value;
}
