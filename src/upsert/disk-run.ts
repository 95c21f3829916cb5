/**
 * A sorted run of key index entries kept in a local file instead of memory (the index spilled past its
 * memory budget). The file is the entries back to back, 16 bytes each (hash hi, hash lo, file id, row
 * position; file id DEAD = removed), sorted by hash. In memory stays a fence array: the first hash of
 * each block of 256 entries (4 KiB), 8 bytes a block (0.03 bytes a key). A lookup finds its block among
 * the fences and reads that one block (one positional read; the last block read is kept). A run never
 * changes once written: the index overrides its entries in memory and folds them into a new run.
 *
 * Runs live in a spill directory per index (SpillDir), removed when the index is closed. A run file is
 * unlinked as soon as it is opened (the index reads and writes it through its descriptor), so the
 * space comes back when the process ends, however it ends; only the empty directory can be left.
 */
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FloeError } from "../errors.js";
import { DEAD } from "./entries.js";

/** Entries a block (4 KiB). */
export const BLOCK_ENTRIES = 256;
const BLOCK_BYTES = 16 * BLOCK_ENTRIES;
/** Entries a write or a streaming read moves at once (1 MiB). */
export const STREAM_ENTRIES = 1 << 16;

function spillError(path: string, what: string, e: unknown): FloeError {
  const why = e instanceof Error ? e.message : String(e);
  return new FloeError(
    "IO_ERROR",
    `key index spill (keyIndexSpillDir) ${path}: cannot ${what}: ${why} (a writable local directory with room for the index is needed past keyIndexMemoryMB)`,
    { context: { path, setting: "keyIndexSpillDir" }, cause: e },
  );
}

/** A directory holding one index's run files, created on first use and removed by close. */
export class SpillDir {
  #dir: string | undefined;
  #next = 0;

  /** `parent`: where the directory is made (default the OS temp directory). */
  constructor(
    private readonly parent = tmpdir(),
    private readonly label = "index",
  ) {}

  get path(): string | undefined {
    return this.#dir;
  }

  /** A fresh file path in the directory. */
  newFile(): string {
    if (this.#dir === undefined) {
      try {
        mkdirSync(this.parent, { recursive: true });
        const safe = this.label.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60);
        this.#dir = mkdtempSync(join(this.parent, `floe-keys-${process.pid}-${safe}-`));
      } catch (e) {
        throw spillError(this.parent, "create a spill directory", e);
      }
    }
    return join(this.#dir, `run-${this.#next++}.bin`);
  }

