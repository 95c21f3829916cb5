/**
 * The Avro schemas of Iceberg manifests (`manifest_entry`) and manifest lists (`manifest_file`), as
 * raw JSON objects carrying `field-id` on every field and `element-id` on lists. Maps with int keys
 * are Avro arrays of `{key, value}` records (names like `k117_v118`) marked `"logicalType": "map"`,
 * the ids sitting on the key and value fields. Record names follow the Java writer: `manifest_entry`,
 * `r2` (data_file), `r102` (partition), `manifest_file`, `r508` (field_summary).
 *
 * Field ids and shapes are the Iceberg table spec's ("Manifests", "Manifest Lists").
 */

import { FloeError } from "../../errors.js";
import {
  decimalParams,
  decimalRequiredBytes,
  fixedLength,
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
 * back to the first definition by name (which PyIceberg 0.10 cannot resolve), later uses here get a
 * definition of their own with a suffixed name (`decimal_10_2_1`), which Java and PyIceberg both read.
 * `definedNames` tracks the names used so far in one schema.
 */
export function partitionValueAvroType(type: string, definedNames: Set<string> = new Set()): AvroSchema {
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
      throw new FloeError("INVALID_ARGUMENT", `${type} cannot be a partition value type`);
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
        f.fieldId,
        partitionValueAvroType(f.type, definedNames),
      );
      if (!isValidAvroName(f.name)) field["iceberg-field-name"] = f.name;
      return field;
    }),
  };
}

function metricsFields(): AvroField[] {
  return [
    optional("column_sizes", 108, intKeyMap(117, 118, "long")),
    optional("value_counts", 109, intKeyMap(119, 120, "long")),
    optional("null_value_counts", 110, intKeyMap(121, 122, "long")),
    optional("nan_value_counts", 137, intKeyMap(138, 139, "long")),
    optional("lower_bounds", 125, intKeyMap(126, 127, "bytes")),
    optional("upper_bounds", 128, intKeyMap(129, 130, "bytes")),
    optional("key_metadata", 131, "bytes"),
    optional("split_offsets", 132, list(133, "long")),
  ];
}

/** The `data_file` record `r2` for format version 1 or 2. */
export function dataFileSchema(partitionType: PartitionType, formatVersion: 1 | 2): AvroRecordSchema {
  const head: AvroField[] = [
    required("file_path", 100, "string"),
    required("file_format", 101, "string"),
    required("partition", 102, partitionRecordSchema(partitionType)),
    required("record_count", 103, "long"),
    required("file_size_in_bytes", 104, "long"),
  ];
  const fields =
    formatVersion === 1
      ? [
          ...head,
          required("block_size_in_bytes", 105, "long"),
          ...metricsFields(),
          optional("sort_order_id", 140, "int"),
        ]
      : [
          required("content", 134, "int"),
          ...head,
          ...metricsFields(),
          optional("equality_ids", 135, list(136, "int")),
          optional("sort_order_id", 140, "int"),
          optional("referenced_data_file", 143, "string"),
        ];
  return { type: "record", name: "r2", fields };
}

/** The `manifest_entry` record: the schema of a manifest file's rows. */
export function manifestEntrySchema(partitionType: PartitionType, formatVersion: 1 | 2): AvroRecordSchema {
  const dataFile = required("data_file", 2, dataFileSchema(partitionType, formatVersion));
  // The spec's v1 table marks snapshot_id required, yet says "inherited when null"; Java writes it
  // optional in v1 too, and so do we, so v1 files from either read the same.
  const fields =
    formatVersion === 1
      ? [required("status", 0, "int"), optional("snapshot_id", 1, "long"), dataFile]
      : [
          required("status", 0, "int"),
          optional("snapshot_id", 1, "long"),
          optional("sequence_number", 3, "long"),
          optional("file_sequence_number", 4, "long"),
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
      required("contains_null", 509, "boolean"),
      optional("contains_nan", 518, "boolean"),
      optional("lower_bound", 510, "bytes"),
      optional("upper_bound", 511, "bytes"),
    ],
  };
}

/** The `manifest_file` record: the schema of a manifest list's rows. */
export function manifestFileSchema(formatVersion: 1 | 2): AvroRecordSchema {
  const head = [
    required("manifest_path", 500, "string"),
    required("manifest_length", 501, "long"),
    required("partition_spec_id", 502, "int"),
  ];
  const partitions = optional("partitions", 507, list(508, fieldSummarySchema()));
  const keyMetadata = optional("key_metadata", 519, "bytes");
  const fields =
    formatVersion === 1
      ? [
          ...head,
          required("added_snapshot_id", 503, "long"),
          optional("added_files_count", 504, "int"),
          optional("existing_files_count", 505, "int"),
          optional("deleted_files_count", 506, "int"),
          partitions,
          optional("added_rows_count", 512, "long"),
          optional("existing_rows_count", 513, "long"),
          optional("deleted_rows_count", 514, "long"),
          keyMetadata,
        ]
      : [
          ...head,
          required("content", 517, "int"),
          required("sequence_number", 515, "long"),
          required("min_sequence_number", 516, "long"),
          required("added_snapshot_id", 503, "long"),
          required("added_files_count", 504, "int"),
          required("existing_files_count", 505, "int"),
          required("deleted_files_count", 506, "int"),
          required("added_rows_count", 512, "long"),
          required("existing_rows_count", 513, "long"),
          required("deleted_rows_count", 514, "long"),
          partitions,
          keyMetadata,
        ];
  return { type: "record", name: "manifest_file", fields };
}
