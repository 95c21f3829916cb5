/**
 * A table in a catalog: the iceberg layer's Table (the transaction API, iceberg/table) bound to the
 * catalog through its TableOps port: load is loadTable, commit is commitTable.
 */
import type { FileIO } from "../iceberg/io/index.js";
import type {
  AppendOperation as IcebergAppend,
  CommitOptions as IcebergCommitOptions,
  FileChangeOperation as IcebergFileChange,
  SnapshotCommitResult as IcebergSnapshotCommitResult,
  TableOps,
} from "../iceberg/table/index.js";
import { Table as IcebergTable } from "../iceberg/table/index.js";
import { type Catalog, formatIdentifier, type LoadedTable, type TableIdentifier } from "./catalog.js";

export type AppendOperation = IcebergAppend<LoadedTable>;
export type FileChangeOperation = IcebergFileChange<LoadedTable>;
export type CommitOptions = IcebergCommitOptions<LoadedTable>;
export type SnapshotCommitResult = IcebergSnapshotCommitResult<LoadedTable>;

/** The TableOps port for a table of `catalog`. */
export function catalogTableOps(catalog: Catalog, id: TableIdentifier): TableOps<LoadedTable> {
  return {
    name: formatIdentifier(id),
    load: () => catalog.loadTable(id),
    commit: (requirements, updates) => catalog.commitTable(id, requirements, updates),
  };
}

export class Table extends IcebergTable<LoadedTable> {
  constructor(
    readonly catalog: Catalog,
    loaded: LoadedTable,
    io: FileIO,
  ) {
    super(catalogTableOps(catalog, loaded.identifier), loaded, io);
  }

  get identifier(): TableIdentifier {
    return this.loaded.identifier;
  }
}

/** Loads a table from a catalog with the FileIO to use for its files. */
export async function loadTable(catalog: Catalog, id: TableIdentifier, io: FileIO): Promise<Table> {
  return new Table(catalog, await catalog.loadTable(id), io);
}
