/**
 * Metadata-file commits, shared by the catalogs that keep table metadata files themselves (embedded,
 * Glue): check the requirements against the base, apply the updates, record the base file in the
 * metadata log, and write the new metadata JSON (int64-safe) next to the table.
 */
import { randomUUID } from "node:crypto";
import { FloeError, isFloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";
import {
  appendMetadataLog,
  applyUpdates,
  checkRequirements,
  parseTableMetadata,
  stringifyTableMetadata,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "../iceberg/spec/index.js";

/** Reads and parses a metadata JSON file. */
export async function readMetadataFile(io: FileIO, location: string): Promise<TableMetadata> {
  const bytes = await io.read(location);
  try {
    return parseTableMetadata(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `${location} is not valid table metadata: ${(e as Error).message}`,
      {
        cause: e,
        context: { path: location },
      },
    );
  }
}

export interface NextMetadata {
  metadata: TableMetadata;
  /** True when nothing changed (no updates): no file needs writing. */
  unchanged: boolean;
}

/** Checks requirements and applies updates to `base` (undefined for a create), with the metadata log. */
export function nextMetadata(
  base: { metadata: TableMetadata; metadataLocation: string } | undefined,
  requirements: readonly TableRequirement[],
  updates: readonly TableUpdate[],
  nowMs: number = Date.now(),
): NextMetadata {
  checkRequirements(base?.metadata, requirements);
  if (base !== undefined && updates.length === 0) return { metadata: base.metadata, unchanged: true };
  let metadata = applyUpdates(base?.metadata, updates, { nowMs });
  if (base !== undefined) {
    metadata = appendMetadataLog(metadata, base.metadataLocation, base.metadata["last-updated-ms"]);
  }
  return { metadata, unchanged: false };
}

/**
 * Writes metadata to `path` as a new file. With `exclusive` the write is an atomic create: if the file
 * exists another writer won this version, reported as COMMIT_CONFLICT.
 */
export async function writeMetadataFile(
  io: FileIO,
  path: string,
  metadata: TableMetadata,
  exclusive: boolean,
): Promise<void> {
  const bytes = new TextEncoder().encode(stringifyTableMetadata(metadata, 2));
  try {
    await io.write(path, bytes, { ifNoneMatch: exclusive, contentType: "application/json" });
  } catch (e) {
    if (isFloeError(e, "PRECONDITION_FAILED")) {
      throw new FloeError("COMMIT_CONFLICT", `another writer committed ${path} first`, {
        cause: e,
        context: { path },
      });
    }
    throw e;
  }
}

/** `<location>/metadata/<00001>-<uuid>.metadata.json`, the naming Java and PyIceberg use. */
export function newMetadataPath(location: string, version: number): string {
  return `${location.replace(/\/+$/, "")}/metadata/${String(version).padStart(5, "0")}-${randomUUID()}.metadata.json`;
}

/** The version number in a metadata file name (`00003-uuid.metadata.json` or `v3.metadata.json`), or -1. */
export function metadataVersion(location: string): number {
  const name = location.slice(location.lastIndexOf("/") + 1);
  const m = /^(?:v(\d+)|(\d+)-[^/]*)\.(?:gz\.)?metadata\.json$/.exec(name);
  const text = m?.[1] ?? m?.[2];
  return text === undefined ? -1 : Number(text);
}
