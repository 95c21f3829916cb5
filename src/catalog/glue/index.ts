// AWS Glue catalog: Glue databases as namespaces, Iceberg tables as Glue tables whose
// metadata_location points at the current metadata file; commits swap it with UpdateTable(VersionId).
// May import: errors, log, iceberg/*, catalog/{catalog,metadata-files}.

export { classifyGlueError, type GlueErrorScope, type GlueFailureReason, sdkAttempts } from "./errors.js";
export { GlueCatalog, type GlueCatalogOptions, type GlueCredentials } from "./glue-catalog.js";
export {
  buildTableInput,
  glueColumns,
  hiveTypeString,
  ICEBERG_FIELD_CURRENT,
  ICEBERG_FIELD_ID,
  ICEBERG_FIELD_OPTIONAL,
  isIcebergTable,
  METADATA_LOCATION,
  metadataLocationOf,
  PREVIOUS_METADATA_LOCATION,
  TABLE_TYPE,
  type TableInputOptions,
} from "./table-input.js";
