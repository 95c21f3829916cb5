/**
 * Commits a table's flushes in steps the caller sequences: `prepareTableCommit` loads (or creates) the
 * table, stops if another writer already committed part of the batch's offset range, evolves the
 * schema and conforms the rows, returning the records that cannot be written; the caller applies
 * their error path (dead letters acknowledged) before the rows go into the table's open commit
 * (open-commit.ts), and `commitOpen` closes its files and commits them with the offsets
 * (catalog-commit.ts).
 */
import { type Catalog, formatIdentifier, Table, type TableIdentifier } from "../../catalog/index.js";
import { isFloeError } from "../../errors.js";
import { deleteFiles, type FileIO } from "../../iceberg/io/index.js";
import {
  countFields,
  currentSchema,
  FLOE_UPSERT_KEY,
  highestFieldId,
  makeSchema,
  type Schema,
  type StructType,
} from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import type { RecordFailure, TableBatch } from "../buffer/index.js";
import { evolveSchema } from "../schema/index.js";
import { commitSchemaChanges, commitSnapshot, overtaken } from "./catalog-commit.js";
import type { KeyIndexes } from "./key-indexes.js";
import { committedOffsets, type OffsetMap } from "./offsets.js";
import type { OpenTableCommit } from "./open-commit.js";
import { parsePartitionBy } from "./partitioning.js";

export interface CommitterDeps {
  catalog: Catalog;
  io: FileIO;
  group: string;
  logger: Logger;
  /** Upsert tables' key indexes (required for upsert routes). */
  keyIndexes?: KeyIndexes;
  /** The sink's last commit before it stops (a key index checkpoint is then always written). */
  final?: boolean;
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

/** The first record's schema; of an upsert route the first row's, not a delete's (only its key). */
function firstRowSchema(batch: TableBatch): StructType | undefined {
  const route = batch.route.config;
  if (route.mode !== "upsert") return batch.schemas[0];
  const key = route.key ?? [];
  return batch.schemas.find((s) => s.fields.some((f) => !key.includes(f.name))) ?? batch.schemas[0];
}

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
    const withFirst = meta(evolveSchema(makeSchema([]), firstRowSchema(batch) ?? EMPTY, 0).schema);
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
      // Upsert tables name their key, for readers and for a sink that finds the table later.
      properties:
        route.mode === "upsert"
          ? { ...route.properties, [FLOE_UPSERT_KEY]: (route.key ?? []).join(",") }
          : route.properties,
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
 * range (we were a zombie, or re-read), evolves the schema and conforms the rows to it. With `open`
 * (the table's commit in the making) its table is used as it is: the commit checks the offsets.
 */
export async function prepareTableCommit(
  deps: CommitterDeps,
  batch: TableBatch,
  open?: Table,
): Promise<PreparedCommit | Superseded> {
  const table = open ?? (await loadOrCreate(deps, batch));
  const ahead = open ? undefined : overtaken(batch, committedOffsets(table.metadata, deps.group));
  if (ahead) return { superseded: true, reseek: ahead };
  const bad = await commitSchemaChanges(deps, table, batch);
  const schema = currentSchema(table.metadata);
  const failures = batch.conform(schema, bad);
  return { superseded: false, batch, table, schema, failures };
}

/**
 * Closes the open commit's files and commits them with its offsets as one snapshot: an append, or for an
 * upsert table with deletes a row delta whose deletes require the data files they hit to be live.
 */
export async function commitOpen(deps: CommitterDeps, open: OpenTableCommit): Promise<TableCommitResult> {
  const files = await open.close();
  const { upsert, table } = open;
  const { added: deletes, replaced } = upsert?.hasDeletes
    ? await upsert.writeDeletes(table)
    : { added: [], replaced: [] };
  const op =
    upsert === undefined || deletes.length === 0
      ? table.newAppend().appendFiles(files)
      : table
          .newRowDelta()
          .addDataFiles(files)
          .addDeleteFiles(deletes)
          .removeDeleteFiles(replaced)
          .requireDataFiles(upsert.referenced);
  const checkpoint =
    upsert === undefined
      ? undefined
      : await deps.keyIndexes?.checkpoint(table, open.route, deps.final ?? false);
  const written = [...files, ...deletes].map((f) => f.file_path);
  let outcome: Awaited<ReturnType<typeof commitSnapshot>>;
  try {
    outcome = await commitSnapshot(deps, op, open, checkpoint);
  } catch (e) {
    if (upsert === undefined || !isFloeError(e, "COMMIT_CONFLICT")) throw e;
    // A data file our deletes hit was rewritten (compaction): its rows moved. Catch up and read again.
    await deleteFiles(deps.io, written).catch(() => undefined);
    deps.keyIndexes?.dropped(table, upsert.index);
    deps.logger.warn("a data file this upsert commit deletes from was rewritten; re-reading", {
      error: (e as Error).message,
    });
    return { superseded: true, reseek: open.restartPoints({ ranges: new Map() }) };
  }
  if (!outcome.committed) {
    // Lost to another writer: these files were never referenced by any snapshot, remove them.
    await deleteFiles(deps.io, written).catch(() => undefined);
    if (upsert !== undefined) deps.keyIndexes?.dropped(table, upsert.index);
    return { superseded: true, reseek: outcome.reseek };
  }
  if (upsert !== undefined)
    deps.keyIndexes?.committed(table, upsert.index, table.metadata, outcome.snapshotId);
  return {
    superseded: false,
    table: open.table.identifier,
    rows: open.rows,
    files: files.length,
    ...(outcome.snapshotId === undefined ? {} : { snapshotId: outcome.snapshotId }),
    newestTimestampMs: open.newestTimestampMs,
    schema: open.schema ?? currentSchema(open.table.metadata),
  };
}
