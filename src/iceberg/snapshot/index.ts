// Snapshot producers: fast append, overwrite/replace, row delta, expire.
// May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io, iceberg/write.

export {};
