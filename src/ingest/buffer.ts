/**
 * Per-table buffers of decoded records waiting for the next commit, with the offset range each covers
 * per topic partition (including records of the route that did not become rows, such as dead letters)
 * and a size estimate for backpressure.
 */

import type { TableIdentifier } from "../catalog/index.js";
import type { StructType } from "../iceberg/spec/index.js";
import type { KafkaMeta } from "./metadata-columns.js";
import type { Route } from "./route.js";

export interface BufferedRecord {
  row: Record<string, unknown>;
  schema: StructType;
  meta: KafkaMeta;
  value: Uint8Array | null;
  bytes: number;
}

export interface PartitionRange {
  first: bigint;
  next: bigint;
}

export class TableBuffer {
  readonly records: BufferedRecord[] = [];
  /** `topic\u0000partition` -> offsets seen. */
  readonly ranges = new Map<string, PartitionRange>();
  bytes = 0;
  newestTimestampMs = 0n;

  constructor(
    readonly table: TableIdentifier,
    readonly route: Route,
  ) {}

  add(rec: BufferedRecord): void {
    this.records.push(rec);
    this.bytes += rec.bytes;
    this.cover(rec.meta.topic, rec.meta.partition, rec.meta.offset);
    if (rec.meta.timestampMs > this.newestTimestampMs) this.newestTimestampMs = rec.meta.timestampMs;
  }

  /** Marks an offset as handled for this table without a row (e.g. a dead letter). */
  cover(topic: string, partition: number, offset: bigint): void {
    const k = `${topic}\u0000${partition}`;
    const r = this.ranges.get(k);
    if (r === undefined) this.ranges.set(k, { first: offset, next: offset + 1n });
    else {
      if (offset < r.first) r.first = offset;
      if (offset + 1n > r.next) r.next = offset + 1n;
    }
  }

  /** Drops everything from partitions this consumer no longer owns. */
  dropPartitions(keep: (topic: string, partition: number) => boolean): void {
    // In place: spreading a large array into push() overflows the call stack (~120k records).
    let w = 0;
    let bytes = 0;
    for (const r of this.records) {
      if (!keep(r.meta.topic, r.meta.partition)) continue;
      this.records[w++] = r;
      bytes += r.bytes;
    }
    this.records.length = w;
    this.bytes = bytes;
    for (const k of [...this.ranges.keys()]) {
      const [topic, p] = k.split("\u0000");
      if (!keep(topic ?? "", Number(p))) this.ranges.delete(k);
    }
  }

  get empty(): boolean {
    return this.ranges.size === 0;
  }
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
export const splitTp = (key: string): [string, number] => {
  const [t, p] = key.split("\u0000");
  return [t ?? "", Number(p)];
};
