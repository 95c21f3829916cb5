/**
 * Reading around a known bug of Iceberg's Java writer (apache/iceberg#17501, present through 1.11):
 * partition values of Iceberg type fixed[L] are written with Avro's `bytes` encoding (a length prefix,
 * then the bytes) although the header schema declares `fixed`. Java reads them back the same way, so
 * its files are self-consistent but do not match their own schema. The fix (apache/iceberg#17502)
 * stamps fixed writers' files with `iceberg.avro.fixed-encoding = v2`.
 *
 * For a Java-written manifest (it has the `iceberg.schema` header key that Java's Avro writer adds)
 * without that stamp, plain fixed partition fields (no logicalType: decimals and uuids are unaffected)
 * are decoded as `bytes`. Floe itself writes fixed values as the Avro spec says.
 */

import type { AvroField, AvroSchema, AvroTypeObject } from "./schemas.js";

function isObject(s: AvroSchema | undefined): s is AvroTypeObject {
  return typeof s === "object" && s !== null && !Array.isArray(s);
}

function isPlainFixed(s: AvroSchema): s is AvroTypeObject {
  return isObject(s) && s.type === "fixed" && s.logicalType === undefined;
}

function byId(fields: unknown, id: number): AvroField | undefined {
  return Array.isArray(fields) ? (fields as AvroField[]).find((f) => f["field-id"] === id) : undefined;
}

/** True when the header says the file came from an unfixed Java writer. */
export function hasJavaFixedBug(metadata: Record<string, string>): boolean {
  return metadata["iceberg.schema"] !== undefined && metadata["iceberg.avro.fixed-encoding"] !== "v2";
}

/** Rewrites (in place) plain fixed partition field types, and references to them, to `bytes`. */
export function javaFixedPartitionsAsBytes(schema: AvroSchema, metadata: Record<string, string>): AvroSchema {
  if (!hasJavaFixedBug(metadata) || !isObject(schema)) return schema;
  const dataFile = byId(schema.fields, 2)?.type;
  const partition = isObject(dataFile) ? byId(dataFile.fields, 102)?.type : undefined;
  if (!isObject(partition) || !Array.isArray(partition.fields)) return schema;
  const fixedNames = new Set<string>();
  const rewrite = (t: AvroSchema): AvroSchema => {
    if (isPlainFixed(t)) {
      if (typeof t.name === "string") fixedNames.add(t.name);
      return "bytes";
    }
    if (typeof t === "string" && fixedNames.has(t)) return "bytes";
    return t;
  };
  for (const field of partition.fields as AvroField[]) {
    field.type = Array.isArray(field.type) ? field.type.map(rewrite) : rewrite(field.type);
  }
  return schema;
}
