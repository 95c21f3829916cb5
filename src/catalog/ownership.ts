/**
 * File ownership: whether a path is one of a table's own files, the single decision every deletion
 * by maintenance (snapshot expiry, orphan removal, metadata clean-up, compaction clean-up, purge)
 * and the REST endpoint's path checks go through. Pure: no IO.
 *
 * A table owns a file when, compared segment by segment (never as a bare string prefix, so
 * `s3://b/t` does not own `s3://b/t2/x`), it lies
 *   - under `<location>/data/` (any depth, the partition directories), or
 *   - directly in `<location>/metadata/` (Iceberg writes metadata files, manifests, manifest lists
 *     and statistics flat into it), or
 *   - directly in the directory of the table's current metadata file (the catalog chose it).
 * Everything else is foreign: other locations, schemes or buckets, relative paths, `.`/`..` segments
 * (raw or percent-encoded), encoded separators, backslashes, control characters, the location itself,
 * files beside `data/` and `metadata/` (a table or namespace nested in the location in an old
 * warehouse), a `data` or `metadata` directory below `data/` (a nested table called `data`), and
 * namespace markers anywhere.
 *
 * Spellings are compared in a normal form: `s3a://` and `s3n://` read as `s3://`; `file:/x`,
 * `file://localhost/x` and a bare absolute `/x` as `file:///x`. Percent-encoding is not decoded for
 * the comparison (Floe's FileIOs use keys and local paths literally), only inspected for hidden
 * separators and dot segments.
 */

/** The embedded catalog's namespace marker: never a table's file. */
export const NAMESPACE_MARKER = ".floe-namespace.json";

export interface TableFiles {
  /** The table's `location` from its metadata. */
  readonly location: string;
  /** The current metadata file; its directory is the table's too. */
  readonly metadataLocation?: string;
}

export type Ownership = { readonly owned: true } | { readonly owned: false; readonly reason: string };

interface Parsed {
  /** `s3://bucket`, `file://`, `memory://wh`, ... */
  root: string;
  segments: string[];
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

function parse(path: string): Parsed | string {
  const scheme = SCHEME.exec(path)?.[1]?.toLowerCase();
  let root: string;
  let rest: string;
  if (scheme === undefined) {
    if (!path.startsWith("/")) return "a relative path";
    root = "file://";
    rest = path;
  } else {
    const after = path.slice(scheme.length + 1);
    if (scheme === "file") {
      if (after.startsWith("//localhost/")) rest = after.slice("//localhost".length);
      else if (after.startsWith("///")) rest = after.slice(2);
      else if (after.startsWith("//")) return "a file URI with a remote host";
      else if (after.startsWith("/")) rest = after;
      else return "a relative file URI";
      root = "file://";
    } else {
      const m = /^\/\/([^/]+)(\/.*)?$/.exec(after);
      if (m?.[1] === undefined) return `not a ${scheme}://authority/path location`;
      const s = scheme === "s3a" || scheme === "s3n" ? "s3" : scheme;
      root = `${s}://${m[1]}`;
      rest = m[2] ?? "/";
    }
  }
  return { root, segments: rest === "/" ? [] : rest.slice(1).split("/") };
}

/** Why a segment is unsafe to compare literally, or undefined. */
function badSegment(segment: string): string | undefined {
  if (segment === "." || segment === "..") return "a '.' or '..' segment";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u001f\u007f]/.test(segment)) return "control characters";
  if (segment.includes("\\")) return "a backslash";
  if (segment.includes("%")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return undefined; // a literal '%' that is not an escape: harmless
    }
    if (decoded === "." || decoded === ".." || /[/\\]/.test(decoded) || decoded.includes("\0")) {
      return "a percent-encoded separator or dot segment";
    }
  }
  return undefined;
}

function under(base: Parsed, path: Parsed): string[] | undefined {
  if (base.root !== path.root || path.segments.length <= base.segments.length) return undefined;
  for (let i = 0; i < base.segments.length; i++) if (base.segments[i] !== path.segments[i]) return undefined;
  return path.segments.slice(base.segments.length);
}

function trimmed(location: string): string {
  return location.replace(/\/+$/, "");
}

/** Whether `path` is one of the table's own files, and if not, why (see the module comment). */
export function fileOwnership(table: TableFiles | string, path: string): Ownership {
  const t: TableFiles = typeof table === "string" ? { location: table } : table;
  const p = parse(path);
  if (typeof p === "string") return { owned: false, reason: `${p}` };
  for (const s of p.segments) {
    const bad = badSegment(s);
    if (bad !== undefined) return { owned: false, reason: `the path contains ${bad}` };
  }
  if (p.segments.at(-1) === NAMESPACE_MARKER) return { owned: false, reason: "a namespace marker" };
  if (t.metadataLocation !== undefined) {
    const ml = parse(t.metadataLocation);
    if (typeof ml !== "string" && ml.segments.every((s) => badSegment(s) === undefined)) {
      const dir = { root: ml.root, segments: ml.segments.slice(0, -1) };
      if (under(dir, p)?.length === 1) return { owned: true };
    }
  }
  const loc = parse(trimmed(t.location));
  if (typeof loc === "string") return { owned: false, reason: `the table location is ${loc}` };
  if (loc.segments.some((s) => badSegment(s) !== undefined)) {
    return { owned: false, reason: "the table location is not in a normal form" };
  }
  const rel = under(loc, p);
  if (rel === undefined) return { owned: false, reason: `not under the table location ${t.location}` };
  const [first, ...tail] = rel;
  if (first === "metadata") {
    return tail.length === 1
      ? { owned: true }
      : { owned: false, reason: "in a directory below metadata/ (another table or namespace)" };
  }
  if (first === "data" && tail.length > 0) {
    return tail.slice(0, -1).some((s) => s === "data" || s === "metadata")
      ? { owned: false, reason: "in a table directory nested below data/" }
      : { owned: true };
  }
  return {
    owned: false,
    reason: "outside the table's data/ and metadata/ directories (another table or namespace)",
  };
}

export function isOwnedFile(table: TableFiles | string, path: string): boolean {
  return fileOwnership(table, path).owned;
}

export interface ForeignFile {
  path: string;
  reason: string;
}

/** Splits `paths` into the table's own files and the others (with the reason). */
export function splitOwned(
  table: TableFiles | string,
  paths: readonly string[],
): { owned: string[]; foreign: ForeignFile[] } {
  const owned: string[] = [];
  const foreign: ForeignFile[] = [];
  for (const path of paths) {
    const o = fileOwnership(table, path);
    if (o.owned) owned.push(path);
    else foreign.push({ path, reason: o.reason });
  }
  return { owned, foreign };
}

/** Why a table location cannot be compared safely (relative, dot segments, ...), or undefined. */
export function locationProblem(location: string): string | undefined {
  const p = parse(trimmed(location));
  if (typeof p === "string") return p;
  for (const s of p.segments) {
    const bad = badSegment(s);
    if (bad !== undefined) return `it contains ${bad}`;
  }
  return undefined;
}

/** Whether location `inner` is `outer` or lies below it (segment-wise, normal forms). */
export function locationWithin(outer: string, inner: string): boolean {
  const o = parse(trimmed(outer));
  const i = parse(trimmed(inner));
  if (typeof o === "string" || typeof i === "string" || o.root !== i.root) return false;
  if (i.segments.length < o.segments.length) return false;
  return o.segments.every((s, k) => s === i.segments[k]);
}
