/**
 * Rows or Arrow tables -> Parquet data files in a table's location -> `DataFile` structs for manifests.
 *
 * Rows are fanned out by partition tuple (the spec's transforms over the source columns), each group is
 * built into Arrow and streamed into that partition's open file (data-file-stream.ts): row groups are
 * encoded and written out as they fill, and files are cut at `write.target-file-size-bytes` (or
 * `maxRowsPerFile`). `writeColumns`/`writeTable` close their files before returning; `openAppender`
 * keeps them open across calls until its `close` (a sink commit), so a table gets one file per
 * partition per commit. Metrics come from the Arrow columns; column sizes from the written footer;
 * bounds are encoded in Iceberg's single-value form and truncated per the table's metrics modes.
 */
import { randomUUID } from "node:crypto";
import type * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import type { FileIO } from "../io/index.js";
import {
  computePartition,
  type DataFile,
  intProperty,
  type NestedField,
  PARQUET_COMPRESSION_CODEC,
  type PartitionData,
  type PartitionSpec,
  type PrimitiveValue,
  partitionPath,
  ROW_GROUP_SIZE_BYTES,
  ROW_GROUP_SIZE_BYTES_DEFAULT,
  type Schema,
  targetFileSizeBytes,
} from "../spec/index.js";
import type { ParquetCompression } from "./arrow-parquet.js";
import { buildTable, type ColumnInput } from "./arrow-table.js";
import type { WriteField } from "./arrow-types.js";
import { type FileSettings, OpenDataFile, type Placement, RollingDataFile } from "./data-file-stream.js";
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
  /** Rows per row group (default: `write.parquet.row-group-size-bytes` of Arrow data, 128 MiB). */
  rowGroupRows?: number;
  /** Cut files at this many rows (default: no cap). */
  maxRowsPerFile?: number;
  /** Cut files at about this many bytes (default: the table's `write.target-file-size-bytes`). */
  targetFileSizeBytes?: number;
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
  private readonly settings: FileSettings;
  private readonly targetBytes: number;
  private readonly prefix: string;
  private fileCount = 0;

  constructor(private readonly opts: DataFileWriterOptions) {
    const properties = opts.properties ?? {};
    const fileSchema = opts.fileSchema ?? opts.schema;
    this.fields = writeFieldsFromSchema(fileSchema);
    const rowGroupBytes = intProperty(properties, ROW_GROUP_SIZE_BYTES, ROW_GROUP_SIZE_BYTES_DEFAULT);
    this.settings = {
      io: opts.io,
      fileSchema,
      modes: metricsModesFromProperties(fileSchema, opts.fileSchema ? {} : properties),
      compression: opts.compression ?? compressionFrom(properties) ?? "zstd",
      rowGroupBytes: rowGroupBytes > 0 ? rowGroupBytes : ROW_GROUP_SIZE_BYTES_DEFAULT,
      content: opts.content ?? 0,
      ...(opts.rowGroupRows === undefined ? {} : { rowGroupRows: opts.rowGroupRows }),
      ...(opts.equalityIds === undefined ? {} : { equalityIds: opts.equalityIds }),
    };
    this.targetBytes = opts.targetFileSizeBytes ?? targetFileSizeBytes(properties);
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
    const appender = this.openAppender();
    try {
      await appender.append(columns, length);
      return await appender.close();
    } catch (e) {
      await appender.abort();
      throw e;
    }
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
    const files = this.openPartition(partition);
    try {
      await files.append(table);
      return await files.close();
    } catch (e) {
      await files.abort();
      throw e;
    }
  }

  /**
   * Files of one partition that stay open across appends: row groups stream out as they fill, a file
   * is cut at the target size, and `close` returns every file written.
   */
  openPartition(partition: (PrimitiveValue | null)[] = []): RollingDataFile {
    const { spec, schema, location } = this.opts;
    if (partition.length !== spec.fields.length) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `partition tuple has ${partition.length} values, spec ${spec["spec-id"]} has ${spec.fields.length}`,
      );
    }
    const dir = spec.fields.length === 0 ? "data" : `data/${partitionPath(spec, schema, partition)}`;
    const partitionData: PartitionData = {};
    spec.fields.forEach((f, i) => {
      partitionData[f.name] = partition[i] ?? null;
    });
    return new RollingDataFile(
      this.targetBytes,
      this.opts.maxRowsPerFile ?? Number.POSITIVE_INFINITY,
      () => {
        this.fileCount++;
        const name = `${String(this.fileCount).padStart(5, "0")}-${this.prefix}.parquet`;
        return new OpenDataFile(
          this.settings,
          `${location.replace(/\/+$/, "")}/${dir}/${name}`,
          partitionData,
        );
      },
      this.opts.io,
    );
  }

  /**
   * Columns fanned out to one open file set per partition, kept open across `append` calls: the sink
   * appends each flush and closes at a commit, so a table gets one file per partition per commit
   * (more only past the target file size).
   */
  openAppender(): PartitionedAppender {
    return new PartitionedAppender(this);
  }

  /** Builds each partition group of `columns` as an Arrow table (for the appender). */
  *partitionTables(
    columns: ReadonlyMap<string, AnyColumn>,
    length: number,
  ): Generator<{
    values: (PrimitiveValue | null)[];
    key: string;
    /** The input rows of this partition, ascending; undefined when all of them are. */
    rows: readonly number[] | undefined;
    table: arrow.Table;
  }> {
    if (length === 0) return;
    for (const col of columns.values()) if (!isSource(col) && col.length < length) col.length = length;
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
      yield {
        values: group.values,
        key: partitionKey(group.values),
        rows: group.rows,
        table: buildTable({ fields: this.fields, columns: picked }),
      };
    }
  }

  /**
   * The named top-level columns of `length` rows as Arrow vectors, built exactly as written files get
   * them (an upsert hashes its keys from these, and reads them back from the files the same way).
   */
  arrowVectors(
    columns: ReadonlyMap<string, AnyColumn>,
    length: number,
    names: readonly string[],
  ): arrow.Vector[] {
    const fields = names.map((name) => {
      const field = this.fields.find((f) => f.name === name);
      if (field === undefined) {
        throw new FloeError("INVALID_ARGUMENT", `column ${name} is not in the table's schema`, {
          context: { column: name },
        });
      }
      return field;
    });
    const picked: Record<string, ColumnInput> = {};
    for (const field of fields) {
      const col = columns.get(field.name);
      if (col !== undefined && !isSource(col) && col.length < length) col.length = length;
      picked[field.name] =
        col === undefined ? new Array(length).fill(null) : isSource(col) ? col.input(field, length) : col;
    }
    const table = buildTable({ fields, columns: picked });
    return fields.map((_, i) => table.getChildAt(i) as arrow.Vector);
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
}

