/**
 * The committed state of a key index: a sorted run of entries plus a hash table of changes since it
 * was last rebuilt (folded into it once it holds an eighth as many keys, or `foldMin`).
 *
 * In memory (the run within the memory budget) the run and the table are disjoint: a change to a key
 * of the run is made in place (a removed key keeps its entry with file DEAD). Past the budget the run
 * lives in a file (spill.ts) that never changes: the table overrides it (a DEAD entry removes the
 * run's key) and a fold streams the file and the sorted table into a new file. A fold or merge whose
 * result fits the budget again brings the run back into memory.
 */
import { isFloeError } from "../errors.js";
import type { DiskRun, DiskRunWriter } from "./disk-run.js";
import { DEAD, EntryChunks, HashSlots, type KeepLater, SortedEntries } from "./entries.js";
import { MemorySink, mergeRuns, type RunSource } from "./run-merge.js";
import { Spill, type SpillOptions } from "./spill.js";

const emptyRun = () => new SortedEntries(new Uint32Array(0));

type Drop = (file: number, pos: number) => boolean;

export class CommittedEntries {
  /** The sorted run in memory (empty when spilled). */
  base = emptyRun();
  /** Changes since the run was rebuilt. */
  readonly delta = new HashSlots(1024);
  /** Live keys. */
  live = 0;
  /** Row position of the entry find last found. */
  pos = 0;
  /** The sorted run when it lives on disk. */
  readonly spill: Spill;
  /** Table keys when a fold last failed (0: it did not). */
  #failedAt = 0;

  constructor(
    private readonly foldMin: number,
    options: SpillOptions,
  ) {
    this.spill = new Spill(options);
  }

  /** Resident bytes (the spilled run's fences and probe table, not its file). */
  get byteLength(): number {
    const run = this.spill.run;
    const spilled = run === undefined ? 0 : run.byteLength + this.spill.probe.byteLength;
    return this.base.byteLength + this.delta.byteLength + spilled;
  }

  /** File id of the hash's entry (DEAD: none or removed); its position in `pos`. */
  find(hi: number, lo: number): number {
    if (this.spill.run !== undefined) {
      const d = this.delta.find(hi, lo);
      if (d >= 0) {
        this.pos = this.delta.pos(d);
        return this.delta.file(d);
      }
      const file = this.spill.get(hi, lo);
      this.pos = this.spill.pos;
      return file;
    }
    const b = this.base.find(hi, lo);
    if (b >= 0) {
      const w = this.base.words;
      this.pos = w[4 * b + 3] as number;
      return w[4 * b + 2] as number;
    }
    const d = this.delta.find(hi, lo);
    if (d < 0) return DEAD;
    this.pos = this.delta.pos(d);
    return this.delta.file(d);
  }

  set(hi: number, lo: number, file: number, pos: number): void {
    if (this.spill.run === undefined) {
      const b = this.base.find(hi, lo);
      if (b >= 0) {
        const w = this.base.words;
        if (w[4 * b + 2] === DEAD) {
          this.base.dead--;
          this.live++;
        }
        w[4 * b + 2] = file;
        w[4 * b + 3] = pos;
        return;
      }
    }
    // Spilled: the table overrides the run, whatever the run holds.
    if (this.spill.run !== undefined && this.delta.find(hi, lo) < 0) {
      if (this.spill.get(hi, lo) === DEAD) this.live++;
      this.delta.set(this.delta.claim(hi, lo), file, pos);
      return;
    }
    const slot = this.delta.claim(hi, lo);
    if (this.delta.claimedNew || this.delta.file(slot) === DEAD) this.live++;
    this.delta.set(slot, file, pos);
  }

  remove(hi: number, lo: number): void {
    if (this.spill.run === undefined) {
      const b = this.base.find(hi, lo);
      if (b >= 0) {
        const w = this.base.words;
        if (w[4 * b + 2] !== DEAD) {
          w[4 * b + 2] = DEAD;
          this.base.dead++;
          this.live--;
        }
        return;
      }
    }
    const d = this.delta.find(hi, lo);
    if (d >= 0) {
      if (this.delta.file(d) !== DEAD) {
        this.delta.set(d, DEAD, 0);
        this.live--;
      }
    } else if (this.spill.run !== undefined && this.spill.get(hi, lo) !== DEAD) {
      this.delta.set(this.delta.claim(hi, lo), DEAD, 0);
      this.live--;
    }
  }

  /** Removes entries for which `drop(file, pos)` holds; returns how many. */
  removeWhere(drop: Drop): number {
    if (this.spill.run !== undefined) {
      // One pass over the run file: it is rewritten without them.
      return this.foldStreaming(drop).dropped;
    }
    let n = 0;
    const w = this.base.words;
    for (let k = 0; k < this.base.count; k++) {
      const file = w[4 * k + 2] as number;
      if (file !== DEAD && drop(file, w[4 * k + 3] as number)) {
        w[4 * k + 2] = DEAD;
        this.base.dead++;
        n++;
      }
    }
    this.delta.forEach((slot, _hi, _lo, file, pos) => {
      if (file !== DEAD && drop(file, pos)) {
        this.delta.set(slot, DEAD, 0);
        n++;
      }
    });
    this.live -= n;
    return n;
  }

