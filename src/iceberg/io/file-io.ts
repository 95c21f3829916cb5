import { FloeError } from "../../errors.js";

/**
 * The FileIO port: whole-object reads and writes addressed by full URIs (`file:///abs/path`,
 * `s3://bucket/key`, `memory://name/key`). Every implementation throws FloeError only:
 * NOT_FOUND for a missing file, PRECONDITION_FAILED when an `ifNoneMatch` write finds the file
 * already there, and retryable SERVICE_UNAVAILABLE for transient failures that survived retries.
 */

export interface FileInfo {
  /** Full URI, spelled with the same scheme and prefix the caller listed with. */
  path: string;
  size: number;
  lastModifiedMs: number;
}

export interface WriteOptions {
  /**
   * Atomic create: the write succeeds only if no file exists at the path, and of any number of
   * concurrent writers to one path exactly one succeeds. The others fail with PRECONDITION_FAILED
   * and leave the winner's bytes untouched. Readers never see a partially written file.
   */
  ifNoneMatch?: boolean;
  contentType?: string;
}

/**
 * A file written piece by piece. Nothing is visible at the path until `close` resolves; `close` then
 * behaves like `FileIO.write` with the same options (an `ifNoneMatch` close fails with
 * PRECONDITION_FAILED if a file appeared meanwhile). `abort` drops what was written; after a failed
 * `write` or `close` the caller aborts.
 */
export interface WriteStream {
  /** Appends bytes (the stream may keep a reference until they are stored: do not reuse them). */
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface FileIO {
  /** The whole file. NOT_FOUND if it does not exist. */
  read(path: string): Promise<Uint8Array>;
  /**
   * Bytes [offset, offset + length), cut short at the end of the file (empty when offset is at or
   * past the end). NOT_FOUND if the file does not exist.
   */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Creates or replaces the file (parents are created as needed); see WriteOptions.ifNoneMatch. */
  write(path: string, bytes: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Opens a file to write in pieces (see WriteStream). Optional: `openWriteStream` buffers the pieces
   * and calls `write` for stores without it.
   */
  openWrite?(path: string, options?: WriteOptions): Promise<WriteStream>;
  exists(path: string): Promise<boolean>;
  /** Size and modification time. NOT_FOUND if the file does not exist. */
  stat(path: string): Promise<FileInfo>;
  /** Removes the file; removing a file that does not exist succeeds. */
  delete(path: string): Promise<void>;
  /** Removes many files (batched where the store allows); missing files are not an error. */
  deleteMany?(paths: readonly string[]): Promise<void>;
  /**
   * Every file whose path starts with `prefix` (a plain string prefix, as in S3: `.../data/` lists
   * a directory, `.../data/part-` the files starting so). Order is unspecified. A prefix with
   * nothing under it yields nothing.
   */
  list(prefix: string): AsyncIterable<FileInfo>;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/** The URI scheme in lower case; a bare absolute path (`/tmp/x`) counts as `file`. */
export function schemeOf(path: string): string {
  const m = SCHEME.exec(path);
  if (m?.[1]) return m[1].toLowerCase();
  if (path.startsWith("/")) return "file";
  throw new FloeError("INVALID_ARGUMENT", "not a file location: expected a URI such as s3://bucket/key", {
    context: { path },
  });
}

/** Throws INVALID_ARGUMENT unless offset and length are non-negative safe integers. */
export function checkRange(path: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new FloeError("INVALID_ARGUMENT", "range offset and length must be non-negative integers", {
      context: { path, offset, length },
    });
  }
}

/** Reads a byte range through `io.readRange` when the implementation has it, else reads and slices. */
export async function readFileRange(
  io: FileIO,
  path: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  checkRange(path, offset, length);
  if (io.readRange) return io.readRange(path, offset, length);
  const all = await io.read(path);
  return all.slice(Math.min(offset, all.length), Math.min(offset + length, all.length));
}

/**
 * Opens `path` for writing in pieces through `io.openWrite`, or, for a FileIO without it, a stream
 * that keeps the pieces in memory and writes them at `close`.
 */
export async function openWriteStream(
  io: FileIO,
  path: string,
  options: WriteOptions = {},
): Promise<WriteStream> {
  if (io.openWrite) return io.openWrite(path, options);
  let chunks: Uint8Array[] = [];
  return {
    write: async (chunk) => {
      chunks.push(chunk);
    },
    close: async () => {
      const all = concatBytes(chunks);
      chunks = [];
      await io.write(path, all, options);
    },
    abort: async () => {
      chunks = [];
    },
  };
}

/** The pieces as one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Deletes through `io.deleteMany` when the implementation has it, else one by one. */
export async function deleteFiles(io: FileIO, paths: readonly string[]): Promise<void> {
  if (io.deleteMany) return io.deleteMany(paths);
  for (const path of paths) await io.delete(path);
}

/** Collects a listing into an array (for small prefixes and tests). */
export async function listAll(io: FileIO, prefix: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const info of io.list(prefix)) out.push(info);
  return out;
}

/**
 * A Uint8Array that owns its whole ArrayBuffer: Node may hand out Buffers that are views into a
 * shared pool, and readers that look at `.buffer` must not see other data.
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    // A plain Uint8Array view (not a Buffer subclass) over memory nobody else uses.
    return Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, 0, bytes.byteLength);
  }
  return new Uint8Array(bytes);
}
