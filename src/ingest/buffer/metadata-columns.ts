/**
 * Kafka metadata columns added to every row of a route (unless `metadataColumns: false`):
 * `_kafka_topic`, `_kafka_partition`, `_kafka_offset`, `_kafka_timestamp` (timestamptz),
 * `_kafka_key` (string, UTF-8 with replacement) and `_kafka_headers` (map<string, string>).
 */
import type { StructType } from "../../iceberg/spec/index.js";
import type {
  ColumnInput,
  ColumnSource,
  MapColumn,
  Utf8Column,
  WriteField,
} from "../../iceberg/write/index.js";
import { type KafkaMeta, lossyUtf8Column } from "../kafka-meta.js";
import type { TableBuffer } from "./buffer.js";
import { int64Of } from "./growable.js";

export { type KafkaMeta, lossyUtf8Column };

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

/**
 * A metadata column: its values in Arrow's layout (built once, at commit), and row values for the
 * partitioner, or for a table whose column has another type than ours (then the writer converts).
 */
class MetadataColumn implements ColumnSource {
  constructor(
    readonly length: number,
    private readonly kind: WriteField["type"]["kind"],
    private readonly columnar: () => ColumnInput,
    readonly get: (i: number) => unknown,
  ) {}

  input(field: WriteField, n: number): ColumnInput {
    if (field.type.kind === this.kind && n === this.length) return this.columnar();
    return Array.from({ length: n }, (_, i) => (i < this.length ? this.get(i) : null));
  }
}

/** The topic of every row: usually one name repeated, written by filling with its bytes. */
function topicColumn(buf: TableBuffer, n: number): Utf8Column {
  const names = buf.topicNames.map((t) => Buffer.from(t));
  const only = names.length === 1 ? names[0] : undefined;
  if (only !== undefined) {
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = i * only.length;
    const data = n * only.length === 0 ? new Uint8Array(0) : Buffer.alloc(n * only.length, only);
    return { kind: "utf8", offsets, data };
  }
  return lossyUtf8Column(n, (i) => names[buf.topicIndex.at(i)] ?? null);
}

/** `_kafka_headers`: a map per row (empty when the record has no headers). */
function headersColumn(buf: TableBuffer, n: number): MapColumn {
  const offsets = new Int32Array(n + 1);
  const keys: string[] = [];
  const values: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    for (const [k, v] of buf.headers.get(i) ?? []) {
      keys.push(k);
      values.push(v === null ? null : lossyUtf8.decode(v));
    }
    offsets[i + 1] = keys.length;
  }
  return { kind: "map", offsets, keys, values };
}

function headersAt(buf: TableBuffer, i: number): Map<string, string | null> {
  const h = buf.headers.get(i);
  if (h === undefined) return NO_HEADERS;
  return new Map(h.map(([k, v]) => [k, v === null ? null : lossyUtf8.decode(v)]));
}

/** The metadata columns of every buffered row, by column name. */
export function metadataColumns(buf: TableBuffer): Map<string, ColumnSource> {
  const n = buf.length;
  const keyAt = (i: number) => {
    const k = buf.keyAt(i);
    return k === null ? null : lossyUtf8.decode(k);
  };
  return new Map<string, ColumnSource>([
    [
      "_kafka_topic",
      new MetadataColumn(
        n,
        "string",
        () => topicColumn(buf, n),
        (i) => buf.topicAt(i),
      ),
    ],
    [
      "_kafka_partition",
      new MetadataColumn(
        n,
        "int",
        () => buf.partitions.view().subarray(0, n),
        (i) => buf.partitions.at(i),
      ),
    ],
    [
      "_kafka_offset",
      new MetadataColumn(
        n,
        "long",
        () => int64Of(buf.offsets.view().subarray(0, n)),
        (i) => BigInt(buf.offsets.at(i)),
      ),
    ],
    [
      "_kafka_timestamp",
      // Micros since the epoch stay exact as numbers until the year 2255.
      new MetadataColumn(
        n,
        "timestamptz",
        () => int64Of(buf.timestampsMs.view().subarray(0, n), 1000),
        (i) => BigInt(buf.timestampsMs.at(i) * 1000),
      ),
    ],
    ["_kafka_key", new MetadataColumn(n, "string", () => buf.keyColumn(n), keyAt)],
    [
      "_kafka_headers",
      new MetadataColumn(
        n,
        "map",
        () => headersColumn(buf, n),
        (i) => headersAt(buf, i),
      ),
    ],
  ]);
}
