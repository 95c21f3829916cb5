/**
 * The key index of an upsert table: key hash (key-hash.ts) -> the data file and row position of the
 * key's live row, so a later change to the key can delete that row by position.
 *
 * Committed state (what the table's snapshot `snapshotId` holds) lives in a sorted run of 16-byte
 * entries plus a hash table of keys added since the run was last rebuilt; the table is folded into the
 * run once it holds an eighth as many keys (or 64k), so at rest the index costs 16 bytes per key plus
 * the file table. Pending state (the open commit) is a hash table consulted first; commitPending moves
 * it into the committed state, discardPending drops it.
 *
 * A key's hash stands for the key: two keys sharing a 64-bit hash (probability about n^2 / 2^65) would
 * be taken for one.
 */
import { FloeError } from "../errors.js";
import type { TableMetadata } from "../iceberg/spec/index.js";
import { DEAD, EntryChunks, HashSlots, type KeepLater, SortedEntries } from "./entries.js";
import { FileTable, type IndexedFile } from "./files.js";

export type { IndexedFile } from "./files.js";

export interface RowLocation {
  readonly file: IndexedFile;
  readonly pos: number;
}

/** Keys the hash table may hold before it is folded into the sorted run (at least). */
const FOLD_MIN = 1 << 16;

export class KeyIndex {
  readonly keyColumns: readonly string[];
  /** Keys found on two live rows while catching up (the row of the newer file was kept). */
  duplicateKeys = 0;
  /** The files entries point into (for catch-up and checkpoints). */
  readonly files = new FileTable();
  /** Committed entries: sorted run + keys added since (see the module comment). */
  base = new SortedEntries(new Uint32Array(0));
  readonly delta = new HashSlots(1024);
  /** The open commit: file DEAD = the commit removes the key. */
  readonly pending = new HashSlots(1024);
  #snapshotId: bigint | undefined;
  /** The snapshot through which every writer's changes are reflected (catch-up starts there). */
  #settled: bigint | undefined;
  /** Snapshots this index committed itself since `settled` (their changes are reflected too). */
  #own: bigint[] = [];
  #committedLive = 0;
  #pendingChange = 0;
  #lastFile: IndexedFile | undefined;
  #lastFileId = 0;

  readonly #foldMin: number;

  /** `foldMin`: keys the hash table may hold before it is folded into the sorted run (at least). */
  constructor(keyColumns: readonly string[], snapshotId?: bigint, options: { foldMin?: number } = {}) {
    this.#foldMin = options.foldMin ?? FOLD_MIN;
    this.keyColumns = [...keyColumns];
    this.#snapshotId = snapshotId;
    this.#settled = snapshotId;
  }

  /** Table snapshot the committed state reflects (undefined: empty table). */
  get snapshotId(): bigint | undefined {
    return this.#snapshotId;
  }

  /** The snapshot through which every writer's changes are reflected. */
  get settledSnapshotId(): bigint | undefined {
    return this.#settled;
  }

  /** Snapshots committed through this index since the settled one, oldest first. */
  get ownSnapshotIds(): readonly bigint[] {
    return this.#own;
  }

  /** Committed + pending live keys. */
  get size(): number {
    return this.#committedLive + this.#pendingChange;
  }

  /** Committed live keys. */
  get committedSize(): number {
    return this.#committedLive;
  }

  get hasPending(): boolean {
    return this.pending.used > 0;
  }

  /** Resident bytes: typed arrays and an estimate of the file table. */
  get memoryBytes(): number {
    return this.base.byteLength + this.delta.byteLength + this.pending.byteLength + this.files.byteEstimate;
  }

  /** Where row i's key (hashes from keyHashes) lives: pending state first, then committed. */
  lookup(hashes: Uint32Array, i: number): RowLocation | undefined {
    const lo = hashes[2 * i] as number;
    const hi = hashes[2 * i + 1] as number;
    const p = this.pending.used === 0 ? -1 : this.pending.find(hi, lo);
    if (p >= 0) {
      const file = this.pending.file(p);
      return file === DEAD ? undefined : { file: this.files.get(file), pos: this.pending.pos(p) };
    }
    const c = this.committedFind(hi, lo);
    if (c >= 0) {
      const w = this.base.words;
      const file = w[4 * c + 2] as number;
      return file === DEAD ? undefined : { file: this.files.get(file), pos: w[4 * c + 3] as number };
    }
    if (c === -1) return undefined;
    const slot = -c - 2;
    const file = this.delta.file(slot);
    return file === DEAD ? undefined : { file: this.files.get(file), pos: this.delta.pos(slot) };
  }

