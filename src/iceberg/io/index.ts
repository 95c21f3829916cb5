// FileIO port {read, write(ifNoneMatch), delete, list} and its local, S3 and in-memory implementations.
// May import: errors, log, iceberg/spec.

export {};
