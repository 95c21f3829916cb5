/**
 * A key index past its memory budget: its committed sorted run lives in a file (disk-run.ts) and the
 * index keeps overrides of it in memory. This holds the run, its spill directory and a probe table:
 * what the run says for the keys looked up since the index last committed (so the commit that follows
 * a flush's lookups reads no block again). A batch of keys is probed in hash order, reading adjacent
 * blocks with one read (prefetch).
 */
import { type Logger, silentLogger } from "../log.js";
import { BLOCK_ENTRIES, type DiskRun, DiskRunWriter, findIn, SpillDir } from "./disk-run.js";
import { DEAD, HashSlots } from "./entries.js";

/** Keys the probe table holds before it is emptied (it is a cache of the run): about budget / 128. */
const PROBE_MIN = 1 << 12;
/** Blocks one prefetch read may span, and the gap of unneeded blocks it reads through. */
const SPAN_BLOCKS = 256;
const GAP_BLOCKS = 8;
/** A batch of fewer keys than blocks / SPARSE is probed key by key. */
const SPARSE = 16;

export interface SpillOptions {
  /** Bytes the committed sorted run may take in memory; past it the run lives in a file. */
  memoryBytes?: number;
  /** Where the spill directory is made (default the OS temp directory). */
  spillDir?: string;
  /** Names the index in logs and its spill directory (the table). */
  label?: string;
  logger?: Logger;
}

export class Spill {
  readonly budget: number;
  run: DiskRun | undefined;
  /** Disk entries of keys probed since the last clear (file DEAD: no live entry). */
  readonly probe = new HashSlots(1024);
  /** Row position of the entry `get` last found. */
  pos = 0;
  readonly #dir: SpillDir;
  readonly logger: Logger;
  readonly #label: string;
  #logged = false;
  readonly #probeMax: number;

  constructor(options: SpillOptions) {
    this.budget = options.memoryBytes ?? Number.POSITIVE_INFINITY;
    this.#label = options.label ?? "index";
    this.#dir = new SpillDir(options.spillDir, this.#label);
    this.logger = options.logger ?? silentLogger;
    this.#probeMax = Math.max(PROBE_MIN, Math.min(1 << 22, Math.floor(this.budget / 128)));
  }

  /** Whether a run of `entries` entries goes to disk. */
  over(entries: number): boolean {
    return 16 * entries > this.budget;
  }

  /** A writer for a new run file. */
  writer(expected: number): DiskRunWriter {
    return new DiskRunWriter(this.#dir.newFile(), expected);
  }

  /** Replaces the run (undefined: the committed run is back in memory); the old file is deleted. */
  swap(run: DiskRun | undefined): void {
    if (run !== undefined && this.run === undefined && !this.#logged) {
      this.#logged = true;
      this.logger.info("key index spilled to disk past its memory budget", {
        table: this.#label,
        keys: run.live,
        budgetMB: Math.round(this.budget / 2 ** 20),
        dir: this.#dir.path,
      });
    }
    this.run?.close();
    this.run = run;
    this.probe.clear();
  }

  /** The run's file id for this hash (DEAD: none, or removed); its position in `pos`. */
  get(hi: number, lo: number): number {
    const p = this.probe.find(hi, lo);
    if (p >= 0) {
      this.pos = this.probe.pos(p);
      return this.probe.file(p);
    }
    const run = this.run as DiskRun;
    const o = run.find(hi, lo);
    const file = o < 0 ? DEAD : (run.words[o + 2] as number);
    this.pos = o < 0 ? 0 : (run.words[o + 3] as number);
    if (this.probe.used >= this.#probeMax) this.probe.clear();
    this.probe.set(this.probe.claim(hi, lo), file, this.pos);
    return file;
  }

  /**
   * Probes the run for the keys of `hashes` (lo, hi pairs) in block order, one read for adjacent
   * blocks, so the lookups that follow find them in the probe table (and the commit after them).
   */
  prefetch(hashes: Uint32Array): void {
    const run = this.run;
    if (run === undefined) return;
    const n = hashes.length >>> 1;
    if (this.probe.used + n > this.#probeMax) this.probe.clear();
    if (n * SPARSE < run.blocks) {
      // Few keys for the run's size: hardly two share a block; read each key's block (no pass).
      for (let i = 0; i < n; i++) this.get(hashes[2 * i + 1] as number, hashes[2 * i] as number);
      return;
    }
    // Block of each key (-1: not probed), then keys grouped by block (counting sort).
    const blockOf = new Int32Array(n);
    const counts = new Uint32Array(run.blocks + 1);
    for (let i = 0; i < n; i++) {
      const lo = hashes[2 * i] as number;
      const hi = hashes[2 * i + 1] as number;
      let b = -1;
      if (this.probe.find(hi, lo) < 0) {
        b = run.blockOf(hi, lo);
        if (b < 0) this.probe.set(this.probe.claim(hi, lo), DEAD, 0);
        else counts[b + 1] = (counts[b + 1] as number) + 1;
      }
      blockOf[i] = b;
    }
    for (let b = 0; b < run.blocks; b++) counts[b + 1] = (counts[b + 1] as number) + (counts[b] as number);
    const fill = counts.slice(0, run.blocks);
    const order = new Uint32Array(counts[run.blocks] as number);
    for (let i = 0; i < n; i++) {
      const b = blockOf[i] as number;
      if (b < 0) continue;
      order[fill[b] as number] = i;
      fill[b] = (fill[b] as number) + 1;
    }
    const buf = new Uint32Array(4 * BLOCK_ENTRIES * SPAN_BLOCKS);
    const bytes = new Uint8Array(buf.buffer);
    let k = 0;
    while (k < order.length) {
      // A span of blocks from the next needed one, through gaps of at most GAP_BLOCKS.
      const first = blockOf[order[k] as number] as number;
      let last = first;
      let end = k;
      while (end < order.length) {
        const b = blockOf[order[end] as number] as number;
        if (b - last > GAP_BLOCKS || b - first >= SPAN_BLOCKS) break;
        last = b;
        end++;
      }
      const entries = run.readBlocks(first, last - first + 1, bytes);
      for (; k < end; k++) {
        const i = order[k] as number;
        const lo = hashes[2 * i] as number;
        const hi = hashes[2 * i + 1] as number;
        const at = ((blockOf[i] as number) - first) * BLOCK_ENTRIES;
        const o = findIn(buf, 4 * at, Math.min(BLOCK_ENTRIES, entries - at), hi, lo);
        const slot = this.probe.claim(hi, lo);
        if (o < 0) this.probe.set(slot, DEAD, 0);
        else this.probe.set(slot, buf[o + 2] as number, buf[o + 3] as number);
      }
    }
  }

  /** Deletes the run file and the spill directory. */
  close(): void {
    this.swap(undefined);
    this.#dir.close();
  }
}
