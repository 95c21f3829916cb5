// Compaction and maintenance: planner, bin-pack, rewriter, expire, orphans, scheduler.
// May import: errors, log, config, iceberg/*, catalog. Never ingest.

export {};
