/**
 * The REST endpoint's file-path check on commits: a statistics file, a partition statistics file or
 * a manifest list (or v1 inline manifest) an update names must be one of the table's own files
 * (../ownership.ts: under its location's data/ or metadata/). Anything else is refused with 400,
 * unless the server was started with `allowForeignPaths` (`floe catalog serve --allow-foreign-paths`).
 * Maintenance never deletes such files either way; the check keeps them out of metadata to begin with.
 */
import type { TableUpdate } from "../../iceberg/spec/index.js";
import { formatIdentifier, type LoadedTable } from "../catalog.js";
import { fileOwnership, type TableFiles } from "../ownership.js";
import { badRequest } from "./errors.js";

/** The file paths an update names: [what, path]. */
export function updatePaths(update: TableUpdate): [string, string][] {
  const u = update as unknown as Record<string, unknown>;
  const out: [string, string][] = [];
  const pathOf = (v: unknown): string | undefined => {
    const p = (v as Record<string, unknown> | undefined)?.["statistics-path"];
    return typeof p === "string" ? p : undefined;
  };
  if (u.action === "add-snapshot") {
    const s = u.snapshot as Record<string, unknown> | undefined;
    const list = s?.["manifest-list"];
    if (typeof list === "string") out.push(["manifest-list", list]);
    const inline = s?.manifests;
    if (Array.isArray(inline)) for (const m of inline) if (typeof m === "string") out.push(["manifests", m]);
  }
  const stats = u.action === "set-statistics" ? pathOf(u.statistics) : undefined;
  if (stats !== undefined) out.push(["statistics-path", stats]);
  const partStats = u.action === "set-partition-statistics" ? pathOf(u["partition-statistics"]) : undefined;
  if (partStats !== undefined) out.push(["partition statistics-path", partStats]);
  return out;
}

/** Throws 400 when an update names a file outside the table's location (see the module comment). */
export function checkUpdatePaths(table: LoadedTable, updates: readonly TableUpdate[]): void {
  let location = table.metadata.location;
  for (const u of updates) if (u.action === "set-location") location = u.location;
  const owner: TableFiles = { location, metadataLocation: table.metadataLocation };
  for (const u of updates) {
    for (const [what, path] of updatePaths(u)) {
      const o = fileOwnership(owner, path);
      if (!o.owned) {
        throw badRequest(
          `${u.action}: ${what} ${JSON.stringify(path.slice(0, 500))} is not a file of table ${formatIdentifier(table.identifier)} (${o.reason}); this server accepts only paths under the table's data/ and metadata/ directories unless started with --allow-foreign-paths`,
        );
      }
    }
  }
}