/** See `DataFileWriter.openAppender`. */
/** Where one `PartitionedAppender.append` put the rows of one partition. */
export interface PartitionPlacement {
  readonly values: (PrimitiveValue | null)[];
  readonly rows: readonly number[] | undefined;
  readonly placed: readonly Placement[];
}

export class PartitionedAppender {
  readonly #open = new Map<string, RollingDataFile>();

  constructor(private readonly writer: DataFileWriter) {}

  /** Open partitions. */
  get partitions(): number {
    return this.#open.size;
  }

  /** Estimated bytes of the open files once closed. */
  get openBytes(): number {
    let n = 0;
    for (const f of this.#open.values()) n += f.openBytes;
    return n;
  }

  /**
   * Appends `length` rows of columns (see `DataFileWriter.writeColumns` for their form). Returns where
   * they went per partition: the partition tuple, the input rows in it (all, in order, when undefined)
   * and their placements in its files.
   */
  async append(columns: ReadonlyMap<string, AnyColumn>, length: number): Promise<PartitionPlacement[]> {
    const out: PartitionPlacement[] = [];
    for (const { values, key, rows, table } of this.writer.partitionTables(columns, length)) {
      let files = this.#open.get(key);
      if (files === undefined) {
        files = this.writer.openPartition(values);
        this.#open.set(key, files);
      }
      out.push({ values, rows, placed: await files.append(table) });
    }
    return out;
  }

  /** Closes every open file; returns all files written since the appender opened. */
  async close(): Promise<DataFile[]> {
    const out: DataFile[] = [];
    for (const files of this.#open.values()) out.push(...(await files.close()));
    this.#open.clear();
    return out;
  }

  /** Drops every open file; files already cut at the target size are deleted too. */
  async abort(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const files of open) await files.abort();
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
