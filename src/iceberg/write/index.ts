// Arrow record batches -> Parquet data files with field ids and Iceberg metrics; rolling and
// partitioned writers; location provider. May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io.

export {};
