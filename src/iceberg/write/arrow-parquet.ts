/**
 * Arrow table -> Parquet bytes through parquet-wasm (arrow-rs 56.2 compiled to WebAssembly).
 *
 * Path: apache-arrow Table -> IPC stream -> parquet-wasm Table.fromIPCStream -> writeParquet with
 * WriterProperties. Field ids travel as Arrow field metadata `PARQUET:field_id` (see field-id.ts), which
 * the IPC stream keeps at every nesting level and arrow-rs writes as Parquet field_id.
 *
 * What arrow-rs writes for our types is checked against DuckDB in test/iceberg/write. Known limits of
 * parquet-wasm 0.7.2 (and 0.8.0, arrow-rs 59.3, which was inspected too):
 * - uuid is FIXED_LEN_BYTE_ARRAY(16) without the UUID logical annotation: the `arrow.uuid` canonical
 *   extension type is not compiled in. Iceberg readers resolve the type from the table schema, so they
 *   read it as uuid; a bare Parquet reader sees 16-byte binary.
 * - zstd runs at arrow-rs's default level (1); the builder has no level setter.
 * - the whole file is built in WASM memory (input IPC copy + arrow arrays + output), and WASM memory
 *   never shrinks: callers cap rows/bytes per file (`maxInputBytes` here is the last line of defence).
 * - the file carries arrow-rs's `ARROW:schema` key/value entry (no option to leave it out).
 * - no bloom filter settings are exposed.
 */
import * as arrow from "apache-arrow";
import type * as ParquetWasm from "parquet-wasm";
import { FloeError } from "../../errors.js";
import { lazyModule } from "../io/index.js";
import { assertFieldIds } from "./field-id.js";

export type ParquetCompression = "zstd" | "snappy" | "uncompressed";
export type ParquetStatistics = "none" | "chunk" | "page";

export interface ParquetWriteOptions {
  /** Default zstd. */
  readonly compression?: ParquetCompression;
  /** Maximum rows per row group (arrow-rs default 1,048,576). */
  readonly rowGroupRows?: number;
  /** Target data page size in bytes (arrow-rs default 1 MiB). */
  readonly dataPageBytes?: number;
  /** Dictionary encoding (arrow-rs default on). */
  readonly dictionary?: boolean;
  /** Parquet column statistics (default page: chunk stats plus page index). */
  readonly statistics?: ParquetStatistics;
  /** Extra key/value metadata in the footer. */
  readonly keyValueMetadata?: Readonly<Record<string, string>>;
  /** Overrides `created_by` (default `parquet-rs version 56.2.0`, which readers use for stats quirks). */
  readonly createdBy?: string;
  /** Refuse to write when any field lacks a field id (default true). */
  readonly requireFieldIds?: boolean;
  /** Refuse inputs whose Arrow IPC stream is larger than this (default DEFAULT_MAX_INPUT_BYTES). */
  readonly maxInputBytes?: number;
}

/**
 * Largest Arrow IPC input written in one go. WASM32 memory tops out at 4 GiB and writing needs roughly
 * the input twice plus the output, so 512 MiB leaves room; rolling writers should cut files well below.
 */
export const DEFAULT_MAX_INPUT_BYTES = 512 * 1024 * 1024;

/**
 * parquet-wasm's Node build, loaded on first use: the sink encodes on its worker thread (which loads
 * its own copy), so its main thread never pays for the module.
 */
export const parquetWasm = lazyModule<typeof ParquetWasm>("parquet-wasm");

const COMPRESSIONS: readonly ParquetCompression[] = ["zstd", "snappy", "uncompressed"];

function compressionOf(c: ParquetCompression): ParquetWasm.Compression {
  const { Compression } = parquetWasm();
  return { zstd: Compression.ZSTD, snappy: Compression.SNAPPY, uncompressed: Compression.UNCOMPRESSED }[c];
}

function statisticsOf(s: ParquetStatistics): ParquetWasm.EnabledStatistics {
  const { EnabledStatistics } = parquetWasm();
  return { none: EnabledStatistics.None, chunk: EnabledStatistics.Chunk, page: EnabledStatistics.Page }[s];
}

function positiveInt(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new FloeError("INVALID_ARGUMENT", `${name} must be a positive integer, got ${v}`);
  }
  return v;
}

