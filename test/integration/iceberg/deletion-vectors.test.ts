import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestCatalog, Table } from "../../../src/catalog/index.js";
import { compactTable } from "../../../src/compaction/index.js";
import { liveDeletionVectors, liveEntries } from "../../../src/iceberg/snapshot/index.js";
import { currentSnapshot, makeSchema } from "../../../src/iceberg/spec/index.js";
import { isDeletionVector, writeDeletionVectors } from "../../../src/iceberg/write/index.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse, stackFileIO } from "../../support/warehouse.js";

// Format v3 tables with deletion vectors: Floe writes them (through the stack's Java REST server, which
// checks row lineage) and each reader on this machine reads them or fails in a known way; a table whose
// vectors Spark wrote is compacted by Floe and reads back the same.
const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "name", required: true, type: "string" },
]);

interface SparkOut {
  results: { rows: Record<string, unknown>[] }[];
}

const sparkRows = (sql: string, env?: Record<string, string>) =>
  runPython<SparkOut>("spark_queries.py", [JSON.stringify([{ sql }])], env ? { env } : {}).then(
    (o) => o.results[0]?.rows ?? [],
  );

// Floe's v3 table (first describe); Spark reads it in the second's session (one JVM start less).
const namespace = uniqueName("dv");
const expected = ["a0", "a2", "a3", "a5", "b1", "b2"];

describe("deletion vectors written by Floe (v3 table through the REST catalog)", () => {
  let table: Table;
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    duck = await openDuckDB();
    const catalog = new RestCatalog({ uri: stackEnv().FLOE_REST_URI });
    await catalog.createNamespace([namespace]);
    const io = stackFileIO();
    const created = await catalog.createTable([namespace], {
      name: "people",
      schema,
      properties: { "format-version": "3" },
    });
    table = new Table(catalog, created, io);
    const appendA = await table
      .newAppend()
      .appendRows([0, 1, 2, 3, 4, 5].map((i) => ({ id: BigInt(i), name: `a${i}` })));
    await appendA.commit();
    const appendB = await table
      .newAppend()
      .appendRows([0, 1, 2].map((i) => ({ id: BigInt(10 + i), name: `b${i}` })));
    await appendB.commit();
    const a = appendA.dataFiles[0]?.file_path ?? "";
    const b = appendB.dataFiles[0]?.file_path ?? "";
    const opts = { io, location: table.metadata.location };
    // One Puffin file with a vector for each data file ...
    const first = await writeDeletionVectors(
      opts,
      new Map([
        [a, { positions: [1], partition: {} }],
        [b, { positions: [0], partition: {} }],
      ]),
    );
    await table.newRowDelta().addDeleteFiles(first).requireDataFiles([a, b]).commit();
    // ... then a second vector for file a replaces the first (merged), file b's stays.
    const previous = (await liveDeletionVectors(io, currentSnapshot(table.metadata))).get(a);
    const second = await writeDeletionVectors(
      opts,
      new Map([[a, { positions: [4], partition: {}, previous }]]),
    );
    await table
      .newRowDelta()
      .addDeleteFiles(second)
      .removeDeleteFiles(previous ? [previous] : [])
      .requireDataFiles([a])
      .commit();
  });
  afterAll(() => duck?.close());

  it("commits v3 snapshots with row lineage the REST server accepted, one live vector per data file", async () => {
    expect(table.metadata["format-version"]).toBe(3);
    expect(table.metadata["next-row-id"]).toBe(9n);
    const live = await liveEntries(table.io, currentSnapshot(table.metadata));
    const dvs = live.filter((e) => isDeletionVector(e.data_file));
    expect(dvs.map((e) => e.data_file.record_count).sort()).toEqual([1n, 2n]);
    expect(
      live
        .filter((e) => e.data_file.content === 0)
        .map((e) => e.data_file.first_row_id)
        .sort(),
    ).toEqual([0n, 6n]);
  });

  it("DuckDB 1.4.4 applies the deletion vectors (iceberg_scan and ATTACH to the REST catalog)", async () => {
    const scan = await query(
      duck.conn,
      `SELECT name FROM iceberg_scan('${table.metadataLocation}') ORDER BY name`,
    );
    expect(scan.map((r) => r.name)).toEqual(expected);
    await duck.conn.run(
      `ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${stackEnv().FLOE_REST_URI}', AUTHORIZATION_TYPE 'none')`,
    );
    const attached = await query(duck.conn, `SELECT name FROM lake.${namespace}.people ORDER BY name`);
    expect(attached.map((r) => r.name)).toEqual(expected);
  });

  it("PyIceberg 0.12 (the stack pin, checked in stack/readers.test.ts) applies the deletion vectors", async () => {
    const out = await runPython<{ rows: { name: string }[] }>("read_pyiceberg.py", [table.metadataLocation]);
    expect(out.rows.map((r) => r.name).sort()).toEqual(expected);
  });
});

