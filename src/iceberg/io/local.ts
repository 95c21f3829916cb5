import { randomBytes } from "node:crypto";
import { constants, type Dirent, promises as fs } from "node:fs";
import { basename, dirname } from "node:path";
import { FloeError } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  checkRange,
  type FileInfo,
  type FileIO,
  ownedBytes,
  type WriteOptions,
  type WriteStream,
} from "./file-io.js";

export interface LocalFileIOOptions {
  /** fsync each written file and its directory before the write resolves (default true). */
  fsync?: boolean;
  logger?: Logger;
}

const TEMP_SUFFIX = ".floe-tmp";
const LINK_UNSUPPORTED = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/**
 * FileIO over the local filesystem. Locations are `file:///abs/path`, Hadoop-style `file:/abs/path`,
 * `file://localhost/abs/path` or a bare absolute path; they are taken literally (no percent-decoding)
 * and listings spell paths the way the prefix was spelled.
 *
 * Every write goes to a hidden temp file in the target's directory first, so readers never see a
 * partial file. A plain write then renames over the target; an `ifNoneMatch` write hard-links the
 * temp file to the target, which the kernel refuses with EEXIST if anything is already there: of
 * any number of concurrent writers (threads or processes) exactly one link succeeds.
 */
export class LocalFileIO implements FileIO {
  readonly #fsync: boolean;
  readonly #log: Logger;

  constructor(options: LocalFileIOOptions = {}) {
    this.#fsync = options.fsync ?? true;
    this.#log = options.logger ?? silentLogger;
  }

  async read(path: string): Promise<Uint8Array> {
    const file = localPathOf(path);
    try {
      return ownedBytes(await fs.readFile(file));
    } catch (e) {
      throw fsError(e, "read", path);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(path, offset, length);
    const file = localPathOf(path);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(file, "r");
      const st = await handle.stat();
      if (!st.isFile()) throw notAFile(path);
      const want = Math.max(0, Math.min(length, st.size - offset));
      const out = new Uint8Array(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(out, got, want - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === want ? out : out.slice(0, got);
    } catch (e) {
      throw fsError(e, "readRange", path);
    } finally {
      await handle?.close();
    }
  }

  async write(path: string, bytes: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const target = localPathOf(path);
    const dir = dirname(target);
    const temp = tempPathFor(target);
    try {
      await fs.mkdir(dir, { recursive: true });
      await this.#writeTemp(temp, bytes);
      await this.#publish(temp, target, path, options);
    } catch (e) {
      throw fsError(e, "write", path);
    } finally {
      await fs.rm(temp, { force: true }).catch(() => {});
    }
  }

  /** Writes into a temporary file next to the target; `close` publishes it as `write` does. */
  async openWrite(path: string, options: WriteOptions = {}): Promise<WriteStream> {
    const target = localPathOf(path);
    const dir = dirname(target);
    const temp = tempPathFor(target);
    let handle: fs.FileHandle;
    try {
      await fs.mkdir(dir, { recursive: true });
      handle = await fs.open(temp, "wx");
    } catch (e) {
      throw fsError(e, "write", path);
    }
    let open = true;
    const release = async () => {
      if (open) {
        open = false;
        await handle.close().catch(() => {});
      }
      await fs.rm(temp, { force: true }).catch(() => {});
    };
    return {
      write: async (chunk) => {
        try {
          let at = 0;
          while (at < chunk.byteLength) {
            const { bytesWritten } = await handle.write(chunk, at, chunk.byteLength - at);
            at += bytesWritten;
          }
        } catch (e) {
          throw fsError(e, "write", path);
        }
      },
      close: async () => {
        try {
          if (this.#fsync) await handle.sync();
          open = false;
          await handle.close();
          await this.#publish(temp, target, path, options);
        } catch (e) {
          throw fsError(e, "write", path);
        } finally {
          await release();
        }
      },
      abort: release,
    };
  }

  async exists(path: string): Promise<boolean> {
    const file = localPathOf(path);
    try {
      return (await fs.stat(file)).isFile();
    } catch (e) {
      const err = fsError(e, "exists", path);
      if (err.code === "NOT_FOUND") return false;
      throw err;
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const file = localPathOf(path);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) throw notAFile(path);
      return { path, size: st.size, lastModifiedMs: Math.floor(st.mtimeMs) };
    } catch (e) {
      throw fsError(e, "stat", path);
    }
  }

  async delete(path: string): Promise<void> {
    const file = localPathOf(path);
    try {
      await fs.unlink(file);
    } catch (e) {
      const err = fsError(e, "delete", path);
      if (err.code !== "NOT_FOUND") throw err;
    }
  }

  async deleteMany(paths: readonly string[]): Promise<void> {
    for (const path of paths) localPathOf(path);
    for (const path of paths) await this.delete(path);
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const local = localPathOf(prefix);
    // The local path is a literal suffix of the URI, so the URI's head re-spells listed paths.
    const head = prefix.slice(0, prefix.length - local.length);
    const start = local.endsWith("/") ? local : dirname(local);
    for await (const [file, size, mtimeMs] of walk(start, local)) {
      yield { path: head + file, size, lastModifiedMs: Math.floor(mtimeMs) };
    }
  }

  /** Moves a complete temporary file to its target (exclusively with ifNoneMatch), durably. */
  async #publish(temp: string, target: string, path: string, options: WriteOptions): Promise<void> {
    if (options.ifNoneMatch) await this.#createExclusive(temp, target, path);
    else await fs.rename(temp, target);
    if (this.#fsync) await syncDirectory(dirname(target));
  }

  async #writeTemp(temp: string, bytes: Uint8Array): Promise<void> {
    const handle = await fs.open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      if (this.#fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #createExclusive(temp: string, target: string, path: string): Promise<void> {
    try {
      await fs.link(temp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (code === "EEXIST") {
        throw new FloeError("PRECONDITION_FAILED", "file already exists", { context: { path } });
      }
      if (!LINK_UNSUPPORTED.has(code)) throw e;
      // Filesystems without hard links: COPYFILE_EXCL creates the target with O_EXCL, still atomic
      // against other creators, but a reader may see the file while its bytes are being copied.
      this.#log.warn("hard links unsupported here; falling back to exclusive copy", { path, errno: code });
      try {
        await fs.copyFile(temp, target, constants.COPYFILE_EXCL);
      } catch (copyErr) {
        if ((copyErr as NodeJS.ErrnoException).code === "EEXIST") {
          throw new FloeError("PRECONDITION_FAILED", "file already exists", { context: { path } });
        }
        throw copyErr;
      }
    }
  }
}

/** A hidden temporary name next to `target` (orphan removal and listings know the suffix). */
function tempPathFor(target: string): string {
  return `${dirname(target)}/.${basename(target)}.${randomBytes(8).toString("hex")}${TEMP_SUFFIX}`;
}

/**
 * The absolute local path of a `file:` URI or bare absolute path. Rejects relative paths, remote
 * hosts, NUL bytes and `.`/`..` segments (paths are used literally, never normalised).
 */
export function localPathOf(uri: string): string {
  let path: string | undefined;
  if (uri.startsWith("/")) path = uri;
  else if (/^file:\/\/localhost\//i.test(uri)) path = uri.slice("file://localhost".length);
  else if (/^file:\/\/\//i.test(uri)) path = uri.slice("file://".length);
  else if (/^file:\/(?!\/)/i.test(uri)) path = uri.slice("file:".length);
  if (path === undefined) {
    throw new FloeError("INVALID_ARGUMENT", "not a local file location (expected file:///absolute/path)", {
      context: { path: uri },
    });
  }
  if (path.includes("\0") || path.split("/").some((s) => s === "." || s === "..")) {
    throw new FloeError("INVALID_ARGUMENT", "local paths may not contain '.', '..' or NUL", {
      context: { path: uri },
    });
  }
  return path;
}

/** Files under `dir` (recursively) whose path starts with `prefix`, as [path, size, mtimeMs]. */
async function* walk(dir: string, prefix: string): AsyncGenerator<[string, number, number]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw fsError(e, "list", dir);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = dir.endsWith("/") ? dir + entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      const asDir = `${full}/`;
      if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) yield* walk(full, prefix);
      continue;
    }
    if (!full.startsWith(prefix) || isTempFile(entry.name)) continue;
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    try {
      // stat follows symlinks; symlinked directories are not descended into (no cycles).
      const st = await fs.stat(full);
      if (st.isFile()) yield [full, st.size, st.mtimeMs];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") throw fsError(e, "list", full);
    }
  }
}

function isTempFile(name: string): boolean {
  return name.startsWith(".") && name.endsWith(TEMP_SUFFIX);
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the new directory entry durable; some platforms cannot open directories, which is fine.
  const handle = await fs.open(dir, "r").catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // fsync on a directory is unsupported on some filesystems.
  } finally {
    await handle.close();
  }
}

