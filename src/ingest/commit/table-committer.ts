/**
 * Commits one table's batch in steps the caller sequences: `prepareTableCommit` loads (or creates) the
 * table, stops if another writer already committed part of the batch's offset range, evolves the
 * schema and conforms the rows, returning the records that cannot be written; the caller applies
 * their error path (dead letters acknowledged) before `commitPrepared` writes the data files
 * (`writeDataFiles`) and commits them with the offsets (catalog-commit.ts).
 */
import {
  type AppendOperation,
  type Catalog,
  formatIdentifier,
  Table,
  type TableIdentifier,
} from "../../catalog/index.js";
import { isFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import {
  countFields,
  currentSchema,
  highestFieldId,
  makeSchema,
  type Schema,
  type StructType,
} from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import type { RecordFailure, TableBatch } from "../buffer/index.js";
import { evolveSchema } from "../schema/index.js";
import { commitSchemaChanges, commitSnapshot, overtaken } from "./catalog-commit.js";
import { committedOffsets, type OffsetMap } from "./offsets.js";
import { parsePartitionBy } from "./partitioning.js";

export interface CommitterDeps {
  catalog: Catalog;
  io: FileIO;
  group: string;
  logger: Logger;
}

/** A batch ready to write: its table loaded, the schema evolved, the rows conformed to it. */
export interface PreparedCommit {
  readonly superseded: false;
  readonly batch: TableBatch;
  readonly table: Table;
  /** The table's current schema as the schema step left it (or found it). */
  readonly schema: Schema;
  /** Records taken out of the batch: their route's onError applies before the commit. */
  readonly failures: readonly RecordFailure[];
}

/** Another writer committed part of the batch's range: nothing is written, partitions are re-read. */
export interface Superseded {
  readonly superseded: true;
  /** Where each partition of the batch must be re-read from. */
  readonly reseek: OffsetMap;
}

export type TableCommitResult =
  | {
      superseded: false;
      table: TableIdentifier;
      rows: number;
      files: number;
      snapshotId?: bigint;
      newestTimestampMs: bigint;
      /** The table's current schema as this commit left it. */
      schema: Schema;
    }
  | Superseded;

const EMPTY: StructType = { type: "struct", fields: [] };

async function loadOrCreate(deps: CommitterDeps, batch: TableBatch): Promise<Table> {
  const { catalog, io } = deps;
  try {
    return new Table(catalog, await catalog.loadTable(batch.table), io);
  } catch (e) {
    if (!isFloeError(e, "NOT_FOUND")) throw e;
  }
  const ns = batch.table.namespace;
  if (!(await catalog.namespaceExists(ns))) {
    await catalog.createNamespace(ns).catch((e: unknown) => {
      if (!isFloeError(e, "ALREADY_EXISTS")) throw e;
    });
  }
  const route = batch.route.config;
  const { metadataSchema } = batch;
  const meta = (s: Schema) =>
    metadataSchema ? evolveSchema(s, metadataSchema, highestFieldId(s)).schema : s;
  let schema = meta(makeSchema([]));
  try {
    // The first record's columns, unless they break a rule: then the schema step decides about that record.
    const withFirst = meta(evolveSchema(makeSchema([]), batch.schemas[0] ?? EMPTY, 0).schema);
    if (countFields(withFirst) <= route.maxColumns) schema = withFirst;
  } catch (e) {
    if (!isFloeError(e)) throw e;
  }
  const spec = parsePartitionBy(schema, route.partitionBy, `tables.${batch.route.index}.partitionBy`);
  try {
    const created = await catalog.createTable(ns, {
      name: batch.table.name,
      schema,
      spec,
      properties: route.properties,
    });
    deps.logger.info("created table", {
      table: formatIdentifier(batch.table),
      columns: schema.fields.length,
    });
    return new Table(catalog, created, io);
  } catch (e) {
    if (!isFloeError(e, "ALREADY_EXISTS")) throw e;
    return new Table(catalog, await catalog.loadTable(batch.table), io); // another sink created it first
  }
}

/**
 * Loads (or creates) the batch's table; unless another writer already committed part of the batch's
 * range (we were a zombie, or re-read), evolves the schema and conforms the rows to it.
 */
export async function prepareTableCommit(
  deps: CommitterDeps,
  batch: TableBatch,
): Promise<PreparedCommit | Superseded> {
  const table = await loadOrCreate(deps, batch);
  const ahead = overtaken(batch, committedOffsets(table.metadata, deps.group));
  if (ahead) return { superseded: true, reseek: ahead };
  const bad = await commitSchemaChanges(deps, table, batch);
  const schema = currentSchema(table.metadata);
  const failures = batch.conform(schema, bad);
  return { superseded: false, batch, table, schema, failures };
}

/**
 * The write step: the batch's rows as data files (partitioned per the table's spec), not yet part of
 * any snapshot.
 */
export async function writeDataFiles(prepared: PreparedCommit): Promise<AppendOperation> {
  const { batch, table } = prepared;
  const append = table.newAppend();
  if (batch.rows > 0) await append.appendColumns(batch.columns(), batch.rows);
  return append;
}

/** Writes the prepared batch and commits it with its offsets as one snapshot. */
export async function commitPrepared(
  deps: CommitterDeps,
  prepared: PreparedCommit,
): Promise<TableCommitResult> {
  const { batch } = prepared;
  const append = await writeDataFiles(prepared);
  const outcome = await commitSnapshot(deps, append, batch);
  if (!outcome.committed) {
    // Lost to another writer: these files were never referenced by any snapshot, remove them.
    await Promise.all(append.dataFiles.map((f) => deps.io.delete(f.file_path).catch(() => undefined)));
    return { superseded: true, reseek: outcome.reseek };
  }
  return {
    superseded: false,
    table: batch.table,
    rows: batch.rows,
    files: append.dataFiles.length,
    ...(outcome.snapshotId === undefined ? {} : { snapshotId: outcome.snapshotId }),
    newestTimestampMs: batch.newestTimestampMs,
    schema: prepared.schema,
  };
}
