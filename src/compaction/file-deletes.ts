/**
 * Reading the delete files that apply to one data file (DeleteIndex.deletesFor) into the form
 * applyDeletes takes: the deleted positions of the file and the equality delete sets. Each delete file
 * is read once per reader (a position delete file usually covers many data files).
 *
 * The one place a data file's deletes are read: the rewriter and the upsert key index both go through
 * it, so every kind of delete a reader understands applies to both.
 */
import type * as arrow from "apache-arrow";
import type { FileIO } from "../iceberg/io/index.js";
import type { Schema } from "../iceberg/spec/index.js";
import { isDeletionVector, readDeletionVector } from "../iceberg/write/index.js";
import { type EqualityDeleteSet, equalityDeleteSet, positionsFor } from "./apply-deletes.js";
import { type ConformOptions, parquetToArrow } from "./arrow-read.js";
import type { ScannedFile } from "./scan.js";

/** The deletes of one data file, ready for applyDeletes. */
export interface FileDeletes {
  /** Deleted row positions (0-based, file order). */
  readonly positions: Set<number>;
  readonly equality: EqualityDeleteSet[];
}

/** Reads delete files for data files of one table snapshot, each delete file once. */
export class DeleteFileReader {
  private readonly tables = new Map<string, arrow.Table>();

  constructor(
    private readonly io: FileIO,
    /** The schema rows are conformed to (equality delete columns are matched against it). */
    private readonly schema: Schema,
    private readonly conform: ConformOptions = {},
  ) {}

  /** The deletes in `attached` (the delete files applying to `data`) as they apply to `data`. */
  async forFile(data: ScannedFile, attached: readonly ScannedFile[]): Promise<FileDeletes> {
    const positions = new Set<number>();
    const equality: EqualityDeleteSet[] = [];
    for (const d of attached) {
      if (isDeletionVector(d.file)) {
        // A v3 deletion vector: one blob of a Puffin file, for this data file only (the index checked).
        for (const p of await readDeletionVector(this.io, d.file)) positions.add(p);
        continue;
      }
      const t = await this.table(d.file.file_path);
      if (d.file.content === 1) positionsFor(t, data.file.file_path, positions);
      else equality.push(equalityDeleteSet(t, d.file.equality_ids ?? [], this.schema, this.conform));
    }
    return { positions, equality };
  }

  /** Forgets the delete files read so far (their memory), e.g. between partitions. */
  clear(): void {
    this.tables.clear();
  }

  private async table(path: string): Promise<arrow.Table> {
    let t = this.tables.get(path);
    if (t === undefined) {
      t = parquetToArrow(await this.io.read(path), path);
      this.tables.set(path, t);
    }
    return t;
  }
}
