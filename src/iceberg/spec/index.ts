// Iceberg spec model: PURE data and functions (types, schema, partition transforms, sort orders,
// snapshots, table metadata, manifest structs, table updates, int64-safe JSON). No IO.
// May import: errors, log.

export {};
