/**
 * Merging sorted runs entry by entry, for runs that may live on disk (disk-run.ts): each side is read
 * in bounded chunks and the result goes to a run writer (a file, or an array when it fits the memory
 * budget), so a fold or a merge past the budget never holds a whole run in memory.
 */

import { type DiskRun, DiskRunWriter, STREAM_ENTRIES } from "./disk-run.js";
import { DEAD, type KeepLater, SortedEntries } from "./entries.js";

/** A sorted run to read: entries in memory (4 words each) or a run file. */
export type RunSource = Uint32Array | DiskRun;

/** Where merged entries go. */
export interface RunSink {
  push(hi: number, lo: number, file: number, pos: number): void;
}

/** Collects entries into one array (sized by an upper bound, trimmed at the end). */
export class MemorySink implements RunSink {
  readonly #w: Uint32Array;
  #n = 0;

  constructor(upperBound: number) {
    this.#w = new Uint32Array(4 * upperBound);
  }

  push(hi: number, lo: number, file: number, pos: number): void {
    const o = 4 * this.#n++;
    const w = this.#w;
    w[o] = hi;
    w[o + 1] = lo;
    w[o + 2] = file;
    w[o + 3] = pos;
  }

  finish(): SortedEntries {
    const n = this.#n;
    return new SortedEntries(4 * n === this.#w.length ? this.#w : this.#w.slice(0, 4 * n));
  }
}

/** Reads a run source a chunk at a time. */
class Cursor {
  words: Uint32Array;
  /** Word offset of the current entry in `words`. */
  at = 0;
  #end = 0;
  #next = 0;

  constructor(private readonly src: RunSource) {
    if (src instanceof Uint32Array) {
      this.words = src;
      this.#end = src.length;
      this.#next = src.length >>> 2;
    } else {
      this.words = new Uint32Array(4 * Math.min(STREAM_ENTRIES, Math.max(1, src.count)));
      this.refill();
    }
  }

  get done(): boolean {
    return this.at >= this.#end;
  }

  advance(): void {
    this.at += 4;
    if (this.at >= this.#end && !(this.src instanceof Uint32Array)) this.refill();
  }

  private refill(): void {
    const run = this.src as DiskRun;
    const n = Math.min(STREAM_ENTRIES, run.count - this.#next);
    if (n <= 0) return;
    run.readEntries(this.#next, n, this.words);
    this.#next += n;
    this.at = 0;
    this.#end = 4 * n;
  }
}

/**
 * Merges sorted runs `a` (older) and `b` into `out`, dropping DEAD entries and entries `drop` rejects.
 * Where both hold a hash: with `keep` undefined `b` overrides `a` (a DEAD `b` removes the key);
 * otherwise two live entries are a duplicate, `keep` decides (true keeps b's) and it is counted.
 * Returns the duplicates and the live entries `drop` removed.
 */
export function mergeRuns(
  a: RunSource,
  b: RunSource,
  out: RunSink,
  keep?: KeepLater,
  drop?: (file: number, pos: number) => boolean,
): { duplicates: number; dropped: number } {
  const ca = new Cursor(a);
  const cb = new Cursor(b);
  let duplicates = 0;
  let dropped = 0;
  const emit = (w: Uint32Array, o: number) => {
    const file = w[o + 2] as number;
    if (file === DEAD) return;
    if (drop?.(file, w[o + 3] as number)) {
      dropped++;
      return;
    }
    out.push(w[o] as number, w[o + 1] as number, file, w[o + 3] as number);
  };
  while (!ca.done || !cb.done) {
    if (cb.done) {
      emit(ca.words, ca.at);
      ca.advance();
      continue;
    }
    if (ca.done) {
      emit(cb.words, cb.at);
      cb.advance();
      continue;
    }
    const wa = ca.words;
    const wb = cb.words;
    const ha = wa[ca.at] as number;
    const hb = wb[cb.at] as number;
    const la = wa[ca.at + 1] as number;
    const lb = wb[cb.at + 1] as number;
    if (ha < hb || (ha === hb && la < lb)) {
      emit(wa, ca.at);
      ca.advance();
    } else if (ha > hb || la > lb) {
      emit(wb, cb.at);
      cb.advance();
    } else {
      const fa = wa[ca.at + 2] as number;
      const fb = wb[cb.at + 2] as number;
      if (keep === undefined || fa === DEAD) emit(wb, cb.at);
      else if (fb === DEAD) emit(wa, ca.at);
      else {
        duplicates++;
        if (keep(fa, wa[ca.at + 3] as number, fb, wb[cb.at + 3] as number)) emit(wb, cb.at);
        else emit(wa, ca.at);
      }
      ca.advance();
      cb.advance();
    }
  }
  return { duplicates, dropped };
}

/** Writes a sorted source into a new run file at `path`. */
export function writeRun(src: RunSource, path: string, count: number) {
  const out = new DiskRunWriter(path, count);
  mergeRuns(src, new Uint32Array(0), out);
  return out.finish();
}
