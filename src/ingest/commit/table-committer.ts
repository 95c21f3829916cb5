/**
 * Commits one table's buffered records: loads (or creates) the table, drops records a previous commit
 * already covers, evolves the schema, converts rows, writes data files and commits one snapshot whose
 * summary carries the group's offsets. The commit is dropped, and the partitions re-read, when another
 * writer committed any part of this batch's offset range first: a zombie after a rebalance loses.
 */
import {
  type Catalog,
  formatIdentifier,
  type LoadedTable,
  Table,
  type TableIdentifier,
} from "../../catalog/index.js";
import { FloeError, isFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import {
  countFields,
  currentSchema,
  highestFieldId,
  makeSchema,
  type Schema,
  type StructType,
  type TableMetadata,
} from "../../iceberg/spec/index.js";
import type { ColumnSource } from "../../iceberg/write/index.js";
import type { Logger } from "../../log.js";
import {
  conformColumns,
  metadataColumns,
  metadataStruct,
  type RecordFailure,
  splitTp,
  type TableBuffer,
} from "../buffer/index.js";
import { evolveSchema } from "../schema/index.js";
import {
  committedOffsets,
  formatOffsets,
  getOffset,
  mergeOffsets,
  type OffsetMap,
  offsetsKey,
  setOffset,
} from "./offsets.js";
import { parsePartitionBy } from "./partitioning.js";

export interface TableCommitResult {
  table: TableIdentifier;
  committed: boolean;
  rows: number;
  files: number;
  snapshotId?: bigint;
  /** Set when the batch lost to another writer: where each partition must be re-read from. */
  reseek?: OffsetMap;
  newestTimestampMs: bigint;
  /** The table's current schema as this commit left it (or found it). */
  schema?: Schema;
}

export interface CommitterDeps {
  catalog: Catalog;
  io: FileIO;
  group: string;
  logger: Logger;
  /** Handles a record that cannot be written (dead letter, skip or fail per the route). */
  onRecordError: (failure: RecordFailure) => void;
}

const EMPTY: StructType = { type: "struct", fields: [] };

async function loadOrCreate(deps: CommitterDeps, buf: TableBuffer, first: StructType): Promise<Table> {
  const { catalog, io } = deps;
  try {
    return new Table(catalog, await catalog.loadTable(buf.table), io);
  } catch (e) {
    if (!isFloeError(e, "NOT_FOUND")) throw e;
  }
  const ns = buf.table.namespace;
  if (!(await catalog.namespaceExists(ns))) {
    await catalog.createNamespace(ns).catch((e: unknown) => {
      if (!isFloeError(e, "ALREADY_EXISTS")) throw e;
    });
  }
  const route = buf.route.config;
  const meta = (s: Schema) =>
    route.metadataColumns ? evolveSchema(s, metadataStruct(1), highestFieldId(s)).schema : s;
  let schema = meta(makeSchema([]));
  try {
    // The first record's columns, unless they break a rule: then evolve() decides about that record.
    const withFirst = meta(evolveSchema(makeSchema([]), first, 0).schema);
    if (countFields(withFirst) <= route.maxColumns) schema = withFirst;
  } catch (e) {
    if (!isFloeError(e)) throw e;
  }
  const spec = parsePartitionBy(schema, route.partitionBy, `tables.${buf.route.index}.partitionBy`);
  try {
    const created = await catalog.createTable(ns, {
      name: buf.table.name,
      schema,
      spec,
      properties: route.properties,
    });
    deps.logger.info("created table", { table: formatIdentifier(buf.table), columns: schema.fields.length });
    return new Table(catalog, created, io);
  } catch (e) {
    if (!isFloeError(e, "ALREADY_EXISTS")) throw e;
    return new Table(catalog, await catalog.loadTable(buf.table), io); // another sink created it first
  }
}

/** Adds new columns / widens types for every record schema; returns the schemas that cannot fit. */
async function evolve(
  deps: CommitterDeps,
  table: Table,
  schemas: readonly StructType[],
  route: { evolve: boolean; maxColumns: number; index: number },
  extra: readonly StructType[],
): Promise<Map<StructType, FloeError>> {
  const allowed = route.evolve;
  for (let attempt = 1; ; attempt++) {
    const md = table.metadata;
    let schema = currentSchema(md);
    let last = md["last-column-id"];
    let changed = false;
    const bad = new Map<StructType, FloeError>();
    for (const s of new Set([...extra, ...schemas])) {
      try {
        const next = evolveSchema(schema, s, last);
        if (next.changed && !allowed) {
          throw new FloeError(
            "SCHEMA_INCOMPATIBLE",
            `record has new fields (${next.changes.join("; ")}) and evolve is off`,
          );
        }
        if (next.changed) {
          const columns = countFields(next.schema);
          if (columns > route.maxColumns) {
            throw new FloeError(
              "SCHEMA_INCOMPATIBLE",
              `record would take the table to ${columns} columns, over the limit of ${route.maxColumns} ` +
                `(tables.${route.index}.maxColumns, counting nested fields): ${next.changes.slice(0, 3).join("; ")}${next.changes.length > 3 ? "; ..." : ""}`,
              { context: { columns, maxColumns: route.maxColumns } },
            );
          }
          ({ schema, lastColumnId: last } = next);
        }
        changed ||= next.changed;
      } catch (e) {
        if (!isFloeError(e)) throw e;
        bad.set(s, e);
      }
    }
    if (!changed) return bad;
    try {
      await deps.catalog.commitTable(
        table.identifier,
        [
          { type: "assert-current-schema-id", "current-schema-id": md["current-schema-id"] },
          { type: "assert-last-assigned-field-id", "last-assigned-field-id": md["last-column-id"] },
        ],
        [
          {
            action: "add-schema",
            schema: { ...schema, "schema-id": nextSchemaId(md) },
            "last-column-id": last,
          },
          { action: "set-current-schema", "schema-id": -1 },
        ],
      );
      deps.logger.info("evolved table schema", {
        table: formatIdentifier(table.identifier),
        lastColumnId: last,
      });
      await table.refresh();
      return bad;
    } catch (e) {
      if (!isFloeError(e, "COMMIT_CONFLICT") || attempt >= 5) throw e;
      await table.refresh();
    }
  }
}

function nextSchemaId(md: TableMetadata): number {
  return Math.max(...md.schemas.map((s) => s["schema-id"])) + 1;
}

/** The batch's own offsets: next offset per partition it covers. */
function batchOffsets(buf: TableBuffer): OffsetMap {
  const out: OffsetMap = new Map();
  for (const [k, r] of buf.ranges) {
    const [topic, p] = splitTp(k);
    setOffset(out, topic, p, r.next);
  }
  return out;
}

/** Where another writer left each of our partitions, when it committed past our batch's start. */
function overtaken(buf: TableBuffer, committed: OffsetMap): OffsetMap | undefined {
  let out: OffsetMap | undefined;
  for (const [k, r] of buf.ranges) {
    const [topic, p] = splitTp(k);
    const c = getOffset(committed, topic, p);
    if (c !== undefined && c > r.first) {
      out ??= new Map();
      for (const [k2] of buf.ranges) {
        const [t2, p2] = splitTp(k2);
        setOffset(out, t2, p2, getOffset(committed, t2, p2) ?? buf.ranges.get(k2)?.first ?? 0n);
      }
      return out;
    }
  }
  return out;
}

export async function commitTableBuffer(deps: CommitterDeps, buf: TableBuffer): Promise<TableCommitResult> {
  const route = buf.route.config;
  const table = await loadOrCreate(deps, buf, buf.schemas[0] ?? EMPTY);
  const result: TableCommitResult = {
    table: buf.table,
    committed: false,
    rows: 0,
    files: 0,
    newestTimestampMs: buf.newestTimestampMs,
  };
  // Another writer may already have committed part of this range (we were a zombie, or re-read).
  const ahead = overtaken(buf, committedOffsets(table.metadata, deps.group));
  if (ahead) return { ...result, reseek: ahead };

  const extra = route.metadataColumns ? [metadataStruct(1)] : [];
  const bad = await evolve(
    deps,
    table,
    buf.schemas,
    { evolve: route.evolve, maxColumns: route.maxColumns, index: buf.route.index },
    extra,
  );
  const schema = currentSchema(table.metadata);
  result.schema = schema;
  const failures = conformColumns(buf, schema, bad);
  for (const f of failures) deps.onRecordError(f);
  const columns = new Map<string, unknown[] | ColumnSource>(buf.columns);
  if (route.metadataColumns) for (const [name, col] of metadataColumns(buf)) columns.set(name, col);
  const rows = buf.length;

  const append = table.newAppend();
  if (rows > 0) await append.appendColumns(columns, rows);
  const ours = batchOffsets(buf);
  let reseek: OffsetMap | undefined;
  const commit = await append.commit({
    allowEmpty: true,
    logger: deps.logger,
    validate: (base: LoadedTable) => {
      reseek = overtaken(buf, committedOffsets(base.metadata, deps.group));
      return reseek === undefined;
    },
    summaryFor: (base) => ({
      [offsetsKey(deps.group)]: formatOffsets(
        mergeOffsets(committedOffsets(base.metadata, deps.group), ours),
      ),
    }),
  });
  if (!commit.committed) {
    // Lost to another writer: these files were never referenced by any snapshot, remove them.
    await Promise.all(append.dataFiles.map((f) => deps.io.delete(f.file_path).catch(() => undefined)));
    return { ...result, ...(reseek ? { reseek } : {}) };
  }
  return {
    ...result,
    committed: true,
    rows,
    files: append.dataFiles.length,
    ...(commit.snapshot ? { snapshotId: commit.snapshot["snapshot-id"] } : {}),
  };
}
