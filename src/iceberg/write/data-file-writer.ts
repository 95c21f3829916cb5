/**
 * Rows or Arrow tables -> Parquet data files in a table's location -> `DataFile` structs for manifests.
 *
 * Rows are fanned out by partition tuple (the spec's transforms over the source columns), each group is
 * built into Arrow and cut into files of at most `maxRowsPerFile` rows / `maxArrowBytesPerFile` bytes
 * (parquet-wasm holds a whole file in WASM memory, so both are capped). Metrics come from the Arrow
 * columns; column sizes from the written footer; bounds are encoded in Iceberg's single-value form and
 * truncated per the table's metrics modes.
 */
import { randomUUID } from "node:crypto";
import type * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import type { DataFile, PartitionData } from "../avro/index.js";
import type { FileIO } from "../io/index.js";
import {
  bytesToUuid,
  computePartition,
  encodeLowerBound,
  encodeUpperBound,
  findFieldById,
  isPrimitiveType,
  type NestedField,
  PARQUET_COMPRESSION_CODEC,
  type PartitionSpec,
  type PrimitiveValue,
  partitionPath,
  type Schema,
} from "../spec/index.js";
import { type ParquetCompression, parquetJob } from "./arrow-parquet.js";
import { buildTable, type ColumnInput } from "./arrow-table.js";
import type { WriteField } from "./arrow-types.js";
import { readParquetFooter, rowGroupOffset } from "./footer.js";
import { computeMetrics, type FileMetrics } from "./metrics.js";
import type { MetricsMode } from "./metrics-mode.js";
import { encodeParquetOffThread } from "./parquet-thread.js";
import { metricsModesFromProperties, writeFieldsFromSchema } from "./schema-mapping.js";

export interface DataFileWriterOptions {
  io: FileIO;
  /** Table location, e.g. `s3://bucket/db/table` or `file:///data/db/table`. */
  location: string;
  schema: Schema;
  spec: PartitionSpec;
  /** Table properties: metrics modes and `write.parquet.compression-codec` are read from them. */
  properties?: Readonly<Record<string, string>>;
  compression?: ParquetCompression;
  rowGroupRows?: number;
  maxRowsPerFile?: number;
  maxArrowBytesPerFile?: number;
  /** Prefix of the file names this writer creates (default: a fresh UUID per writer). */
  filePrefix?: string;
  /**
   * What the files hold: data (default), position deletes or equality deletes. Delete files use
   * `fileSchema` for their columns while `schema` and `spec` still describe the table's partitions.
   */
  content?: 0 | 1 | 2;
  fileSchema?: Schema;
  /** Field ids an equality delete file matches on. */
  equalityIds?: number[];
}

export const DEFAULT_MAX_ROWS_PER_FILE = 1_000_000;
export const DEFAULT_MAX_ARROW_BYTES_PER_FILE = 256 * 1024 * 1024;

/**
 * A column kept in some other form than a value array (e.g. typed arrays filled as records arrive):
 * row values on demand, and the whole column as builder input for a field.
 */
export interface ColumnSource {
  readonly length: number;
  /** Row i's value (null when null or missing). */
  get(i: number): unknown;
  /** The first n rows as input for `field`. */
  input(field: WriteField, n: number): ColumnInput;
}

type AnyColumn = unknown[] | ColumnSource;

const isSource = (c: AnyColumn): c is ColumnSource => !Array.isArray(c);

/** A row keyed by top-level column name, values in the JS representation of iceberg/spec values. */
export type Row = Readonly<Record<string, unknown>>;

function compressionFrom(properties: Readonly<Record<string, string>>): ParquetCompression | undefined {
  const codec = properties[PARQUET_COMPRESSION_CODEC]?.toLowerCase();
  if (codec === undefined) return undefined;
  if (codec === "zstd" || codec === "snappy") return codec;
  if (codec === "uncompressed" || codec === "none") return "uncompressed";
  throw new FloeError(
    "CONFIG_INVALID",
    `${PARQUET_COMPRESSION_CODEC} '${codec}' is not supported (zstd, snappy, uncompressed)`,
    {
      context: { key: PARQUET_COMPRESSION_CODEC },
    },
  );
}

/** Writes data files for one table; keeps no state between calls except a file counter. */
export class DataFileWriter {
  private readonly fields;
  private readonly modes: { defaultMode: MetricsMode; modes: Map<number, MetricsMode> };
  private readonly compression: ParquetCompression;
  private readonly prefix: string;
  private fileCount = 0;

  constructor(private readonly opts: DataFileWriterOptions) {
    const properties = opts.properties ?? {};
    const fileSchema = opts.fileSchema ?? opts.schema;
    this.fields = writeFieldsFromSchema(fileSchema);
    this.modes = metricsModesFromProperties(fileSchema, opts.fileSchema ? {} : properties);
    this.compression = opts.compression ?? compressionFrom(properties) ?? "zstd";
    this.prefix = opts.filePrefix ?? randomUUID();
  }

