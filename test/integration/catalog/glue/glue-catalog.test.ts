import { GetTableCommand, GlueClient } from "@aws-sdk/client-glue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GlueCatalog } from "../../../../src/catalog/glue/index.js";
import { Table } from "../../../../src/catalog/index.js";
import { FloeError } from "../../../../src/errors.js";
import { listAll } from "../../../../src/iceberg/io/index.js";
import { currentSchema } from "../../../../src/iceberg/spec/index.js";
import { canonRows } from "../../../support/canon.js";
import { openDuckDB, query } from "../../../support/duckdb.js";
import { allTypesRows, allTypesSchema } from "../../../support/fixtures.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";
import { stackFileIO } from "../../../support/warehouse.js";

// The Glue catalog against moto (Glue) and S3Proxy (the warehouse): namespaces, tables, appends through
// the Table API, and DuckDB reading what Glue points at.
describe("GlueCatalog on moto + S3", () => {
  const env = stackEnv();
  const io = stackFileIO();
  const prefix = `s3://${env.FLOE_S3_BUCKET}/${uniqueName("glue")}`;
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  const catalog = new GlueCatalog({
    region: env.FLOE_GLUE_REGION,
    endpoint: env.FLOE_GLUE_ENDPOINT,
    credentials,
    warehouse: prefix,
    io,
  });
  const raw = new GlueClient({ region: env.FLOE_GLUE_REGION, endpoint: env.FLOE_GLUE_ENDPOINT, credentials });
  const db = uniqueName("floe_glue");
  const bare = uniqueName("floe_glue_bare");
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    duck = await openDuckDB();
  });
  afterAll(() => {
    duck?.close();
    catalog.close();
    raw.destroy();
  });

  it("creates, lists and describes databases", async () => {
    await catalog.createNamespace([db], { location: `${prefix}/${db}`, comment: "floe test", team: "data" });
    await catalog.createNamespace([bare]);
    const all = await catalog.listNamespaces();
    expect(all).toContainEqual([db]);
    expect(all).toContainEqual([bare]);
    expect(await catalog.listNamespaces([db])).toEqual([]);
    expect(await catalog.loadNamespaceProperties([db])).toEqual({
      team: "data",
      location: `${prefix}/${db}`,
      comment: "floe test",
    });
    expect(await catalog.namespaceExists([db])).toBe(true);
    expect(await catalog.namespaceExists([uniqueName("nope")])).toBe(false);
    await expect(catalog.createNamespace([db])).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(catalog.createNamespace([db, "child"])).rejects.toThrow(/exactly one level/);
  });

  it("creates a table under the database location, appends twice through the Table API, and DuckDB reads both", async () => {
    const created = await catalog.createTable([db], { name: "all_types", schema: allTypesSchema() });
    expect(created.metadata.location).toBe(`${prefix}/${db}/all_types`);
    expect(created.metadataLocation).toMatch(/\/all_types\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);

    const rows = allTypesRows();
    const table = new Table(catalog, await catalog.loadTable({ namespace: [db], name: "all_types" }), io);
    const first = await (await table.newAppend().appendRows(rows)).commit();
    const second = await (await table.newAppend().appendRows(rows.slice(0, 1))).commit();
    expect(first).toMatchObject({ committed: true, attempts: 1, conflicts: 0 });
    expect(second).toMatchObject({ committed: true, attempts: 1 });
    expect(table.metadataLocation).toMatch(/\/metadata\/00002-[0-9a-f-]{36}\.metadata\.json$/);

    const got = await raw.send(new GetTableCommand({ DatabaseName: db, Name: "all_types" }));
    expect(got.Table?.TableType).toBe("EXTERNAL_TABLE");
    expect(got.Table?.Parameters).toMatchObject({
      table_type: "ICEBERG",
      metadata_location: table.metadataLocation,
      previous_metadata_location: table.metadata["metadata-log"].at(-1)?.["metadata-file"],
    });
    expect(got.Table?.StorageDescriptor?.Location).toBe(`${prefix}/${db}/all_types`);
    const cols = got.Table?.StorageDescriptor?.Columns ?? [];
    expect(cols.find((c) => c.Name === "dec38")?.Type).toBe("decimal(38,10)");
    expect(cols.find((c) => c.Name === "attrs")?.Type).toBe("map<string,bigint>");
    expect(cols.find((c) => c.Name === "id")?.Parameters).toEqual({
      "iceberg.field.id": "1",
      "iceberg.field.optional": "false",
      "iceberg.field.current": "true",
    });

    const loaded = await catalog.loadTable({ namespace: [db], name: "all_types" });
    expect(loaded.metadataLocation).toBe(table.metadataLocation);
    expect(loaded.metadata.snapshots).toHaveLength(2);
    const out = await query(duck.conn, `SELECT * FROM iceberg_scan('${loaded.metadataLocation}')`);
    const schema = currentSchema(loaded.metadata);
    expect(canonRows(schema, out)).toEqual(canonRows(schema, [...rows, rows[0] as Record<string, unknown>]));
  });

  it("falls back to <warehouse>/<db>.db/<table> without a database location", async () => {
    const t = await catalog.createTable([bare], { name: "events", schema: allTypesSchema() });
    expect(t.metadata.location).toBe(`${prefix}/${bare}.db/events`);
    expect(await io.exists(t.metadataLocation)).toBe(true);
  });

  it("maps Glue's errors: missing table or database, duplicates, stale requirements", async () => {
    const missing = { namespace: [db], name: "missing" };
    await expect(catalog.loadTable(missing)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await catalog.tableExists(missing)).toBe(false);
    await expect(catalog.listTables([uniqueName("nope")])).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      catalog.createTable([uniqueName("nope")], { name: "t", schema: allTypesSchema() }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(catalog.createTable([db], { name: "all_types", schema: allTypesSchema() })).rejects.toThrow(
      /already exists/,
    );
    const current = await catalog.loadTable({ namespace: [db], name: "all_types" });
    const stale = current.metadata.snapshots[0]?.["snapshot-id"] ?? 0n;
    const e = await catalog
      .commitTable(
        current.identifier,
        [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": stale }],
        [{ action: "set-properties", updates: { x: "1" } }],
      )
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(FloeError);
    expect((e as FloeError).code).toBe("COMMIT_CONFLICT");
    // The duplicate create and the refused commit left no metadata files behind.
    const files = (await listAll(io, `${prefix}/${db}/all_types/metadata/`))
      .map((f) => f.path)
      .filter((p) => p.endsWith(".metadata.json"));
    expect(files).toHaveLength(3);
  });

  it("lists and drops tables, then the emptied database", async () => {
    expect(await catalog.listTables([db])).toEqual([{ namespace: [db], name: "all_types" }]);
    await expect(catalog.dropNamespace([db])).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    const location = (await catalog.loadTable({ namespace: [db], name: "all_types" })).metadata.location;
    await catalog.dropTable({ namespace: [db], name: "all_types" }, { purge: true });
    expect(await catalog.tableExists({ namespace: [db], name: "all_types" })).toBe(false);
    expect(await listAll(io, `${location}/`)).toEqual([]);
    await catalog.dropTable({ namespace: [bare], name: "events" });
    await catalog.dropNamespace([db]);
    await catalog.dropNamespace([bare]);
    expect(await catalog.namespaceExists([db])).toBe(false);
    await expect(catalog.dropNamespace([db])).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
