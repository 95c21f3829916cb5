/**
 * What a table's snapshots reference: manifest lists, manifests, data and delete files, statistics.
 * Manifests are shared by many snapshots, so each is read once (ManifestReader caches by path) and a
 * few are read at a time. Paths are compared in a normal form (`s3a://` and `s3n://` read as `s3://`,
 * `file:/x` and `file://localhost/x` as `file:///x`), so files another engine spelled differently still
 * count as referenced.
 */
import type { FileIO } from "../iceberg/io/index.js";
import { readManifestEntries, readManifestList } from "../iceberg/snapshot/index.js";
import {
  ENTRY_STATUS,
  type ManifestEntry,
  type ManifestFile,
  type Snapshot,
  type TableMetadata,
} from "../iceberg/spec/index.js";

/** The comparable form of a file location. */
export function normalizePath(path: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(path)?.[1]?.toLowerCase();
  if (scheme === "s3a" || scheme === "s3n") return `s3:${path.slice(scheme.length + 1)}`;
  if (scheme === undefined) return path.startsWith("/") ? `file://${path}` : path;
  if (scheme !== "file") return path;
  const rest = path.slice("file:".length);
  if (rest.startsWith("//localhost/")) return `file://${rest.slice("//localhost".length)}`;
  if (rest.startsWith("//")) return `file:${rest}`;
  return rest.startsWith("/") ? `file://${rest}` : path;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** Reads manifest lists and manifests once each. */
export class ManifestReader {
  private readonly lists = new Map<string, Promise<ManifestFile[]>>();
  private readonly entries = new Map<string, Promise<ManifestEntry[]>>();

  constructor(
    readonly io: FileIO,
    readonly concurrency = 8,
  ) {}

  /** The manifests of a snapshot; v1 snapshots that list manifests inline are supported. */
  manifestsOf(s: Snapshot): Promise<ManifestFile[]> {
    const key = s["manifest-list"] ?? `inline:${s["snapshot-id"]}`;
    let p = this.lists.get(key);
    if (p === undefined) {
      p =
        s["manifest-list"] !== undefined
          ? readManifestList(this.io, s)
          : Promise.resolve((s.manifests ?? []).map((path) => inlineManifest(path, s)));
      this.lists.set(key, p);
    }
    return p;
  }

  entriesOf(m: ManifestFile): Promise<ManifestEntry[]> {
    let p = this.entries.get(m.manifest_path);
    if (p === undefined) {
      p = readManifestEntries(this.io, m);
      this.entries.set(m.manifest_path, p);
    }
    return p;
  }
}

function inlineManifest(path: string, s: Snapshot): ManifestFile {
  return {
    manifest_path: path,
    manifest_length: 0n,
    partition_spec_id: 0,
    content: 0,
    sequence_number: 0n,
    min_sequence_number: 0n,
    added_snapshot_id: s["snapshot-id"],
    added_files_count: null,
    existing_files_count: null,
    deleted_files_count: null,
    added_rows_count: null,
    existing_rows_count: null,
    deleted_rows_count: null,
  };
}

export interface References {
  /** Original spellings by normal form. */
  manifestLists: Map<string, string>;
  manifests: Map<string, ManifestFile>;
  /** Data and delete files: normal form -> original path. */
  files: Map<string, string>;
}

/**
 * Everything `snapshots` reference. With `liveOnly`, files are those of ADDED or EXISTING entries
 * (what reading the snapshots needs); otherwise DELETED entries count too.
 */
export async function collectReferences(
  reader: ManifestReader,
  snapshots: readonly Snapshot[],
  liveOnly: boolean,
): Promise<References> {
  const refs: References = { manifestLists: new Map(), manifests: new Map(), files: new Map() };
  const lists = await mapLimit(snapshots, reader.concurrency, (s) => reader.manifestsOf(s));
  snapshots.forEach((s) => {
    const list = s["manifest-list"];
    if (list !== undefined) refs.manifestLists.set(normalizePath(list), list);
  });
  for (const list of lists) for (const m of list) refs.manifests.set(normalizePath(m.manifest_path), m);
  const entries = await mapLimit([...refs.manifests.values()], reader.concurrency, (m) =>
    reader.entriesOf(m),
  );
  for (const list of entries) {
    for (const e of list) {
      if (liveOnly && e.status === ENTRY_STATUS.DELETED) continue;
      refs.files.set(normalizePath(e.data_file.file_path), e.data_file.file_path);
    }
  }
  return refs;
}

/** Statistics and partition-statistics files of the given snapshots: normal form -> path. */
export function statisticsFiles(md: TableMetadata, snapshotIds: ReadonlySet<bigint>): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of md.statistics) {
    if (snapshotIds.has(s["snapshot-id"])) out.set(normalizePath(s["statistics-path"]), s["statistics-path"]);
  }
  for (const s of md["partition-statistics"]) {
    if (snapshotIds.has(s["snapshot-id"])) out.set(normalizePath(s["statistics-path"]), s["statistics-path"]);
  }
  return out;
}
