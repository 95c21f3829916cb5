/**
 * The table-writing API: a table (through the TableOps port) plus the FileIO for its files. Data files
 * are written at once (`newAppend().appendRows(...)`); every change is then committed through
 * commitActions: append, overwrite, replace (compaction), delete, row delta, schema and property
 * updates, snapshot expiry and manifest rewrites.
 */
import type * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { FileIO } from "../io/index.js";
import type { MergeCounts } from "../snapshot/index.js";
import {
  deleteFileKey,
  type ManifestMergePlan,
  ManifestMerger,
  type ProducerOperation,
  type SnapshotChanges,
  SnapshotProducer,
} from "../snapshot/index.js";
import {
  type CommitRetryPolicy,
  currentSchema,
  type DataFile,
  defaultSpec,
  type PrimitiveValue,
  type Snapshot,
  type TableMetadata,
} from "../spec/index.js";
import { type ColumnSource, DataFileWriter, type DataFileWriterOptions, type Row } from "../write/index.js";
import {
  expireSnapshotsAction,
  manifestRewriteAction,
  type SchemaChange,
  snapshotAction,
  updatePropertiesAction,
  updateSchemaAction,
} from "./actions.js";
import type { TableAction, TableOps, TableState } from "./port.js";
import {
  type CommitOptions as ActionCommitOptions,
  type CommitResult,
  commitActions,
} from "./transaction.js";

export type WriterSettings = Partial<
  Pick<DataFileWriterOptions, "compression" | "rowGroupRows" | "maxRowsPerFile" | "targetFileSizeBytes">
>;

export interface CommitOptions<S extends TableState = TableState>
  extends Omit<ActionCommitOptions<S>, "retry"> {
  /** Extra snapshot summary properties. */
  summary?: Readonly<Record<string, string>>;
  /** Summary properties computed per attempt from the freshest base (e.g. merged offsets). */
  summaryFor?: (base: { readonly metadata: TableMetadata }) => Readonly<Record<string, string>>;
  /** Attempts in all (overrides the table's commit.retry.num-retries + 1). */
  maxAttempts?: number;
  retry?: Partial<CommitRetryPolicy>;
  logger?: Logger;
}

export interface SnapshotCommitResult<S extends TableState = TableState> extends CommitResult<S> {
  /** The snapshot as committed. */
  snapshot?: Snapshot;
}

function loopOptions<S extends TableState>(options: CommitOptions<S>): ActionCommitOptions<S> {
  const { summary: _s, summaryFor: _f, maxAttempts, ...rest } = options;
  if (maxAttempts === undefined) return rest;
  return { ...rest, retry: { ...rest.retry, numRetries: Math.max(0, maxAttempts - 1) } };
}

export class Table<S extends TableState = TableState> {
  constructor(
    readonly ops: TableOps<S>,
    protected loaded: S,
    readonly io: FileIO,
  ) {}

  get state(): S {
    return this.loaded;
  }
  get metadata(): TableMetadata {
    return this.loaded.metadata;
  }
  get metadataLocation(): string {
    return this.loaded.metadataLocation;
  }