  /** Row i's key now lives at `pos` of `file` (pending until commitPending). */
  put(hashes: Uint32Array, i: number, file: IndexedFile, pos: number): void {
    // Puts come in runs for one file: its id is looked up once a run.
    if (file !== this.#lastFile) {
      this.#lastFileId = this.files.add(file, undefined, true);
      this.#lastFile = file;
    }
    this.setPending(hashes[2 * i + 1] as number, hashes[2 * i] as number, this.#lastFileId, pos);
  }

  /** Row i's key no longer has a live row (pending until commitPending). */
  remove(hashes: Uint32Array, i: number): void {
    this.setPending(hashes[2 * i + 1] as number, hashes[2 * i] as number, DEAD, 0);
  }

  private setPending(hi: number, lo: number, file: number, pos: number): void {
    let before: number;
    let slot: number;
    if (file === DEAD) {
      slot = this.pending.find(hi, lo);
      if (slot >= 0) before = this.pending.file(slot) === DEAD ? 0 : 1;
      else {
        before = this.committedLive(hi, lo) ? 1 : 0;
        if (before === 0) return; // removing a key that has no row: nothing to do
        slot = this.pending.claim(hi, lo);
      }
    } else {
      slot = this.pending.claim(hi, lo);
      if (this.pending.claimedNew) before = this.committedLive(hi, lo) ? 1 : 0;
      else before = this.pending.file(slot) === DEAD ? 0 : 1;
    }
    this.pending.set(slot, file, pos);
    this.#pendingChange += (file === DEAD ? 0 : 1) - before;
  }

  /**
   * The pending state becomes the committed state of `snapshotId`, the commit that wrote it
   * (`sequenceNumber`: its sequence number, when known, for the files it added). Snapshots of other
   * writers committed before it are not reflected until catchUp. Give `parentSnapshotId` (the
   * commit's parent, null for none) when known: a commit right on top of the index's settled snapshot
   * settles the index at it, so catch-up never has to walk back past it.
   */
  commitPending(snapshotId: bigint, sequenceNumber?: bigint, parentSnapshotId?: bigint | null): void {
    // Committed right on top of a settled state: nothing foreign in between, the new one is settled.
    const settles =
      parentSnapshotId !== undefined &&
      (parentSnapshotId ?? undefined) === this.#snapshotId &&
      this.#snapshotId === this.#settled;
    this.pending.forEach((_s, hi, lo, file, pos) => {
      if (file === DEAD) this.removeCommitted(hi, lo);
      else this.setCommitted(hi, lo, file, pos);
    });
    this.files.commit(sequenceNumber);
    this.clearPending();
    this.#snapshotId = snapshotId;
    if (settles) this.#settled = snapshotId;
    else this.#own.push(snapshotId);
    this.maybeFold();
  }

  /** Drops the pending state (the open commit failed or was abandoned). */
  discardPending(): void {
    this.clearPending();
    this.files.discard();
  }

  private clearPending(): void {
    this.#lastFile = undefined;
    this.pending.clear();
    this.#pendingChange = 0;
  }

  // ---- committed state (catch-up, checkpoints) ----------------------------------------------------

  /** The committed state reflects everything up to `snapshotId` (a catch-up or rebuild reached it). */
  settle(snapshotId: bigint | undefined): void {
    this.#snapshotId = snapshotId;
    this.#settled = snapshotId;
    this.#own = [];
  }

  /**
   * Sequence numbers of the snapshots between `from` (default: the current snapshot) and the settled
   * one that this index did not commit itself; undefined when the settled snapshot is not an ancestor
   * (or the ancestry is cut by expired snapshots).
   */
  foreignSince(
    metadata: TableMetadata,
    from = metadata["current-snapshot-id"] ?? undefined,
  ): Set<bigint> | undefined {
    const own = new Set(this.#own);
    const byId = new Map(metadata.snapshots.map((s) => [s["snapshot-id"], s]));
    const foreign = new Set<bigint>();
    let id = from;
    for (;;) {
      if (id === this.#settled) return foreign;
      if (id === undefined) return undefined;
      const s = byId.get(id);
      if (s === undefined) return undefined;
      if (!own.has(id)) foreign.add(s["sequence-number"]);
      id = s["parent-snapshot-id"] ?? undefined;
    }
  }

  /** Restores the snapshot bookkeeping of a checkpoint. */
  restore(snapshotId: bigint | undefined, settled: bigint | undefined, own: readonly bigint[]): void {
    this.#snapshotId = snapshotId;
    this.#settled = settled;
    this.#own = [...own];
  }

  /** Base index (>= 0), -(delta slot) - 2, or -1 when the committed state has no entry for the hash. */
  private committedFind(hi: number, lo: number): number {
    const b = this.base.find(hi, lo);
    if (b >= 0) return b;
    const d = this.delta.find(hi, lo);
    return d >= 0 ? -d - 2 : -1;
  }

  private committedLive(hi: number, lo: number): boolean {
    const c = this.committedFind(hi, lo);
    if (c === -1) return false;
    return (c >= 0 ? this.base.words[4 * c + 2] : this.delta.file(-c - 2)) !== DEAD;
  }

  /** Sets a committed entry (no pending state may be open). */
  setCommitted(hi: number, lo: number, file: number, pos: number): void {
    const c = this.committedFind(hi, lo);
    if (c >= 0) {
      const w = this.base.words;
      if (w[4 * c + 2] === DEAD) {
        this.base.dead--;
        this.#committedLive++;
      }
      w[4 * c + 2] = file;
      w[4 * c + 3] = pos;
      return;
    }
    if (c === -1) {
      const slot = this.delta.claim(hi, lo);
      this.delta.set(slot, file, pos);
      this.#committedLive++;
      return;
    }
    if (this.delta.file(-c - 2) === DEAD) this.#committedLive++;
    this.delta.set(-c - 2, file, pos);
  }

  removeCommitted(hi: number, lo: number): void {
    const c = this.committedFind(hi, lo);
    if (c >= 0) {
      const w = this.base.words;
      if (w[4 * c + 2] !== DEAD) {
        w[4 * c + 2] = DEAD;
        this.base.dead++;
        this.#committedLive--;
      }
    } else if (c !== -1 && this.delta.file(-c - 2) !== DEAD) {
      this.delta.set(-c - 2, DEAD, 0);
      this.#committedLive--;
    }
  }

  /** Removes committed entries for which `drop(file, pos)` holds; returns how many. */
  removeWhere(drop: (file: number, pos: number) => boolean): number {
    this.assertNoPending("remove entries");
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
    this.#committedLive -= n;
    return n;
  }

  /** Removes every entry pointing into the given files and forgets the files; returns entries removed. */
  sweepFiles(ids: ReadonlySet<number>): number {
    if (ids.size === 0) return 0;
    const n = this.removeWhere((file) => ids.has(file));
    this.files.remove(ids);
    return n;
  }

  /**
   * Merges entries read from files into the committed state. A hash already live keeps the entry
   * `keep` chooses (b is the new one), counted in duplicateKeys.
   */
  addRun(run: SortedEntries, keep: KeepLater): void {
    this.assertNoPending("add entries");
    this.fold();
    if (this.base.count === 0) {
      // A rebuild: the run is the whole committed state (no second copy for a merge).
      this.base = run;
      this.#committedLive = run.live;
      return;
    }
    const before = this.base.live;
    this.base = this.base.merge(run, keep, (n) => {
      this.duplicateKeys += n;
    });
    this.#committedLive += this.base.live - before;
  }

  /** Replaces the committed state by a sorted run (a rebuild or a loaded checkpoint). */
  resetCommitted(base: SortedEntries): void {
    this.clearPending();
    this.delta.clear();
    this.base = base;
    this.#committedLive = base.live;
  }

  /** Folds the hash table's keys into the sorted run (dropping removed entries). */
  fold(): void {
    if (this.delta.used === 0 && this.base.dead === 0) return;
    const chunks = new EntryChunks();
    this.delta.forEach((_s, hi, lo, file, pos) => {
      if (file !== DEAD) chunks.push(hi, lo, file, pos);
    });
    this.base = this.base.merge(SortedEntries.build(chunks));
    this.delta.clear();
  }

  private maybeFold(): void {
    const limit = Math.max(this.#foldMin, this.base.count >>> 3);
    if (this.delta.used > limit || this.base.dead > Math.max(this.#foldMin, this.base.count >>> 2))
      this.fold();
  }

  private assertNoPending(what: string): void {
    if (this.pending.used > 0) {
      throw new FloeError("INVALID_ARGUMENT", `key index: cannot ${what} while a commit is pending`);
    }
  }
}
