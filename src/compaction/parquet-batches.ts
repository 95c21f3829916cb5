/**
 * Reading a Parquet file as a sequence of small Arrow tables, in bounded memory whatever the file's
 * size: parquet-wasm's ParquetFile reads the footer and then one row group's column chunks at a time
 * through a Blob-shaped handle, here backed either by bytes already in memory (a small file read
 * whole) or by ranged reads of the file (`ByteRanges`), so a large input is never held whole.
 *
 * Memory goes to parquet-wasm's WASM heap, which never shrinks: its high-water mark is what the
 * process keeps. Two things set it (measured on a 1M-row, 42 MB file of the bench event schema):
 * - the decoded row group: parquet-wasm collects a row group's batches before handing out the first
 *   (~60 MiB of WASM for a 17 MB row group). Row groups larger than SLICE_BYTES (uncompressed) are
 *   read in row ranges of about that size (offset/limit within the row group), so a file written
 *   with very large row groups (another engine's 128 MB ones) costs the same as one written by Floe.
 * - each batch's Arrow IPC copy: 125 MiB of WASM with 64k-row batches, 71 MiB with 16k rows, for
 *   the same CPU time. Batches are sized by bytes (BATCH_BYTES of uncompressed data) rather than rows.
 *
 * A failed read must never reach parquet-wasm as a rejected promise, nor as bytes it cannot decode
 * while it reads a row group: it panics on both (an uncaught `unreachable`, a stream that never ends).
 * So the footer is read and parsed here first (footer.ts), and each row group's column chunks are
 * fetched here before parquet-wasm is asked for its rows, and served to it from memory: a failed read
 * is thrown from here, as the FloeError the FileIO gave. The one read left to parquet-wasm, the page
 * index at open, is answered with zeros if it fails (it then fails cleanly) and the error is thrown.
 * Memory: the fetched row group (compressed) in JS, and parquet-wasm's copy and decode of it.
 */
import * as arrow from "apache-arrow";
import { FloeError, toFloeError } from "../errors.js";
import { type FileIO, readFileRange } from "../iceberg/io/index.js";
import {
  footerLength,
  type ParquetFooter,
  type ParquetRowGroup,
  parquetWasm,
  parseFileMetaData,
} from "../iceberg/write/index.js";

/** Random access to a file's bytes. */
export interface ByteRanges {
  /** The file's size in bytes. */
  readonly size: number;
  /** Bytes [offset, offset + length), cut short at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** `path` read by ranges through `io` (`size`: the file's size, e.g. from its manifest entry). */
export function fileRanges(io: FileIO, path: string, size: number): ByteRanges {
  return { size, read: (offset, length) => readFileRange(io, path, offset, length) };
}

/** Uncompressed bytes of a row group read in one go; larger row groups are read in row ranges. */
export const SLICE_BYTES = 32 * 1024 * 1024;
/** Uncompressed bytes per decoded batch. */
export const BATCH_BYTES = 2 * 1024 * 1024;
const MIN_BATCH_ROWS = 1024;
const MAX_BATCH_ROWS = 65_536;

/** One read of a row group: `offset`/`limit` rows within it when it is read in ranges. */
interface Read {
  rowGroup: number;
  offset?: number;
  limit?: number;
}

/** The reads a file is decoded in, and the batch size, from its row groups' sizes. */
export function readPlan(
  rowGroups: readonly { rows: number; bytes: number }[],
  batchRows?: number,
  sliceBytes = SLICE_BYTES,
): { reads: Read[]; batchRows: number } {
  const widest = Math.max(0, ...rowGroups.map((g) => (g.rows > 0 ? g.bytes / g.rows : 0)));
  const rows =
    batchRows ??
    Math.max(
      MIN_BATCH_ROWS,
      Math.min(MAX_BATCH_ROWS, widest > 0 ? Math.floor(BATCH_BYTES / widest) : MAX_BATCH_ROWS),
    );
  const reads: Read[] = [];
  rowGroups.forEach((g, rowGroup) => {
    const slices = g.bytes > sliceBytes && g.rows > 1 ? Math.ceil(g.bytes / sliceBytes) : 1;
    if (slices === 1) {
      reads.push({ rowGroup });
      return;
    }
    const per = Math.ceil(g.rows / slices);
    for (let offset = 0; offset < g.rows; offset += per)
      reads.push({ rowGroup, offset, limit: Math.min(per, g.rows - offset) });
  });
  return { reads, batchRows: rows };
}

/** The whole ArrayBuffer of `bytes`, copied only if `bytes` is a view into a larger one. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes : bytes.slice()).buffer as ArrayBuffer;
}

/** Bytes of the file from `offset`. */
interface Segment {
  offset: number;
  bytes: Uint8Array;
}

/**
 * The Blob-shaped handle ParquetFile.fromFile reads through (`size`, `slice`, `arrayBuffer`), over
 * segments fetched beforehand (see the file comment); other reads go to the source and never reject:
 * the first error is kept in `failure`.
 */
class FileHandle {
  failure: unknown;
  readonly segments: Segment[] = [];

  constructor(private readonly source: ByteRanges) {}

  /** Reads bytes [offset, offset + length) here, failing on a short read. */
  async fetch(offset: number, length: number): Promise<Segment> {
    const bytes = await this.source.read(offset, length);
    if (bytes.byteLength !== length) {
      throw new FloeError("IO_ERROR", `short read: ${bytes.byteLength} of ${length} bytes at ${offset}`);
    }
    return { offset, bytes };
  }

  blob(): Blob {
    const size = this.source.size;
    const handle = {
      size,
      slice: (start: number, end: number) => ({
        arrayBuffer: () => this.#read(start, Math.max(0, Math.min(end, size) - start)),
      }),
    };
    return handle as unknown as Blob;
  }