  /** Fans rows out by partition and writes each group's files. */
  async writeRows(rows: readonly Row[]): Promise<DataFile[]> {
    const columns = new Map<string, unknown[]>();
    for (const field of this.fields)
      columns.set(
        field.name,
        rows.map((r) => r[field.name]),
      );
    return this.writeColumns(columns, rows.length);
  }

  /**
   * Fans columns out by partition and writes each group's files: one value array per top-level field
   * name, `length` rows (a missing column, hole or undefined is null). Arrays shorter than `length` are
   * extended in place.
   */
  async writeColumns(columns: ReadonlyMap<string, AnyColumn>, length: number): Promise<DataFile[]> {
    if (length === 0) return [];
    for (const col of columns.values()) if (!isSource(col) && col.length < length) col.length = length;
    const out: DataFile[] = [];
    for (const group of this.partitionColumns(columns, length)) {
      const picked: Record<string, ColumnInput> = {};
      const n = group.rows?.length ?? length;
      for (const field of this.fields) {
        const col = columns.get(field.name);
        const rows = group.rows;
        if (col === undefined) picked[field.name] = new Array(n).fill(null);
        else if (rows === undefined) picked[field.name] = isSource(col) ? col.input(field, n) : col;
        else picked[field.name] = rows.map(isSource(col) ? (i) => col.get(i) : (i) => col[i]);
      }
      out.push(
        ...(await this.writeTable(buildTable({ fields: this.fields, columns: picked }), group.values)),
      );
    }
    return out;
  }

  /** Writes rows that all belong to `partition` (tuple in spec field order), e.g. delete rows. */
  async writeRowsIn(rows: readonly Row[], partition: (PrimitiveValue | null)[] = []): Promise<DataFile[]> {
    if (rows.length === 0) return [];
    const columns: Record<string, ColumnInput> = {};
    for (const field of this.fields) columns[field.name] = rows.map((r) => r[field.name] ?? null);
    return this.writeTable(buildTable({ fields: this.fields, columns }), partition);
  }

