/**
 * Iceberg table metadata -> Glue TableInput, following the conventions Iceberg Java
 * (IcebergToGlueConverter, GlueTableOperations) and PyIceberg share, so Athena, EMR, Spark and PyIceberg
 * see the same Glue table whoever wrote it:
 *
 * - TableType "EXTERNAL_TABLE"; Parameters keep whatever the Glue table already had plus
 *   `table_type` = "ICEBERG" (read case-insensitively), `metadata_location` and, on updates,
 *   `previous_metadata_location`.
 * - StorageDescriptor.Location = the table location; Columns = the current schema's fields
 *   (`iceberg.field.current` "true") followed by fields that only older schemas have ("false"),
 *   deduplicated by name, each with a Hive type string, the field doc as Comment, and the field id
 *   and optionality as parameters.
 *
 * The columns are informational: the metadata file is the source of truth for every reader.
 */
import type { Column, Table as GlueTable, TableInput } from "@aws-sdk/client-glue";
import {
  COMMENT,
  decimalParams,
  type IcebergType,
  isListType,
  isMapType,
  isStructType,
  type NestedField,
  primitiveKind,
  type TableMetadata,
} from "../../iceberg/spec/index.js";

export const TABLE_TYPE = "table_type";
export const ICEBERG_TABLE_TYPE = "ICEBERG";
export const METADATA_LOCATION = "metadata_location";
export const PREVIOUS_METADATA_LOCATION = "previous_metadata_location";
export const EXTERNAL_TABLE = "EXTERNAL_TABLE";
export const ICEBERG_FIELD_ID = "iceberg.field.id";
export const ICEBERG_FIELD_OPTIONAL = "iceberg.field.optional";
export const ICEBERG_FIELD_CURRENT = "iceberg.field.current";
/** The table property Java copies to the Glue table's Description. */
export const COMMENT_PROPERTY = COMMENT;

/**
 * The Hive type string Glue shows for an Iceberg type: long -> bigint, time/uuid -> string,
 * fixed -> binary, every timestamp -> timestamp, decimal(p,s) without a space, and nested types as
 * struct<name:type,...>, array<type>, map<key,value>.
 */
export function hiveTypeString(type: IcebergType): string {
  if (isStructType(type)) {
    return `struct<${type.fields.map((f) => `${f.name}:${hiveTypeString(f.type)}`).join(",")}>`;
  }
  if (isListType(type)) return `array<${hiveTypeString(type.element)}>`;
  if (isMapType(type)) return `map<${hiveTypeString(type.key)},${hiveTypeString(type.value)}>`;
  switch (primitiveKind(type)) {
    case "long":
      return "bigint";
    case "time":
    case "string":
    case "uuid":
      return "string";
    case "timestamp":
    case "timestamptz":
    case "timestamp_ns":
    case "timestamptz_ns":
      return "timestamp";
    case "fixed":
    case "binary":
      return "binary";
    case "decimal": {
      const p = decimalParams(type);
      return `decimal(${p?.precision},${p?.scale})`;
    }
    case "unknown":
      return "void";
    default:
      // boolean, int, float, double, date, variant: the Iceberg name is the Hive name.
      return type;
  }
}

function column(field: NestedField, current: boolean): Column {
  return {
    Name: field.name,
    Type: hiveTypeString(field.type),
    ...(field.doc ? { Comment: field.doc } : {}),
    Parameters: {
      [ICEBERG_FIELD_ID]: String(field.id),
      [ICEBERG_FIELD_OPTIONAL]: String(!field.required),
      [ICEBERG_FIELD_CURRENT]: String(current),
    },
  };
}

/** Glue columns: the current schema's top-level fields, then those only older schemas have. */
export function glueColumns(metadata: TableMetadata): Column[] {
  const out: Column[] = [];
  const seen = new Set<string>();
  const add = (fields: readonly NestedField[], current: boolean) => {
    for (const f of fields) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      out.push(column(f, current));
    }
  };
  const currentId = metadata["current-schema-id"];
  add(metadata.schemas.find((s) => s["schema-id"] === currentId)?.fields ?? [], true);
  for (const s of metadata.schemas) if (s["schema-id"] !== currentId) add(s.fields, false);
  return out;
}

export interface TableInputOptions {
  name: string;
  metadata: TableMetadata;
  metadataLocation: string;
  /** The metadata file this commit replaces (absent for a create). */
  previousMetadataLocation?: string;
  /** The Glue table being replaced: its parameters and description are kept. */
  existing?: GlueTable;
}

/** The TableInput for CreateTable (no `existing`) or UpdateTable. */
export function buildTableInput(options: TableInputOptions): TableInput {
  const { metadata, existing } = options;
  const parameters: Record<string, string> = {
    ...(existing?.Parameters ?? {}),
    [TABLE_TYPE]: ICEBERG_TABLE_TYPE,
    [METADATA_LOCATION]: options.metadataLocation,
  };
  if (options.previousMetadataLocation !== undefined) {
    parameters[PREVIOUS_METADATA_LOCATION] = options.previousMetadataLocation;
  } else {
    delete parameters[PREVIOUS_METADATA_LOCATION];
  }
  const description = metadata.properties[COMMENT_PROPERTY] ?? existing?.Description;
  return {
    Name: options.name,
    TableType: EXTERNAL_TABLE,
    ...(description === undefined ? {} : { Description: description }),
    Parameters: parameters,
    StorageDescriptor: { Location: metadata.location, Columns: glueColumns(metadata) },
  };
}

/** Whether a Glue table is an Iceberg table (`table_type` = iceberg, any case). */
export function isIcebergTable(table: GlueTable | undefined): boolean {
  return table?.Parameters?.[TABLE_TYPE]?.toLowerCase() === "iceberg";
}

/** The `metadata_location` parameter of a Glue table, if any. */
export function metadataLocationOf(table: GlueTable | undefined): string | undefined {
  const v = table?.Parameters?.[METADATA_LOCATION];
  return v === undefined || v === "" ? undefined : v;
}
