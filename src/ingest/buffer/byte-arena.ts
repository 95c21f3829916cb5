/**
 * Byte strings (Kafka values and keys) by row, in 1 MiB chunks: nothing is copied as the arena grows,
 * and a row's bytes can be let go (not kept) while the row keeps its place.
 */
import { isUtf8 } from "node:buffer";
import type { Utf8Column } from "../../iceberg/write/index.js";
import { lossyUtf8Column } from "../kafka-meta.js";
import { Int32s } from "./growable.js";

const CHUNK = 1024 * 1024;
/** A row whose bytes were not kept (see TableBuffer.add); null bytes are -1. */
const RELEASED = -2;
/** Byte strings up to this long are copied by a loop. */
const SMALL = 32;

/** Byte strings (values, keys) by row, in 1 MiB chunks: nothing is copied as it grows. */
export class ByteArena {
  private chunks: Buffer[] = [];
  private used = CHUNK;
  /** Per row: chunk index, or -1 (null) / RELEASED. */
  private chunkOf = new Int32s();
  private starts = new Int32s();
  private ends = new Int32s();

  push(bytes: Uint8Array | null, keep = true): void {
    if (bytes === null || !keep) {
      this.chunkOf.push(bytes === null ? -1 : RELEASED);
      this.starts.push(0);
      this.ends.push(0);
      return;
    }
    const n = bytes.length;
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || this.used + n > chunk.length) {
      chunk = Buffer.allocUnsafe(Math.max(CHUNK, n));
      this.chunks.push(chunk);
      this.used = 0;
    }
    // Keys are mostly a few bytes, which a loop copies faster than set() starts.
    if (n <= SMALL) for (let k = 0; k < n; k++) chunk[this.used + k] = bytes[k] as number;
    else chunk.set(bytes, this.used);
    this.chunkOf.push(this.chunks.length - 1);
    this.starts.push(this.used);
    this.used += bytes.length;
    this.ends.push(this.used);
  }

  /** Whether row i's bytes were kept (or are null). */
  kept(i: number): boolean {
    return this.chunkOf.at(i) !== RELEASED;
  }

  /** A copy of row i's bytes (callers may keep it after the arena is dropped); null if released. */
  get(i: number): Uint8Array | null {
    return this.view(i)?.slice() ?? null;
  }

  /**
   * Rows [0, n) as one UTF-8 column: bytes copied chunk by chunk, validated in one pass; null rows are
   * null, and a row that is not UTF-8 on its own is decoded with replacement characters.
   */
  utf8Column(n: number): Utf8Column {
    const offsets = new Int32Array(n + 1);
    const nulls = new Uint8Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (this.chunkOf.at(i) < 0) nulls[i] = 1;
      else total += this.ends.at(i) - this.starts.at(i);
      offsets[i + 1] = total;
    }
    const data = Buffer.allocUnsafe(total);
    for (let i = 0; i < n; i++) {
      const c = this.chunkOf.at(i);
      if (c >= 0) this.chunks[c]?.copy(data, offsets[i], this.starts.at(i), this.ends.at(i));
    }
    // Valid as a whole, with every row starting on a character: then every row is valid on its own.
    let valid = isUtf8(data);
    for (let i = 0; valid && i < n; i++) {
      const at = offsets[i] ?? 0;
      if (at < total && at < (offsets[i + 1] ?? 0) && ((data[at] ?? 0) & 0xc0) === 0x80) valid = false;
    }
    if (valid) return { kind: "utf8", offsets, data, nulls };
    return lossyUtf8Column(n, (i) => this.view(i));
  }

  /** A view of row i's bytes, valid until the next retain. */
  view(i: number): Uint8Array | null {
    const c = i < this.chunkOf.length ? this.chunkOf.at(i) : -1;
    if (c < 0) return null;
    return this.chunks[c]?.subarray(this.starts.at(i), this.ends.at(i)) ?? null;
  }

  retain(keep: readonly number[]): void {
    const next = new ByteArena();
    for (const i of keep) next.push(this.view(i), this.kept(i));
    Object.assign(this, next);
  }
}