describe("deletion vectors written by Spark, compacted by Floe", () => {
  it("Spark 4.0 (Iceberg 1.10) reads Floe's vectors; Floe applies Spark's when compacting; every reader agrees before and after", async () => {
    const wh = await freshWarehouse("local");
    const env = { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse };
    const tableProps =
      "'format-version'='3', 'write.delete.mode'='merge-on-read', 'write.update.mode'='merge-on-read'";
    const sql = "SELECT count(*) AS n, sum(id) AS s, count_if(name = 'updated') AS u FROM local.db.t";
    // One Spark session writes the table and reads it back (each session takes a while to start).
    const written = await runPython<SparkOut>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT name FROM rest.${namespace}.people ORDER BY name` },
          { sql: "CREATE NAMESPACE IF NOT EXISTS local.db" },
          {
            sql: `CREATE TABLE local.db.t (id bigint, name string) USING iceberg TBLPROPERTIES (${tableProps})`,
          },
          { sql: "INSERT INTO local.db.t SELECT id, concat('n', id) FROM range(0, 5000)" },
          { sql: "INSERT INTO local.db.t SELECT id, concat('n', id) FROM range(5000, 6000)" },
          { sql: "DELETE FROM local.db.t WHERE id % 7 = 0" },
          // A second delete on the same files: Spark replaces each file's vector with a merged one.
          { sql: "DELETE FROM local.db.t WHERE id BETWEEN 1000 AND 3999" },
          { sql: "UPDATE local.db.t SET name = 'updated' WHERE id = 5001" },
          { sql },
        ]),
      ],
      { env },
    );
    expect(written.results[0]?.rows.map((r) => r.name)).toEqual(expected);
    const sparkBefore = written.results.at(-1)?.rows ?? [];
    const expectedCount = (() => {
      let n = 0;
      for (let id = 0; id < 6000; id++) if (id % 7 !== 0 && (id < 1000 || id > 3999)) n++;
      return n;
    })();
    const table = new Table(wh.catalog, await wh.catalog.loadTable({ namespace: ["db"], name: "t" }), wh.io);
    expect(table.metadata["format-version"]).toBe(3);
    const before = await liveEntries(wh.io, currentSnapshot(table.metadata));
    expect(before.some((e) => isDeletionVector(e.data_file))).toBe(true);

    // DuckDB and PyIceberg read Spark's vectors too.
    const duck = await openDuckDB();
    const duckSql = `SELECT count(*) AS n, sum(id) AS s, count_if(name = 'updated') AS u FROM iceberg_scan('${table.metadataLocation}')`;
    try {
      const rows = await query(duck.conn, duckSql);
      expect(Number(rows[0]?.n)).toBe(expectedCount);
      const py = await runPython<{ rows: unknown[] }>("read_pyiceberg.py", [table.metadataLocation]);
      expect(py.rows).toHaveLength(expectedCount);
    } finally {
      duck.close();
    }

    const result = await compactTable(table, { targetFileSizeBytes: 64 << 20, deleteFileThreshold: 1 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("ok");
    await table.refresh();
    const after = await liveEntries(wh.io, currentSnapshot(table.metadata));
    // Every data file that had a vector was rewritten with its deletes applied.
    const dataAfter = new Set(
      after.filter((e) => e.data_file.content === 0).map((e) => e.data_file.file_path),
    );
    for (const e of before.filter((x) => isDeletionVector(x.data_file))) {
      expect(dataAfter.has(e.data_file.referenced_data_file ?? "")).toBe(false);
    }
    expect(table.metadata.snapshots.at(-1)?.summary["total-records"]).toBe(String(expectedCount));

    const sparkAfter = await sparkRows(sql, env);
    expect(sparkAfter).toEqual(sparkBefore);
    expect(Number(sparkAfter[0]?.n)).toBe(expectedCount);
    const duckAfter = await openDuckDB();
    try {
      const rows = await query(
        duckAfter.conn,
        duckSql.replace(/iceberg_scan\('[^']*'\)/, `iceberg_scan('${table.metadataLocation}')`),
      );
      expect(Number(rows[0]?.n)).toBe(expectedCount);
      expect(String(rows[0]?.s)).toBe(String(sparkBefore[0]?.s));
      expect(Number(rows[0]?.u)).toBe(1);
    } finally {
      duckAfter.close();
    }
  }, 360_000);
});
