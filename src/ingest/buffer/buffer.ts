/**
 * Per-table buffers of decoded records waiting for the next commit, kept as columns: one builder per
 * top-level field name (see columns.ts), the record schema of every row, the Kafka metadata in typed
 * arrays and the original value and key bytes in byte arenas. No object per record survives the
 * record's decoding, which keeps garbage collection cheap while a large batch builds up. The buffer also
 * tracks the offset range it covers per topic partition (including records of the route that did not
 * become rows, such as dead letters) and its size, for backpressure and the commit triggers.
 */

import type { IcebergType, NestedField, Schema, StructType } from "../../iceberg/spec/index.js";
import type { Utf8Column } from "../../iceberg/write/index.js";
import type { KafkaMeta } from "../kafka-meta.js";
import type { Route } from "../route.js";
import { fitsDirectly } from "../schema/index.js";
import { ByteArena } from "./byte-arena.js";
import { kindOf } from "./column-kind.js";
import { ColumnBuilder } from "./columns.js";
import { Float64s, Int32s } from "./growable.js";

export type Headers = readonly [string, Uint8Array | null][];

/** What the sink knows about a record when it buffers it. */
export interface RecordInput {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: number;
  key: Uint8Array | null;
  /** Null when the record has none. */
  headers: Headers | null;
  value: Uint8Array | null;
}

/** A buffered record rebuilt for its error path (dead letter, skip or fail). */
export interface BufferedRecord {
  row: Record<string, unknown>;
  schema: StructType;
  meta: KafkaMeta;
  value: Uint8Array | null;
}

export interface PartitionRange {
  first: bigint;
  next: bigint;
}

const NO_HEADERS: Headers = [];

/** A record schema's index in a buffer, the builder of each of its fields, and which are 64-bit. */
interface SchemaSlots {
  sid: number;
  builders: ColumnBuilder[];
  int64: boolean[];
}

/** Upsert routes' change kinds per row (TableBuffer.ops). */
export const CHANGE_UPSERT = 0;
export const CHANGE_DELETE = 1;

/**
 * Bytes of per-row bookkeeping: topic, partition, offset, timestamp, schema index and the two arenas'
 * positions. A record's size is this, its columns' bytes (see ColumnBuilder.set), its key, the value
 * bytes if kept, and an estimate for headers.
 */
export const ROW_BYTES = 4 + 4 + 8 + 8 + 4 + 2 * 12;
const HEADER_BYTES = 64;

export class TableBuffer {
  /** Rows buffered. */
  length = 0;
  /** Top-level field name -> its values by row (null where a row's record lacks the field). */
  readonly columns = new Map<string, ColumnBuilder>();
  /** Per row: its record schema, as an index into `schemas` (decoders share schema objects). */
  schemaIndex = new Int32s();
  readonly schemas: StructType[] = [];
  /** Per record schema: its index in `schemas` and the builder of each of its fields, in field order. */
  private readonly schemaSlots = new Map<StructType, SchemaSlots>();
  /** Per row: its topic, as an index into `topicNames`. */
  topicIndex = new Int32s();
  readonly topicNames: string[] = [];
  partitions = new Int32s();
  /** Kafka offsets as numbers (exact below 2^53, which Kafka offsets do not reach). */
  offsets = new Float64s();
  timestampsMs = new Float64s();
  /** Headers of the rows that have any, by row. */
  headers = new Map<number, Headers>();
  /**
   * Upsert routes: per row, CHANGE_UPSERT (the row replaces its key's row) or CHANGE_DELETE (the row holds
   * only the key of a row to delete). Undefined for append routes.
   */
  ops: Int32s | undefined;
  private keys = new ByteArena();
  private values = new ByteArena();
  /** `topic\u0000partition` -> offsets seen. */
  readonly ranges = new Map<string, PartitionRange>();
  bytes = 0;
  private newestMs = 0;
  private lastTopic = "";
  private lastPartition = -1;
  private cachedTopic = "";
  private cachedTopicIndex = -1;
  private lastRange: PartitionRange | undefined;

  /** Per record schema: whether its records can be buffered without their original value. */
  private readonly releasable = new Map<StructType, boolean>();

  /**
   * `tableSchema` is the table's schema as this sink last committed it, if known: records whose schema
   * fits it cannot fail at commit, so their original value is not kept. Only dead letters need it.
   */
  constructor(
    readonly table: { readonly namespace: readonly string[]; readonly name: string },
    readonly route: Route,
    readonly tableSchema?: Schema,
  ) {
    if (route.config.mode === "upsert") this.ops = new Int32s();
  }