/** What the encoder needs: the Arrow IPC stream and plain writer settings (both can cross to a worker). */
export interface ParquetJob {
  ipc: Uint8Array;
  rows: number;
  compression: ParquetCompression;
  rowGroupRows?: number;
  dataPageBytes?: number;
  dictionary?: boolean;
  statistics?: ParquetStatistics;
  createdBy?: string;
  keyValueMetadata?: Readonly<Record<string, string>>;
}

/** Checks the table and options and serializes the table for the encoder. */
export function parquetJob(table: arrow.Table, opts: ParquetWriteOptions = {}): ParquetJob {
  if (opts.requireFieldIds !== false) assertFieldIds(table.schema);
  if (table.numRows === 0)
    throw new FloeError("INVALID_ARGUMENT", "refusing to write a Parquet file with no rows");
  const compression = opts.compression ?? "zstd";
  if (!COMPRESSIONS.includes(compression))
    throw new FloeError("INVALID_ARGUMENT", `unknown compression ${compression}`);
  const rowGroupRows = positiveInt("rowGroupRows", opts.rowGroupRows);
  const dataPageBytes = positiveInt("dataPageBytes", opts.dataPageBytes);
  const maxInputBytes = positiveInt("maxInputBytes", opts.maxInputBytes) ?? DEFAULT_MAX_INPUT_BYTES;

  const ipc = arrow.tableToIPC(table, "stream");
  if (ipc.byteLength > maxInputBytes) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `Arrow input of ${ipc.byteLength} bytes exceeds the ${maxInputBytes}-byte cap for one Parquet file`,
      { context: { rows: table.numRows, bytes: ipc.byteLength } },
    );
  }
  return {
    ipc,
    rows: table.numRows,
    compression,
    ...(rowGroupRows === undefined ? {} : { rowGroupRows }),
    ...(dataPageBytes === undefined ? {} : { dataPageBytes }),
    ...(opts.dictionary === undefined ? {} : { dictionary: opts.dictionary }),
    ...(opts.statistics === undefined ? {} : { statistics: opts.statistics }),
    ...(opts.createdBy === undefined ? {} : { createdBy: opts.createdBy }),
    ...(opts.keyValueMetadata === undefined ? {} : { keyValueMetadata: opts.keyValueMetadata }),
  };
}

/** Encodes a prepared job with parquet-wasm (in whichever thread calls it). */
export function encodeParquet(job: ParquetJob): Uint8Array {
  const pw = parquetWasm();
  let builder = new pw.WriterPropertiesBuilder().setCompression(compressionOf(job.compression));
  if (job.rowGroupRows !== undefined) builder = builder.setMaxRowGroupSize(job.rowGroupRows);
  if (job.dataPageBytes !== undefined) builder = builder.setDataPageSizeLimit(job.dataPageBytes);
  if (job.dictionary !== undefined) builder = builder.setDictionaryEnabled(job.dictionary);
  if (job.statistics !== undefined) builder = builder.setStatisticsEnabled(statisticsOf(job.statistics));
  if (job.createdBy !== undefined) builder = builder.setCreatedBy(job.createdBy);
  if (job.keyValueMetadata !== undefined) {
    builder = builder.setKeyValueMetadata(new Map(Object.entries(job.keyValueMetadata)));
  }
  const props = builder.build();
  let wasmTable: ParquetWasm.Table;
  try {
    wasmTable = pw.Table.fromIPCStream(job.ipc);
  } catch (e) {
    props.free();
    throw new FloeError("INTERNAL", `parquet-wasm could not read the Arrow IPC stream: ${errorText(e)}`, {
      cause: e,
    });
  }
  // writeParquet consumes (frees) both the WASM table and the properties, also when it throws.
  try {
    return pw.writeParquet(wasmTable, props);
  } catch (e) {
    throw new FloeError("INTERNAL", `parquet-wasm failed to write: ${errorText(e)}`, {
      cause: e,
      context: { rows: job.rows },
    });
  }
}

/** Writes an Arrow table as one Parquet file and returns its bytes. */
export function writeParquet(table: arrow.Table, opts: ParquetWriteOptions = {}): Uint8Array {
  return encodeParquet(parquetJob(table, opts));
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === "string" ? e : String(e);
}
