/**
 * Kafka metadata columns added to every row of a route (unless `metadataColumns: false`):
 * `_kafka_topic`, `_kafka_partition`, `_kafka_offset`, `_kafka_timestamp` (timestamptz),
 * `_kafka_key` (string, UTF-8 with replacement) and `_kafka_headers` (map<string, string>).
 */
import type { StructType } from "../iceberg/spec/index.js";
import type { TableBuffer } from "./buffer.js";

export interface KafkaMeta {
  topic: string;
  partition: number;
  offset: bigint;
  /** Record timestamp in epoch milliseconds. */
  timestampMs: bigint;
  key: Uint8Array | null;
  headers: readonly [string, Uint8Array | null][];
}

const lossyUtf8 = new TextDecoder("utf-8");

/** The record schema fragment for the metadata columns (local ids; the table assigns real ones). */
export function metadataStruct(startId: number): StructType {
  let id = startId;
  return {
    type: "struct",
    fields: [
      { id: id++, name: "_kafka_topic", required: false, type: "string" },
      { id: id++, name: "_kafka_partition", required: false, type: "int" },
      { id: id++, name: "_kafka_offset", required: false, type: "long" },
      { id: id++, name: "_kafka_timestamp", required: false, type: "timestamptz" },
      { id: id++, name: "_kafka_key", required: false, type: "string" },
      {
        id: id++,
        name: "_kafka_headers",
        required: false,
        type: {
          type: "map",
          "key-id": id++,
          key: "string",
          "value-id": id++,
          value: "string",
          "value-required": false,
        },
      },
    ],
  };
}

const NO_HEADERS = new Map<string, string | null>();

/** The metadata columns' values of every buffered row, by column name. */
export function metadataColumns(buf: TableBuffer): Map<string, unknown[]> {
  const n = buf.length;
  const keys: (string | null)[] = new Array(n);
  const headers: Map<string, string | null>[] = new Array(n);
  const timestamps: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const key = buf.keyAt(i);
    keys[i] = key === null ? null : lossyUtf8.decode(key);
    const h = buf.headers[i] ?? [];
    headers[i] =
      h.length === 0 ? NO_HEADERS : new Map(h.map(([k, v]) => [k, v === null ? null : lossyUtf8.decode(v)]));
    // Micros since the epoch stay exact as numbers until the year 2255.
    timestamps[i] = (buf.timestampsMs[i] ?? 0) * 1000;
  }
  return new Map<string, unknown[]>([
    ["_kafka_topic", buf.topics.slice(0, n)],
    ["_kafka_partition", buf.partitions.slice(0, n)],
    ["_kafka_offset", buf.offsets.slice(0, n)],
    ["_kafka_timestamp", timestamps],
    ["_kafka_key", keys],
    ["_kafka_headers", headers],
  ]);
}
