/** Best-effort bulk deletion for maintenance: a failed delete is logged and counted, never fatal. */
import type { FileIO } from "../iceberg/io/index.js";
import type { Logger } from "../log.js";
import { mapLimit } from "./reachability.js";

const CHUNK = 500;

/** Deletes `paths` (batched where the FileIO can), returns how many were deleted. */
export async function deletePaths(
  io: FileIO,
  paths: readonly string[],
  concurrency: number,
  log: Logger,
): Promise<number> {
  if (paths.length === 0) return 0;
  if (io.deleteMany) {
    const chunks: string[][] = [];
    for (let i = 0; i < paths.length; i += CHUNK) chunks.push(paths.slice(i, i + CHUNK));
    const done = await mapLimit(chunks, Math.max(1, Math.min(concurrency, 4)), async (chunk) => {
      try {
        await io.deleteMany?.(chunk);
        return chunk.length;
      } catch (e) {
        log.warn("bulk delete failed, deleting one by one", { files: chunk.length, error: e });
        return deleteEach(io, chunk, concurrency, log);
      }
    });
    return done.reduce((a, b) => a + b, 0);
  }
  return deleteEach(io, paths, concurrency, log);
}

async function deleteEach(
  io: FileIO,
  paths: readonly string[],
  concurrency: number,
  log: Logger,
): Promise<number> {
  const ok = await mapLimit(paths, concurrency, async (path) => {
    try {
      await io.delete(path);
      return 1;
    } catch (e) {
      log.warn("delete failed", { path, error: e });
      return 0;
    }
  });
  return ok.reduce((a: number, b) => a + b, 0);
}

/** Deletes `paths` one at a time in the given order; stops at the first failure (order matters). */
export async function deleteInOrder(io: FileIO, paths: readonly string[], log: Logger): Promise<number> {
  let n = 0;
  for (const path of paths) {
    try {
      await io.delete(path);
      n++;
    } catch (e) {
      log.warn("ordered delete stopped", { path, error: e });
      break;
    }
  }
  return n;
}
