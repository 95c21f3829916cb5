import { FloeError } from "../../errors.js";
import { checkRange, type FileInfo, type FileIO, schemeOf, type WriteOptions } from "./file-io.js";

interface Entry {
  bytes: Uint8Array;
  lastModifiedMs: number;
  contentType: string | undefined;
}

export interface MemoryFileIOOptions {
  /** Clock for lastModifiedMs (tests pin it). */
  now?: () => number;
}

/**
 * An in-memory FileIO for unit tests. Paths must use the `memory:` scheme; bytes are copied on the
 * way in and out so callers cannot alias stored files. `ifNoneMatch` is checked and applied in one
 * synchronous step, so it is atomic against concurrent writers in the process.
 */
export class MemoryFileIO implements FileIO {
  readonly #files = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options: MemoryFileIOOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async read(path: string): Promise<Uint8Array> {
    return this.#get(path).bytes.slice();
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(path, offset, length);
    const { bytes } = this.#get(path);
    return bytes.slice(Math.min(offset, bytes.length), Math.min(offset + length, bytes.length));
  }

  async write(path: string, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    checkPath(path);
    const copy = bytes.slice();
    // Yield first so concurrent writers interleave as they would against a real store.
    await Promise.resolve();
    if (options.ifNoneMatch && this.#files.has(path)) {
      throw new FloeError("PRECONDITION_FAILED", "file already exists", { context: { path } });
    }
    this.#files.set(path, { bytes: copy, lastModifiedMs: this.#now(), contentType: options.contentType });
  }

  async exists(path: string): Promise<boolean> {
    checkPath(path);
    return this.#files.has(path);
  }

  async stat(path: string): Promise<FileInfo> {
    const entry = this.#get(path);
    return { path, size: entry.bytes.length, lastModifiedMs: entry.lastModifiedMs };
  }

  async delete(path: string): Promise<void> {
    checkPath(path);
    this.#files.delete(path);
  }

  async deleteMany(paths: readonly string[]): Promise<void> {
    for (const path of paths) checkPath(path);
    for (const path of paths) this.#files.delete(path);
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    checkPath(prefix);
    const matches = [...this.#files.keys()].filter((p) => p.startsWith(prefix)).sort();
    for (const path of matches) {
      const entry = this.#files.get(path);
      // Skip files deleted while the listing was being consumed.
      if (entry) yield { path, size: entry.bytes.length, lastModifiedMs: entry.lastModifiedMs };
    }
  }

  /** The content type a file was written with (for tests of callers that set one). */
  contentTypeOf(path: string): string | undefined {
    return this.#get(path).contentType;
  }

  /** Every stored path, sorted. */
  paths(): string[] {
    return [...this.#files.keys()].sort();
  }

  #get(path: string): Entry {
    checkPath(path);
    const entry = this.#files.get(path);
    if (!entry) throw new FloeError("NOT_FOUND", "file not found", { context: { path } });
    return entry;
  }
}

function checkPath(path: string): void {
  if (schemeOf(path) !== "memory") {
    throw new FloeError("INVALID_ARGUMENT", "MemoryFileIO only handles memory:// paths", {
      context: { path },
    });
  }
}
