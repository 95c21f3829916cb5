import { FloeError } from "../../errors.js";
import type { Logger } from "../../log.js";
import {
  deleteFiles,
  type FileInfo,
  type FileIO,
  readFileRange,
  schemeOf,
  type WriteOptions,
} from "./file-io.js";
import { LocalFileIO, type LocalFileIOOptions } from "./local.js";
import { MemoryFileIO } from "./memory.js";
import { S3FileIO, type S3FileIOOptions } from "./s3.js";

export interface FileIOOptions {
  s3?: Omit<S3FileIOOptions, "logger">;
  local?: Omit<LocalFileIOOptions, "logger">;
  /** The store behind `memory://` paths; one is created (and kept) when absent. */
  memory?: MemoryFileIO;
  logger?: Logger;
}

export type StorageKind = "s3" | "local" | "memory";

const KIND_BY_SCHEME: Record<string, StorageKind> = {
  s3: "s3",
  s3a: "s3",
  s3n: "s3",
  file: "local",
  memory: "memory",
};

/** Which implementation serves a location, by its scheme; INVALID_ARGUMENT for unknown schemes. */
export function storageKindOf(location: string): StorageKind {
  const scheme = schemeOf(location);
  const kind = KIND_BY_SCHEME[scheme];
  if (!kind) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `no FileIO for scheme '${scheme}' (supported: s3, file, memory)`,
      {
        context: { path: location, scheme },
      },
    );
  }
  return kind;
}

/** A new FileIO for the scheme of `location` (e.g. a table's or warehouse's location). */
export function resolveFileIO(location: string, options: FileIOOptions = {}): FileIO {
  return createFor(storageKindOf(location), options);
}

function createFor(kind: StorageKind, options: FileIOOptions): FileIO {
  const logger = options.logger;
  switch (kind) {
    case "s3":
      return new S3FileIO({ ...options.s3, ...(logger ? { logger } : {}) });
    case "local":
      return new LocalFileIO({ ...options.local, ...(logger ? { logger } : {}) });
    case "memory":
      return options.memory ?? new MemoryFileIO();
  }
}

/**
 * A FileIO that sends each call to the implementation for its path's scheme, creating each one on
 * first use and keeping it (so an S3 client and its sockets are shared). Lets one table read files
 * written under another scheme spelling (`s3a://`) or another store.
 */
export class RoutingFileIO implements FileIO {
  readonly #options: FileIOOptions;
  readonly #byKind = new Map<StorageKind, FileIO>();

  constructor(options: FileIOOptions = {}) {
    this.#options = { ...options, memory: options.memory ?? new MemoryFileIO() };
  }

  /** The implementation serving `path` (throws INVALID_ARGUMENT for unknown schemes). */
  forPath(path: string): FileIO {
    const kind = storageKindOf(path);
    let io = this.#byKind.get(kind);
    if (!io) {
      io = createFor(kind, this.#options);
      this.#byKind.set(kind, io);
    }
    return io;
  }

  async read(path: string): Promise<Uint8Array> {
    return this.forPath(path).read(path);
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return readFileRange(this.forPath(path), path, offset, length);
  }

  async write(path: string, bytes: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.forPath(path).write(path, bytes, options);
  }

  async exists(path: string): Promise<boolean> {
    return this.forPath(path).exists(path);
  }

  async stat(path: string): Promise<FileInfo> {
    return this.forPath(path).stat(path);
  }

  async delete(path: string): Promise<void> {
    return this.forPath(path).delete(path);
  }

  async deleteMany(paths: readonly string[]): Promise<void> {
    const groups = new Map<FileIO, string[]>();
    for (const path of paths) {
      const io = this.forPath(path);
      const group = groups.get(io);
      if (group) group.push(path);
      else groups.set(io, [path]);
    }
    for (const [io, group] of groups) await deleteFiles(io, group);
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    yield* this.forPath(prefix).list(prefix);
  }
}
