import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { makeSchema } from "../../../src/iceberg/spec/index.js";
import { writeEqualityDeletes, writePositionDeletes } from "../../../src/iceberg/write/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";

// Row deltas: position deletes, then equality deletes, each committed as an overwrite snapshot and
// honoured by the readers.
const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "name", required: true, type: "string" },
]);
const NAMES = ["ann", "bob", "cat", "dan", "eve", "fay"];

describe("row deltas with position and equality deletes", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let table: Table;
  let duck: Awaited<ReturnType<typeof openDuckDB>>;
  const snapshots: bigint[] = [];

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    duck = await openDuckDB();
    await wh.catalog.createNamespace(["db"]);
    table = new Table(wh.catalog, await wh.catalog.createTable(["db"], { name: "people", schema }), wh.io);
    const append = await table.newAppend().appendRows(NAMES.map((name, i) => ({ id: BigInt(i), name })));
    await append.commit();
    const dataFile = append.dataFiles[0]?.file_path ?? "";
    snapshots.push(table.metadata["current-snapshot-id"] ?? 0n);

    // Delete bob (position 1) and eve (position 4) by position.
    const posDeletes = await writePositionDeletes(table.writerOptions(), [
      { path: dataFile, pos: 4n },
      { path: dataFile, pos: 1n },
    ]);
    await table.newRowDelta().addDeleteFiles(posDeletes).commit();
    snapshots.push(table.metadata["current-snapshot-id"] ?? 0n);

    // Delete every row named "fay" by equality on the name column.
    const eqDeletes = await writeEqualityDeletes(table.writerOptions(), [2], [{ name: "fay" }]);
    await table.newRowDelta().addDeleteFiles(eqDeletes).commit();
    snapshots.push(table.metadata["current-snapshot-id"] ?? 0n);
  });
  afterAll(() => duck?.close());

  it("records overwrite snapshots with delete counts", () => {
    const [, pos, eq] = table.metadata.snapshots;
    expect(pos?.summary).toMatchObject({
      operation: "overwrite",
      "added-delete-files": "1",
      "added-position-deletes": "2",
      "total-position-deletes": "2",
      "total-records": "6",
    });
    expect(eq?.summary).toMatchObject({ "added-equality-deletes": "1", "total-equality-deletes": "1" });
  });

  it("DuckDB applies position and equality deletes", async () => {
    const names = async (snapshot: bigint) =>
      (
        await query(
          duck.conn,
          `SELECT name FROM iceberg_scan('${table.metadataLocation}', snapshot_from_id => ${snapshot}) ORDER BY id`,
        )
      ).map((r) => r.name);
    expect(await names(snapshots[0] ?? 0n)).toEqual(NAMES);
    expect(await names(snapshots[1] ?? 0n)).toEqual(["ann", "cat", "dan", "fay"]);
    expect(await names(snapshots[2] ?? 0n)).toEqual(["ann", "cat", "dan"]);
  });

  it("PyIceberg applies position deletes", async () => {
    const out = await runPython<{ rows: { name: string }[] }>("read_pyiceberg.py", [
      table.metadataLocation,
      String(snapshots[1]),
    ]);
    expect(out.rows.map((r) => r.name).sort()).toEqual(["ann", "cat", "dan", "fay"]);
  });

  it("Spark applies position and equality deletes", async () => {
    const out = await runPython<{ results: { rows: { name: string }[] }[] }>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT name FROM local.db.people VERSION AS OF ${snapshots[1]} ORDER BY id` },
          { sql: "SELECT name FROM local.db.people ORDER BY id" },
        ]),
      ],
      { env: { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse } },
    );
    expect(out.results.map((r) => r.rows.map((x) => x.name))).toEqual([
      ["ann", "cat", "dan", "fay"],
      ["ann", "cat", "dan"],
    ]);
  });
});
