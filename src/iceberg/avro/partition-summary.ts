/**
 * Partition field summaries of a manifest (manifest_file.partitions): per partition field, whether any
 * entry's value is null or NaN, and the lower and upper bound of the other values in Iceberg's binary
 * single-value form (iceberg/spec's encoding and order). Pure: values in, summaries out.
 */

import {
  compareValues,
  encodeSingleValue,
  type FieldSummary,
  type IcebergType,
  type PartitionData,
  type PartitionType,
  type PartitionValue,
  type PrimitiveValue,
} from "../spec/index.js";
import { partitionFieldType, toPrimitiveValue } from "./partition-types.js";

/** The spec's single-value encoding of one partition value of `type` (a type string is parsed). */
export function encodePartitionSingleValue(type: IcebergType | string, value: PartitionValue): Uint8Array {
  const icebergType = partitionFieldType(type);
  return encodeSingleValue(icebergType, toPrimitiveValue(icebergType, value));
}

/**
 * Summarizes each partition field over the partition tuples of a manifest's entries, in partition
 * field order. Floats order as Java does (-0.0 before 0.0) so bounds never exclude a signed zero;
 * NaN sets contains_nan and stays out of the bounds; contains_nan is false for non-float types.
 * Bounds are absent when every value is null or NaN.
 */
export function summarizePartitions(
  partitionType: PartitionType,
  partitions: Iterable<PartitionData>,
): FieldSummary[] {
  const stats = partitionType.fields.map((field) => ({
    field,
    type: partitionFieldType(field.type),
    containsNull: false,
    containsNan: false,
    min: undefined as PrimitiveValue | undefined,
    max: undefined as PrimitiveValue | undefined,
  }));
  for (const partition of partitions) {
    for (const s of stats) {
      const raw = partition[s.field.name];
      if (raw === null || raw === undefined) {
        s.containsNull = true;
        continue;
      }
      if (typeof raw === "number" && Number.isNaN(raw)) {
        s.containsNan = true;
        continue;
      }
      const value = toPrimitiveValue(s.type, raw);
      if (s.min === undefined || compareValues(s.type, value, s.min) < 0) s.min = value;
      if (s.max === undefined || compareValues(s.type, value, s.max) > 0) s.max = value;
    }
  }
  return stats.map((s) => {
    const summary: FieldSummary = { contains_null: s.containsNull, contains_nan: s.containsNan };
    if (s.min !== undefined) summary.lower_bound = encodeSingleValue(s.type, s.min);
    if (s.max !== undefined) summary.upper_bound = encodeSingleValue(s.type, s.max);
    return summary;
  });
}
