import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestCatalog, Table } from "../../../src/catalog/index.js";
import { currentSchema } from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse, stackFileIO } from "../../support/warehouse.js";

// Tables other engines made: Floe loads them, appends, and every reader sees both engines' rows.
interface SparkOut {
  results: { rows: Record<string, unknown>[] }[];
}

describe("foreign metadata", () => {
  let duck: Awaited<ReturnType<typeof openDuckDB>>;
  beforeAll(async () => {
    duck = await openDuckDB();
  });
  afterAll(() => duck?.close());

  it("Spark creates and fills a partitioned table; Floe appends; Spark, DuckDB and PyIceberg read all rows", async () => {
    const wh = await freshWarehouse("local");
    const env = { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse };
    await runPython(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: "CREATE NAMESPACE IF NOT EXISTS local.db" },
          {
            sql: "CREATE TABLE local.db.events (id bigint, ts timestamp, name string, amount decimal(10,2)) USING iceberg PARTITIONED BY (days(ts))",
          },
          {
            sql: "INSERT INTO local.db.events VALUES (1, TIMESTAMP '2024-01-01 10:00:00', 'spark-a', 1.50), (2, TIMESTAMP '2024-01-02 11:00:00', 'spark-b', NULL)",
          },
        ]),
      ],
      { env },
    );
    // The embedded catalog's layout is Iceberg's Hadoop layout, so it opens Spark's table as is.
    const loaded = await wh.catalog.loadTable({ namespace: ["db"], name: "events" });
    const table = new Table(wh.catalog, loaded, wh.io);
    const floeRows = [
      { id: 3n, ts: 1_704_240_000_000_000n, name: "floe-c", amount: 250n },
      { id: 4n, ts: 1_704_067_200_000_001n, name: "floe-d", amount: -1n },
    ];
    const result = await (await table.newAppend().appendRows(floeRows)).commit();
    expect(result.committed).toBe(true);
    expect(table.metadata.snapshots).toHaveLength(2);
    expect(table.metadata.snapshots.at(-1)?.summary["total-records"]).toBe("4");

    const expected = [
      { id: 1n, ts: 1_704_103_200_000_000n, name: "spark-a", amount: 150n },
      { id: 2n, ts: 1_704_193_200_000_000n, name: "spark-b", amount: null },
      ...floeRows,
    ];
    const schema = currentSchema(table.metadata);
    const spark = await runPython<SparkOut>(
      "spark_queries.py",
      [JSON.stringify([{ sql: "SELECT * FROM local.db.events" }])],
      {
        env,
      },
    );
    expect(canonRows(schema, spark.results[0]?.rows ?? [])).toEqual(canonRows(schema, expected));
    const duckRows = await query(duck.conn, `SELECT * FROM iceberg_scan('${table.metadataLocation}')`);
    expect(canonRows(schema, duckRows)).toEqual(canonRows(schema, expected));
    const py = await runPython<{ rows: Record<string, unknown>[] }>("read_pyiceberg.py", [
      table.metadataLocation,
    ]);
    expect(canonRows(schema, py.rows)).toEqual(canonRows(schema, expected));
  });

  it("PyIceberg creates and fills a table in the REST catalog; Floe appends through the REST client; all read", async () => {
    const env = stackEnv();
    const namespace = uniqueName("foreign");
    await runPython("smoke_pyiceberg.py", [namespace, "people"]);
    const catalog = new RestCatalog({ uri: env.FLOE_REST_URI });
    const id = { namespace: [namespace], name: "people" };
    const table = new Table(catalog, await catalog.loadTable(id), stackFileIO());
    await (await table.newAppend().appendRows([{ id: 4n, name: "floe" }])).commit();

    const expected = [
      { id: 1n, name: "a" },
      { id: 2n, name: "b" },
      { id: 3n, name: null },
      { id: 4n, name: "floe" },
    ];
    const reloaded = await catalog.loadTable(id);
    const schema = currentSchema(reloaded.metadata);
    const py = await runPython<{ rows: Record<string, unknown>[] }>("read_pyiceberg.py", [
      reloaded.metadataLocation,
    ]);
    expect(canonRows(schema, py.rows)).toEqual(canonRows(schema, expected));
    const duckRows = await query(duck.conn, `SELECT * FROM iceberg_scan('${reloaded.metadataLocation}')`);
    expect(canonRows(schema, duckRows)).toEqual(canonRows(schema, expected));
    const spark = await runPython<SparkOut>("spark_queries.py", [
      JSON.stringify([{ sql: `SELECT * FROM rest.${namespace}.people` }]),
    ]);
    expect(canonRows(schema, spark.results[0]?.rows ?? [])).toEqual(canonRows(schema, expected));
  });
});
