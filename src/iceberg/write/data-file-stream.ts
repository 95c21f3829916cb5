/**
 * Data files written as streams of row groups: Arrow tables are appended to an open file, encoded on
 * the encoder thread as row groups fill and streamed to storage (multipart on S3), and the file is
 * closed when the caller says so (a commit) or when it reaches the target size. Memory follows the
 * row group, not the file.
 *
 * - `OpenDataFile`: one file; metrics accumulate over every appended batch, column sizes and split
 *   offsets come from the footer written at close.
 * - `RollingDataFile`: files of one partition, cut at `write.target-file-size-bytes` (estimated from
 *   the Arrow bytes appended and the compression seen so far).
 */
import type * as arrow from "apache-arrow";
import { tableToIPC } from "apache-arrow";
import { FloeError } from "../../errors.js";
import { deleteFiles, type FileIO, openWriteStream, type WriteStream } from "../io/index.js";
import {
  bytesToUuid,
  type DataFile,
  encodeLowerBound,
  encodeUpperBound,
  findFieldById,
  isPrimitiveType,
  type PartitionData,
  type PrimitiveValue,
  type Schema,
} from "../spec/index.js";
import type { ParquetCompression } from "./arrow-parquet.js";
import { assertFieldIds } from "./field-id.js";
import { footerLength, parseFileMetaData, rowGroupOffset } from "./footer.js";
import { type FileMetrics, MetricsCollector } from "./metrics.js";
import type { MetricsMode } from "./metrics-mode.js";
import { ParquetStream } from "./parquet-thread.js";

/** What every file of one writer shares. */
export interface FileSettings {
  io: FileIO;
  /** The schema of the file's columns (the table's, or a delete file's). */
  fileSchema: Schema;
  modes: { defaultMode: MetricsMode; modes: Map<number, MetricsMode> };
  compression: ParquetCompression;
  /** Rows per row group; when unset, derived from `rowGroupBytes` and the first batch's row width. */
  rowGroupRows?: number;
  /** Arrow bytes per row group when `rowGroupRows` is unset. */
  rowGroupBytes: number;
  content: 0 | 1 | 2;
  equalityIds?: number[];
}

/** Rows per row group from Arrow bytes per row (at least 1,024 rows, at most 1M). */
export function rowGroupRowsFor(settings: FileSettings, table: arrow.Table): number {
  if (settings.rowGroupRows !== undefined) return settings.rowGroupRows;
  const perRow = table.numRows === 0 ? 1 : Math.max(1, arrowBytes(table) / table.numRows);
  return Math.max(1024, Math.min(1 << 20, Math.floor(settings.rowGroupBytes / perRow)));
}

export function arrowBytes(table: arrow.Table): number {
  let total = 0;
  for (const batch of table.batches) total += batch.data.byteLength;
  return total;
}

/** One Parquet data (or delete) file being written. */
export class OpenDataFile {
  #out: WriteStream | undefined;
  #opening: Promise<WriteStream> | undefined;
  #parquet: ParquetStream | undefined;
  #metrics: MetricsCollector | undefined;
  #rows = 0;
  #arrowBytes = 0;
  #closed = false;

  constructor(
    private readonly settings: FileSettings,
    readonly path: string,
    private readonly partition: PartitionData,
  ) {}

  get rows(): number {
    return this.#rows;
  }

  /** Arrow bytes appended so far. */
  get arrowBytes(): number {
    return this.#arrowBytes;
  }

  /** Encoded bytes already streamed out (complete row groups). */
  get bytesOut(): number {
    return this.#parquet?.bytesOut ?? 0;
  }

