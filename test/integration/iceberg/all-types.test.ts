import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { currentSchema } from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { allTypesRows, allTypesSchema } from "../../support/fixtures.js";
import { runPython } from "../../support/python.js";
import { uniqueName } from "../../support/stack.js";
import { freshWarehouse, type WarehouseKind } from "../../support/warehouse.js";

// Every primitive type, nulls, NaN, empty strings, unicode, negative and pre-1970 timestamps, decimals
// at max precision and nested struct/list/map: written by Floe, read back by DuckDB and PyIceberg.
for (const kind of ["local", "s3"] as WarehouseKind[]) {
  describe(`all types on ${kind}`, () => {
    let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
    let table: Table;
    let sparkTable: Table;
    let duck: Awaited<ReturnType<typeof openDuckDB>>;
    const rows = allTypesRows();

    beforeAll(async () => {
      wh = await freshWarehouse(kind);
      duck = await openDuckDB();
      await wh.catalog.createNamespace(["db"]);
      const loaded = await wh.catalog.createTable(["db"], { name: "all_types", schema: allTypesSchema() });
      table = new Table(wh.catalog, loaded, wh.io);
      const result = await (await table.newAppend().appendRows(rows)).commit();
      expect(result.committed).toBe(true);
      const forSpark = await wh.catalog.createTable(["db"], {
        name: "all_types_spark",
        schema: allTypesSchema({ time: false }),
      });
      sparkTable = new Table(wh.catalog, forSpark, wh.io);
      await (await sparkTable.newAppend().appendRows(rows)).commit();
    });
    afterAll(() => duck?.close());

    it("commits one snapshot with Iceberg's standard summary", () => {
      const snap = table.metadata.snapshots.at(-1);
      expect(snap?.summary).toMatchObject({
        operation: "append",
        "added-data-files": "1",
        "added-records": "3",
        "total-records": "3",
        "total-data-files": "1",
      });
      expect(table.metadataLocation).toMatch(/\/db\/all_types\/metadata\/v2\.metadata\.json$/);
    });

    it("DuckDB (iceberg_scan) returns the same rows", async () => {
      const got = await query(duck.conn, `SELECT * FROM iceberg_scan('${table.metadataLocation}')`);
      const schema = currentSchema(table.metadata);
      expect(canonRows(schema, got)).toEqual(canonRows(schema, rows));
    });

    it("PyIceberg returns the same rows and types", async () => {
      const out = await runPython<{ rows: Record<string, unknown>[]; iceberg_types: Record<string, string> }>(
        "read_pyiceberg.py",
        [table.metadataLocation],
      );
      const schema = currentSchema(table.metadata);
      expect(canonRows(schema, out.rows)).toEqual(canonRows(schema, rows));
      expect(out.iceberg_types).toMatchObject({
        dec38: "decimal(38, 10)",
        tstz: "timestamptz",
        u: "uuid",
        fx: "fixed[4]",
      });
    });

    it("Spark (Iceberg runtime) returns the same rows (every type but time)", async () => {
      let name = "local.db.all_types_spark";
      let env: Record<string, string> = { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse };
      if (kind === "s3") {
        // Spark reads S3 tables through the REST server, which adopts our metadata file as is.
        const ns = uniqueName("spark");
        await runPython("register_rest.py", [ns, "all_types_spark", sparkTable.metadataLocation]);
        name = `rest.${ns}.all_types_spark`;
        env = {};
      }
      const out = await runPython<{
        results: { rows: Record<string, unknown>[]; types: Record<string, string> }[];
      }>("spark_queries.py", [JSON.stringify([{ sql: `SELECT * FROM ${name}` }])], { env });
      const got = out.results[0];
      const schema = currentSchema(sparkTable.metadata);
      expect(canonRows(schema, got?.rows ?? [])).toEqual(canonRows(schema, rows));
      expect(got?.types).toMatchObject({
        dec38: "decimal(38,10)",
        tstz: "timestamp",
        ts: "timestamp_ntz",
        l: "bigint",
      });
    });
  });
}
