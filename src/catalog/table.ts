/**
 * The table-writing API: a table in a catalog plus the FileIO for its files. `newAppend()` writes data
 * files at once (rows or Arrow) and commits them as one snapshot; `newRewrite()` replaces files
 * (compaction); `newRowDelta()` adds data and delete files. Every commit goes through commitWithRetry,
 * restaging the snapshot against the freshest base on conflict.
 */
import type * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import type { DataFile } from "../iceberg/avro/index.js";
import type { FileIO } from "../iceberg/io/index.js";
import { type ProducerOperation, type SnapshotChanges, SnapshotProducer } from "../iceberg/snapshot/index.js";
import {
  currentSchema,
  defaultSpec,
  type PrimitiveValue,
  type Snapshot,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import {
  type ColumnSource,
  DataFileWriter,
  type DataFileWriterOptions,
  type Row,
} from "../iceberg/write/index.js";
import type { Logger } from "../log.js";
import type { Catalog, LoadedTable, TableIdentifier } from "./catalog.js";
import { type CommitResult, commitWithRetry } from "./commit.js";

export type WriterSettings = Partial<
  Pick<DataFileWriterOptions, "compression" | "rowGroupRows" | "maxRowsPerFile" | "maxArrowBytesPerFile">
>;

export interface CommitOptions {
  /** Extra snapshot summary properties. */
  summary?: Readonly<Record<string, string>>;
  /** Summary properties computed per attempt from the freshest base (e.g. merged offsets). */
  summaryFor?: (base: LoadedTable) => Readonly<Record<string, string>>;
  maxAttempts?: number;
  logger?: Logger;
  /**
   * Called with the freshest table before each attempt; return false to drop the commit (e.g. a zombie
   * writer whose offsets a newer snapshot already covers).
   */
  validate?: (base: LoadedTable) => boolean | Promise<boolean>;
}

export interface SnapshotCommitResult extends CommitResult {
  committed: boolean;
  snapshot?: Snapshot;
}

export class Table {
  constructor(
    readonly catalog: Catalog,
    private loaded: LoadedTable,
    readonly io: FileIO,
  ) {}

  get identifier(): TableIdentifier {
    return this.loaded.identifier;
  }
  get metadata(): TableMetadata {
    return this.loaded.metadata;
  }
  get metadataLocation(): string {
    return this.loaded.metadataLocation;
  }

  async refresh(): Promise<this> {
    this.loaded = await this.catalog.loadTable(this.loaded.identifier);
    return this;
  }

  /** Writer options for the table's current schema and default spec (data or delete files). */
  writerOptions(settings: WriterSettings = {}): DataFileWriterOptions {
    const md = this.loaded.metadata;
    return {
      io: this.io,
      location: md.location,
      schema: currentSchema(md),
      spec: defaultSpec(md),
      properties: md.properties,
      ...settings,
    };
  }

  /** A writer for the table's current schema and default spec. */
  dataFileWriter(settings: WriterSettings = {}): DataFileWriter {
    return new DataFileWriter(this.writerOptions(settings));
  }

  newAppend(settings: WriterSettings = {}): AppendOperation {
    return new AppendOperation(this, this.dataFileWriter(settings));
  }

  /** Replaces live files with new ones (compaction); fails if an input is no longer live. */
  newRewrite(): FileChangeOperation {
    return new FileChangeOperation(this, "replace");
  }

  /** Adds data and/or delete files (and may remove files) as one overwrite snapshot. */
  newRowDelta(): FileChangeOperation {
    return new FileChangeOperation(this, "overwrite");
  }

  /** Commits `changes` as one snapshot, restaging on conflict. */
  async commitChanges(
    changes: SnapshotChanges,
    operation: ProducerOperation | undefined,
    options: CommitOptions = {},
  ): Promise<SnapshotCommitResult> {
    const producer = new SnapshotProducer({ io: this.io }, changes, operation);
    let staged: Snapshot | undefined;
    const result = await commitWithRetry(
      this.catalog,
      this.loaded.identifier,
      async (base) => {
        if (options.validate && !(await options.validate(base))) return null;
        const s = await producer.stage(base.metadata, options.summaryFor?.(base));
        staged = s.snapshot;
        return s;
      },
      {
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        landed: (t) => t.metadata.snapshots.some((s) => s["snapshot-id"] === producer.snapshotId),
      },
    );
    this.loaded = result.table;
    return { ...result, ...(result.committed && staged ? { snapshot: staged } : {}) };
  }
}

export class AppendOperation {
  private readonly files: DataFile[] = [];

  constructor(
    private readonly table: Table,
    private readonly writer: DataFileWriter,
  ) {}

  /** Writes rows (partitioned per the table's spec) as data files now; they join the next commit. */
  async appendRows(rows: readonly Row[]): Promise<this> {
    this.files.push(...(await this.writer.writeRows(rows)));
    return this;
  }

  /**
   * Writes columns (one value array per top-level field name, `length` rows; partitioned per the
   * table's spec) as data files now; they join the next commit.
   */
  async appendColumns(columns: ReadonlyMap<string, unknown[] | ColumnSource>, length: number): Promise<this> {
    this.files.push(...(await this.writer.writeColumns(columns, length)));
    return this;
  }

  /** Writes an Arrow table whose rows all fall in `partition` (omit for unpartitioned tables). */
  async appendArrow(data: arrow.Table, partition?: (PrimitiveValue | null)[]): Promise<this> {
    this.files.push(...(await this.writer.writeTable(data, partition)));
    return this;
  }

  /** Adds data files written elsewhere. */
  appendFiles(files: readonly DataFile[]): this {
    this.files.push(...files);
    return this;
  }

  get dataFiles(): readonly DataFile[] {
    return this.files;
  }

  /** Commits the written files as one snapshot; with `allowEmpty` a snapshot without files (e.g. to move offsets). */
  async commit(options: CommitOptions & { allowEmpty?: boolean } = {}): Promise<SnapshotCommitResult> {
    if (this.files.length === 0 && !options.allowEmpty) {
      throw new FloeError("INVALID_ARGUMENT", "nothing to append: no data files");
    }
    return this.table.commitChanges(
      { addedDataFiles: this.files, ...pickSummary(options) },
      "append",
      options,
    );
  }
}

export class FileChangeOperation {
  private readonly added: DataFile[] = [];
  private readonly deletes: DataFile[] = [];
  private readonly removed: string[] = [];

  constructor(
    private readonly table: Table,
    private readonly operation: ProducerOperation,
  ) {}

  addDataFiles(files: readonly DataFile[]): this {
    this.added.push(...files);
    return this;
  }

  addDeleteFiles(files: readonly DataFile[]): this {
    this.deletes.push(...files);
    return this;
  }

  removeFiles(paths: readonly string[]): this {
    this.removed.push(...paths);
    return this;
  }

  async commit(options: CommitOptions = {}): Promise<SnapshotCommitResult> {
    return this.table.commitChanges(
      {
        addedDataFiles: this.added,
        addedDeleteFiles: this.deletes,
        removedFilePaths: this.removed,
        ...pickSummary(options),
      },
      this.operation,
      options,
    );
  }
}

function pickSummary(options: CommitOptions): Pick<SnapshotChanges, "summary"> {
  return options.summary === undefined ? {} : { summary: options.summary };
}

/** Loads a table from a catalog with the FileIO to use for its files. */
export async function loadTable(catalog: Catalog, id: TableIdentifier, io: FileIO): Promise<Table> {
  return new Table(catalog, await catalog.loadTable(id), io);
}
