/**
 * Partition field summaries of a manifest (manifest_file.partitions): per partition field, whether any
 * entry's value is null or NaN, and the lower and upper bound of the other values in Iceberg's binary
 * single-value form. Pure: values in, summaries out.
 */

import type { FieldSummary, PartitionData, PartitionType, PartitionValue } from "../spec/index.js";
import { comparePartitionValues, parsePrimitiveType } from "./partition-types.js";
import { encodePartitionSingleValue } from "./single-value.js";

/** Serializes one value of an Iceberg primitive type to its binary single-value form. */
export type SingleValueEncoder = (type: string, value: PartitionValue) => Uint8Array;

/**
 * Summarizes each partition field over the partition tuples of a manifest's entries, in partition
 * field order. Floats order as Java does (-0.0 before 0.0) so bounds never exclude a signed zero;
 * NaN sets contains_nan and stays out of the bounds; contains_nan is false for non-float types.
 * Bounds are absent when every value is null or NaN.
 */
export function summarizePartitions(
  partitionType: PartitionType,
  partitions: Iterable<PartitionData>,
  encode: SingleValueEncoder = encodePartitionSingleValue,
): FieldSummary[] {
  const stats = partitionType.fields.map((field) => ({
    field,
    info: parsePrimitiveType(field.type),
    containsNull: false,
    containsNan: false,
    min: undefined as PartitionValue | undefined,
    max: undefined as PartitionValue | undefined,
  }));
  for (const partition of partitions) {
    for (const s of stats) {
      const value = partition[s.field.name];
      if (value === null || value === undefined) {
        s.containsNull = true;
        continue;
      }
      if (typeof value === "number" && Number.isNaN(value)) {
        s.containsNan = true;
        continue;
      }
      if (s.min === undefined || comparePartitionValues(s.info, value, s.min) < 0) s.min = value;
      if (s.max === undefined || comparePartitionValues(s.info, value, s.max) > 0) s.max = value;
    }
  }
  return stats.map((s) => {
    const summary: FieldSummary = { contains_null: s.containsNull, contains_nan: s.containsNan };
    if (s.min !== undefined) summary.lower_bound = encode(s.field.type, s.min);
    if (s.max !== undefined) summary.upper_bound = encode(s.field.type, s.max);
    return summary;
  });
}