function notAFile(path: string): FloeError {
  return new FloeError("NOT_FOUND", "not a file", { context: { path } });
}

/** Conditions of the filesystem as a whole, fixed by an operator (free space, remount) while we wait. */
const DISK_CONDITIONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
};

/**
 * Classifies a filesystem error; the path goes into context, never the message. A full or read-only
 * disk is retryable (the sink keeps its records, retries with backoff and says why on /readyz until an
 * operator frees space or remounts); its message names the directory, since that is what to fix.
 */
export function fsError(e: unknown, op: string, path: string): FloeError {
  if (e instanceof FloeError) return e;
  const errno = (e as NodeJS.ErrnoException).code;
  const context = { op, path, errno };
  const options = { cause: e, context };
  const disk = errno === undefined ? undefined : DISK_CONDITIONS[errno];
  if (disk !== undefined) {
    const dir = dirname(localPathOf(path));
    return new FloeError("IO_ERROR", `${op}: ${disk} (${errno}) under ${dir}`, {
      ...options,
      retryable: true,
    });
  }
  switch (errno) {
    case "ENOENT":
    case "ENOTDIR":
    case "EISDIR":
      // For a write these mean a directory or file is in the way, not a missing file.
      if (op === "write") return new FloeError("IO_ERROR", `${op}: ${errno}`, options);
      return new FloeError("NOT_FOUND", `${op}: file not found`, options);
    case "EEXIST":
      // An exclusive create reports its own PRECONDITION_FAILED; here a file blocks a directory.
      if (op === "write") return new FloeError("IO_ERROR", `${op}: ${errno}`, options);
      return new FloeError("PRECONDITION_FAILED", `${op}: file already exists`, options);
    case "EACCES":
    case "EPERM":
      return new FloeError("UNAUTHORIZED", `${op}: permission denied`, options);
    case "EMFILE":
    case "ENFILE":
    case "EAGAIN":
    case "EBUSY":
      return new FloeError("IO_ERROR", `${op}: ${errno}`, { ...options, retryable: true });
    default:
      return new FloeError(
        "IO_ERROR",
        `${op}: ${errno ?? (e instanceof Error ? e.message : String(e))}`,
        options,
      );
  }
}
