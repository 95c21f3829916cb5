/**
 * A record's Kafka coordinates and envelope (topic, partition, offset, timestamp, key, headers), and
 * bytes made into a Utf8 column with invalid UTF-8 replaced: shared by the buffer, the metadata
 * columns and dead letters, with no imports of their own.
 */
import { isUtf8 } from "node:buffer";
import type { Utf8Column } from "../iceberg/write/index.js";

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

/** Byte strings as one Utf8 column; invalid UTF-8 is decoded with replacement characters. */
export function lossyUtf8Column(n: number, bytesAt: (i: number) => Uint8Array | null): Utf8Column {
  const offsets = new Int32Array(n + 1);
  const nulls = new Uint8Array(n);
  const fixed = new Map<number, Uint8Array>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    let b = bytesAt(i);
    if (b === null) nulls[i] = 1;
    else {
      if (!isUtf8(b)) {
        b = Buffer.from(lossyUtf8.decode(b));
        fixed.set(i, b);
      }
      total += b.length;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const b = fixed.get(i) ?? bytesAt(i);
    if (b !== null) data.set(b, offsets[i] ?? 0);
  }
  return { kind: "utf8", offsets, data, nulls };
}
