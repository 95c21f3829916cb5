/**
 * A table batch's two catalog commits, the only places the committer changes a table: the schema
 * change its records need (new columns, widened types), and the snapshot of its data files whose
 * summary carries the group's offsets. The snapshot is dropped when another writer committed any part
 * of the batch's offset range first: a zombie after a rebalance loses and re-reads from there.
 */
import {
  type AppendOperation,
  type Catalog,
  type FileChangeOperation,
  formatIdentifier,
  type LoadedTable,
  type Table,
} from "../../catalog/index.js";
import { FloeError, isFloeError } from "../../errors.js";
import { deleteFiles, type FileIO } from "../../iceberg/io/index.js";
import { countFields, currentSchema, type StructType, type TableMetadata } from "../../iceberg/spec/index.js";
import type { SchemaChange } from "../../iceberg/table/index.js";
import type { Logger } from "../../log.js";
import { type PartitionRange, splitTp, type TableBatch } from "../buffer/index.js";
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

export interface CatalogCommitDeps {
  catalog: Catalog;
  group: string;
  logger: Logger;
  /** Where lost attempts' manifests and manifest lists are deleted (kept when unset). */
  io?: FileIO;
}

/**
 * Adds new columns / widens types for every record schema of the batch (and its metadata columns) in
 * one schema commit; returns the record schemas the table cannot take, with the reason.
 */
export async function commitSchemaChanges(
  deps: CatalogCommitDeps,
  table: Table,
  batch: TableBatch,
): Promise<Map<StructType, FloeError>> {
  const route = batch.route;
  const { evolve: allowed, maxColumns } = route.config;
  const extra = batch.metadataSchema === undefined ? [] : [batch.metadataSchema];
  let bad = new Map<StructType, FloeError>();
  // Redone on every attempt against the freshest schema; null (no commit) when nothing changes.
  const evolve = (md: TableMetadata): SchemaChange | null => {
    let schema = currentSchema(md);
    let last = md["last-column-id"];
    let changed = false;
    bad = new Map();
    for (const s of new Set([...extra, ...batch.schemas])) {
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
          if (columns > maxColumns) {
            throw new FloeError(
              "SCHEMA_INCOMPATIBLE",
              `record would take the table to ${columns} columns, over the limit of ${maxColumns} ` +
                `(tables.${route.index}.maxColumns, counting nested fields): ${next.changes.slice(0, 3).join("; ")}${next.changes.length > 3 ? "; ..." : ""}`,
              { context: { columns, maxColumns } },
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
    return changed ? { schema, lastColumnId: last } : null;
  };
  const result = await table.updateSchema(evolve, { logger: deps.logger, base: table.state });
  if (result.committed) {
    deps.logger.info("evolved table schema", {
      table: formatIdentifier(table.identifier),
      lastColumnId: table.metadata["last-column-id"],
    });
  }
  return bad;
}

/** What a snapshot commit did: committed, or dropped because another writer was ahead. */
export type SnapshotOutcome =
  | { committed: true; snapshotId?: bigint }
  | {
      committed: false;
      /** Where each partition of the batch must be re-read from. */
      reseek: OffsetMap;
    };

/**
 * Commits the files written for the batch as one append snapshot (none: the offsets still move),
 * its summary carrying the group's offsets merged with the batch's; checked against each attempt's
 * base, so it is dropped if another writer committed past the batch's start meanwhile.
 */
export async function commitSnapshot(
  deps: CatalogCommitDeps,
  append: SnapshotOperation,
  batch: Covered,
  checkpoint?: IndexCheckpoint,
): Promise<SnapshotOutcome> {
  const ours = batchOffsets(batch);
  let reseek: OffsetMap | undefined;
  const { io } = deps;
  const commit = await append.commit({
    allowEmpty: true,
    logger: deps.logger,
    ...(io === undefined ? {} : { deleteFiles: (paths: readonly string[]) => deleteFiles(io, paths) }),
    validate: (base: LoadedTable) => {
      reseek = overtaken(batch, committedOffsets(base.metadata, deps.group));
      return reseek === undefined;
    },
    summaryFor: (base) => ({
      // A key index checkpoint describes the table as of its parent snapshot plus this commit.
      ...(checkpoint !== undefined &&
      (base.metadata["current-snapshot-id"] ?? undefined) === checkpoint.parent
        ? checkpoint.summary
        : {}),
      [offsetsKey(deps.group)]: formatOffsets(
        mergeOffsets(committedOffsets(base.metadata, deps.group), ours),
      ),
    }),
  });
  if (commit.committed) {
    return { committed: true, ...(commit.snapshot ? { snapshotId: commit.snapshot["snapshot-id"] } : {}) };
  }
  if (reseek === undefined) throw new FloeError("INTERNAL", "snapshot commit dropped without a reason");
  return { committed: false, reseek };
}

/** An append, or a row delta (upserts): one snapshot with the offsets. */
export type SnapshotOperation = Pick<AppendOperation, "commit"> | Pick<FileChangeOperation, "commit">;

/** Summary properties naming a key index checkpoint, valid on top of snapshot `parent`. */
export interface IndexCheckpoint {
  readonly summary: Readonly<Record<string, string>>;
  readonly parent: bigint | undefined;
}

/** What a commit covers: offset ranges per `topic\u0000partition`. */
export interface Covered {
  readonly ranges: ReadonlyMap<string, PartitionRange>;
}

/** The batch's own offsets: next offset per partition it covers. */
function batchOffsets(batch: Covered): OffsetMap {
  const out: OffsetMap = new Map();
  for (const [k, r] of batch.ranges) {
    const [topic, p] = splitTp(k);
    setOffset(out, topic, p, r.next);
  }
  return out;
}

/** Where another writer left each of our partitions, when it committed past our batch's start. */
export function overtaken(batch: Covered, committed: OffsetMap): OffsetMap | undefined {
  for (const [k, r] of batch.ranges) {
    const [topic, p] = splitTp(k);
    const c = getOffset(committed, topic, p);
    if (c !== undefined && c > r.first) {
      const out: OffsetMap = new Map();
      for (const [k2, r2] of batch.ranges) {
        const [t2, p2] = splitTp(k2);
        setOffset(out, t2, p2, getOffset(committed, t2, p2) ?? r2.first);
      }
      return out;
    }
  }
  return undefined;
}
