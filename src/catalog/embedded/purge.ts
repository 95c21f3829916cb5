/**
 * Purge for the embedded catalog: delete exactly the table's files, never everything under a prefix
 * another table or namespace may share. The candidates are what the table's metadata references
 * (manifest lists, manifests, data and delete files, statistics, metadata files) plus what a listing
 * of its own `data/` and `metadata/` directories finds (files written but never committed); every
 * candidate goes through the table's file ownership (../ownership.ts), so a namespace marker, a table
 * nested in the location by an earlier Floe, or a path in metadata pointing elsewhere is logged and
 * kept. Order: everything else first, then the metadata files (v1, the hint, then the versions
 * upwards), so a purge cut short leaves a loadable table and can simply be run again.
 */
import type { FileIO } from "../../iceberg/io/index.js";
import { readManifestEntries, readManifestList } from "../../iceberg/snapshot/index.js";
import type { Logger } from "../../log.js";
import type { LoadedTable } from "../catalog.js";
import { splitOwned, type TableFiles } from "../ownership.js";

const HINT = "version-hint.text";

/** Order of metadata files in a drop: v1, the hint, then versions upwards; other files first. */
export function dropOrder(path: string): number {
  if (path.endsWith(`/${HINT}`)) return 1;
  const m = /\/v(\d+)\.metadata\.json$/.exec(path);
  if (m?.[1] === undefined) return -1;
  const v = Number(m[1]);
  return v === 1 ? 0 : v + 1;
}

async function tryRead<T>(what: () => Promise<T>, log: Logger, path: string): Promise<T | undefined> {
  try {
    return await what();
  } catch (e) {
    log.warn("purge could not read a referenced file; continuing with the listing", { path, error: e });
    return undefined;
  }
}

/** Every path the table's metadata references. */
async function referenced(io: FileIO, table: LoadedTable, log: Logger): Promise<Set<string>> {
  const md = table.metadata;
  const out = new Set<string>([table.metadataLocation]);
  for (const e of md["metadata-log"]) out.add(e["metadata-file"]);
  for (const s of md.statistics) out.add(s["statistics-path"]);
  for (const s of md["partition-statistics"]) out.add(s["statistics-path"]);
  const manifests = new Set<string>();
  for (const s of md.snapshots) {
    const list = s["manifest-list"];
    if (list !== undefined) out.add(list);
    for (const m of (await tryRead(() => readManifestList(io, s), log, list ?? "")) ?? []) {
      out.add(m.manifest_path);
      if (manifests.has(m.manifest_path)) continue;
      manifests.add(m.manifest_path);
      for (const e of (await tryRead(() => readManifestEntries(io, m), log, m.manifest_path)) ?? [])
        out.add(e.data_file.file_path);
    }
  }
  return out;
}

/** Deletes the table's own files (see the module comment); returns how many were deleted. */
export async function purgeTableFiles(
  io: FileIO,
  table: LoadedTable,
  metadataDir: string,
  log: Logger,
): Promise<number> {
  const loc = table.metadata.location.replace(/\/+$/, "");
  const candidates = await referenced(io, table, log);
  for (const dir of new Set([`${loc}/data/`, `${loc}/metadata/`, `${metadataDir.replace(/\/+$/, "")}/`])) {
    for await (const f of io.list(dir)) candidates.add(f.path);
  }
  const owner: TableFiles = { location: table.metadata.location, metadataLocation: table.metadataLocation };
  const { owned, foreign } = splitOwned(owner, [...candidates]);
  for (const f of foreign) {
    log.warn("purge keeps a file the table does not own", { ...f, location: table.metadata.location });
  }
  owned.sort((a, b) => dropOrder(a) - dropOrder(b));
  let deleted = 0;
  for (const p of owned) {
    await io.delete(p);
    deleted++;
  }
  return deleted;
}
