/**
 * Kafka metadata columns added to every row of a route (unless `metadataColumns: false`):
 * `_kafka_topic`, `_kafka_partition`, `_kafka_offset`, `_kafka_timestamp` (timestamptz),
 * `_kafka_key` (string, UTF-8 with replacement) and `_kafka_headers` (map<string, string>).
 */
import type { StructType } from "../iceberg/spec/index.js";

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

export function metadataValues(meta: KafkaMeta): Record<string, unknown> {
  return {
    _kafka_topic: meta.topic,
    _kafka_partition: meta.partition,
    _kafka_offset: meta.offset,
    _kafka_timestamp: meta.timestampMs * 1000n,
    _kafka_key: meta.key === null ? null : lossyUtf8.decode(meta.key),
    _kafka_headers: new Map(meta.headers.map(([k, v]) => [k, v === null ? null : lossyUtf8.decode(v)])),
  };
}