  /**
   * Appends a table (same schema for every call; fields must carry field ids). Resolves once the
   * encoder has taken it: the caller may reuse nothing of it, but may append the next one.
   */
  async append(table: arrow.Table): Promise<void> {
    if (this.#closed)
      throw new FloeError("INTERNAL", "append to a closed data file", { context: { path: this.path } });
    if (table.numRows === 0) return;
    if (this.#parquet === undefined) {
      assertFieldIds(table.schema);
      this.#metrics = new MetricsCollector(table.schema, this.settings.modes);
      this.#opening = openWriteStream(this.settings.io, this.path, {
        ifNoneMatch: true,
        contentType: "application/vnd.apache.parquet",
      });
      // Awaited when the first row group is out (or at close/abort); until then a failure is held.
      this.#opening.catch(() => undefined);
      this.#parquet = new ParquetStream(
        { compression: this.settings.compression, rowGroupRows: rowGroupRowsFor(this.settings, table) },
        async (chunk) => {
          this.#out ??= await this.#opening;
          await this.#out?.write(chunk);
        },
      );
    }
    this.#metrics?.addTable(table);
    this.#rows += table.numRows;
    this.#arrowBytes += arrowBytes(table);
    await this.#parquet.append(tableToIPC(table, "stream"));
  }

  /** Writes the footer, publishes the file and describes it for a manifest. */
  async close(): Promise<DataFile> {
    if (this.#parquet === undefined || this.#metrics === undefined)
      throw new FloeError("INVALID_ARGUMENT", "refusing to write a Parquet file with no rows", {
        context: { path: this.path },
      });
    this.#closed = true;
    const { bytes, tail } = await this.#parquet.finish();
    this.#out ??= await this.#opening;
    await this.#out?.close();
    const footer = parseFileMetaData(tail.subarray(tail.length - footerLength(tail), tail.length - 8));
    const { content } = this.settings;
    return {
      content,
      file_path: this.path,
      file_format: "PARQUET",
      partition: this.partition,
      record_count: BigInt(this.#rows),
      file_size_in_bytes: BigInt(bytes),
      ...manifestMetrics(this.settings.fileSchema, this.#metrics.result(), footer.columnSizes),
      split_offsets: footer.rowGroups.map(rowGroupOffset).filter((o): o is bigint => o !== undefined),
      ...(content === 0 ? { sort_order_id: 0 } : {}),
      ...(content === 2 ? { equality_ids: this.settings.equalityIds ?? [] } : {}),
    };
  }

  /** Drops the file: nothing appears at its path. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#parquet?.abort();
    const out = this.#out ?? (await this.#opening?.catch(() => undefined));
    await out?.abort().catch(() => undefined);
  }
}

/** Default share of Arrow bytes a file takes as Parquet until a closed file tells better. */
const INITIAL_RATIO = 0.35;

/** Where consecutive appended rows went: `rows` rows of `path` from row position `firstPos`. */
export interface Placement {
  readonly path: string;
  readonly firstPos: number;
  readonly rows: number;
}

/** The files of one partition, cut at a target size. */
export class RollingDataFile {
  #current: OpenDataFile | undefined;
  readonly #done: DataFile[] = [];
  #ratio = INITIAL_RATIO;

  constructor(
    private readonly targetBytes: number,
    private readonly maxRows: number,
    private readonly open: () => OpenDataFile,
    private readonly io: FileIO,
  ) {}

  /** Estimated size of the open file once closed. */
  get openBytes(): number {
    const f = this.#current;
    return f === undefined ? 0 : Math.max(f.bytesOut, Math.round(f.arrowBytes * this.#ratio));
  }

  get openRows(): number {
    return this.#current?.rows ?? 0;
  }

  /**
   * Appends rows, closing the open file and starting the next when it reaches the target. Returns where
   * the rows went, in order: consecutive rows per file, from a 0-based row position.
   */
  async append(table: arrow.Table): Promise<Placement[]> {
    const placed: Placement[] = [];
    let rest = table;
    while (rest.numRows > 0) {
      if (this.#current === undefined) this.#current = this.open();
      const file = this.#current;
      const room = this.roomFor(file, rest);
      const piece = room >= rest.numRows ? rest : rest.slice(0, room);
      placed.push({ path: file.path, firstPos: file.rows, rows: piece.numRows });
      await file.append(piece);
      rest = piece === rest ? rest.slice(0, 0) : rest.slice(room);
      if (this.openBytes >= this.targetBytes || file.rows >= this.maxRows) await this.roll();
    }
    return placed;
  }

  /** Closes the open file and returns every file written since the last call. */
  async close(): Promise<DataFile[]> {
    await this.roll();
    return this.#done.splice(0);
  }

  /** Drops the open file and deletes those already closed since the last `close`. */
  async abort(): Promise<void> {
    const f = this.#current;
    this.#current = undefined;
    await f?.abort();
    const closed = this.#done.splice(0).map((d) => d.file_path);
    await deleteFiles(this.io, closed).catch(() => undefined);
  }

  /** Rows of `table` that fit the open file before its target size or row cap. */
  private roomFor(file: OpenDataFile, table: arrow.Table): number {
    const perRow = Math.max(1, (arrowBytes(table) / Math.max(1, table.numRows)) * this.#ratio);
    const byBytes = Math.ceil(Math.max(0, this.targetBytes - this.openBytes) / perRow);
    return Math.max(1, Math.min(table.numRows, byBytes, this.maxRows - file.rows));
  }

  private async roll(): Promise<void> {
    const f = this.#current;
    if (f === undefined) return;
    this.#current = undefined;
    if (f.rows === 0) {
      await f.abort();
      return;
    }
    const file = await f.close();
    if (f.arrowBytes > 0) this.#ratio = Number(file.file_size_in_bytes) / f.arrowBytes;
    this.#done.push(file);
  }
}

function manifestMetrics(schema: Schema, metrics: FileMetrics, columnSizes: Map<number, bigint>) {
  const keep = (id: number) => metrics.modes.get(id)?.kind !== "none";
  const pick = <V>(m: Map<number, V>) => new Map([...m].filter(([id]) => keep(id)));
  const lower = new Map<number, Uint8Array>();
  const upper = new Map<number, Uint8Array>();
  for (const [id, value] of metrics.lowerBounds) {
    const enc = encodeBound(schema, id, value, metrics.modes.get(id), "lower");
    if (enc !== undefined) lower.set(id, enc);
  }
  for (const [id, value] of metrics.upperBounds) {
    const enc = encodeBound(schema, id, value, metrics.modes.get(id), "upper");
    if (enc !== undefined) upper.set(id, enc);
  }
  return {
    column_sizes: pick(columnSizes),
    value_counts: pick(metrics.valueCounts),
    null_value_counts: pick(metrics.nullValueCounts),
    nan_value_counts: pick(metrics.nanValueCounts),
    lower_bounds: lower,
    upper_bounds: upper,
  };
}

function encodeBound(
  schema: Schema,
  id: number,
  value: PrimitiveValue,
  mode: MetricsMode | undefined,
  side: "lower" | "upper",
): Uint8Array | undefined {
  if (mode === undefined || mode.kind === "none" || mode.kind === "counts") return undefined;
  const field = findFieldById(schema, id);
  if (field === undefined || !isPrimitiveType(field.type)) return undefined;
  const truncate = mode.kind === "truncate" ? mode.length : undefined;
  // Metrics hold uuids as their 16 bytes; the spec layer's value form is the canonical text.
  const v = field.type === "uuid" && value instanceof Uint8Array ? bytesToUuid(value) : value;
  return side === "lower"
    ? encodeLowerBound(field.type, v, truncate)
    : encodeUpperBound(field.type, v, truncate);
}