  private release(schema: StructType): boolean {
    if (this.route.config.onError !== "dlq") return true;
    let r = this.releasable.get(schema);
    if (r === undefined) {
      r = this.tableSchema !== undefined && fitsDirectly(schema, this.tableSchema);
      this.releasable.set(schema, r);
    }
    return r;
  }

  /**
   * Buffers a decoded record; returns the bytes it takes in the buffer (about its size in Arrow, since
   * the columns are kept in Arrow's layouts). The original value is kept for a dead letter unless the
   * record cannot fail at commit or would not be dead-lettered anyway.
   */
  add(row: Record<string, unknown>, schema: StructType, rec: RecordInput, op = CHANGE_UPSERT): number {
    const i = this.length;
    const { sid, builders } = this.slotsOf(schema);
    const fields = schema.fields;
    let size = 0;
    for (let j = 0; j < fields.length; j++) {
      size += (builders[j] as ColumnBuilder).set(i, row[(fields[j] as NestedField).name]);
    }
    return this.addMeta(schema, sid, rec, op, size);
  }

  /**
   * Buffers a record given as its top-level values in `schema`'s field order, where long and timestamp
   * fields may hold safe integers as numbers (conformJsonValues); otherwise as add.
   */
  addValues(values: readonly unknown[], schema: StructType, rec: RecordInput): number {
    const i = this.length;
    const { sid, builders, int64 } = this.slotsOf(schema);
    let size = 0;
    for (let j = 0; j < builders.length; j++) {
      const b = builders[j] as ColumnBuilder;
      let v = values[j];
      // A 64-bit or double builder stores such a number as it is; anything else keeps a bigint, as add would.
      if (typeof v === "number" && int64[j] === true && !b.int64 && !b.float64) v = BigInt(v);
      size += b.set(i, v);
    }
    return this.addMeta(schema, sid, rec, CHANGE_UPSERT, size);
  }

  /** add or addValues, whichever the decoded record allows. */
  addDecoded(
    decoded: { row: Record<string, unknown>; schema: StructType; values?: readonly unknown[] },
    rec: RecordInput,
  ): number {
    const { values } = decoded;
    return values === undefined
      ? this.add(decoded.row, decoded.schema, rec)
      : this.addValues(values, decoded.schema, rec);
  }

  /** The row's bookkeeping after its columns were set (they took `size` bytes). */
  private addMeta(schema: StructType, sid: number, rec: RecordInput, op: number, size: number): number {
    const i = this.length++;
    const releaseValue = this.release(schema);
    this.ops?.push(op);
    this.schemaIndex.push(sid);
    size += ROW_BYTES + (rec.key?.length ?? 0);
    this.topicIndex.push(this.topicIndexOf(rec.topic));
    this.partitions.push(rec.partition);
    this.offsets.push(Number(rec.offset));
    this.timestampsMs.push(rec.timestampMs);
    if (rec.headers !== null && rec.headers.length > 0) {
      this.headers.set(i, rec.headers);
      for (const [k, v] of rec.headers) size += HEADER_BYTES + k.length * 2 + (v?.length ?? 0);
    }
    this.keys.push(rec.key);
    this.values.push(rec.value, !releaseValue);
    this.cover(rec.topic, rec.partition, rec.offset);
    if (rec.timestampMs > this.newestMs) this.newestMs = rec.timestampMs;
    if (!releaseValue) size += rec.value?.length ?? 0;
    this.bytes += size;
    return size;
  }

  private slotsOf(schema: StructType): SchemaSlots {
    let slots = this.schemaSlots.get(schema);
    if (slots === undefined) {
      let sid = this.schemas.indexOf(schema);
      if (sid < 0) sid = this.schemas.push(schema) - 1;
      const builders = schema.fields.map((f) => {
        let col = this.columns.get(f.name);
        if (col === undefined) {
          col = new ColumnBuilder(f.type);
          this.columns.set(f.name, col);
        }
        return col;
      });
      const int64 = schema.fields.map((f) => typeof f.type === "string" && kindOf(f.type) === "i64");
      slots = { sid, builders, int64 };
      this.schemaSlots.set(schema, slots);
    }
    return slots;
  }

  private topicIndexOf(topic: string): number {
    if (topic === this.cachedTopic && this.cachedTopicIndex >= 0) return this.cachedTopicIndex;
    let t = this.topicNames.indexOf(topic);
    if (t < 0) t = this.topicNames.push(topic) - 1;
    this.cachedTopic = topic;
    this.cachedTopicIndex = t;
    return t;
  }

