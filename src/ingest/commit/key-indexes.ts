/**
 * The sink's key indexes, one per upsert table: loaded on the table's first commit (from its latest
 * checkpoint, caught up, or rebuilt from the table), caught up again whenever another writer (another
 * sink, compaction) committed since, and saved beside the table every `keyIndexCheckpointSeconds` and
 * at stop. A checkpoint is named in the summary of the commit that covers it. An index past the route's
 * `keyIndexMemoryMB` keeps its sorted run in a file under `keyIndexSpillDir`, removed by close().
 */
import { formatIdentifier, type Table } from "../../catalog/index.js";
import type { FileIO } from "../../iceberg/io/index.js";
import type { TableMetadata } from "../../iceberg/spec/index.js";
import type { Logger } from "../../log.js";
import { catchUp, type KeyIndex, loadKeyIndex, writeCheckpoint } from "../../upsert/index.js";
import type { Route } from "../route.js";

interface Entry {
  index: KeyIndex;
  /** Another writer committed since the index last caught up. */
  stale: boolean;
  checkpointAt: number;
}

export class KeyIndexes {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly io: FileIO,
    private readonly logger: Logger,
  ) {}

  /** The table's index, brought to its current snapshot. */
  async forTable(table: Table, route: Route): Promise<KeyIndex> {
    const name = formatIdentifier(table.identifier);
    const md = table.metadata;
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      const loaded = await loadKeyIndex(this.io, md, route.config.key ?? [], this.logger, {
        memoryBytes: route.config.keyIndexMemoryMB * 2 ** 20,
        ...(route.config.keyIndexSpillDir === undefined ? {} : { spillDir: route.config.keyIndexSpillDir }),
        label: name,
        logger: this.logger,
      });
      this.logger.info("loaded key index", {
        table: name,
        source: loaded.source,
        keys: loaded.index.size,
        memoryMB: Math.round(loaded.index.memoryBytes / 2 ** 20),
        diskMB: Math.round(loaded.index.diskBytes / 2 ** 20),
        caughtUpFiles: loaded.caughtUpFiles,
        ms: Math.round(loaded.ms),
      });
      entry = { index: loaded.index, stale: false, checkpointAt: Date.now() };
      this.#entries.set(name, entry);
      return entry.index;
    }
    if (entry.stale || entry.index.snapshotId !== (md["current-snapshot-id"] ?? undefined)) {
      const t0 = performance.now();
      const { files } = await catchUp(this.io, entry.index, md);
      entry.stale = false;
      this.logger.info("caught up key index", { table: name, files, ms: Math.round(performance.now() - t0) });
    }
    return entry.index;
  }

  /**
   * A checkpoint to commit with the table's next snapshot, when one is due (or `final`): its summary
   * properties, to be committed only on top of the snapshot the index was at.
   */
  async checkpoint(
    table: Table,
    route: Route,
    final: boolean,
  ): Promise<{ summary: Record<string, string>; parent: bigint | undefined } | undefined> {
    const entry = this.#entries.get(formatIdentifier(table.identifier));
    if (entry === undefined || entry.stale) return undefined;
    if (!final && Date.now() - entry.checkpointAt < route.config.keyIndexCheckpointSeconds * 1000)
      return undefined;
    const { summary } = await writeCheckpoint(this.io, table.metadata, entry.index);
    entry.checkpointAt = Date.now();
    return { summary, parent: entry.index.snapshotId };
  }

  /** The commit landed as `snapshotId` on top of `parent`. */
  committed(table: Table, index: KeyIndex, committed: TableMetadata, snapshotId: bigint | undefined): void {
    const entry = this.#entries.get(formatIdentifier(table.identifier));
    const before = index.snapshotId;
    const snapshot = committed.snapshots?.find((s) => s["snapshot-id"] === snapshotId);
    if (snapshotId === undefined) {
      index.discardPending();
      return;
    }
    index.commitPending(snapshotId, snapshot?.["sequence-number"], snapshot?.["parent-snapshot-id"] ?? null);
    // Another writer's snapshots between ours: the index does not know their files yet.
    if (entry !== undefined && (snapshot?.["parent-snapshot-id"] ?? undefined) !== before) entry.stale = true;
  }

  /** A commit was dropped (its changes discarded): catch up before the next. */
  dropped(table: Table, index: KeyIndex): void {
    index.discardPending();
    const entry = this.#entries.get(formatIdentifier(table.identifier));
    if (entry !== undefined) entry.stale = true;
  }

  /** Deletes the indexes' spilled runs (the sink stopped; a restart loads the checkpoints). */
  close(): void {
    for (const entry of this.#entries.values()) entry.index.close();
    this.#entries.clear();
  }
}
