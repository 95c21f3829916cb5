/**
 * The Avro schemas of Iceberg manifests (`manifest_entry`) and manifest lists (`manifest_file`), as
 * raw JSON objects carrying `field-id` on every field and `element-id` on lists. Maps with int keys
 * are Avro arrays of `{key, value}` records (names like `k117_v118`) marked `"logicalType": "map"`,
 * the ids sitting on the key and value fields. Record names follow the Java writer: `manifest_entry`,
 * `r2` (data_file), `r102` (partition), `manifest_file`, `r508` (field_summary).
 *
 * Field ids are iceberg/spec's (manifest.ts); shapes are the table spec's ("Manifests", "Manifest Lists").
 */

import { FloeError } from "../../errors.js";
import {
  DATA_FILE_LIST_IDS,
  DATA_FILE_MAP_IDS,
  DATA_FILE_IDS as DF,
  decimalParams,
  decimalRequiredBytes,
  FIELD_SUMMARY_IDS,
  fixedLength,
  type IcebergType,
  MANIFEST_ENTRY_IDS,
  MANIFEST_FILE_IDS,
  MANIFEST_FILE_PARTITIONS_ELEMENT_ID,
  type PartitionType,
  primitiveKind,
} from "../spec/index.js";
import { partitionFieldType } from "./partition-types.js";

/** Avro schema JSON: a type name, a union, or a type object with extra attributes. */
export type AvroSchema = string | AvroSchema[] | AvroTypeObject;

export interface AvroTypeObject {
  type: string;
  [attribute: string]: unknown;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
  "field-id"?: number;
  default?: unknown;
  [attribute: string]: unknown;
}

export interface AvroRecordSchema extends AvroTypeObject {
  type: "record";
  name: string;
  fields: AvroField[];
}

const OPTIONAL = { default: null } as const;

function required(name: string, fieldId: number, type: AvroSchema): AvroField {
  return { name, type, "field-id": fieldId };
}

function optional(name: string, fieldId: number, type: AvroSchema): AvroField {
  return { name, type: ["null", type], ...OPTIONAL, "field-id": fieldId };
}

/** Iceberg `map<int, V>`: an Avro array of key/value records. */
function intKeyMap(keyId: number, valueId: number, valueType: AvroSchema): AvroTypeObject {
  return {
    type: "array",
    items: {
      type: "record",
      name: `k${keyId}_v${valueId}`,
      fields: [required("key", keyId, "int"), required("value", valueId, valueType)],
    },
    logicalType: "map",
  };
}

function list(elementId: number, itemType: AvroSchema): AvroTypeObject {
  return { type: "array", items: itemType, "element-id": elementId };
}

/** True for a valid Avro name: [A-Za-z_][A-Za-z0-9_]*. */
export function isValidAvroName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * Makes a field name a valid Avro name the way Iceberg's Java writer does: a leading digit becomes
 * `_<digit>`, any other invalid character `_x<HEX code>`. The original name is kept in the field's
 * `iceberg-field-name` attribute by the caller.
 */
