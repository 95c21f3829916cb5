// Table changes: the transaction API, the only way Floe changes a table. Actions (append, overwrite,
// replace, delete, row delta, schema, properties, expire snapshots, rewrite manifests) are staged on
// the freshest metadata per attempt and committed through a TableOps port (a catalog's table) with the
// retry budget of the table's commit.retry.* properties; unknown outcomes are always resolved.
// May import: errors, log, iceberg/spec, iceberg/avro, iceberg/io, iceberg/write, iceberg/snapshot.

export type { SchemaChange } from "./actions.js";
export {
  expireSnapshotsAction,
  manifestRewriteAction,
  snapshotAction,
  updatePropertiesAction,
  updateSchemaAction,
  upgradeFormatVersionAction,
} from "./actions.js";
export type { CommitLoopOptions, CommitLoopResult, LoopStaged } from "./commit-loop.js";
export { commitLoop, retryDelayMs, retryPolicyFor } from "./commit-loop.js";
export type { StagedChange, TableAction, TableOps, TableState } from "./port.js";
export type { CommitOptions, SnapshotCommitResult, WriterSettings } from "./table.js";
export { AppendOperation, FileChangeOperation, Table } from "./table.js";
export type { CommitResult } from "./transaction.js";
export { commitActions } from "./transaction.js";
