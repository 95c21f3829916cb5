import { beforeEach, describe, expect, it } from "vitest";
import { GlueCatalog, type GlueCatalogOptions } from "../../../src/catalog/glue/index.js";
import { FloeError } from "../../../src/errors.js";
import { listAll, MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { makeSchema } from "../../../src/iceberg/spec/index.js";
import { FakeGlue } from "./fake-glue.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "name", required: false, type: "string", doc: "who" },
]);

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FloeError);
  return (e as FloeError).code;
}

describe("GlueCatalog namespaces and tables (fake Glue)", () => {
  let glue: FakeGlue;
  let io: MemoryFileIO;
  let catalog: GlueCatalog;
  const make = (opts: Partial<GlueCatalogOptions> = {}) =>
    new GlueCatalog({
      region: "us-east-1",
      io,
      client: glue.client(),
      now: () => 1_700_000_000_000,
      ...opts,
    });

  beforeEach(() => {
    glue = new FakeGlue();
    io = new MemoryFileIO();
    catalog = make({ warehouse: "memory://wh" });
  });

  it("creates, lists, describes and drops databases", async () => {
    glue.pageSize = 2;
    await catalog.createNamespace(["b"], { location: "memory://wh/b", comment: "bee", owner: "ops" });
    await catalog.createNamespace(["a"]);
    await catalog.createNamespace(["c"]);
    expect(glue.callsOf("CreateDatabaseCommand")[0]).toEqual({
      DatabaseInput: {
        Name: "b",
        LocationUri: "memory://wh/b",
        Description: "bee",
        Parameters: { owner: "ops" },
      },
    });
    expect(await catalog.listNamespaces()).toEqual([["a"], ["b"], ["c"]]);
    expect(glue.callsOf("GetDatabasesCommand")).toHaveLength(2);
    expect(await catalog.listNamespaces(["a"])).toEqual([]);
    expect(await catalog.loadNamespaceProperties(["b"])).toEqual({
      owner: "ops",
      location: "memory://wh/b",
      comment: "bee",
    });
    expect(await catalog.namespaceExists(["a"])).toBe(true);
    expect(await catalog.namespaceExists(["zz"])).toBe(false);
    await catalog.dropNamespace(["a"]);
    expect(await catalog.namespaceExists(["a"])).toBe(false);
  });

  it("maps Glue errors for namespaces", async () => {
    await catalog.createNamespace(["db"]);
    expect(await codeOf(catalog.createNamespace(["db"]))).toBe("ALREADY_EXISTS");
    expect(await codeOf(catalog.loadNamespaceProperties(["nope"]))).toBe("NOT_FOUND");
    expect(await codeOf(catalog.dropNamespace(["nope"]))).toBe("NOT_FOUND");
    expect(await codeOf(catalog.listTables(["nope"]))).toBe("NOT_FOUND");
    await expect(catalog.loadNamespaceProperties(["nope"])).rejects.toThrow("namespace nope does not exist");
  });

  it("rejects multi-level namespaces and names Glue would change", async () => {
    await expect(catalog.createNamespace(["a", "b"])).rejects.toThrow(
      /Glue namespaces have exactly one level \(a database\), got 2/,
    );
    await expect(catalog.listNamespaces(["a", "b"])).rejects.toThrow(/exactly one level/);
    await expect(catalog.loadTable({ namespace: ["a", "b"], name: "t" })).rejects.toThrow(
      /exactly one level/,
    );
    await expect(catalog.createNamespace(["Orders"])).rejects.toThrow(/lower case, use "orders"/);
    await catalog.createNamespace(["db"]);
    expect(await codeOf(catalog.createTable(["db"], { name: "Events", schema }))).toBe("INVALID_ARGUMENT");
    expect(glue.callsOf("CreateTableCommand")).toHaveLength(0);
  });

  it("refuses to drop a database that still has tables (Glue would delete them)", async () => {
    await catalog.createNamespace(["db"]);
    glue.databases.get("db")?.tables.set("hive_t", {
      versions: [{ Name: "hive_t", TableType: "EXTERNAL_TABLE", Parameters: {} }],
      created: new Date(),
    });
    await expect(catalog.dropNamespace(["db"])).rejects.toThrow(/namespace db is not empty/);
    expect(glue.callsOf("DeleteDatabaseCommand")).toHaveLength(0);
  });

  it("creates a table: metadata file 00000, Glue table pointing at it, location under the database's LocationUri", async () => {
    await catalog.createNamespace(["db"], { location: "memory://lake/db/" });
    const t = await catalog.createTable(["db"], { name: "events", schema, properties: { owner: "x" } });
    expect(t.identifier).toEqual({ namespace: ["db"], name: "events" });
    expect(t.metadata.location).toBe("memory://lake/db/events");
    expect(t.metadataLocation).toMatch(
      /^memory:\/\/lake\/db\/events\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/,
    );
    expect(await io.exists(t.metadataLocation)).toBe(true);
    const input = glue.callsOf("CreateTableCommand")[0];
    expect(input).toMatchObject({
      DatabaseName: "db",
      TableInput: {
        Name: "events",
        TableType: "EXTERNAL_TABLE",
        Parameters: { table_type: "ICEBERG", metadata_location: t.metadataLocation },
        StorageDescriptor: {
          Location: "memory://lake/db/events",
          Columns: [
            { Name: "id", Type: "bigint", Parameters: { "iceberg.field.optional": "false" } },
            { Name: "name", Type: "string", Comment: "who" },
          ],
        },
      },
    });
    const loaded = await catalog.loadTable({ namespace: ["db"], name: "events" });
    expect(loaded.metadataLocation).toBe(t.metadataLocation);
    expect(loaded.metadata["table-uuid"]).toBe(t.metadata["table-uuid"]);
    expect(loaded.metadata.properties).toEqual({ owner: "x" });
  });

  it("defaults to <warehouse>/<db>.db/<table> when the database has no LocationUri, and fails clearly without either", async () => {
    await catalog.createNamespace(["db"]);
    const t = await catalog.createTable(["db"], { name: "t", schema });
    expect(t.metadata.location).toBe("memory://wh/db.db/t");
    const explicit = await catalog.createTable(["db"], { name: "t2", schema, location: "memory://else/t2" });
    expect(explicit.metadata.location).toBe("memory://else/t2");
    const bare = make();
    await expect(bare.createTable(["db"], { name: "t3", schema })).rejects.toThrow(
      /no location for table db.t3: the Glue database has no LocationUri and no warehouse is configured/,
    );
  });

  it("maps create errors: missing database -> NOT_FOUND before any file is written; duplicate -> ALREADY_EXISTS, file removed", async () => {
    expect(await codeOf(catalog.createTable(["nope"], { name: "t", schema }))).toBe("NOT_FOUND");
    expect(await listAll(io, "memory://")).toEqual([]);
    await catalog.createNamespace(["db"]);
    const first = await catalog.createTable(["db"], { name: "t", schema });
    await expect(catalog.createTable(["db"], { name: "t", schema })).rejects.toThrow(
      "table db.t already exists",
    );
    const files = (await listAll(io, "memory://wh/db.db/t/metadata/")).map((f) => f.path);
    expect(files).toEqual([first.metadataLocation]);
  });

  it("lists only Iceberg tables, across pages; loads and checks existence", async () => {
    glue.pageSize = 1;
    await catalog.createNamespace(["db"]);
    await catalog.createTable(["db"], { name: "b", schema });
    await catalog.createTable(["db"], { name: "a", schema });
    glue.databases.get("db")?.tables.set("hive_t", {
      versions: [{ Name: "hive_t", TableType: "EXTERNAL_TABLE", Parameters: { table_type: "HIVE" } }],
      created: new Date(),
    });
    expect(await catalog.listTables(["db"])).toEqual([
      { namespace: ["db"], name: "a" },
      { namespace: ["db"], name: "b" },
    ]);
    expect(glue.callsOf("GetTablesCommand").length).toBeGreaterThanOrEqual(3);
    expect(await catalog.tableExists({ namespace: ["db"], name: "a" })).toBe(true);
    expect(await catalog.tableExists({ namespace: ["db"], name: "hive_t" })).toBe(false);
    expect(await catalog.tableExists({ namespace: ["db"], name: "zz" })).toBe(false);
    expect(await catalog.tableExists({ namespace: ["nope"], name: "zz" })).toBe(false);
    await expect(catalog.loadTable({ namespace: ["db"], name: "hive_t" })).rejects.toThrow(
      'db.hive_t is not an Iceberg table (Glue table_type "HIVE")',
    );
    await expect(catalog.loadTable({ namespace: ["db"], name: "zz" })).rejects.toThrow(
      "table db.zz does not exist",
    );
    await expect(catalog.dropTable({ namespace: ["db"], name: "hive_t" })).rejects.toThrow(
      /not an Iceberg table/,
    );
    expect(glue.table("db", "hive_t")).toBeDefined();
  });

  it("loads tables another writer registered with a lower-case table_type", async () => {
    await catalog.createNamespace(["db"]);
    const t = await catalog.createTable(["db"], { name: "t", schema });
    const stored = glue.databases.get("db")?.tables.get("t")?.versions[0];
    if (stored?.Parameters) stored.Parameters.table_type = "iceberg";
    expect((await catalog.loadTable({ namespace: ["db"], name: "t" })).metadataLocation).toBe(
      t.metadataLocation,
    );
  });

  it("drops a table, keeping its files unless purged", async () => {
    await catalog.createNamespace(["db"]);
    const keep = await catalog.createTable(["db"], { name: "keep", schema });
    await io.write("memory://wh/db.db/purge/data/x.parquet", new Uint8Array([1]));
    await io.write("memory://wh/db.db/purge/other/keep.txt", new Uint8Array([1]));
    await catalog.createTable(["db"], { name: "purge", schema });
    await catalog.dropTable({ namespace: ["db"], name: "keep" });
    await catalog.dropTable({ namespace: ["db"], name: "purge" }, { purge: true });
    expect(await catalog.listTables(["db"])).toEqual([]);
    expect(await io.exists(keep.metadataLocation)).toBe(true);
    expect((await listAll(io, "memory://wh/db.db/purge/")).map((f) => f.path)).toEqual([
      "memory://wh/db.db/purge/other/keep.txt",
    ]);
    expect(await codeOf(catalog.dropTable({ namespace: ["db"], name: "keep" }))).toBe("NOT_FOUND");
  });

  it("sends the configured CatalogId with every request", async () => {
    const scoped = make({ warehouse: "memory://wh", catalogId: "123456789012" });
    await scoped.createNamespace(["db"]);
    await scoped.createTable(["db"], { name: "t", schema });
    await scoped.loadTable({ namespace: ["db"], name: "t" });
    await scoped.listTables(["db"]);
    await scoped.listNamespaces();
    await scoped.dropTable({ namespace: ["db"], name: "t" });
    await scoped.dropNamespace(["db"]);
    expect(glue.calls.length).toBeGreaterThan(7);
    for (const c of glue.calls) expect(c.input.CatalogId, c.name).toBe("123456789012");
  });
});
