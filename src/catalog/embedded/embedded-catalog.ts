/**
 * The embedded catalog: zero configuration, the warehouse is the catalog. Its layout is Iceberg's
 * Hadoop-table layout, so engines can also read a table straight from its directory:
 *
 *   <warehouse>/<ns level>/.../<table>/metadata/v<N>.metadata.json   one file per committed version
 *   <warehouse>/<ns level>/.../<table>/metadata/version-hint.text    the newest N (a hint only)
 *   <warehouse>/<ns level>/.../.floe-namespace.json                  namespace marker + properties
 *
 * A commit writes v<N+1>.metadata.json with an atomic create (link() on local disk, `If-None-Match: *`
 * on S3): of two writers on the same base exactly one wins, the other gets COMMIT_CONFLICT. The hint is
 * rewritten after each commit; readers trust it only as a starting point and probe forward, so a stale
 * or missing hint never hides a committed version.
 *
 * Namespaces and tables share one directory tree, so the catalog refuses any name whose directory
 * would be inside, equal to, or contain another table's: a namespace at a table's path or below one
 * (`db.events.data` while table `db.events` exists), a table at a namespace's path or whose directory
 * holds a namespace, and a custom table location inside the warehouse. The layout itself is unchanged,
 * so warehouses of earlier versions are read as they are (no migration); collisions they already
 * hold are harmless to maintenance and purge, which delete only the table's own files (../ownership.ts).
 */
import { randomUUID } from "node:crypto";
import { FloeError, isFloeError } from "../../errors.js";
import type { FileIO } from "../../iceberg/io/index.js";
import {
  newTableMetadata,
  type TableMetadata,
  type TableRequirement,
  type TableUpdate,
} from "../../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  type Catalog,
  type CreateTableRequest,
  checkName,
  checkNamespace,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  type TableIdentifier,
} from "../catalog.js";
import { nextMetadata, readMetadataFile, writeMetadataFile } from "../metadata-files.js";
import { locationProblem, locationWithin, NAMESPACE_MARKER, splitOwned } from "../ownership.js";
import { dropOrder, purgeTableFiles } from "./purge.js";

export { NAMESPACE_MARKER };

const HINT = "version-hint.text";

export interface EmbeddedCatalogOptions {
  /** Warehouse root: `file:///abs/dir` or `s3://bucket/prefix`. */
  warehouse: string;
  io: FileIO;
  now?: () => number;
  /** Warnings about files a drop keeps because the table does not own them. */
  logger?: Logger;
}