  /** Removes the directory and every run in it. */
  close(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

/** Appends entries to a new run file; finish() gives the run. Entries must come sorted by hash. */
export class DiskRunWriter {
  readonly #fd: number;
  readonly #buf = new Uint32Array(4 * STREAM_ENTRIES);
  #fill = 0;
  #count = 0;
  #dead = 0;
  #fences: Uint32Array;

  /** `expected`: an upper bound of the entries to come (sizes the fence array; it grows past it). */
  constructor(
    readonly path: string,
    expected = 0,
  ) {
    this.#fences = new Uint32Array(2 * (Math.ceil(expected / BLOCK_ENTRIES) + 1));
    let fd: number | undefined;
    try {
      fd = openSync(path, "w+");
      unlinkSync(path);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw spillError(path, "open a run file", e);
    }
    this.#fd = fd;
  }

  push(hi: number, lo: number, file: number, pos: number): void {
    if (this.#count % BLOCK_ENTRIES === 0) {
      const b = this.#count / BLOCK_ENTRIES;
      if (2 * b + 2 > this.#fences.length) {
        const grown = new Uint32Array(2 * this.#fences.length + 2);
        grown.set(this.#fences);
        this.#fences = grown;
      }
      this.#fences[2 * b] = hi;
      this.#fences[2 * b + 1] = lo;
    }
    const at = 4 * this.#fill;
    const buf = this.#buf;
    buf[at] = hi;
    buf[at + 1] = lo;
    buf[at + 2] = file;
    buf[at + 3] = pos;
    if (file === DEAD) this.#dead++;
    this.#count++;
    if (++this.#fill === STREAM_ENTRIES) this.flush();
  }

  private flush(): void {
    if (this.#fill === 0) return;
    const bytes = new Uint8Array(this.#buf.buffer, 0, 16 * this.#fill);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done);
    } catch (e) {
      this.abort();
      throw spillError(this.path, "write a run file", e);
    }
    this.#fill = 0;
  }

  finish(): DiskRun {
    this.flush();
    const blocks = Math.ceil(this.#count / BLOCK_ENTRIES);
    const fences = this.#fences.length === 2 * blocks ? this.#fences : this.#fences.slice(0, 2 * blocks);
    return new DiskRun(this.path, this.#fd, this.#count, this.#dead, fences);
  }

  /** Drops the file (a failed write). */
  abort(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
  }
}

/** A sorted run in a file (see the module comment). */
export class DiskRun {
  /** The block last read, and its index (-1: none). */
  readonly #block = new Uint32Array(4 * BLOCK_ENTRIES);
  readonly #blockBytes = new Uint8Array(this.#block.buffer);
  #blockAt = -1;
  #closed = false;

  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly count: number,
    readonly dead: number,
    private readonly fences: Uint32Array,
  ) {}

  get live(): number {
    return this.count - this.dead;
  }

  /** Resident bytes: fences and the block buffer. */
  get byteLength(): number {
    return this.fences.byteLength + this.#block.byteLength;
  }

  get diskBytes(): number {
    return 16 * this.count;
  }

  get blocks(): number {
    return this.fences.length >>> 1;
  }

  /** The block that would hold this hash (-1: before the first entry). */
  blockOf(hi: number, lo: number): number {
    const f = this.fences;
    let l = 0;
    let r = (f.length >>> 1) - 1;
    if (r < 0) return -1;
    // Last block whose first hash is <= (hi, lo).
    while (l < r) {
      const m = (l + r + 1) >>> 1;
      const fh = f[2 * m] as number;
      if (fh < hi || (fh === hi && (f[2 * m + 1] as number) <= lo)) l = m;
      else r = m - 1;
    }
    const h0 = f[2 * l] as number;
    return h0 < hi || (h0 === hi && (f[2 * l + 1] as number) <= lo) ? l : -1;
  }

  /**
   * The entry with this hash: its word offset in `words` (the block buffer, valid until the next read),
   * or -1.
   */
  find(hi: number, lo: number): number {
    const b = this.blockOf(hi, lo);
    if (b < 0) return -1;
    if (b !== this.#blockAt) this.readBlocks(b, 1, this.#blockBytes);
    this.#blockAt = b;
    return findIn(this.#block, 0, Math.min(BLOCK_ENTRIES, this.count - b * BLOCK_ENTRIES), hi, lo);
  }

  /** The block buffer find's offsets point into. */
  get words(): Uint32Array {
    return this.#block;
  }

  /** Reads `n` blocks from block `b` into `into` (the last block may be short); returns entries read. */
  readBlocks(b: number, n: number, into: Uint8Array): number {
    const entries = Math.min(n * BLOCK_ENTRIES, this.count - b * BLOCK_ENTRIES);
    this.readAt(b * BLOCK_BYTES, 16 * entries, into);
    return entries;
  }

  /** Reads entries [from, from + n) into `into` (4n words at least). */
  readEntries(from: number, n: number, into: Uint32Array): void {
    this.readAt(16 * from, 16 * n, new Uint8Array(into.buffer, into.byteOffset, 16 * n));
  }

  private readAt(offset: number, length: number, into: Uint8Array): void {
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd, into, done, length - done, offset + done);
        if (n === 0) throw new Error(`short read at ${offset + done}`);
        done += n;
      }
    } catch (e) {
      throw spillError(this.path, "read a run file", e);
    }
  }

  /** The run's entries in chunks of up to STREAM_ENTRIES, each in a new array. */
  *chunks(): Generator<Uint32Array> {
    for (let from = 0; from < this.count; from += STREAM_ENTRIES) {
      const n = Math.min(STREAM_ENTRIES, this.count - from);
      const buf = new Uint32Array(4 * n);
      this.readEntries(from, n, buf);
      yield buf;
    }
  }

  /** Closes the file (unlinked since it was made: its space is freed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }
}

/** Word offset of the entry with hash (hi, lo) among `n` sorted entries of `w` from word `at`, or -1. */
export function findIn(w: Uint32Array, at: number, n: number, hi: number, lo: number): number {
  let l = 0;
  let r = n - 1;
  while (l <= r) {
    const m = (l + r) >>> 1;
    const o = at + 4 * m;
    const h = w[o] as number;
    const x = w[o + 1] as number;
    if (h < hi || (h === hi && x < lo)) l = m + 1;
    else if (h === hi && x === lo) return o;
    else r = m - 1;
  }
  return -1;
}
