/**
 * The AWS Glue catalog. A Glue database is a namespace (one level only), a Glue table with
 * `table_type=ICEBERG` is an Iceberg table whose `metadata_location` parameter points at the current
 * metadata file; the conventions are Iceberg Java's and PyIceberg's (see table-input.ts).
 *
 * A commit reads the Glue table (its VersionId and metadata_location), applies the change to that
 * metadata, writes a new `<location>/metadata/<N+1>-<uuid>.metadata.json`, reads the Glue table again
 * and gives up with COMMIT_CONFLICT if metadata_location moved, then swaps the pointer with
 * `UpdateTable(VersionId)`: Glue's optimistic concurrency, so of two writers on one version exactly one
 * wins. Outcomes:
 * - ConcurrentModificationException, or any refusal the SDK did not retry: nothing changed, the new
 *   metadata file can never be committed and is deleted (COMMIT_CONFLICT for the conflict).
 * - A 5xx, timeout or broken connection after sending, or a refusal after the SDK retried (our first
 *   try may have landed): we ask Glue; if metadata_location is ours the commit succeeded, otherwise
 *   COMMIT_STATE_UNKNOWN and the file is kept, because a committed snapshot may reference it.
 */

import { randomUUID } from "node:crypto";
import type { GlueClient, Table as GlueTable } from "@aws-sdk/client-glue";
import { FloeError, mayHaveApplied } from "../../errors.js";
import { deleteFiles, type FileIO, listAll } from "../../iceberg/io/index.js";
import { newTableMetadata, type TableRequirement, type TableUpdate } from "../../iceberg/spec/index.js";
import { type Logger, silentLogger } from "../../log.js";
import {
  type Catalog,
  type CreateTableRequest,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  type TableIdentifier,
} from "../catalog.js";
import {
  metadataVersion,
  newMetadataPath,
  nextMetadata,
  readMetadataFile,
  writeMetadataFile,
} from "../metadata-files.js";
import { splitOwned } from "../ownership.js";
import {
  classifyGlueError,
  conflict,
  notIceberg,
  nsNotFound,
  orFalse,
  sdkAttempts,
  tableAlreadyExists,
  tableNotFound,
} from "./errors.js";
import { GlueApi, glueSdk } from "./glue-api.js";
import { database, defaultTableLocation, glueName } from "./names.js";
import { buildTableInput, COMMENT_PROPERTY, isIcebergTable, metadataLocationOf } from "./table-input.js";

export interface GlueCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface GlueCatalogOptions {
  region: string;
  /** A Glue-compatible endpoint (moto, a VPC endpoint); defaults to AWS's. */
  endpoint?: string;
  /** Static credentials; without them the SDK's default provider chain is used. */
  credentials?: GlueCredentials;
  /** The Glue catalog (AWS account id) to use; defaults to the caller's account. */
  catalogId?: string;
  /** Root for tables whose Glue database has no LocationUri: `<warehouse>/<db>.db/<table>`. */
  warehouse?: string;
  /** Reads and writes the metadata files (S3 or local). */
  io: FileIO;
  /** A ready client (tests, unusual setups); region, endpoint and credentials are then ignored. */
  client?: GlueClient;
  /** Requests per Glue call including the SDK's retries (default 3). */
  maxAttempts?: number;
  /** Ask Glue not to archive the old table version on each commit (default true, as Java and PyIceberg). */
  skipArchive?: boolean;
  logger?: Logger;
  now?: () => number;
}

