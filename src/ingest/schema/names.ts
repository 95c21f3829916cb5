/**
 * Field names of decoded records, checked once per record schema before a record is buffered: names
 * the spec layer refuses (empty, control characters, over 255 bytes, duplicates, dotted collisions),
 * and, for routes with Kafka metadata columns, top-level names starting with `_kafka_` (they would
 * collide with the metadata columns, or with ones added later). Such a record is that record's error
 * (dead letter, skip or fail per the route), never a schema change.
 */

import { FloeError } from "../../errors.js";
import { type FieldNameOptions, fieldNameIssue, type StructType } from "../../iceberg/spec/index.js";

export const METADATA_COLUMN_PREFIX = "_kafka_";

const WITH_METADATA: FieldNameOptions = {
  reservedPrefix: METADATA_COLUMN_PREFIX,
  reservedFor: "reserved for the Kafka metadata columns (rename the field or set metadataColumns: false)",
};

const checked = [new WeakMap<StructType, FloeError | null>(), new WeakMap<StructType, FloeError | null>()];

/** The error for a record schema whose field names cannot become columns, or undefined. */
export function recordNameError(schema: StructType, metadataColumns: boolean): FloeError | undefined {
  const cache = checked[metadataColumns ? 1 : 0] as WeakMap<StructType, FloeError | null>;
  let error = cache.get(schema);
  if (error === undefined) {
    const issue = fieldNameIssue(schema, metadataColumns ? WITH_METADATA : {});
    error =
      issue === undefined
        ? null
        : new FloeError(
            "SCHEMA_INCOMPATIBLE",
            `${issue.message}: the record cannot become a row (no column may have this name)`,
            { context: { field: issue.path.slice(0, 255) } },
          );
    cache.set(schema, error);
  }
  return error ?? undefined;
}

/** Throws SCHEMA_INCOMPATIBLE naming the field when recordNameError finds a problem. */
export function checkRecordNames(schema: StructType, metadataColumns: boolean): void {
  const error = recordNameError(schema, metadataColumns);
  if (error !== undefined) throw error;
}
