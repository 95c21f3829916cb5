/**
 * The Glue calls GlueCatalog makes, with the CatalogId on each, pagination followed, and errors
 * classified (NOT_FOUND / ALREADY_EXISTS named after the namespace or table). CreateTable and
 * UpdateTable throw the SDK's raw error instead: a commit needs its attempt count to tell a refusal
 * from an outcome it cannot know.
 */
import type * as GlueSdk from "@aws-sdk/client-glue";
import type {
  Database,
  DatabaseInput,
  GlueClient,
  Table as GlueTable,
  TableInput,
} from "@aws-sdk/client-glue";
import { FloeError, isFloeError } from "../../errors.js";
import { lazyModule } from "../../iceberg/io/index.js";
import { classifyGlueError, type GlueErrorScope, nsNotFound, rethrow, tableNotFound } from "./errors.js";

/** The AWS SDK's Glue module, loaded when the first GlueCatalog is made. */
export const glueSdk = lazyModule<typeof GlueSdk>("@aws-sdk/client-glue");

export class GlueApi {
  constructor(
    readonly client: GlueClient,
    private readonly catalogId: string | undefined,
  ) {}

  private async call<T>(scope: GlueErrorScope, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw classifyGlueError(e, scope);
    }
  }

  async listDatabases(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call({ op: "GetDatabases" }, () =>
        this.client.send(
          new (glueSdk().GetDatabasesCommand)({ CatalogId: this.catalogId, NextToken: token }),
        ),
      );
      for (const db of page.DatabaseList ?? []) if (db.Name) names.push(db.Name);
      token = page.NextToken || undefined;
    } while (token !== undefined);
    return names;
  }

  async getDatabase(name: string): Promise<Database> {
    const out = await this.call({ op: "GetDatabase", database: name }, () =>
      this.client.send(new (glueSdk().GetDatabaseCommand)({ CatalogId: this.catalogId, Name: name })),
    ).catch((e) => rethrow(e, nsNotFound(name)));
    if (!out.Database) throw nsNotFound(name);
    return out.Database;
  }

  async createDatabase(input: DatabaseInput & { Name: string }): Promise<void> {
    try {
      await this.call({ op: "CreateDatabase", database: input.Name }, () =>
        this.client.send(
          new (glueSdk().CreateDatabaseCommand)({ CatalogId: this.catalogId, DatabaseInput: input }),
        ),
      );
    } catch (e) {
      if (!isFloeError(e, "ALREADY_EXISTS")) throw e;
      throw new FloeError("ALREADY_EXISTS", `namespace ${input.Name} already exists`, {
        cause: e,
        context: { namespace: input.Name },
      });
    }
  }

  async deleteDatabase(name: string): Promise<void> {
    await this.call({ op: "DeleteDatabase", database: name }, () =>
      this.client.send(new (glueSdk().DeleteDatabaseCommand)({ CatalogId: this.catalogId, Name: name })),
    ).catch((e) => rethrow(e, nsNotFound(name)));
  }

  /** Every table in a database (Iceberg or not), or the first `max`. */
  async listTables(database: string, max?: number): Promise<GlueTable[]> {
    const tables: GlueTable[] = [];
    let token: string | undefined;
    do {
      const page = await this.call({ op: "GetTables", database }, () =>
        this.client.send(
          new (glueSdk().GetTablesCommand)({
            CatalogId: this.catalogId,
            DatabaseName: database,
            NextToken: token,
            ...(max === undefined ? {} : { MaxResults: max }),
          }),
        ),
      ).catch((e) => rethrow(e, nsNotFound(database)));
      tables.push(...(page.TableList ?? []));
      token = page.NextToken || undefined;
    } while (token !== undefined && (max === undefined || tables.length < max));
    return tables;
  }

  async getTable(database: string, name: string): Promise<GlueTable> {
    const missing = () => tableNotFound({ namespace: [database], name });
    const out = await this.call({ op: "GetTable", database, table: name }, () =>
      this.client.send(
        new (glueSdk().GetTableCommand)({ CatalogId: this.catalogId, DatabaseName: database, Name: name }),
      ),
    ).catch((e) => rethrow(e, missing()));
    if (!out.Table) throw missing();
    return out.Table;
  }

  async deleteTable(database: string, name: string): Promise<void> {
    await this.call({ op: "DeleteTable", database, table: name }, () =>
      this.client.send(
        new (glueSdk().DeleteTableCommand)({ CatalogId: this.catalogId, DatabaseName: database, Name: name }),
      ),
    ).catch((e) => rethrow(e, tableNotFound({ namespace: [database], name })));
  }

  /** CreateTable; throws the SDK's error unclassified. */
  async createTableRaw(database: string, input: TableInput): Promise<void> {
    await this.client.send(
      new (glueSdk().CreateTableCommand)({
        CatalogId: this.catalogId,
        DatabaseName: database,
        TableInput: input,
      }),
    );
  }

  /** UpdateTable guarded by `versionId`; throws the SDK's error unclassified. */
  async updateTableRaw(
    database: string,
    input: TableInput,
    versionId: string | undefined,
    skipArchive: boolean,
  ): Promise<void> {
    await this.client.send(
      new (glueSdk().UpdateTableCommand)({
        CatalogId: this.catalogId,
        DatabaseName: database,
        TableInput: input,
        SkipArchive: skipArchive,
        ...(versionId ? { VersionId: versionId } : {}),
      }),
    );
  }
}