export class EmbeddedCatalog implements Catalog {
  readonly kind = "embedded";
  private readonly root: string;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: EmbeddedCatalogOptions) {
    this.root = opts.warehouse.replace(/\/+$/, "");
    this.now = opts.now ?? Date.now;
    this.log = opts.logger ?? silentLogger;
  }

  private nsPath(namespace: Namespace): string {
    return `${this.root}/${checkNamespace(namespace).join("/")}`;
  }

  /** Whether `dir` is a table's directory (committed metadata versions directly in `dir/metadata/`). */
  private async isTableDir(dir: string): Promise<boolean> {
    const meta = `${dir}/metadata/`;
    if (await this.opts.io.exists(`${meta}${HINT}`)) return true;
    for await (const f of this.opts.io.list(meta)) {
      if (/^v\d+\.metadata\.json$/.test(f.path.slice(meta.length))) return true;
    }
    return false;
  }

  /** Refuses a namespace or table whose directory would lie inside or at a table's directory. */
  private async checkNoTableAbove(levels: Namespace, what: string, selfToo: boolean): Promise<void> {
    const last = selfToo ? levels.length : levels.length - 1;
    for (let k = 2; k <= last; k++) {
      const owner = { namespace: levels.slice(0, k - 1), name: levels[k - 1] ?? "" };
      if (await this.isTableDir(`${this.root}/${levels.slice(0, k).join("/")}`)) {
        throw new FloeError(
          k === levels.length ? "ALREADY_EXISTS" : "INVALID_ARGUMENT",
          `${what} would lie ${k === levels.length ? "at" : "inside"} the directory of table ${formatIdentifier(owner)}`,
          { context: { table: formatIdentifier(owner) } },
        );
      }
    }
  }

  /** Refuses a table directory that holds a namespace (its marker anywhere below). */
  private async checkNoNamespaceBelow(dir: string, what: string): Promise<void> {
    for await (const f of this.opts.io.list(`${dir}/`)) {
      if (f.path.endsWith(`/${NAMESPACE_MARKER}`)) {
        const ns = f.path.slice(this.root.length + 1, -(NAMESPACE_MARKER.length + 1)).split("/");
        throw new FloeError(
          "ALREADY_EXISTS",
          `${what}: its directory ${ns.length === dir.slice(this.root.length + 1).split("/").length ? "is" : "holds"} namespace ${ns.join(".")}`,
          { context: { namespace: ns.join(".") } },
        );
      }
    }
  }

  /** A custom location must not overlap the directories this catalog manages. */
  private checkCustomLocation(location: string, id: TableIdentifier): void {
    if (location.replace(/\/+$/, "") === this.tableLocation(id)) return;
    const problem = locationProblem(location);
    if (problem !== undefined) {
      throw new FloeError("INVALID_ARGUMENT", `table location ${location}: ${problem}`, {
        context: { table: formatIdentifier(id) },
      });
    }
    if (locationWithin(this.root, location) || locationWithin(location, this.root)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `table location ${location} overlaps the warehouse ${this.root}, where namespaces and other tables live; use the default location or one outside the warehouse`,
        { context: { table: formatIdentifier(id) } },
      );
    }
  }

  tableLocation(id: TableIdentifier): string {
    return `${this.nsPath(id.namespace)}/${checkName("table", id.name)}`;
  }

  private metadataDir(id: TableIdentifier): string {
    return `${this.tableLocation(id)}/metadata`;
  }

  private versionPath(id: TableIdentifier, version: number): string {
    return `${this.metadataDir(id)}/v${version}.metadata.json`;
  }

  async listNamespaces(parent: Namespace = []): Promise<Namespace[]> {
    const prefix = parent.length === 0 ? `${this.root}/` : `${this.nsPath(parent)}/`;
    const found: Namespace[] = [];
    for await (const f of this.opts.io.list(prefix)) {
      if (!f.path.endsWith(`/${NAMESPACE_MARKER}`)) continue;
      const rel = f.path.slice(prefix.length, -(NAMESPACE_MARKER.length + 1));
      if (rel.length > 0 && !rel.includes("/")) found.push([...parent, rel]);
    }
    return found.sort((a, b) => a.join(".").localeCompare(b.join(".")));
  }

  async createNamespace(
    namespace: Namespace,
    properties: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const marker = `${this.nsPath(namespace)}/${NAMESPACE_MARKER}`;
    if (namespace.length > 1 && !(await this.namespaceExists(namespace.slice(0, -1)))) {
      throw new FloeError("NOT_FOUND", `parent namespace ${namespace.slice(0, -1).join(".")} does not exist`);
    }
    await this.checkNoTableAbove(namespace, `namespace ${namespace.join(".")}`, true);
    const body = new TextEncoder().encode(JSON.stringify({ namespace, properties }, null, 2));
    try {
      await this.opts.io.write(marker, body, { ifNoneMatch: true, contentType: "application/json" });
    } catch (e) {
      if (isFloeError(e, "PRECONDITION_FAILED")) {
        throw new FloeError("ALREADY_EXISTS", `namespace ${namespace.join(".")} already exists`, {
          context: { namespace: namespace.join(".") },
        });
      }
      throw e;
    }
  }

  async loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>> {
    const marker = `${this.nsPath(namespace)}/${NAMESPACE_MARKER}`;
    try {
      const doc = JSON.parse(new TextDecoder().decode(await this.opts.io.read(marker))) as {
        properties?: Record<string, string>;
      };
      return { ...(doc.properties ?? {}), location: this.nsPath(namespace) };
    } catch (e) {
      if (isFloeError(e, "NOT_FOUND")) throw nsNotFound(namespace);
      throw e;
    }
  }

  async namespaceExists(namespace: Namespace): Promise<boolean> {
    return this.opts.io.exists(`${this.nsPath(namespace)}/${NAMESPACE_MARKER}`);
  }

  async dropNamespace(namespace: Namespace): Promise<void> {
    if (!(await this.namespaceExists(namespace))) throw nsNotFound(namespace);
    const tables = await this.listTables(namespace);
    const children = await this.listNamespaces(namespace);
    if (tables.length > 0 || children.length > 0) {
      throw new FloeError("PRECONDITION_FAILED", `namespace ${namespace.join(".")} is not empty`, {
        context: { namespace: namespace.join("."), tables: tables.length, namespaces: children.length },
      });
    }
    await this.opts.io.delete(`${this.nsPath(namespace)}/${NAMESPACE_MARKER}`);
  }

  async listTables(namespace: Namespace): Promise<TableIdentifier[]> {
    if (!(await this.namespaceExists(namespace))) throw nsNotFound(namespace);
    const prefix = `${this.nsPath(namespace)}/`;
    const names = new Set<string>();
    for await (const f of this.opts.io.list(prefix)) {
      const m = /^([^/]+)\/metadata\/(?:version-hint\.text|v\d+\.metadata\.json)$/.exec(
        f.path.slice(prefix.length),
      );
      if (m?.[1] !== undefined) names.add(m[1]);
    }
    return [...names].sort().map((name) => ({ namespace: [...namespace], name }));
  }

  /** The newest committed version: the hint, then probe forward until a version is missing. */
  private async currentVersion(id: TableIdentifier): Promise<number | undefined> {
    let version = 0;
    try {
      const hint = Number(
        new TextDecoder().decode(await this.opts.io.read(`${this.metadataDir(id)}/${HINT}`)).trim(),
      );
      if (Number.isInteger(hint) && hint > 0) version = hint;
    } catch (e) {
      if (!isFloeError(e, "NOT_FOUND")) throw e;
    }
    if (version > 0 && !(await this.opts.io.exists(this.versionPath(id, version)))) version = 0;
    // Without a usable hint and with early versions cleaned up, find the newest version by listing.
    if (version === 0 && !(await this.opts.io.exists(this.versionPath(id, 1))))
      version = await this.listedVersion(id);
    while (await this.opts.io.exists(this.versionPath(id, version + 1))) version++;
    return version === 0 ? undefined : version;
  }

  private async listedVersion(id: TableIdentifier): Promise<number> {
    let max = 0;
    for await (const f of this.opts.io.list(`${this.metadataDir(id)}/`)) {
      const m = /\/v(\d+)\.metadata\.json$/.exec(f.path);
      if (m?.[1] !== undefined) max = Math.max(max, Number(m[1]));
    }
    return max;
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    const version = await this.currentVersion(id);
    if (version === undefined) throw tableNotFound(id);
    const metadataLocation = this.versionPath(id, version);
    return {
      identifier: id,
      metadataLocation,
      metadata: await readMetadataFile(this.opts.io, metadataLocation),
    };
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    return (await this.currentVersion(id)) !== undefined;
  }

  async createTable(namespace: Namespace, request: CreateTableRequest): Promise<LoadedTable> {
    const id: TableIdentifier = { namespace: [...namespace], name: checkName("table", request.name) };
    if (!(await this.namespaceExists(namespace))) throw nsNotFound(namespace);
    if (await this.tableExists(id)) throw tableExists(id);
    const what = `table ${formatIdentifier(id)}`;
    await this.checkNoTableAbove([...namespace, id.name], what, false);
    await this.checkNoNamespaceBelow(this.tableLocation(id), what);
    if (request.location !== undefined) this.checkCustomLocation(request.location, id);
    const metadata = newTableMetadata({
      location: request.location ?? this.tableLocation(id),
      uuid: randomUUID(),
      schema: request.schema,
      ...(request.spec === undefined ? {} : { spec: request.spec }),
      ...(request.sortOrder === undefined ? {} : { sortOrder: request.sortOrder }),
      properties: { ...(request.properties ?? {}) },
      nowMs: this.now(),
    });
    try {
      return await this.writeVersion(id, 1, metadata);
    } catch (e) {
      if (isFloeError(e, "COMMIT_CONFLICT")) throw tableExists(id);
      throw e;
    }
  }

  async commitTable(
    id: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<LoadedTable> {
    const base = await this.loadTable(id);
    const next = nextMetadata(base, requirements, updates, this.now());
    if (next.unchanged) return base;
    const version = (await this.currentVersion(id)) ?? 0;
    if (this.versionPath(id, version) !== base.metadataLocation) {
      throw new FloeError("COMMIT_CONFLICT", `${formatIdentifier(id)} moved while committing`, {
        context: { table: formatIdentifier(id) },
      });
    }
    return this.writeVersion(id, version + 1, next.metadata);
  }

  private async writeVersion(
    id: TableIdentifier,
    version: number,
    metadata: TableMetadata,
  ): Promise<LoadedTable> {
    const metadataLocation = this.versionPath(id, version);
    await writeMetadataFile(this.opts.io, metadataLocation, metadata, true);
    // The hint only speeds up loads; a failure here leaves a committed, findable version.
    await this.opts.io
      .write(`${this.metadataDir(id)}/${HINT}`, new TextEncoder().encode(String(version)), {
        contentType: "text/plain",
      })
      .catch(() => undefined);
    return { identifier: id, metadataLocation, metadata };
  }

  /**
   * Without purge: the files in the table's metadata directory (the catalog entry), never anything
   * nested below it. With purge: exactly the table's own files (purge.ts), never a bare prefix.
   */
  async dropTable(id: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    const table = await this.loadTable(id);
    const dir = this.metadataDir(id);
    if (options.purge) {
      await purgeTableFiles(this.opts.io, table, dir, this.log);
      return;
    }
    const listed: string[] = [];
    for await (const f of this.opts.io.list(`${dir}/`)) listed.push(f.path);
    const { owned, foreign } = splitOwned(
      { location: `${this.tableLocation(id)}`, metadataLocation: table.metadataLocation },
      listed,
    );
    for (const f of foreign) this.log.warn("drop keeps a file the table does not own", { ...f });
    // Other files, then v1, the hint, versions upwards: a drop cut short leaves the table at its newest
    // version (found by listing), so the drop can simply be run again.
    owned.sort((a, b) => dropOrder(a) - dropOrder(b));
    for (const p of owned) await this.opts.io.delete(p);
  }
}

function nsNotFound(namespace: Namespace): FloeError {
  return new FloeError("NOT_FOUND", `namespace ${namespace.join(".")} does not exist`, {
    context: { namespace: namespace.join(".") },
  });
}

function tableNotFound(id: TableIdentifier): FloeError {
  return new FloeError("NOT_FOUND", `table ${formatIdentifier(id)} does not exist`, {
    context: { table: formatIdentifier(id) },
  });
}

function tableExists(id: TableIdentifier): FloeError {
  return new FloeError("ALREADY_EXISTS", `table ${formatIdentifier(id)} already exists`, {
    context: { table: formatIdentifier(id) },
  });
}
