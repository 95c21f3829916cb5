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
 * Past its memory budget (`memoryBytes`) the sorted run lives in a file instead (spill.ts): lookups
 * read one 4 KiB block of it, changes to its keys go to the hash table (a removed key as a DEAD entry),
 * and folds stream the file and the sorted table into a new file.
 *
 * A key's hash stands for the key: two keys sharing a 64-bit hash (probability about n^2 / 2^65) would
 * be taken for one.
 */
import { FloeError } from "../errors.js";
import type { TableMetadata } from "../iceberg/spec/index.js";
import { CommittedEntries } from "./committed.js";
import type { DiskRun } from "./disk-run.js";
import { DEAD, HashSlots, type KeepLater, type SortedEntries } from "./entries.js";
import { FileTable, type IndexedFile } from "./files.js";
import type { SpillOptions } from "./spill.js";

export type { IndexedFile } from "./files.js";

export interface RowLocation {
  readonly file: IndexedFile;
  readonly pos: number;
}

/** Keys the hash table may hold before it is folded into the sorted run (at least). */
const FOLD_MIN = 1 << 16;

export interface KeyIndexOptions extends SpillOptions {
  /** Keys the hash table may hold before it is folded into the sorted run (at least). */
  foldMin?: number;
}

export class KeyIndex {
  readonly keyColumns: readonly string[];
  /** Keys found on two live rows while catching up (the row of the newer file was kept). */
  duplicateKeys = 0;
  /** The files entries point into (for catch-up and checkpoints). */
  readonly files = new FileTable();
  /** Committed entries: sorted run (in memory or spilled) + keys changed since (committed.ts). */
  readonly committed: CommittedEntries;
  /** The open commit: file DEAD = the commit removes the key. */
  readonly pending = new HashSlots(1024);
  #snapshotId: bigint | undefined;
  /** The snapshot through which every writer's changes are reflected (catch-up starts there). */
  #settled: bigint | undefined;
  /** Snapshots this index committed itself since `settled` (their changes are reflected too). */
  #own: bigint[] = [];
  #pendingChange = 0;
  #lastFile: IndexedFile | undefined;
  #lastFileId = 0;

  constructor(keyColumns: readonly string[], snapshotId?: bigint, options: KeyIndexOptions = {}) {
    this.committed = new CommittedEntries(options.foldMin ?? FOLD_MIN, options);
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
    return this.committed.live + this.#pendingChange;
  }

  /** Committed live keys. */
  get committedSize(): number {
    return this.committed.live;
  }

  get hasPending(): boolean {
    return this.pending.used > 0;
  }

  /** Resident bytes: typed arrays and an estimate of the file table (not the spilled run). */
  get memoryBytes(): number {
    return this.committed.byteLength + this.pending.byteLength + this.files.byteEstimate;
  }

  /** Bytes of the sorted run's file when it is spilled (else 0). */
  get diskBytes(): number {
    return this.committed.spill.run?.diskBytes ?? 0;
  }

  /** Whether the sorted run lives on disk. */
  get spilled(): boolean {
    return this.committed.spill.run !== undefined;
  }

  /**
   * Reads what the spilled run holds for a batch of keys (hashes from keyHashes) in one pass over the
   * file in hash order, so the lookups that follow read nothing (nothing to do when not spilled).
   */
  prefetch(hashes: Uint32Array): void {
    this.committed.spill.prefetch(hashes);
  }

  /** Deletes the spilled run and its directory; the index is empty afterwards. */
  close(): void {
    this.clearPending();
    this.committed.close();
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
    const file = this.committed.find(hi, lo);
    return file === DEAD ? undefined : { file: this.files.get(file), pos: this.committed.pos };
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
        before = this.committed.find(hi, lo) === DEAD ? 0 : 1;
        if (before === 0) return; // removing a key that has no row: nothing to do
        slot = this.pending.claim(hi, lo);
      }
    } else {
      slot = this.pending.claim(hi, lo);
      if (this.pending.claimedNew) before = this.committed.find(hi, lo) === DEAD ? 0 : 1;
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
    this.committed.maybeFold();
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
    const probe = this.committed.spill.probe;
    if (probe.used > 0) probe.clear();
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

  /** Sets a committed entry (no pending state may be open). */
  setCommitted(hi: number, lo: number, file: number, pos: number): void {
    this.committed.set(hi, lo, file, pos);
  }

  removeCommitted(hi: number, lo: number): void {
    this.committed.remove(hi, lo);
  }

  /** Removes committed entries for which `drop(file, pos)` holds; returns how many. */
  removeWhere(drop: (file: number, pos: number) => boolean): number {
    this.assertNoPending("remove entries");
    return this.committed.removeWhere(drop);
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
    this.duplicateKeys += this.committed.addRun(run, keep);
  }

  /** Replaces the committed state by a sorted run (a rebuild or a loaded checkpoint). */
  resetCommitted(run: SortedEntries | DiskRun): void {
    this.clearPending();
    this.committed.reset(run);
  }

  /** Folds the hash table's keys into the sorted run (dropping removed entries). */
  fold(): void {
    this.committed.fold();
  }

  private assertNoPending(what: string): void {
    if (this.pending.used > 0) {
      throw new FloeError("INVALID_ARGUMENT", `key index: cannot ${what} while a commit is pending`);
    }
  }
}
