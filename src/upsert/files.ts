/**
 * The key index's file table: the data files the index reflects (every live data file it has read,
 * whether or not a key still points into it), each under a small integer id that entries store, with
 * its data sequence number when known (a key found in two files keeps the newer one).
 */

import { FloeError } from "../errors.js";
import type { PrimitiveValue } from "../iceberg/spec/index.js";
import { MAX_FILE_ID } from "./entries.js";

/** A data file as the index names it: enough to write a position delete against it. */
export interface IndexedFile {
  readonly path: string;
  readonly specId: number;
  /** The partition tuple in spec field order. */
  readonly partition: readonly (PrimitiveValue | null)[];
}

export class FileTable {
  private readonly files: (IndexedFile | undefined)[] = [];
  private readonly seqs: (bigint | undefined)[] = [];
  private readonly byPath = new Map<string, number>();
  private readonly free: number[] = [];
  /** Ids added since the last commit (dropped by discard). */
  private pending: number[] = [];

  get size(): number {
    return this.byPath.size;
  }

  /** Rough resident bytes (paths, partitions, maps). */
  get byteEstimate(): number {
    let n = 0;
    for (const path of this.byPath.keys()) n += 2 * path.length + 160;
    return n;
  }

  get(id: number): IndexedFile {
    const f = this.files[id];
    if (f === undefined) throw new FloeError("INTERNAL", `key index: no file with id ${id}`);
    return f;
  }

  idOf(path: string): number | undefined {
    return this.byPath.get(path);
  }

  seqOf(id: number): bigint | undefined {
    return this.seqs[id];
  }

  setSeq(id: number, seq: bigint | undefined): void {
    this.seqs[id] = seq;
  }

  /** The file's id, adding it if new (`pending`: dropped again by discard). */
  add(file: IndexedFile, seq?: bigint, pending = false): number {
    const known = this.byPath.get(file.path);
    if (known !== undefined) return known;
    const id = this.free.pop() ?? this.files.length;
    if (id >= MAX_FILE_ID) throw new FloeError("INTERNAL", "key index: too many files");
    this.files[id] = file;
    this.seqs[id] = seq;
    this.byPath.set(file.path, id);
    if (pending) this.pending.push(id);
    return id;
  }

  /** Puts a file back under the id a checkpoint gave it. */
  restore(id: number, file: IndexedFile, seq: bigint | undefined): void {
    if (id >= MAX_FILE_ID || this.files[id] !== undefined) {
      throw new FloeError("DECODE_FAILED", `key index: file id ${id} is invalid or repeated`);
    }
    for (let gap = this.files.length; gap < id; gap++) this.free.push(gap);
    const i = this.free.indexOf(id);
    if (i >= 0) this.free.splice(i, 1);
    this.files[id] = file;
    this.seqs[id] = seq;
    this.byPath.set(file.path, id);
  }

  /** Forgets every file. */
  clear(): void {
    this.files.length = 0;
    this.seqs.length = 0;
    this.byPath.clear();
    this.free.length = 0;
    this.pending = [];
  }

  /** Forgets files (no entry may point at them any more). */
  remove(ids: Iterable<number>): void {
    for (const id of ids) {
      const f = this.files[id];
      if (f === undefined) continue;
      this.byPath.delete(f.path);
      this.files[id] = undefined;
      this.seqs[id] = undefined;
      this.free.push(id);
    }
  }

  /** Pending files become committed (with the commit's sequence number when known). */
  commit(seq?: bigint): void {
    if (seq !== undefined) for (const id of this.pending) this.seqs[id] = seq;
    this.pending = [];
  }

  /** Drops the files added since the last commit. */
  discard(): void {
    this.remove(this.pending);
    this.pending = [];
  }

  /** [id, file, seq] of every file. */
  *entries(): Generator<[number, IndexedFile, bigint | undefined]> {
    for (const [id, f] of this.files.entries()) if (f !== undefined) yield [id, f, this.seqs[id]];
  }
}