  /** Merges a run of new entries in; `keep` settles a hash live in both. Returns the duplicates. */
  addRun(run: SortedEntries, keep: KeepLater): number {
    this.fold();
    const spilled = this.spill.run;
    if (spilled === undefined && !this.spill.over(this.base.live + run.live)) {
      if (this.base.count === 0) {
        // A rebuild: the run is the whole committed state (no second copy for a merge).
        this.base = run;
        this.live = run.live;
        return 0;
      }
      let duplicates = 0;
      this.base = this.base.merge(run, keep, (n) => {
        duplicates += n;
      });
      this.live = this.base.live;
      return duplicates;
    }
    const older = spilled ?? this.base.words;
    const upper = (spilled?.live ?? this.base.live) + run.live;
    return this.mergeInto(older, run.words, upper, keep).duplicates;
  }

  /** Replaces the state by a sorted run (a rebuild or a loaded checkpoint). */
  reset(run: SortedEntries | DiskRun): void {
    this.delta.clear();
    if (run instanceof SortedEntries && this.spill.over(run.live)) {
      this.mergeInto(run.words, new Uint32Array(0), run.live);
    } else if (run instanceof SortedEntries) {
      this.spill.swap(undefined);
      this.base = run;
    } else {
      this.base = emptyRun();
      this.spill.swap(run);
    }
    this.live = this.spill.run?.live ?? this.base.live;
  }

  /** A writer for a run file in the spill directory. */
  runWriter(expected: number): DiskRunWriter {
    return this.spill.writer(expected);
  }

  /** Entries of the sorted run (DEAD ones included). */
  get runCount(): number {
    return this.spill.run?.count ?? this.base.count;
  }

  /** The sorted run's entries in chunks (DEAD ones included; on disk, a new array a chunk). */
  *runChunks(): Generator<Uint32Array> {
    if (this.spill.run !== undefined) yield* this.spill.run.chunks();
    else if (this.base.count > 0) yield this.base.words;
  }

  /** Folds the table into the sorted run (dropping removed entries). */
  fold(): void {
    if (this.delta.used === 0 && this.base.dead === 0 && (this.spill.run?.dead ?? 0) === 0) return;
    if (this.spill.run !== undefined || this.spill.over(this.base.live + this.delta.used)) {
      this.foldStreaming();
      return;
    }
    const chunks = new EntryChunks();
    this.delta.forEach((_s, hi, lo, file, pos) => {
      if (file !== DEAD) chunks.push(hi, lo, file, pos);
    });
    this.base = this.base.merge(SortedEntries.build(chunks));
    this.delta.clear();
  }

  /**
   * Folds when the table has grown past its share (see the module comment) or half the budget. A fold
   * that cannot write its run file (the commit before it has landed) is logged and retried once the
   * table has doubled: the state stays whole, in memory.
   */
  maybeFold(): void {
    const run = this.spill.run;
    const count = run?.count ?? this.base.count;
    const limit = Math.max(this.foldMin, count >>> 3);
    if (this.#failedAt > 0 && this.delta.used <= 2 * this.#failedAt) return;
    if (
      this.delta.used > limit ||
      this.delta.byteLength > this.spill.budget / 2 ||
      this.base.dead > Math.max(this.foldMin, count >>> 2)
    ) {
      try {
        this.fold();
        this.#failedAt = 0;
      } catch (e) {
        if (!isFloeError(e, "IO_ERROR")) throw e;
        this.#failedAt = this.delta.used;
        this.spill.logger.warn("key index: cannot write its run file; keeping it in memory for now", {
          error: e.message,
          keys: this.live,
        });
      }
    }
  }

  /** Deletes the spilled run; the state is empty afterwards. */
  close(): void {
    this.delta.clear();
    this.base = emptyRun();
    this.live = 0;
    this.spill.close();
  }

  /** Merges the run with the sorted table (its entries override the run's) into a new run. */
  private foldStreaming(drop?: Drop): { duplicates: number; dropped: number } {
    const chunks = new EntryChunks();
    this.delta.forEach((_s, hi, lo, file, pos) => {
      chunks.push(hi, lo, file, pos);
    });
    const sorted = SortedEntries.build(chunks);
    const spilled = this.spill.run;
    const upper = (spilled?.live ?? this.base.live) + sorted.count;
    const result = this.mergeInto(spilled ?? this.base.words, sorted.words, upper, undefined, drop);
    this.delta.clear();
    return result;
  }

  /** Merges two runs (see mergeRuns) into the new run: a file past the budget, else memory. */
  private mergeInto(
    older: RunSource,
    newer: RunSource,
    upperBound: number,
    keep?: KeepLater,
    drop?: Drop,
  ): { duplicates: number; dropped: number } {
    if (!this.spill.over(upperBound)) {
      const out = new MemorySink(upperBound);
      const result = mergeRuns(older, newer, out, keep, drop);
      this.base = out.finish();
      this.spill.swap(undefined);
      this.live = this.base.live;
      return result;
    }
    const out = this.spill.writer(upperBound);
    let result: { duplicates: number; dropped: number };
    try {
      result = mergeRuns(older, newer, out, keep, drop);
    } catch (e) {
      out.abort();
      throw e;
    }
    const run = out.finish();
    if (!this.spill.over(run.live)) {
      // Fewer keys than the bound: the result fits the budget after all.
      const words = new Uint32Array(4 * run.count);
      run.readEntries(0, run.count, words);
      run.close();
      this.base = new SortedEntries(words);
      this.spill.swap(undefined);
    } else {
      this.base = emptyRun();
      this.spill.swap(run);
    }
    this.live = run.live;
    return result;
  }
}