  async #read(offset: number, length: number): Promise<ArrayBuffer> {
    for (const s of this.segments) {
      const at = offset - s.offset;
      if (at >= 0 && at + length <= s.bytes.byteLength) return s.bytes.slice(at, at + length).buffer;
    }
    if (this.failure === undefined) {
      try {
        return ownBuffer((await this.fetch(offset, length)).bytes);
      } catch (e) {
        this.failure = e;
      }
    }
    return new ArrayBuffer(length);
  }
}

/** Bytes in memory as ByteRanges. */
function inMemory(bytes: Uint8Array): ByteRanges {
  return { size: bytes.byteLength, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Trailing bytes read in one go at open: the footer of most files fits. */
const TAIL_BYTES = 64 * 1024;

/** The file's footer, read and parsed here (the bytes stay with the handle for parquet-wasm). */
async function readFooter(handle: FileHandle, size: number): Promise<ParquetFooter> {
  if (size < 12) throw new FloeError("DECODE_FAILED", `not a readable Parquet file: ${size} bytes`);
  let tail = await handle.fetch(size - Math.min(size, TAIL_BYTES), Math.min(size, TAIL_BYTES));
  const length = footerLength(tail.bytes);
  if (length + 4 > size) {
    throw new FloeError(
      "DECODE_FAILED",
      `not a readable Parquet file: footer length ${length} exceeds the file`,
    );
  }
  if (length > tail.bytes.byteLength) tail = await handle.fetch(size - length, length);
  handle.segments.push(tail);
  const n = tail.bytes.byteLength;
  return parseFileMetaData(tail.bytes.subarray(n - length, n - 8));
}

/** Where a row group's column chunks lie: [start, end) over the chunks of the columns read. */
function chunkRange(rg: ParquetRowGroup, columns: ReadonlySet<string> | undefined): [number, number] {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const c of rg.columns) {
    if (columns !== undefined && !columns.has(c.path[0] ?? "")) continue;
    const dict = c.dictionaryPageOffset;
    const first = dict !== undefined && dict > 0n && dict < c.dataPageOffset ? dict : c.dataPageOffset;
    start = Math.min(start, Number(first));
    end = Math.max(end, Number(first + c.compressedSize));
  }
  return start < end ? [start, end] : [0, 0];
}

type WasmFile = Awaited<ReturnType<ReturnType<typeof parquetWasm>["ParquetFile"]["fromFile"]>>;
type Next = { done: true; value?: undefined } | { done: false; value: { intoIPCStream(): Uint8Array } };

/**
 * A Parquet file -> Arrow tables of a bounded size, decoded one at a time (see the file comment).
 * `source`: the file's bytes, or ranged reads of it; `batchRows`: rows per batch (default:
 * BATCH_BYTES of the file's uncompressed data); `columns` (top-level column names as the file
 * spells them) decodes only those columns; `sliceBytes`: see SLICE_BYTES.
 */
export async function* parquetBatches(
  source: Uint8Array | ByteRanges,
  path = "<bytes>",
  batchRows?: number,
  columns?: readonly string[],
  sliceBytes = SLICE_BYTES,
): AsyncGenerator<arrow.Table> {
  const ranges = source instanceof Uint8Array ? inMemory(source) : source;
  const handle = new FileHandle(ranges);
  const fail = (e: unknown) => {
    const read = handle.failure;
    if (read === undefined && e instanceof FloeError && e.code !== "DECODE_FAILED") return e;
    if (read !== undefined) return toFloeError(read, "IO_ERROR", { path });
    return new FloeError(
      "IO_ERROR",
      `cannot read Parquet file ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e, context: { path } },
    );
  };
  let footer: ParquetFooter;
  let file: WasmFile;
  try {
    footer = await readFooter(handle, ranges.size);
    file = await parquetWasm().ParquetFile.fromFile(handle.blob());
  } catch (e) {
    throw fail(e);
  }
  try {
    if (handle.failure !== undefined) throw fail(undefined);
    const groups = footer.rowGroups.map((g) => ({ rows: Number(g.numRows), bytes: Number(g.totalByteSize) }));
    const plan = readPlan(groups, batchRows, sliceBytes);
    const projection = columns === undefined ? {} : { columns: [...columns] };
    const projected = columns === undefined ? undefined : new Set(columns);
    let fetched = -1;
    for (const r of plan.reads) {
      if (r.rowGroup !== fetched) {
        // This row group's chunks, fetched before parquet-wasm asks (see the file comment).
        handle.segments.splice(1);
        const [start, end] = chunkRange(footer.rowGroups[r.rowGroup] as ParquetRowGroup, projected);
        try {
          if (end > start) handle.segments.push(await handle.fetch(start, end - start));
        } catch (e) {
          throw fail(e);
        }
        fetched = r.rowGroup;
      }
      let reader: ReadableStreamDefaultReader;
      try {
        const stream = await file.stream({
          batchSize: plan.batchRows,
          rowGroups: [r.rowGroup],
          ...(r.offset === undefined ? {} : { offset: r.offset, limit: r.limit }),
          ...projection,
        });
        reader = stream.getReader();
      } catch (e) {
        throw fail(e);
      }
      let ended = false;
      try {
        for (;;) {
          let next: Next;
          try {
            next = (await reader.read()) as Next;
          } catch (e) {
            ended = true;
            throw fail(e);
          }
          if (handle.failure !== undefined) throw fail(undefined);
          if (next.done) {
            ended = true;
            break;
          }
          yield arrow.tableFromIPC(next.value.intoIPCStream());
        }
      } finally {
        // Stopped early (a failed read, or the caller's): let the row group's stream go.
        if (!ended) await reader.cancel().catch(() => undefined);
      }
    }
  } finally {
    file.free();
  }
}
