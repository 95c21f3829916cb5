// The long-running service shell: HTTP health/metrics, signals, graceful shutdown.
// May import everything below it.

export { createKafka, createKafkaClient } from "../ingest/index.js";
export type { HealthSource } from "./http.js";
export { startHttpServer } from "./http.js";
export type { SinkMetrics } from "./metrics.js";
export { Counter, Gauge, Histogram, Registry, sinkMetrics } from "./metrics.js";
export type { RunOptions, ServeOptions } from "./run.js";
export { runSink, serveCatalog } from "./run.js";
export { createCatalog, createFileIO, warehouseLocation } from "./wiring.js";
