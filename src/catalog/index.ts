// Catalog port and its implementations (REST client, Glue, embedded) plus the REST server.
// May import: errors, log, iceberg/*. Never ingest, compaction, service.

export {};
