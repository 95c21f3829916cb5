/**
 * The sink's buffers: one TableBuffer per table being filled, the bytes they hold, and the bytes of the
 * batch a flush took and is still writing (both count against `buffer.maxBytes`). A flush takes every
 * non-empty buffer as a TableBatch and the sink starts new ones.
 */
import { formatIdentifier } from "../catalog/index.js";
import type { Schema } from "../iceberg/spec/index.js";
import { type TableBatch, TableBuffer, tableBatch, tpKey } from "./buffer/index.js";
import type { Route } from "./route.js";

const NO_ROW: Record<string, unknown> = Object.freeze({});

export class SinkBuffers {
  #buffers = new Map<string, TableBuffer>();
  /** Topic -> its table's buffer, for routes whose table does not depend on the record. */
  #topicBuffers = new Map<string, TableBuffer>();
  /** Each table's schema as the sink last committed it (buffers need no dead-letter bytes for fits). */
  readonly tableSchemas = new Map<string, Schema>();
  /** Bytes the buffers hold. */
  buffered = 0;
  /** Bytes of the batch a flush is writing, released when it is written. */
  flushing = 0;

  /** Whether any buffer holds records or covers offsets. */
  get any(): boolean {
    return this.buffered > 0 || [...this.#buffers.values()].some((b) => !b.empty);
  }

  get total(): number {
    return this.buffered + this.flushing;
  }

  /** Whether a buffer reached a size limit. */
  reached(maxRecords: number, maxBytes: number): boolean {
    for (const buf of this.#buffers.values())
      if (buf.length >= maxRecords || buf.bytes >= maxBytes) return true;
    return false;
  }

  /** The buffer of the table a record goes to (cached per topic unless the table comes from a field). */
  bufferFor(route: Route, topic: string, row: Record<string, unknown>): TableBuffer {
    const fromField = route.config.tableField !== undefined;
    if (!fromField) {
      const cached = this.#topicBuffers.get(topic);
      if (cached !== undefined) return cached;
    }
    const buf = this.tableBuffer(route, route.tableFor(topic, row));
    if (!fromField) this.#topicBuffers.set(topic, buf);
    return buf;
  }

  /** bufferFor a decoded record, whose row is read only when the table comes from one of its fields. */
  bufferForRecord(
    route: Route,
    topic: string,
    decoded: { readonly row: Record<string, unknown> },
  ): TableBuffer {
    return this.bufferFor(route, topic, route.config.tableField === undefined ? NO_ROW : decoded.row);
  }

  tableBuffer(route: Route, table: { namespace: readonly string[]; name: string }): TableBuffer {
    const key = formatIdentifier(table);
    let buf = this.#buffers.get(key);
    if (buf === undefined) {
      buf = new TableBuffer(table, route, this.tableSchemas.get(key));
      this.#buffers.set(key, buf);
    }
    return buf;
  }

  /** Removes buffered (not yet flushing) records of the partitions `drop` selects. */
  drop(drop: (k: string) => boolean): void {
    let bytes = 0;
    for (const buf of this.#buffers.values()) {
      buf.dropPartitions((t, p) => !drop(tpKey(t, p)));
      bytes += buf.bytes;
    }
    this.buffered = bytes;
  }

  /** Hands every non-empty buffer to a flush; new records go to new buffers. */
  take(): TableBatch[] {
    const batches = [...this.#buffers.values()].filter((b) => !b.empty).map(tableBatch);
    this.#buffers = new Map();
    this.#topicBuffers = new Map();
    this.flushing = this.buffered;
    this.buffered = 0;
    return batches;
  }

  /** The flush wrote what it took. */
  released(): void {
    this.flushing = 0;
  }
}
