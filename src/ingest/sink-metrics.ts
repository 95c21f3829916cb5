/** What the sink reports to; the service's Prometheus registry (src/service/metrics.ts) provides it. */
type Labels = Readonly<Record<string, string>>;

export interface CounterLike {
  inc(labels?: Labels, by?: number): void;
}
export interface GaugeLike {
  set(labels: Labels, value: number): void;
}
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}

export interface SinkMetricsLike {
  recordsIn: CounterLike;
  bytesIn: CounterLike;
  recordsCommitted: CounterLike;
  commits: CounterLike;
  commitSeconds: HistogramLike;
  filesWritten: CounterLike;
  dlq: CounterLike;
  skipped: CounterLike;
  upsertDeletedRows: CounterLike;
  upsertCrossPartitionKeys: CounterLike;
  lag: GaugeLike;
  freshness: GaugeLike;
  bufferBytes: GaugeLike;
  paused: GaugeLike;
}
