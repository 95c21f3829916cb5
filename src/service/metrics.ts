/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Label values are escaped; nothing here ever holds secrets.
 */
type Labels = Readonly<Record<string, string>>;

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
    )
    .join(",");

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {}
  abstract lines(): string[];
}

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  /** The sum over every label set. */
  total(): number {
    let n = 0;
    for (const v of this.values.values()) n += v;
    return n;
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ""} ${v}`);
  }
}

export class Gauge extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels, value: number): void {
    this.values.set(key(labels), value);
  }
  get(labels: Labels = {}): number | undefined {
    return this.values.get(key(labels));
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k ? `{${k}}` : ""} ${v}`);
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ) {
    super(name, help, "histogram");
  }
  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (s === undefined) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (const [i, b] of this.buckets.entries()) {
      if (value <= b) s.counts[i] = (s.counts[i] ?? 0) + 1;
    }
    s.sum += value;
    s.count++;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      const sep = k ? `,${k}` : "";
      for (const [i, b] of this.buckets.entries())
        out.push(`${this.name}_bucket{le="${b}"${sep}} ${s.counts[i] ?? 0}`);
      out.push(`${this.name}_bucket{le="+Inf"${sep}} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  private add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics
      .map((m) => [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()].join("\n"))
      .join("\n")}\n`;
  }
}

/** The sink's metrics, by the names the README documents. */
export function sinkMetrics(registry = new Registry()) {
  return {
    registry,
    recordsIn: registry.counter("floe_records_in_total", "Records consumed from Kafka"),
    bytesIn: registry.counter("floe_bytes_in_total", "Record value bytes consumed from Kafka"),
    recordsCommitted: registry.counter("floe_records_committed_total", "Records committed to Iceberg tables"),
    commits: registry.counter("floe_commits_total", "Table commits by outcome"),
    commitSeconds: registry.histogram(
      "floe_commit_duration_seconds",
      "Time to write files and commit one table",
    ),
    filesWritten: registry.counter("floe_files_written_total", "Data files written"),
    dlq: registry.counter("floe_dead_letters_total", "Records sent to the dead-letter topic, by reason"),
    skipped: registry.counter(
      "floe_records_skipped_total",
      "Records dropped by onError: skip, tombstones and empty values, by reason",
    ),
    upsertDeletedRows: registry.counter(
      "floe_upsert_deleted_rows_total",
      "Rows of upsert tables replaced or deleted (position deletes written)",
    ),
    upsertCrossPartitionKeys: registry.counter(
      "floe_upsert_cross_partition_keys_total",
      "Upsert keys seen on two Kafka partitions within one flush (a key should live in one partition)",
    ),
    lag: registry.gauge("floe_consumer_lag", "Latest offset minus next offset to read, per partition"),
    freshness: registry.gauge(
      "floe_freshness_seconds",
      "Now minus the newest committed record's Kafka timestamp",
    ),
    bufferBytes: registry.gauge("floe_buffer_bytes", "Decoded bytes buffered and not yet committed"),
    paused: registry.gauge("floe_consumer_paused", "1 while consumption is paused for backpressure"),
  };
}

export type SinkMetrics = ReturnType<typeof sinkMetrics>;