  async refresh(): Promise<this> {
    this.loaded = await this.ops.load();
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

  newAppend(settings: WriterSettings = {}): AppendOperation<S> {
    return new AppendOperation(this, this.dataFileWriter(settings));
  }

  /** Replaces live data files with new ones (compaction); fails if an input is no longer live. */
  newRewrite(): FileChangeOperation<S> {
    return new FileChangeOperation(this, "replace");
  }

  /** Adds and removes data files as one overwrite snapshot. */
  newOverwrite(): FileChangeOperation<S> {
    return new FileChangeOperation(this, "overwrite");
  }

  /** Adds data and/or delete files (and may remove files) as one overwrite snapshot. */
  newRowDelta(): FileChangeOperation<S> {
    return new FileChangeOperation(this, "overwrite");
  }

  /** Removes data and/or delete files as one delete snapshot. */
  newDelete(): FileChangeOperation<S> {
    return new FileChangeOperation(this, "delete");
  }

  /** Commits actions as one change; the table then holds the metadata as committed (or found). */
  async commit(actions: TableAction | readonly TableAction[], options: CommitOptions<S> = {}) {
    const result = await commitActions(this.ops, actions, loopOptions(options));
    this.loaded = result.table;
    return result;
  }

  /** Commits one snapshot of `changes`, restaging on conflict. */
  async commitChanges(
    changes: SnapshotChanges,
    operation: ProducerOperation | undefined,
    options: CommitOptions<S> = {},
    producerOptions: { skipManifests?: ReadonlySet<string> } = {},
  ): Promise<SnapshotCommitResult<S>> {
    const producer = new SnapshotProducer({ io: this.io, ...producerOptions }, changes, operation);
    const summaryFor = options.summaryFor;
    const action = snapshotAction(producer, summaryFor && ((metadata) => summaryFor({ metadata })));
    const result = await this.commit(action, options);
    const snapshot = result.table.metadata.snapshots.find((s) => s["snapshot-id"] === producer.snapshotId);
    return { ...result, ...(result.committed && snapshot ? { snapshot } : {}) };
  }

  /** Adds the schema `evolve` computes from the freshest one (null: no change) and makes it current. */
  updateSchema(evolve: (base: TableMetadata) => SchemaChange | null, options: CommitOptions<S> = {}) {
    return this.commit(updateSchemaAction(evolve), options);
  }

  updateProperties(
    set: Readonly<Record<string, string>>,
    remove: readonly string[] = [],
    options: CommitOptions<S> = {},
  ) {
    return this.commit(updatePropertiesAction(set, remove), options);
  }

  /** Removes the snapshots `select` picks from the freshest metadata. */
  expireSnapshots(select: (base: TableMetadata) => readonly bigint[], options: CommitOptions<S> = {}) {
    return this.commit(expireSnapshotsAction(select), options);
  }

  /** What `rewriteManifests(plan)` would do on the current metadata, without writing anything. */
  previewManifestRewrite(plan: ManifestMergePlan): Promise<MergeCounts> {
    return new ManifestMerger(this.io, plan).preview(this.metadata);
  }

  /** Merges the manifests `plan` bins together into one each; counts of the attempt that committed. */
  async rewriteManifests(
    plan: ManifestMergePlan,
    options: CommitOptions<S> & { now?: () => number } = {},
  ): Promise<CommitResult<S> & { counts?: MergeCounts; snapshotId: bigint }> {
    const merger = new ManifestMerger(this.io, plan, options.now ? { now: options.now } : {});
    let counts: MergeCounts | undefined;
    const result = await this.commit(
      manifestRewriteAction(merger, (c) => {
        counts = c;
      }),
      options,
    );
    return { ...result, ...(result.committed && counts ? { counts } : {}), snapshotId: merger.snapshotId };
  }
}

export class AppendOperation<S extends TableState = TableState> {
  private readonly files: DataFile[] = [];

  constructor(
    private readonly table: Table<S>,
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
  async commit(options: CommitOptions<S> & { allowEmpty?: boolean } = {}): Promise<SnapshotCommitResult<S>> {
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

export class FileChangeOperation<S extends TableState = TableState> {
  private readonly added: DataFile[] = [];
  private readonly deletes: DataFile[] = [];
  private readonly removed: string[] = [];
  private readonly removedDeletes: string[] = [];
  private readonly required: string[] = [];
  private skip?: ReadonlySet<string>;

  constructor(
    private readonly table: Table<S>,
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

  /** Data files to remove: each must still be live at commit. */
  removeFiles(paths: readonly string[]): this {
    this.removed.push(...paths);
    return this;
  }

  /**
   * Delete files to remove: each must still be live at commit. A path removes every delete file stored
   * there (all the deletion vectors of a Puffin file); a DataFile removes that one (one vector).
   */
  removeDeleteFiles(files: readonly (string | DataFile)[]): this {
    this.removedDeletes.push(...files.map((f) => (typeof f === "string" ? f : deleteFileKey(f))));
    return this;
  }

  /** Data files that must still be live at commit (those position deletes point into). */
  requireDataFiles(paths: readonly string[]): this {
    this.required.push(...paths);
    return this;
  }

  /** Manifests known to hold none of the removed or required files (from the plan's scan): not read. */
  skipManifests(paths: ReadonlySet<string>): this {
    this.skip = paths;
    return this;
  }

  async commit(options: CommitOptions<S> = {}): Promise<SnapshotCommitResult<S>> {
    return this.table.commitChanges(
      {
        addedDataFiles: this.added,
        addedDeleteFiles: this.deletes,
        removedFilePaths: this.removed,
        removedDeleteFilePaths: this.removedDeletes,
        requiredDataFilePaths: this.required,
        ...pickSummary(options),
      },
      this.operation,
      options,
      this.skip === undefined ? {} : { skipManifests: this.skip },
    );
  }
}

function pickSummary(options: {
  summary?: Readonly<Record<string, string>>;
}): Pick<SnapshotChanges, "summary"> {
  return options.summary === undefined ? {} : { summary: options.summary };
}