  /** Row i's topic. */
  topicAt(i: number): string {
    return this.topicNames[this.topicIndex.at(i)] ?? "";
  }

  /** Marks an offset as handled for this table without a row (e.g. a dead letter). */
  cover(topic: string, partition: number, offset: bigint): void {
    let r = topic === this.lastTopic && partition === this.lastPartition ? this.lastRange : undefined;
    if (r === undefined) {
      const k = tpKey(topic, partition);
      r = this.ranges.get(k);
      if (r === undefined) {
        r = { first: offset, next: offset };
        this.ranges.set(k, r);
      }
      this.lastTopic = topic;
      this.lastPartition = partition;
      this.lastRange = r;
    }
    if (offset < r.first) r.first = offset;
    if (offset >= r.next) r.next = offset + 1n;
  }

  /** Epoch milliseconds of the newest record timestamp buffered (0 when none). */
  get newestTimestampMs(): bigint {
    return BigInt(this.newestMs);
  }

  /** The Kafka metadata of row i. */
  metaAt(i: number): KafkaMeta {
    return {
      topic: this.topicAt(i),
      partition: this.partitions.at(i),
      offset: BigInt(this.offsets.at(i)),
      timestampMs: BigInt(this.timestampsMs.at(i)),
      key: this.keys.get(i),
      headers: this.headers.get(i) ?? NO_HEADERS,
    };
  }

  /** The keys of rows [0, n) as a string column (see ByteArena.utf8Column). */
  keyColumn(n: number): Utf8Column {
    return this.keys.utf8Column(n);
  }

  /** The key bytes of row i (a view: do not keep it). */
  keyAt(i: number): Uint8Array | null {
    return this.keys.view(i);
  }

  /** Whether row i still has its original value bytes (see add). */
  valueKept(i: number): boolean {
    return this.values.kept(i);
  }

  /** Row i rebuilt as a record (row, schema, metadata, original value), for its error path. */
  recordAt(i: number): BufferedRecord {
    const schema = this.schemaOf(i);
    const row: Record<string, unknown> = {};
    for (const f of schema.fields) {
      const v = this.columns.get(f.name)?.get(i);
      if (v !== undefined) Object.defineProperty(row, f.name, { value: v, enumerable: true, writable: true });
    }
    return { row, schema, meta: this.metaAt(i), value: this.values.get(i) };
  }

  /** The type a column was first buffered with (builders pick their storage by it). */
  private typeOf(name: string): IcebergType {
    for (const s of this.schemas) for (const f of s.fields) if (f.name === name) return f.type;
    return "string";
  }

  schemaOf(i: number): StructType {
    const s = i < this.length ? this.schemas[this.schemaIndex.at(i)] : undefined;
    if (s === undefined) throw new RangeError(`row ${i} is not in the buffer (${this.length} rows)`);
    return s;
  }

  /** Keeps only the rows `keep` lists (ascending), in that order; ranges are left as they are. */
  retain(keep: readonly number[]): void {
    if (keep.length === this.length) return;
    for (const [name, col] of this.columns) this.columns.set(name, col.pick(keep, this.typeOf(name)));
    this.schemaSlots.clear(); // the builders were replaced
    this.schemaIndex = this.schemaIndex.pick(keep);
    this.topicIndex = this.topicIndex.pick(keep);
    this.partitions = this.partitions.pick(keep);
    this.offsets = this.offsets.pick(keep);
    this.timestampsMs = this.timestampsMs.pick(keep);
    this.ops = this.ops?.pick(keep);
    const headers = new Map<number, Headers>();
    keep.forEach((i, j) => {
      const h = this.headers.get(i);
      if (h !== undefined) headers.set(j, h);
    });
    this.headers = headers;
    this.keys.retain(keep);
    this.values.retain(keep);
    this.length = keep.length;
  }

  /** Drops everything from partitions this consumer no longer owns. */
  dropPartitions(keep: (topic: string, partition: number) => boolean): void {
    const rows: number[] = [];
    let bytes = 0;
    const share = this.length === 0 ? 0 : this.bytes / this.length;
    for (let i = 0; i < this.length; i++) {
      if (!keep(this.topicAt(i), this.partitions.at(i))) continue;
      rows.push(i);
      bytes += share;
    }
    this.retain(rows);
    this.bytes = Math.round(bytes);
    for (const k of [...this.ranges.keys()]) {
      const [topic, p] = splitTp(k);
      if (!keep(topic, p)) this.ranges.delete(k);
    }
    this.lastRange = undefined;
    this.lastPartition = -1;
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
