/**
 * Iceberg's binary single-value serialization (spec Appendix D) for partition primitive types, used for
 * manifest list partition bounds. A minimal private copy: iceberg/spec has the full one for all types.
 */

import { FloeError } from "../../errors.js";
import type { PartitionValue } from "../spec/index.js";
import { bigintToTwosComplement, parsePrimitiveType, uuidToBytes } from "./partition-types.js";

function invalid(type: string, value: PartitionValue): FloeError {
  return new FloeError("INVALID_ARGUMENT", `cannot serialize ${typeof value} as ${type}`, {
    context: { type },
  });
}

function int64(type: string, value: PartitionValue): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw invalid(type, value);
}

/** Serializes one partition value: little-endian numbers, UTF-8 strings, big-endian uuid and decimal. */
export function encodePartitionSingleValue(type: string, value: PartitionValue): Uint8Array {
  const info = parsePrimitiveType(type);
  switch (info.kind) {
    case "boolean":
      if (typeof value !== "boolean") throw invalid(type, value);
      return Uint8Array.of(value ? 1 : 0);
    case "int":
    case "date": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw invalid(type, value);
      const buf = Buffer.alloc(4);
      buf.writeInt32LE(value);
      return new Uint8Array(buf);
    }
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns": {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(int64(type, value));
      return new Uint8Array(buf);
    }
    case "float": {
      if (typeof value !== "number") throw invalid(type, value);
      const buf = Buffer.alloc(4);
      buf.writeFloatLE(value);
      return new Uint8Array(buf);
    }
    case "double": {
      if (typeof value !== "number") throw invalid(type, value);
      const buf = Buffer.alloc(8);
      buf.writeDoubleLE(value);
      return new Uint8Array(buf);
    }
    case "string":
      if (typeof value !== "string") throw invalid(type, value);
      return new Uint8Array(Buffer.from(value, "utf8"));
    case "uuid":
      if (typeof value !== "string" && !(value instanceof Uint8Array)) throw invalid(type, value);
      return uuidToBytes(value);
    case "binary":
    case "fixed":
      if (!(value instanceof Uint8Array)) throw invalid(type, value);
      return value;
    case "decimal":
      return bigintToTwosComplement(int64(type, value));
  }
}
