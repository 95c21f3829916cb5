/**
 * Roaring bitmaps of 64-bit row positions in the portable serialization the Iceberg `deletion-vector-v1`
 * blob uses: a little-endian 64-bit count of 32-bit bitmaps, then per bitmap (ascending by key) its
 * 32-bit key (the positions' high half) and the bitmap of the low halves in the 32-bit Roaring portable
 * format (Roaring format spec: cookie, container keys and cardinalities, offsets, then array, bitmap or
 * run containers of 2^16 values each).
 *
 * Positions are JS numbers (row positions stay far below 2^53). Writing picks per container the
 * smallest of the three encodings, as a run-optimized Roaring writer does; reading accepts all of them.
 */
import { FloeError } from "../../errors.js";

const COOKIE_NO_RUNS = 12346;
const COOKIE_RUNS = 12347;
/** With the run cookie, the offset header is present only from this many containers on. */
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;
const TWO_32 = 2 ** 32;

type Container =
  | { kind: "array"; key: number; values: Uint16Array }
  | { kind: "bitmap"; key: number; cardinality: number; words: Uint8Array }
  | { kind: "run"; key: number; cardinality: number; runs: Uint16Array /* start, length-1 pairs */ };

function bad(message: string): FloeError {
  return new FloeError("DECODE_FAILED", `roaring bitmap: ${message}`);
}

function checked(p: number | bigint): number {
  const n = typeof p === "bigint" ? Number(p) : p;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new FloeError("INVALID_ARGUMENT", `row position ${String(p)} is not a non-negative safe integer`);
  }
  return n;
}

/** The sorted unique values of one chunk's low 16 bits (a bit set when there are many). */
function sortedLows(lows: number[]): number[] {
  if (lows.length <= ARRAY_MAX) {
    const sorted = Uint16Array.from(lows).sort();
    const out: number[] = [];
    for (let i = 0; i < sorted.length; i++)
      if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i] as number);
    return out;
  }
  const bits = new Uint8Array(BITMAP_BYTES);
  for (const v of lows) bits[v >> 3] = (bits[v >> 3] as number) | (1 << (v & 7));
  const out: number[] = [];
  for (let byte = 0; byte < BITMAP_BYTES; byte++) {
    const b = bits[byte] as number;
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(byte * 8 + bit);
  }
  return out;
}

/** The container for low-16-bit values `lows` (sorted, unique): the smallest encoding. */
function container(key: number, lows: number[]): Container {
  const runs: number[] = [];
  for (let i = 0; i < lows.length; ) {
    let j = i;
    while (j + 1 < lows.length && (lows[j + 1] as number) === (lows[j] as number) + 1) j++;
    runs.push(lows[i] as number, j - i);
    i = j + 1;
  }
  const runBytes = 2 + 2 * runs.length;
  const plainBytes = lows.length <= ARRAY_MAX ? 2 * lows.length : BITMAP_BYTES;
  if (runBytes < plainBytes)
    return { kind: "run", key, cardinality: lows.length, runs: Uint16Array.from(runs) };
  if (lows.length <= ARRAY_MAX) return { kind: "array", key, values: Uint16Array.from(lows) };
  const words = new Uint8Array(BITMAP_BYTES);
  for (const v of lows) words[v >> 3] = (words[v >> 3] as number) | (1 << (v & 7));
  return { kind: "bitmap", key, cardinality: lows.length, words };
}

function cardinalityOf(c: Container): number {
  return c.kind === "array" ? c.values.length : c.cardinality;
}

function containerBytes(c: Container): number {
  if (c.kind === "array") return 2 * c.values.length;
  if (c.kind === "bitmap") return BITMAP_BYTES;
  return 2 + 2 * c.runs.length;
}

/** One 32-bit bitmap in the portable format. */
function serialize32(containers: readonly Container[]): Uint8Array {
  const n = containers.length;
  const hasRuns = containers.some((c) => c.kind === "run");
  const headerBytes = hasRuns ? 4 + Math.ceil(n / 8) : 8;
  const withOffsets = !hasRuns || n >= NO_OFFSET_THRESHOLD;
  let size = headerBytes + 4 * n + (withOffsets ? 4 * n : 0);
  const start = size;
  for (const c of containers) size += containerBytes(c);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  if (hasRuns) {
    view.setUint16(0, COOKIE_RUNS, true);
    view.setUint16(2, n - 1, true);
    containers.forEach((c, i) => {
      if (c.kind === "run") out[4 + (i >> 3)] = (out[4 + (i >> 3)] as number) | (1 << (i & 7));
    });
  } else {
    view.setUint32(0, COOKIE_NO_RUNS, true);
    view.setUint32(4, n, true);
  }
  at = headerBytes;
  for (const c of containers) {
    view.setUint16(at, c.key, true);
    view.setUint16(at + 2, cardinalityOf(c) - 1, true);
    at += 4;
  }
  let offset = start;
  for (const c of containers) {
    if (withOffsets) {
      view.setUint32(at, offset, true);
      at += 4;
    }
    offset += containerBytes(c);
  }
  at = start;
  for (const c of containers) {
    if (c.kind === "array") {
      for (const v of c.values) {
        view.setUint16(at, v, true);
        at += 2;
      }
    } else if (c.kind === "bitmap") {
      out.set(c.words, at);
      at += BITMAP_BYTES;
    } else {
      view.setUint16(at, c.runs.length / 2, true);
      at += 2;
      for (const v of c.runs) {
        view.setUint16(at, v, true);
        at += 2;
      }
    }
  }
  return out;
}

