/**
 * The key index's storage: entries of four 32-bit words (hash hi, hash lo, file id, row position),
 * kept either sorted by hash in one exact-size Uint32Array (16 bytes per key, found by interpolation
 * search: hashes are uniform) or in an open-addressing table (linear probing on the low word) for keys
 * added since the sorted run was last rebuilt. A removed entry keeps its slot with file id DEAD.
 */

/** File id of a hash-table slot that holds no key. */
export const EMPTY = 0xffffffff;
/** File id of a removed entry (the key stays so its slot can be reused). */
export const DEAD = 0xfffffffe;
/** File ids must stay below this. */
export const MAX_FILE_ID = 0xfffffff0;

const CHUNK_ENTRIES = 1 << 18;

/** Entries appended in chunks (no reallocation of one big array while they arrive). */
export class EntryChunks {
  chunks: (Uint32Array | undefined)[] = [];
  count = 0;

  push(hi: number, lo: number, file: number, pos: number): void {
    const at = this.count % CHUNK_ENTRIES;
    let chunk = this.chunks[this.chunks.length - 1];
    if (at === 0 || chunk === undefined) {
      chunk = new Uint32Array(4 * CHUNK_ENTRIES);
      this.chunks.push(chunk);
    }
    chunk[4 * at] = hi;
    chunk[4 * at + 1] = lo;
    chunk[4 * at + 2] = file;
    chunk[4 * at + 3] = pos;
    this.count++;
  }
}

/**
 * Which of two entries with one hash to keep: true keeps `b` (the later one). Called once per
 * duplicate; the caller counts them.
 */
export type KeepLater = (fileA: number, posA: number, fileB: number, posB: number) => boolean;

const later: KeepLater = () => true;

/**
 * Entries sorted by (hi, lo) unsigned, 4 words each; `dead` of them have file id DEAD. A directory
 * gives where each range of hi values starts (about 64-128 entries a range, 4 bytes each: 0.03-0.06
 * bytes a key); a lookup interpolates within its range and scans a few entries (2-3 cache misses).
 */
export class SortedEntries {
  dead = 0;
  private dir: Uint32Array;
  private bits: number;

  constructor(public words: Uint32Array) {
    const n = this.count;
    this.bits = n < 256 ? 0 : Math.min(24, Math.floor(Math.log2(n / 64)));
    this.dir = new Uint32Array((1 << this.bits) + 1);
    if (this.bits > 0) {
      const shift = 32 - this.bits;
      for (let k = 0; k < n; k++) {
        const b = ((words[4 * k] as number) >>> shift) + 1;
        this.dir[b] = (this.dir[b] as number) + 1;
      }
      for (let b = 1; b < this.dir.length; b++)
        this.dir[b] = (this.dir[b] as number) + (this.dir[b - 1] as number);
    } else this.dir[1] = n;
  }

  get count(): number {
    return this.words.length >>> 2;
  }

  get live(): number {
    return this.count - this.dead;
  }

  /** Bytes held: entries and directory. */
  get byteLength(): number {
    return this.words.byteLength + this.dir.byteLength;
  }

  /** Index of the entry with this hash (dead or not), or -1. */
  find(hi: number, lo: number): number {
    const w = this.words;
    const bits = this.bits;
    const b = bits === 0 ? 0 : hi >>> (32 - bits);
    const l = this.dir[b] as number;
    const r = (this.dir[b + 1] as number) - 1;
    if (r < l) return -1;
    // Hashes are uniform: interpolate within the range, then step to the entry.
    const width = 2 ** (32 - bits);
    const offset = bits === 0 ? hi : hi - b * width;
    let m = l + Math.floor((offset / width) * (r - l + 1));
    if (m > r) m = r;
    // Step up past smaller entries, or down while the one before is not smaller.
    let hm = w[4 * m] as number;
    if (hm < hi || (hm === hi && (w[4 * m + 1] as number) < lo)) {
      do {
        m++;
        if (m > r) return -1;
        hm = w[4 * m] as number;
      } while (hm < hi || (hm === hi && (w[4 * m + 1] as number) < lo));
    } else {
      while (m > l) {
        const hp = w[4 * (m - 1)] as number;
        if (hp < hi || (hp === hi && (w[4 * (m - 1) + 1] as number) < lo)) break;
        m--;
      }
    }
    return w[4 * m] === hi && w[4 * m + 1] === lo ? m : -1;
  }