export class GlueCatalog implements Catalog {
  readonly kind = "glue";
  private readonly glue: GlueApi;
  private readonly ownsClient: boolean;
  private readonly io: FileIO;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: GlueCatalogOptions) {
    this.ownsClient = opts.client === undefined;
    const client =
      opts.client ??
      new (glueSdk().GlueClient)({
        region: opts.region,
        ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
        ...(opts.credentials === undefined ? {} : { credentials: { ...opts.credentials } }),
        maxAttempts: opts.maxAttempts ?? 3,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
      });
    this.glue = new GlueApi(client, opts.catalogId);
    this.io = opts.io;
    this.log = (opts.logger ?? silentLogger).child({ catalog: "glue" });
    this.now = opts.now ?? Date.now;
  }

  /** Releases the client's sockets (only a client this catalog created). */
  close(): void {
    if (this.ownsClient) this.glue.client.destroy();
  }

  async listNamespaces(parent: Namespace = []): Promise<Namespace[]> {
    // Glue databases do not nest: below a database there are no namespaces.
    if (parent.length > 0) {
      database(parent);
      return [];
    }
    return (await this.glue.listDatabases()).sort().map((n) => [n]);
  }

  async createNamespace(
    namespace: Namespace,
    properties: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const { location, [COMMENT_PROPERTY]: comment, ...parameters } = properties;
    await this.glue.createDatabase({
      Name: database(namespace),
      ...(location === undefined ? {} : { LocationUri: location }),
      ...(comment === undefined ? {} : { Description: comment }),
      Parameters: parameters,
    });
  }

  async loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>> {
    const db = await this.glue.getDatabase(database(namespace));
    return {
      ...(db.Parameters ?? {}),
      ...(db.LocationUri ? { location: db.LocationUri } : {}),
      ...(db.Description ? { [COMMENT_PROPERTY]: db.Description } : {}),
    };
  }

  async namespaceExists(namespace: Namespace): Promise<boolean> {
    return orFalse(this.glue.getDatabase(database(namespace)).then(() => true));
  }

  async dropNamespace(namespace: Namespace): Promise<void> {
    const name = database(namespace);
    // Glue's DeleteDatabase also deletes every table in it: only an empty database is dropped.
    if ((await this.glue.listTables(name, 1)).length > 0) {
      throw new FloeError("PRECONDITION_FAILED", `namespace ${name} is not empty`, {
        context: { namespace: name },
      });
    }
    await this.glue.deleteDatabase(name);
  }

  async listTables(namespace: Namespace): Promise<TableIdentifier[]> {
    const db = database(namespace);
    const tables = await this.glue.listTables(db);
    return tables
      .filter((t) => t.Name && isIcebergTable(t))
      .map((t) => t.Name as string)
      .sort()
      .map((name) => ({ namespace: [db], name }));
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    return this.toLoaded(id, await this.getGlueTable(id));
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    return orFalse(this.getGlueTable(id).then(isIcebergTable));
  }

  async createTable(namespace: Namespace, request: CreateTableRequest): Promise<LoadedTable> {
    const db = database(namespace);
    const id: TableIdentifier = { namespace: [db], name: glueName("table", request.name) };
    const location =
      request.location ?? defaultTableLocation(await this.glue.getDatabase(db), id.name, this.opts.warehouse);
    const metadata = newTableMetadata({
      location,
      uuid: randomUUID(),
      schema: request.schema,
      ...(request.spec === undefined ? {} : { spec: request.spec }),
      ...(request.sortOrder === undefined ? {} : { sortOrder: request.sortOrder }),
      properties: { ...(request.properties ?? {}) },
      nowMs: this.now(),
    });
    const path = newMetadataPath(metadata.location, 0);
    const created: LoadedTable = { identifier: id, metadataLocation: path, metadata };
    await writeMetadataFile(this.io, path, metadata, false);
    try {
      await this.glue.createTableRaw(
        db,
        buildTableInput({ name: id.name, metadata, metadataLocation: path }),
      );
    } catch (raw) {
      const err = classifyGlueError(raw, { op: "CreateTable", database: db, table: id.name });
      if (await this.landed(raw, err, id, path)) return created;
      if (!mayHaveApplied(err) && sdkAttempts(raw) === 1) await this.discard(path, id);
      if (err.code === "ALREADY_EXISTS") throw tableAlreadyExists(id, err);
      if (err.code === "NOT_FOUND") throw nsNotFound(db, err);
      throw err;
    }
    this.log.debug("created table", { table: formatIdentifier(id), metadataLocation: path });
    return created;
  }

  async commitTable(
    id: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
  ): Promise<LoadedTable> {
    const base = await this.loadTable(id);
    const next = nextMetadata(base, requirements, updates, this.now());
    if (next.unchanged) return base;
    const version = Math.max(0, metadataVersion(base.metadataLocation) + 1);
    const path = newMetadataPath(next.metadata.location, version);
    await writeMetadataFile(this.io, path, next.metadata, false);
    const committed: LoadedTable = { identifier: id, metadataLocation: path, metadata: next.metadata };

    // Read the Glue table again: its VersionId guards the swap, and a pointer that moved since our
    // read means another writer committed in between.
    const current = await this.getGlueTable(id).catch(async (e: unknown) => {
      await this.discard(path, id);
      throw e;
    });
    const found = metadataLocationOf(current);
    if (found !== base.metadataLocation) {
      await this.discard(path, id);
      throw conflict(id, `metadata_location moved from ${base.metadataLocation} to ${found ?? "(none)"}`);
    }
    const input = buildTableInput({
      name: id.name,
      metadata: next.metadata,
      metadataLocation: path,
      previousMetadataLocation: base.metadataLocation,
      existing: current,
    });
    const db = database(id.namespace);
    try {
      await this.glue.updateTableRaw(db, input, current.VersionId, this.opts.skipArchive ?? true);
    } catch (raw) {
      const err = classifyGlueError(raw, { op: "UpdateTable", database: db, table: id.name });
      if (await this.landed(raw, err, id, path)) return committed;
      if (!mayHaveApplied(err) && sdkAttempts(raw) === 1) {
        // Glue refused the request: the pointer did not move and our file can never be committed.
        await this.discard(path, id);
        if (err.code === "COMMIT_CONFLICT") {
          throw conflict(id, `Glue table version ${current.VersionId} was replaced concurrently`, err);
        }
        throw err.code === "NOT_FOUND" ? tableNotFound(id, err) : err;
      }
      this.log.warn("commit outcome unknown", {
        table: formatIdentifier(id),
        metadataLocation: path,
        error: err,
      });
      throw new FloeError(
        "COMMIT_STATE_UNKNOWN",
        `commit to ${formatIdentifier(id)} may or may not have applied: ${err.message}`,
        { cause: err, retryable: true, context: { table: formatIdentifier(id), metadataLocation: path } },
      );
    }
    this.log.debug("committed", { table: formatIdentifier(id), metadataLocation: path });
    return committed;
  }

  async dropTable(id: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    const table = await this.getGlueTable(id);
    // Only Iceberg tables: a Hive table that shares the database is not ours to drop.
    if (!isIcebergTable(table)) throw notIceberg(id, table);
    const location = options.purge ? (await this.toLoaded(id, table)).metadata.location : undefined;
    await this.glue.deleteTable(database(id.namespace), id.name);
    if (location === undefined) return;
    // The layout every writer uses by default: data files under data/; metadata, manifests and
    // manifest lists under metadata/. Nothing else under the location is touched, and nothing there
    // the table does not own (../ownership.ts: another table or a namespace nested in it).
    const root = location.replace(/\/+$/, "");
    for (const dir of ["data", "metadata"]) {
      const files = await listAll(this.io, `${root}/${dir}/`);
      const { owned, foreign } = splitOwned(
        location,
        files.map((f) => f.path),
      );
      for (const f of foreign) this.log.warn("purge keeps a file the table does not own", { ...f, location });
      await deleteFiles(this.io, owned);
    }
  }

  private getGlueTable(id: TableIdentifier): Promise<GlueTable> {
    return this.glue.getTable(database(id.namespace), glueName("table", id.name));
  }

  private async toLoaded(id: TableIdentifier, table: GlueTable): Promise<LoadedTable> {
    if (!isIcebergTable(table)) throw notIceberg(id, table);
    const metadataLocation = metadataLocationOf(table);
    if (metadataLocation === undefined) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `Glue table ${formatIdentifier(id)} has no metadata_location parameter`,
        { context: { table: formatIdentifier(id) } },
      );
    }
    const metadata = await readMetadataFile(this.io, metadataLocation);
    return { identifier: { namespace: [...id.namespace], name: id.name }, metadataLocation, metadata };
  }

  /**
   * After a failed CreateTable/UpdateTable that may have applied (sent, then a 5xx, timeout or broken
   * connection; or refused after the SDK retried, which our own first try may explain): whether Glue
   * now points at our metadata file.
   */
  private async landed(raw: unknown, err: FloeError, id: TableIdentifier, path: string): Promise<boolean> {
    if (!mayHaveApplied(err) && sdkAttempts(raw) === 1) return false;
    try {
      const landed = metadataLocationOf(await this.getGlueTable(id)) === path;
      if (landed) this.log.info("commit had landed", { table: formatIdentifier(id), metadataLocation: path });
      return landed;
    } catch {
      return false;
    }
  }

  /** Deletes a metadata file that no commit can reference; failing to is only worth a warning. */
  private async discard(path: string, id: TableIdentifier): Promise<void> {
    try {
      await this.io.delete(path);
    } catch (e) {
      this.log.warn("could not delete uncommitted metadata file", {
        table: formatIdentifier(id),
        metadataLocation: path,
        error: e,
      });
    }
  }
}