/**
 * The portable 64-bit serialization of a set of row positions (any order, duplicates allowed) and how
 * many distinct positions it holds. Positions are bucketed by 2^16 chunk first, so nothing sorts more
 * than one chunk's values.
 */
export function encodePositions(positions: Iterable<number | bigint>): {
  bytes: Uint8Array;
  cardinality: number;
} {
  const chunks = new Map<number, number[]>();
  for (const p of positions) {
    const n = checked(p);
    const chunk = Math.floor(n / 65536);
    const lows = chunks.get(chunk);
    if (lows === undefined) chunks.set(chunk, [n - chunk * 65536]);
    else lows.push(n - chunk * 65536);
  }
  const bitmaps: { high: number; bytes: Uint8Array }[] = [];
  let cardinality = 0;
  let containers: Container[] = [];
  let high = -1;
  const close = () => {
    if (containers.length > 0) bitmaps.push({ high, bytes: serialize32(containers) });
    containers = [];
  };
  for (const chunk of [...chunks.keys()].sort((x, y) => x - y)) {
    const h = Math.floor(chunk / 65536);
    if (h !== high) {
      close();
      high = h;
    }
    const lows = sortedLows(chunks.get(chunk) as number[]);
    cardinality += lows.length;
    containers.push(container(chunk - h * 65536, lows));
  }
  close();
  const total = 8 + bitmaps.reduce((sum, bm) => sum + 4 + bm.bytes.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(bitmaps.length), true);
  let at = 8;
  for (const bm of bitmaps) {
    view.setUint32(at, bm.high, true);
    out.set(bm.bytes, at + 4);
    at += 4 + bm.bytes.byteLength;
  }
  return { bytes: out, cardinality };
}

/** The portable 64-bit serialization of a set of row positions. */
export function serializePositions(positions: Iterable<number | bigint>): Uint8Array {
  return encodePositions(positions).bytes;
}

/** Reads one 32-bit portable bitmap at `start`, appending `high * 2^32 + value` to `out`; returns its end. */
function read32(view: DataView, start: number, high: number, out: number[]): number {
  const need = (at: number, n: number) => {
    if (at + n > view.byteLength) throw bad("truncated");
  };
  need(start, 4);
  const cookie = view.getUint32(start, true);
  let n: number;
  let at: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === COOKIE_RUNS) {
    n = (cookie >>> 16) + 1;
    const flagBytes = Math.ceil(n / 8);
    need(start + 4, flagBytes);
    runFlags = new Uint8Array(view.buffer, view.byteOffset + start + 4, flagBytes);
    at = start + 4 + flagBytes;
  } else if (cookie === COOKIE_NO_RUNS) {
    need(start + 4, 4);
    n = view.getUint32(start + 4, true);
    at = start + 8;
  } else {
    throw bad(`unknown cookie ${cookie}`);
  }
  need(at, 4 * n);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(view.getUint16(at, true));
    cards.push(view.getUint16(at + 2, true) + 1);
    at += 4;
  }
  if (runFlags === undefined || n >= NO_OFFSET_THRESHOLD) at += 4 * n; // offsets: containers follow in order
  const base = high * TWO_32;
  for (let i = 0; i < n; i++) {
    const hi = base + (keys[i] as number) * 65536;
    const card = cards[i] as number;
    if (i > 0 && (keys[i] as number) <= (keys[i - 1] as number)) throw bad("container keys out of order");
    if (runFlags !== undefined && ((runFlags[i >> 3] as number) & (1 << (i & 7))) !== 0) {
      need(at, 2);
      const runs = view.getUint16(at, true);
      need(at + 2, 4 * runs);
      at += 2;
      for (let r = 0; r < runs; r++) {
        const s = view.getUint16(at, true);
        const len = view.getUint16(at + 2, true);
        at += 4;
        for (let v = s; v <= s + len; v++) out.push(hi + v);
      }
    } else if (card <= ARRAY_MAX) {
      need(at, 2 * card);
      for (let k = 0; k < card; k++) out.push(hi + view.getUint16(at + 2 * k, true));
      at += 2 * card;
    } else {
      need(at, BITMAP_BYTES);
      for (let b = 0; b < BITMAP_BYTES; b++) {
        const byte = view.getUint8(at + b);
        if (byte === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) out.push(hi + b * 8 + bit);
      }
      at += BITMAP_BYTES;
    }
  }
  return at;
}

/** The positions of a portable 64-bit serialization, ascending. */
export function deserializePositions(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw bad("truncated");
  const count = view.getBigUint64(0, true);
  if (count > BigInt(bytes.byteLength)) throw bad(`implausible bitmap count ${count}`);
  const out: number[] = [];
  let at = 8;
  let previous = -1;
  for (let i = 0; i < Number(count); i++) {
    if (at + 4 > bytes.byteLength) throw bad("truncated");
    const high = view.getUint32(at, true);
    if (high <= previous) throw bad("bitmap keys out of order");
    if (high >= 2 ** 21) throw bad(`position key ${high} beyond 2^53`);
    previous = high;
    at = read32(view, at + 4, high, out);
  }
  return out;
}