  /**
   * Sorted entries from chunks (consumed: each chunk is dropped once copied). Of entries sharing a
   * hash one is kept (`keep`, default the later one); `duplicates` reports how many were dropped.
   */
  static build(
    entries: EntryChunks,
    keep: KeepLater = later,
    duplicates?: (n: number) => void,
  ): SortedEntries {
    const n = entries.count;
    // Buckets on the top bits of hi, about 8 entries each, then insertion sort within each bucket.
    const bits = n < 64 ? 0 : Math.min(24, Math.floor(Math.log2(n / 8)));
    const shift = 32 - bits;
    const bucketOf = bits === 0 ? () => 0 : (hi: number) => hi >>> shift;
    const starts = new Uint32Array((1 << bits) + 1);
    forEachEntry(entries, (c, i) => {
      const b = bucketOf(c[4 * i] as number) + 1;
      starts[b] = (starts[b] as number) + 1;
    });
    for (let b = 0; b < 1 << bits; b++) starts[b + 1] = (starts[b + 1] as number) + (starts[b] as number);
    const fill = starts.slice(0, 1 << bits);
    const out = new Uint32Array(4 * n);
    for (let k = 0; k < entries.chunks.length; k++) {
      const c = entries.chunks[k] as Uint32Array;
      const m = Math.min(CHUNK_ENTRIES, n - k * CHUNK_ENTRIES);
      for (let i = 0; i < m; i++) {
        const b = bucketOf(c[4 * i] as number);
        const at = 4 * (fill[b] as number);
        fill[b] = (fill[b] as number) + 1;
        out[at] = c[4 * i] as number;
        out[at + 1] = c[4 * i + 1] as number;
        out[at + 2] = c[4 * i + 2] as number;
        out[at + 3] = c[4 * i + 3] as number;
      }
      entries.chunks[k] = undefined;
    }
    entries.chunks = [];
    entries.count = 0;
    for (let b = 0; b < 1 << bits; b++) insertionSort(out, starts[b] as number, starts[b + 1] as number);
    return SortedEntries.dedupe(out, keep, duplicates);
  }

  /** Drops all but one entry of each run of equal hashes (see build). */
  private static dedupe(w: Uint32Array, keep: KeepLater, duplicates?: (n: number) => void): SortedEntries {
    const n = w.length >>> 2;
    let dropped = 0;
    let o = 0;
    for (let i = 0; i < n; i++) {
      if (o > 0 && w[4 * (o - 1)] === w[4 * i] && w[4 * (o - 1) + 1] === w[4 * i + 1]) {
        dropped++;
        if (
          keep(
            w[4 * (o - 1) + 2] as number,
            w[4 * (o - 1) + 3] as number,
            w[4 * i + 2] as number,
            w[4 * i + 3] as number,
          )
        ) {
          w[4 * (o - 1) + 2] = w[4 * i + 2] as number;
          w[4 * (o - 1) + 3] = w[4 * i + 3] as number;
        }
        continue;
      }
      if (o !== i) w.copyWithin(4 * o, 4 * i, 4 * i + 4);
      o++;
    }
    if (dropped > 0) duplicates?.(dropped);
    return new SortedEntries(o === n ? w : w.slice(0, 4 * o));
  }

  /**
   * A new sorted run of this run's and `other`'s live entries. Where both hold a hash, `keep` decides
   * (b is other's) and `duplicates` counts it.
   */
  merge(other: SortedEntries, keep: KeepLater = later, duplicates?: (n: number) => void): SortedEntries {
    const a = this.words;
    const b = other.words;
    const out = new Uint32Array(4 * (this.live + other.live));
    const na = this.count;
    const nb = other.count;
    let i = 0;
    let j = 0;
    let o = 0;
    let dups = 0;
    const copy = (src: Uint32Array, k: number) => {
      const at = 4 * o++;
      out[at] = src[4 * k] as number;
      out[at + 1] = src[4 * k + 1] as number;
      out[at + 2] = src[4 * k + 2] as number;
      out[at + 3] = src[4 * k + 3] as number;
    };
    while (i < na || j < nb) {
      if (i < na && a[4 * i + 2] === DEAD) {
        i++;
        continue;
      }
      if (j < nb && b[4 * j + 2] === DEAD) {
        j++;
        continue;
      }
      if (j >= nb) copy(a, i++);
      else if (i >= na) copy(b, j++);
      else {
        const ha = a[4 * i] as number;
        const hb = b[4 * j] as number;
        const la = a[4 * i + 1] as number;
        const lb = b[4 * j + 1] as number;
        if (ha < hb || (ha === hb && la < lb)) copy(a, i++);
        else if (ha > hb || la > lb) copy(b, j++);
        else {
          dups++;
          if (
            keep(
              a[4 * i + 2] as number,
              a[4 * i + 3] as number,
              b[4 * j + 2] as number,
              b[4 * j + 3] as number,
            )
          )
            copy(b, j);
          else copy(a, i);
          i++;
          j++;
        }
      }
    }
    if (dups > 0) duplicates?.(dups);
    return new SortedEntries(o * 4 === out.length ? out : out.slice(0, 4 * o));
  }
}

