/**
 * Reading the keys of data files for the key index: only the key columns (and the columns equality
 * deletes match on) are decoded, conformed to the table schema by field id, the file's deletes are
 * applied through compaction's delete reading (position deletes, equality deletes, and whatever else
 * compaction learns to apply), and each surviving row yields (hash, file id, row position).
 */
import type * as arrow from "apache-arrow";
import {
  type ConformOptions,
  conformToSchema,
  DeleteFileReader,
  type DeleteIndex,
  type FileDeletes,
  parquetBatches,
  type ScannedFile,
  valueKey,
} from "../compaction/index.js";
import type { FileIO } from "../iceberg/io/index.js";
import {
  currentSchema,
  findFieldById,
  makeSchema,
  type NestedField,
  nameMappingOf,
  type PrimitiveValue,
  type Schema,
  specById,
  type TableMetadata,
} from "../iceberg/spec/index.js";
import { fieldIdOf, readParquetFooter } from "../iceberg/write/index.js";
import type { EntryChunks } from "./entries.js";
import type { IndexedFile } from "./files.js";
import { checkKeyColumns, keyHashes, keyVectors } from "./key-hash.js";

/** Data files read at once (reads overlap; decoding is one at a time on the JS thread). */
const READ_CONCURRENCY = 4;

/** What reading a table's keys needs, built once per catch-up. */
export class KeyReader {
  private readonly schema: Schema;
  private readonly keyFields: NestedField[];
  private readonly conform: ConformOptions;
  private readonly deleteReader: DeleteFileReader;

  constructor(
    private readonly io: FileIO,
    private readonly metadata: TableMetadata,
    keyColumns: readonly string[],
    private readonly deletes: DeleteIndex,
  ) {
    this.schema = currentSchema(metadata);
    this.keyFields = checkKeyColumns(this.schema, keyColumns);
    this.conform = { nameMapping: nameMappingOf(metadata.properties) };
    this.deleteReader = new DeleteFileReader(io, this.schema, this.conform);
  }

  /** The index's name for a scanned data file. */
  indexedFile(d: ScannedFile): IndexedFile {
    const spec = specById(this.metadata, d.specId);
    const partition = (spec?.fields ?? []).map(
      (f) => (d.file.partition[f.name] ?? null) as PrimitiveValue | null,
    );
    return { path: d.file.file_path, specId: d.specId, partition };
  }

  /**
   * Reads the live keys of `files` (their deletes applied) into `out`, each with the file id `idOf`
   * gives. Returns the rows read (before deletes).
   */
  async readInto(
    files: readonly ScannedFile[],
    idOf: (d: ScannedFile) => number,
    out: EntryChunks,
  ): Promise<number> {
    let rows = 0;
    let next = 0;
    // Reads run ahead (READ_CONCURRENCY files); entries are added in file order.
    const reads: Promise<Uint8Array>[] = [];
    const start = () => {
      while (reads.length < files.length && reads.length < next + READ_CONCURRENCY) {
        const p = this.io.read((files[reads.length] as ScannedFile).file.file_path);
        p.catch(() => undefined);
        reads.push(p);
      }
    };
    for (; next < files.length; next++) {
      start();
      const d = files[next] as ScannedFile;
      const bytes = await (reads[next] as Promise<Uint8Array>);
      reads[next] = EMPTY_READ;
      const deletes = await this.deleteReader.forFile(d, this.deletes.deletesFor(d));
      rows += await this.readFile(d, bytes, deletes, idOf(d), out);
    }
    return rows;
  }

  /** Deleted positions that the given delete files put on data file `d` (deletes must apply to it). */
  async positions(d: ScannedFile, attached: readonly ScannedFile[]): Promise<Set<number>> {
    return (await this.deleteReader.forFile(d, attached)).positions;
  }

  private async readFile(
    d: ScannedFile,
    bytes: Uint8Array,
    deletes: FileDeletes,
    fileId: number,
    out: EntryChunks,
  ): Promise<number> {
    const path = d.file.file_path;
    const eqIds = [...new Set(deletes.equality.flatMap((e) => e.ids))];
    const keyIds = this.keyFields.map((f) => f.id);
    const ids = [...new Set([...keyIds, ...eqIds])];
    const readSchema = makeSchema(
      ids.map((id) => findFieldById(this.schema, id)).filter((f): f is NestedField => f !== undefined),
    );
    const columns = projection(bytes, ids);
    let firstRow = 0;
    for await (const raw of parquetBatches(bytes, path, undefined, columns)) {
      const t = conformToSchema(raw, readSchema, path, this.conform);
      const hashes = keyHashes(
        keyVectors(t, keyIds),
        this.keyFields.map((f) => f.name),
      );
      const deleted = deletedRows(t, deletes, firstRow);
      for (let i = 0; i < t.numRows; i++) {
        if (deleted?.[i] === 1) continue;
        out.push(hashes[2 * i + 1] as number, hashes[2 * i] as number, fileId, firstRow + i);
      }
      firstRow += raw.numRows;
    }
    return firstRow;
  }
}

const EMPTY_READ: Promise<Uint8Array> = Promise.resolve(new Uint8Array(0));

/**
 * Top-level column names of the file holding the given field ids, or undefined (read every column)
 * when the file does not carry all of them as top-level field ids (old files, name-mapped files).
 */
function projection(bytes: Uint8Array, ids: readonly number[]): string[] | undefined {
  const byId = new Map<number, string>();
  for (const leaf of readParquetFooter(bytes).leaves) {
    if (leaf.path.length === 1 && leaf.fieldId !== undefined && leaf.path[0] !== undefined) {
      byId.set(leaf.fieldId, leaf.path[0]);
    }
  }
  const names = ids.map((id) => byId.get(id));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

/** 1 for each row of `t` (file rows firstRow..) that the deletes remove; undefined when none do. */
function deletedRows(t: arrow.Table, deletes: FileDeletes, firstRow: number): Uint8Array | undefined {
  if (deletes.positions.size === 0 && deletes.equality.every((e) => e.keys.size === 0)) return undefined;
  const out = new Uint8Array(t.numRows);
  let base = 0;
  for (const batch of t.batches) {
    const eqCols = deletes.equality.map((e) =>
      e.ids.map((id) => batch.data.children[batch.schema.fields.findIndex((f) => fieldIdOf(f) === id)]),
    );
    for (let i = 0; i < batch.numRows; i++) {
      let drop = deletes.positions.has(firstRow + base + i);
      for (let k = 0; !drop && k < eqCols.length; k++) {
        const cols = eqCols[k] as (arrow.Data | undefined)[];
        const key = cols.map((c) => (c === undefined ? "\u0000" : valueKey(c, i))).join("\u0001");
        drop = deletes.equality[k]?.keys.has(key) ?? false;
      }
      if (drop) out[base + i] = 1;
    }
    base += batch.numRows;
  }
  return out;
}