export function sanitizeAvroName(name: string): string {
  let out = "";
  let first = true;
  for (const ch of name) {
    const ok = first ? /[A-Za-z_]/.test(ch) : /[A-Za-z0-9_]/.test(ch);
    if (ok) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${(ch.codePointAt(0) as number).toString(16).toUpperCase()}`;
    first = false;
  }
  return out;
}

/**
 * Avro type of a partition value of Iceberg type `type`. Fixed types carry Java's names (`uuid_fixed`,
 * `fixed_L`, `decimal_P_S`). An Avro name can be defined only once per schema: where Java then refers
 * back to the first definition by name (which PyIceberg 0.10 and 0.12 cannot resolve), later uses here get a
 * definition of their own with a suffixed name (`decimal_10_2_1`), which Java and PyIceberg both read.
 * `definedNames` tracks the names used so far in one schema.
 */
export function partitionValueAvroType(
  type: IcebergType | string,
  definedNames: Set<string> = new Set(),
): AvroSchema {
  const icebergType = partitionFieldType(type);
  const named = (name: string, schema: AvroTypeObject): AvroSchema => {
    let unique = name;
    for (let i = 1; definedNames.has(unique); i++) unique = `${name}_${i}`;
    definedNames.add(unique);
    return { ...schema, name: unique };
  };
  const kind = primitiveKind(icebergType);
  switch (kind) {
    case "boolean":
    case "int":
    case "long":
    case "float":
    case "double":
    case "string":
      return kind;
    case "binary":
      return "bytes";
    case "date":
      return { type: "int", logicalType: "date" };
    case "time":
      return { type: "long", logicalType: "time-micros" };
    case "timestamp":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": false };
    case "timestamptz":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": true };
    case "timestamp_ns":
      return { type: "long", logicalType: "timestamp-nanos", "adjust-to-utc": false };
    case "timestamptz_ns":
      return { type: "long", logicalType: "timestamp-nanos", "adjust-to-utc": true };
    case "uuid":
      return named("uuid_fixed", { type: "fixed", name: "uuid_fixed", size: 16, logicalType: "uuid" });
    case "fixed": {
      const length = fixedLength(icebergType) ?? 0;
      const name = `fixed_${length}`;
      return named(name, { type: "fixed", name, size: length });
    }
    case "decimal": {
      const { precision: p, scale: s } = decimalParams(icebergType) ?? { precision: 0, scale: 0 };
      const name = `decimal_${p}_${s}`;
      return named(name, {
        type: "fixed",
        name,
        size: decimalRequiredBytes(p),
        logicalType: "decimal",
        precision: p,
        scale: s,
      });
    }
    case "unknown":
    case "variant": // partitionFieldType refuses them
      throw new FloeError("INVALID_ARGUMENT", `${icebergType} cannot be a partition value type`);
  }
}

/** The partition tuple record `r102`: one optional field per partition field, id = partition field id. */
export function partitionRecordSchema(partitionType: PartitionType): AvroRecordSchema {
  const definedNames = new Set<string>();
  return {
    type: "record",
    name: "r102",
    fields: partitionType.fields.map((f) => {
      const field: AvroField = optional(
        isValidAvroName(f.name) ? f.name : sanitizeAvroName(f.name),
        f.id,
        partitionValueAvroType(f.type, definedNames),
      );
      if (!isValidAvroName(f.name)) field["iceberg-field-name"] = f.name;
      return field;
    }),
  };
}

/** One optional `map<int, V>` field of data_file, with the spec's ids. */
function metricsMap(name: keyof typeof DATA_FILE_MAP_IDS, valueType: AvroSchema): AvroField {
  const { key, value } = DATA_FILE_MAP_IDS[name];
  return optional(name, DF[name], intKeyMap(key, value, valueType));
}

function metricsFields(): AvroField[] {
  return [
    metricsMap("column_sizes", "long"),
    metricsMap("value_counts", "long"),
    metricsMap("null_value_counts", "long"),
    metricsMap("nan_value_counts", "long"),
    metricsMap("lower_bounds", "bytes"),
    metricsMap("upper_bounds", "bytes"),
    optional("key_metadata", DF.key_metadata, "bytes"),
    optional("split_offsets", DF.split_offsets, list(DATA_FILE_LIST_IDS.split_offsets, "long")),
  ];
}

/** The manifest formats this layer writes: v1 and v2, and v3 (row lineage and deletion vector fields). */
export type ManifestFormatVersion = 1 | 2 | 3;

/** The `data_file` record `r2` for format version 1, 2 or 3. */
export function dataFileSchema(
  partitionType: PartitionType,
  formatVersion: ManifestFormatVersion,
): AvroRecordSchema {
  const head: AvroField[] = [
    required("file_path", DF.file_path, "string"),
    required("file_format", DF.file_format, "string"),
    required("partition", DF.partition, partitionRecordSchema(partitionType)),
    required("record_count", DF.record_count, "long"),
    required("file_size_in_bytes", DF.file_size_in_bytes, "long"),
  ];
  const fields =
    formatVersion === 1
      ? [
          ...head,
          required("block_size_in_bytes", DF.block_size_in_bytes, "long"),
          ...metricsFields(),
          optional("sort_order_id", DF.sort_order_id, "int"),
        ]
      : [
          required("content", DF.content, "int"),
          ...head,
          ...metricsFields(),
          optional("equality_ids", DF.equality_ids, list(DATA_FILE_LIST_IDS.equality_ids, "int")),
          optional("sort_order_id", DF.sort_order_id, "int"),
          ...(formatVersion === 3 ? [optional("first_row_id", DF.first_row_id, "long")] : []),
          optional("referenced_data_file", DF.referenced_data_file, "string"),
          ...(formatVersion === 3
            ? [
                optional("content_offset", DF.content_offset, "long"),
                optional("content_size_in_bytes", DF.content_size_in_bytes, "long"),
              ]
            : []),
        ];
  return { type: "record", name: "r2", fields };
}

/** The `manifest_entry` record: the schema of a manifest file's rows. */
export function manifestEntrySchema(
  partitionType: PartitionType,
  formatVersion: ManifestFormatVersion,
): AvroRecordSchema {
  const E = MANIFEST_ENTRY_IDS;
  const dataFile = required("data_file", E.data_file, dataFileSchema(partitionType, formatVersion));
  // The spec's v1 table marks snapshot_id required, yet says "inherited when null"; Java writes it
  // optional in v1 too, and so do we, so v1 files from either read the same.
  const fields =
    formatVersion === 1
      ? [required("status", E.status, "int"), optional("snapshot_id", E.snapshot_id, "long"), dataFile]
      : [
          required("status", E.status, "int"),
          optional("snapshot_id", E.snapshot_id, "long"),
          optional("sequence_number", E.sequence_number, "long"),
          optional("file_sequence_number", E.file_sequence_number, "long"),
          dataFile,
        ];
  return { type: "record", name: "manifest_entry", fields };
}

/** The `field_summary` record `r508` (element of manifest_file.partitions). */
export function fieldSummarySchema(): AvroRecordSchema {
  return {
    type: "record",
    name: "r508",
    fields: [
      required("contains_null", FIELD_SUMMARY_IDS.contains_null, "boolean"),
      optional("contains_nan", FIELD_SUMMARY_IDS.contains_nan, "boolean"),
      optional("lower_bound", FIELD_SUMMARY_IDS.lower_bound, "bytes"),
      optional("upper_bound", FIELD_SUMMARY_IDS.upper_bound, "bytes"),
    ],
  };
}

/** The `manifest_file` record: the schema of a manifest list's rows. */
export function manifestFileSchema(formatVersion: ManifestFormatVersion): AvroRecordSchema {
  const M = MANIFEST_FILE_IDS;
  const head = [
    required("manifest_path", M.manifest_path, "string"),
    required("manifest_length", M.manifest_length, "long"),
    required("partition_spec_id", M.partition_spec_id, "int"),
  ];
  const partitions = optional(
    "partitions",
    M.partitions,
    list(MANIFEST_FILE_PARTITIONS_ELEMENT_ID, fieldSummarySchema()),
  );
  const keyMetadata = optional("key_metadata", M.key_metadata, "bytes");
  const fields =
    formatVersion === 1
      ? [
          ...head,
          required("added_snapshot_id", M.added_snapshot_id, "long"),
          optional("added_files_count", M.added_files_count, "int"),
          optional("existing_files_count", M.existing_files_count, "int"),
          optional("deleted_files_count", M.deleted_files_count, "int"),
          partitions,
          optional("added_rows_count", M.added_rows_count, "long"),
          optional("existing_rows_count", M.existing_rows_count, "long"),
          optional("deleted_rows_count", M.deleted_rows_count, "long"),
          keyMetadata,
        ]
      : [
          ...head,
          required("content", M.content, "int"),
          required("sequence_number", M.sequence_number, "long"),
          required("min_sequence_number", M.min_sequence_number, "long"),
          required("added_snapshot_id", M.added_snapshot_id, "long"),
          required("added_files_count", M.added_files_count, "int"),
          required("existing_files_count", M.existing_files_count, "int"),
          required("deleted_files_count", M.deleted_files_count, "int"),
          required("added_rows_count", M.added_rows_count, "long"),
          required("existing_rows_count", M.existing_rows_count, "long"),
          required("deleted_rows_count", M.deleted_rows_count, "long"),
          partitions,
          keyMetadata,
          ...(formatVersion === 3 ? [optional("first_row_id", M.first_row_id, "long")] : []),
        ];
  return { type: "record", name: "manifest_file", fields };
}