function forEachEntry(entries: EntryChunks, f: (chunk: Uint32Array, i: number) => void): void {
  entries.chunks.forEach((c, k) => {
    if (c === undefined) return;
    const m = Math.min(CHUNK_ENTRIES, entries.count - k * CHUNK_ENTRIES);
    for (let i = 0; i < m; i++) f(c, i);
  });
}

/** Sorts entries [from, to) of `w` by (hi, lo), stable. */
function insertionSort(w: Uint32Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const hi = w[4 * i] as number;
    const lo = w[4 * i + 1] as number;
    let j = i - 1;
    if ((w[4 * j] as number) < hi || (w[4 * j] === hi && (w[4 * j + 1] as number) <= lo)) continue;
    const file = w[4 * i + 2] as number;
    const pos = w[4 * i + 3] as number;
    while (j >= from && ((w[4 * j] as number) > hi || (w[4 * j] === hi && (w[4 * j + 1] as number) > lo))) {
      w.copyWithin(4 * (j + 1), 4 * j, 4 * j + 4);
      j--;
    }
    w[4 * (j + 1)] = hi;
    w[4 * (j + 1) + 1] = lo;
    w[4 * (j + 1) + 2] = file;
    w[4 * (j + 1) + 3] = pos;
  }
}

/** Open addressing on the hash's low word (linear probing), 4 words a slot, at most 70% full. */
export class HashSlots {
  words: Uint32Array;
  /** Slots holding a key (live or DEAD). */
  used = 0;
  /** Whether the last claim took a new slot. */
  claimedNew = false;
  private mask: number;

  constructor(private readonly initialSlots = 1024) {
    this.words = HashSlots.emptyWords(initialSlots);
    this.mask = initialSlots - 1;
  }

  private static emptyWords(slots: number): Uint32Array {
    const w = new Uint32Array(4 * slots);
    for (let s = 0; s < slots; s++) w[4 * s + 2] = EMPTY;
    return w;
  }

  get slots(): number {
    return this.mask + 1;
  }

  get byteLength(): number {
    return this.words.byteLength;
  }

  /** The slot holding this hash, or -1. */
  find(hi: number, lo: number): number {
    const w = this.words;
    for (let s = lo & this.mask; ; s = (s + 1) & this.mask) {
      const f = w[4 * s + 2];
      if (f === EMPTY) return -1;
      if (w[4 * s + 1] === lo && w[4 * s] === hi) return s;
    }
  }

  /** The slot for this hash, claimed (file EMPTY) if new; `claimedNew` tells which. */
  claim(hi: number, lo: number): number {
    if ((this.used + 1) * 10 > this.slots * 7) this.grow();
    const w = this.words;
    for (let s = lo & this.mask; ; s = (s + 1) & this.mask) {
      const f = w[4 * s + 2];
      if (f === EMPTY) {
        w[4 * s] = hi;
        w[4 * s + 1] = lo;
        this.used++;
        this.claimedNew = true;
        return s;
      }
      if (w[4 * s + 1] === lo && w[4 * s] === hi) {
        this.claimedNew = false;
        return s;
      }
    }
  }

  set(slot: number, file: number, pos: number): void {
    this.words[4 * slot + 2] = file;
    this.words[4 * slot + 3] = pos;
  }

  file(slot: number): number {
    return this.words[4 * slot + 2] as number;
  }

  pos(slot: number): number {
    return this.words[4 * slot + 3] as number;
  }

  /** Calls f for each slot holding a key (DEAD ones included). */
  forEach(f: (slot: number, hi: number, lo: number, file: number, pos: number) => void): void {
    const w = this.words;
    for (let s = 0; s < this.slots; s++) {
      const file = w[4 * s + 2] as number;
      if (file !== EMPTY) f(s, w[4 * s] as number, w[4 * s + 1] as number, file, w[4 * s + 3] as number);
    }
  }

  /** Empties the table (back to its initial size). */
  clear(): void {
    if (this.slots === this.initialSlots) {
      for (let s = 0; s < this.slots; s++) this.words[4 * s + 2] = EMPTY;
    } else {
      this.words = HashSlots.emptyWords(this.initialSlots);
      this.mask = this.initialSlots - 1;
    }
    this.used = 0;
  }

  private grow(): void {
    const old = this.words;
    const slots = this.slots * 2;
    this.words = HashSlots.emptyWords(slots);
    this.mask = slots - 1;
    const w = this.words;
    for (let s = 0; s < old.length >>> 2; s++) {
      if (old[4 * s + 2] === EMPTY) continue;
      let t = (old[4 * s + 1] as number) & this.mask;
      while (w[4 * t + 2] !== EMPTY) t = (t + 1) & this.mask;
      w.set(old.subarray(4 * s, 4 * s + 4), 4 * t);
    }
  }
}
