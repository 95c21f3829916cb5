import type { GlueClient, Table, TableInput } from "@aws-sdk/client-glue";

/**
 * A scripted stand-in for GlueClient.send, enough of Glue for GlueCatalog's unit tests: databases,
 * tables with versions, paginated listings, and UpdateTable's VersionId check (as real Glue does it,
 * unlike moto). Injected faults fire before or after a command takes effect (after = the request
 * landed but the answer was lost).
 */

export interface Fault {
  /** Command class name, e.g. "UpdateTableCommand". */
  command: string;
  error: unknown;
  /** Apply the command first, then fail (an ambiguous failure). */
  after?: boolean;
  /** Runs just before the fault fires (e.g. a rival writer). */
  before?: () => void | Promise<void>;
}

export interface Hook {
  command: string;
  /** Which call of that command to hook (1 = the first from now on). */
  nth?: number;
  run: () => void | Promise<void>;
}

export function glueError(
  name: string,
  status: number,
  extra: { attempts?: number; fault?: "client" | "server" } = {},
): Error {
  return Object.assign(new Error(`${name} (fake)`), {
    name,
    $fault: extra.fault ?? (status >= 500 ? "server" : "client"),
    $metadata: { httpStatusCode: status, requestId: "req-1", attempts: extra.attempts ?? 1 },
  });
}

export function networkError(code = "ECONNRESET", attempts = 1): Error {
  return Object.assign(new Error("socket hang up"), { code, $metadata: { attempts } });
}

interface FakeTable {
  versions: TableInput[];
  created: Date;
}

interface FakeDatabase {
  input: Record<string, unknown>;
  tables: Map<string, FakeTable>;
}

type Input = Record<string, unknown>;

export interface Call {
  name: string;
  input: Input;
}

export class FakeGlue {
  readonly databases = new Map<string, FakeDatabase>();
  readonly calls: Call[] = [];
  readonly faults: Fault[] = [];
  readonly hooks: Hook[] = [];
  /** Page size for GetDatabases/GetTables (Glue pages at 100). */
  pageSize = 100;

  client(): GlueClient {
    return {
      send: (command: { constructor: { name: string }; input: Input }) => this.#send(command),
      destroy: () => {},
    } as unknown as GlueClient;
  }

  /** The current version of a table, as GetTable returns it. */
  table(db: string, name: string): Table | undefined {
    const t = this.databases.get(db)?.tables.get(name);
    return t ? this.#asTable(db, t) : undefined;
  }

  callsOf(name: string): Input[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }

  async #send(command: { constructor: { name: string }; input: Input }): Promise<unknown> {
    const name = command.constructor.name;
    const input = structuredClone(command.input);
    this.calls.push({ name, input });
    await Promise.resolve();
    for (const h of this.hooks.filter((x) => x.command === name)) {
      h.nth = (h.nth ?? 1) - 1;
      if (h.nth === 0) {
        this.hooks.splice(this.hooks.indexOf(h), 1);
        await h.run();
      }
    }
    const i = this.faults.findIndex((f) => f.command === name);
    const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
    await fault?.before?.();
    if (fault && !fault.after) throw fault.error;
    const out = this.#apply(name, input);
    if (fault) throw fault.error;
    return { $metadata: { httpStatusCode: 200, attempts: 1 }, ...out };
  }

  #db(name: unknown): FakeDatabase {
    const db = this.databases.get(String(name));
    if (!db) throw glueError("EntityNotFoundException", 400);
    return db;
  }

  #table(db: unknown, name: unknown): FakeTable {
    const t = this.#db(db).tables.get(String(name));
    if (!t) throw glueError("EntityNotFoundException", 400);
    return t;
  }

  #asTable(db: string, t: FakeTable): Table {
    return {
      ...structuredClone(t.versions.at(-1)),
      DatabaseName: db,
      Name: t.versions.at(-1)?.Name,
      CreateTime: t.created,
      VersionId: String(t.versions.length - 1),
    } as Table;
  }

  #page<T>(items: T[], token: unknown, max?: unknown): { items: T[]; next?: string } {
    const start = typeof token === "string" ? Number(token) : 0;
    const size = Math.min(this.pageSize, typeof max === "number" ? max : Number.POSITIVE_INFINITY);
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
  }

  #apply(name: string, input: Input): Record<string, unknown> {
    switch (name) {
      case "CreateDatabaseCommand": {
        const di = input.DatabaseInput as Input;
        const dbName = String(di.Name);
        if (this.databases.has(dbName)) throw glueError("AlreadyExistsException", 400);
        this.databases.set(dbName, { input: di, tables: new Map() });
        return {};
      }
      case "GetDatabaseCommand": {
        const db = this.#db(input.Name);
        return { Database: { ...db.input, CatalogId: "123456789012" } };
      }
      case "GetDatabasesCommand": {
        const all = [...this.databases.values()].map((d) => ({ ...d.input }));
        const page = this.#page(all, input.NextToken);
        return { DatabaseList: page.items, ...(page.next ? { NextToken: page.next } : {}) };
      }
      case "DeleteDatabaseCommand": {
        this.#db(input.Name);
        this.databases.delete(String(input.Name));
        return {};
      }
      case "CreateTableCommand": {
        const db = this.#db(input.DatabaseName);
        const ti = input.TableInput as TableInput;
        if (db.tables.has(String(ti.Name))) throw glueError("AlreadyExistsException", 400);
        db.tables.set(String(ti.Name), { versions: [ti], created: new Date() });
        return {};
      }
      case "GetTableCommand":
        return {
          Table: this.#asTable(String(input.DatabaseName), this.#table(input.DatabaseName, input.Name)),
        };
      case "GetTablesCommand": {
        const db = this.#db(input.DatabaseName);
        const all = [...db.tables.values()].map((t) => this.#asTable(String(input.DatabaseName), t));
        const page = this.#page(all, input.NextToken, input.MaxResults);
        return { TableList: page.items, ...(page.next ? { NextToken: page.next } : {}) };
      }
      case "UpdateTableCommand": {
        const ti = input.TableInput as TableInput;
        const t = this.#table(input.DatabaseName, ti.Name);
        if (input.VersionId !== undefined && input.VersionId !== String(t.versions.length - 1)) {
          throw glueError("ConcurrentModificationException", 400);
        }
        t.versions.push(ti);
        return {};
      }
      case "DeleteTableCommand": {
        this.#table(input.DatabaseName, input.Name);
        this.#db(input.DatabaseName).tables.delete(String(input.Name));
        return {};
      }
      default:
        throw glueError("UnknownOperationException", 400);
    }
  }
}
