/**
 * What a table change needs from wherever the table lives (a catalog, in practice): load the current
 * metadata and commit requirements plus updates atomically. The catalog layer's table satisfies it.
 *
 * `commit` throws FloeError COMMIT_CONFLICT when a requirement no longer holds (nothing was applied)
 * and COMMIT_STATE_UNKNOWN when the request was sent but its outcome is unknown (5xx, timeout); any
 * other error means the change was not applied.
 */
import type { TableMetadata, TableRequirement, TableUpdate } from "../spec/index.js";

export interface TableState {
  readonly metadata: TableMetadata;
  readonly metadataLocation: string;
}

export interface TableOps<S extends TableState = TableState> {
  /** The table's name for logs and errors (`db.events`). */
  readonly name: string;
  load(): Promise<S>;
  commit(requirements: readonly TableRequirement[], updates: readonly TableUpdate[]): Promise<S>;
}

/** A change as staged against one base: what must still hold and what to apply. */
export interface StagedChange {
  requirements: readonly TableRequirement[];
  updates: readonly TableUpdate[];
}

/**
 * One kind of table change (append, replace, schema update, ...). `stage` is called once per commit
 * attempt with the freshest metadata and rebuilds the change on it, reusing what does not depend on
 * the base; it returns null when there is nothing (left) to commit. `landed` decides, after an
 * unknown outcome, whether the reloaded metadata already holds this change: every action has one, so
 * every commit resolves an unknown outcome before retrying.
 */
export interface TableAction {
  readonly kind: string;
  stage(base: TableMetadata, attempt: number): Promise<StagedChange | null>;
  landed(metadata: TableMetadata): boolean;
  /**
   * Files the action wrote that `metadata` does not reference and may be deleted: all of them when
   * `metadata` is undefined (the change certainly did not land).
   */
  unreferencedFiles?(metadata?: TableMetadata): string[];
}
