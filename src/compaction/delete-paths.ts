/**
 * Best-effort bulk deletion for maintenance: a failed delete is logged and counted, never fatal.
 * Every path goes through the table's file ownership first (catalog/ownership.ts): a file that is
 * not the table's own is logged (warn, with the path and why) and kept.
 */
import { splitOwned, type TableFiles } from "../catalog/index.js";
import type { FileIO } from "../iceberg/io/index.js";
import type { Logger } from "../log.js";
import { mapLimit } from "./reachability.js";

/** The table's own files among `paths`; the others are logged and left alone. */
export function ownedOnly(owner: TableFiles, paths: readonly string[], log: Logger): string[] {
  const { owned, foreign } = splitOwned(owner, paths);
  for (const f of foreign) {
    log.warn("not deleting a file the table does not own", {
      path: f.path,
      reason: f.reason,
      location: owner.location,
    });
  }
  return owned;
}

const CHUNK = 500;

/** Deletes `paths` (batched where the FileIO can), returns how many were deleted. */
export async function deletePaths(
  io: FileIO,
  owner: TableFiles,
  candidates: readonly string[],
  concurrency: number,
  log: Logger,
): Promise<number> {
  const paths = ownedOnly(owner, candidates, log);
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
export async function deleteInOrder(
  io: FileIO,
  owner: TableFiles,
  paths: readonly string[],
  log: Logger,
): Promise<number> {
  let n = 0;
  for (const path of paths) {
    if (ownedOnly(owner, [path], log).length === 0) break;
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
