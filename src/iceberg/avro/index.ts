// Avro encoding of Iceberg manifests and manifest lists, with field ids.
// May import: errors, log, iceberg/spec.

export {};