  /**
   * Writes an Arrow table whose rows all belong to one partition (`partition` is the tuple in spec
   * field order; omit it for an unpartitioned table). The table's fields must carry field ids.
   */
  async writeTable(table: arrow.Table, partition: (PrimitiveValue | null)[] = []): Promise<DataFile[]> {
    if (partition.length !== this.opts.spec.fields.length) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `partition tuple has ${partition.length} values, spec ${this.opts.spec["spec-id"]} has ${this.opts.spec.fields.length}`,
      );
    }
    const maxRows = this.opts.maxRowsPerFile ?? DEFAULT_MAX_ROWS_PER_FILE;
    const maxBytes = this.opts.maxArrowBytesPerFile ?? DEFAULT_MAX_ARROW_BYTES_PER_FILE;
    const bytesPerRow = table.numRows === 0 ? 1 : Math.max(1, arrowBytes(table) / table.numRows);
    const rowsPerFile = Math.max(1, Math.min(maxRows, Math.floor(maxBytes / bytesPerRow)));
    const files: DataFile[] = [];
    for (let start = 0; start < table.numRows; start += rowsPerFile) {
      const slice =
        start === 0 && table.numRows <= rowsPerFile ? table : table.slice(start, start + rowsPerFile);
      files.push(await this.writeOne(slice, partition));
    }
    return files;
  }

  /** Row indices per partition tuple; `rows` is undefined when every row is in the group. */
  private partitionColumns(columns: ReadonlyMap<string, AnyColumn>, length: number) {
    const { spec, schema } = this.opts;
    if (spec.fields.length === 0) return [{ values: [] as (PrimitiveValue | null)[], rows: undefined }];
    const sources = new Map<number, (row: number) => PrimitiveValue | null | undefined>();
    for (const f of spec.fields) {
      if (!sources.has(f["source-id"]))
        sources.set(f["source-id"], this.sourceReader(columns, f["source-id"]));
    }
    const groups = new Map<string, { values: (PrimitiveValue | null)[]; rows: number[] | undefined }>();
    for (let i = 0; i < length; i++) {
      const values = computePartition(spec, schema, (sourceId) => sources.get(sourceId)?.(i));
      const key = partitionKey(values);
      let group = groups.get(key);
      if (group === undefined) {
        group = { values, rows: [] };
        groups.set(key, group);
      }
      group.rows?.push(i);
    }
    if (groups.size === 1) for (const g of groups.values()) g.rows = undefined;
    return [...groups.values()];
  }

  /** Reads a (possibly nested-in-struct) source column's value per row. */
  private sourceReader(columns: ReadonlyMap<string, AnyColumn>, sourceId: number) {
    const path = fieldPath(this.opts.schema.fields, sourceId);
    if (path === undefined)
      throw new FloeError("INVALID_ARGUMENT", `partition source field ${sourceId} is not in the schema`);
    const [top, ...rest] = path.names;
    const col = columns.get(top ?? "");
    // 64-bit columns may hold safe-integer numbers (e.g. int values of a column widened to long).
    const wide = INT64_TYPES.has(path.type);
    return (row: number): PrimitiveValue | null | undefined => {
      let v: unknown = col === undefined ? undefined : isSource(col) ? col.get(row) : col[row];
      for (const part of rest) {
        if (v === null || v === undefined || typeof v !== "object") return null;
        v = (v as Record<string, unknown>)[part];
      }
      return wide && typeof v === "number" ? BigInt(v) : (v as PrimitiveValue | null | undefined);
    };
  }

  private async writeOne(table: arrow.Table, partition: (PrimitiveValue | null)[]): Promise<DataFile> {
    const { spec, schema, io, location } = this.opts;
    const metrics = computeMetrics(table, this.modes);
    const bytes = await encodeParquetOffThread(
      parquetJob(table, {
        compression: this.compression,
        ...(this.opts.rowGroupRows === undefined ? {} : { rowGroupRows: this.opts.rowGroupRows }),
      }),
    );
    const footer = readParquetFooter(bytes);
    const dir = spec.fields.length === 0 ? "data" : `data/${partitionPath(spec, schema, partition)}`;
    this.fileCount++;
    const name = `${String(this.fileCount).padStart(5, "0")}-${this.prefix}.parquet`;
    const path = `${location.replace(/\/+$/, "")}/${dir}/${name}`;
    await io.write(path, bytes, { ifNoneMatch: true, contentType: "application/vnd.apache.parquet" });

    const partitionData: PartitionData = {};
    spec.fields.forEach((f, i) => {
      partitionData[f.name] = partition[i] ?? null;
    });
    const content = this.opts.content ?? 0;
    return {
      content,
      file_path: path,
      file_format: "PARQUET",
      partition: partitionData,
      record_count: BigInt(table.numRows),
      file_size_in_bytes: BigInt(bytes.byteLength),
      ...this.manifestMetrics(metrics, footer.columnSizes),
      split_offsets: footer.rowGroups.map(rowGroupOffset).filter((o): o is bigint => o !== undefined),
      ...(content === 0 ? { sort_order_id: 0 } : {}),
      ...(content === 2 ? { equality_ids: this.opts.equalityIds ?? [] } : {}),
    };
  }

  private manifestMetrics(metrics: FileMetrics, columnSizes: Map<number, bigint>) {
    const keep = (id: number) => metrics.modes.get(id)?.kind !== "none";
    const pick = <V>(m: Map<number, V>) => new Map([...m].filter(([id]) => keep(id)));
    const lower = new Map<number, Uint8Array>();
    const upper = new Map<number, Uint8Array>();
    for (const [id, value] of metrics.lowerBounds) {
      const enc = this.encodeBound(id, value, metrics.modes.get(id), "lower");
      if (enc !== undefined) lower.set(id, enc);
    }
    for (const [id, value] of metrics.upperBounds) {
      const enc = this.encodeBound(id, value, metrics.modes.get(id), "upper");
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

  private encodeBound(
    id: number,
    value: PrimitiveValue,
    mode: MetricsMode | undefined,
    side: "lower" | "upper",
  ): Uint8Array | undefined {
    if (mode === undefined || mode.kind === "none" || mode.kind === "counts") return undefined;
    const field = findFieldById(this.opts.fileSchema ?? this.opts.schema, id);
    if (field === undefined || !isPrimitiveType(field.type)) return undefined;
    const truncate = mode.kind === "truncate" ? mode.length : undefined;
    // Metrics hold uuids as their 16 bytes; the spec layer's value form is the canonical text.
    const v = field.type === "uuid" && value instanceof Uint8Array ? bytesToUuid(value) : value;
    return side === "lower"
      ? encodeLowerBound(field.type, v, truncate)
      : encodeUpperBound(field.type, v, truncate);
  }
}

const INT64_TYPES = new Set<unknown>([
  "long",
  "time",
  "timestamp",
  "timestamptz",
  "timestamp_ns",
  "timestamptz_ns",
]);

/** Field names from the top level down to the field with `id` (through structs only), and its type. */
function fieldPath(
  fields: readonly NestedField[],
  id: number,
): { names: string[]; type: NestedField["type"] } | undefined {
  for (const f of fields) {
    if (f.id === id) return { names: [f.name], type: f.type };
    if (typeof f.type === "object" && f.type.type === "struct") {
      const inner = fieldPath(f.type.fields, id);
      if (inner !== undefined) return { names: [f.name, ...inner.names], type: inner.type };
    }
  }
  return undefined;
}

/** A stable string key for a partition tuple (bigint, bytes and null distinguishable). */
export function partitionKey(values: readonly (PrimitiveValue | null)[]): string {
  return JSON.stringify(
    values.map((v) =>
      v === null
        ? null
        : typeof v === "bigint"
          ? `n:${v}`
          : v instanceof Uint8Array
            ? `b:${Buffer.from(v).toString("hex")}`
            : typeof v === "string"
              ? `s:${v}`
              : v,
    ),
  );
}

function arrowBytes(table: arrow.Table): number {
  let total = 0;
  for (const batch of table.batches) total += batch.data.byteLength;
  return total;
}
