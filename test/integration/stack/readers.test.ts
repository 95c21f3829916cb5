import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";

// The verifier chain later suites rely on: PyIceberg writes a table through the REST server onto S3,
// then DuckDB (Node, extensions loaded from file) and Spark read it back.

/** The PyIceberg version scripts/stack-lib/python/requirements.txt pins (`pyiceberg[...]==X`). */
function pinnedPyIceberg(): string {
  const requirements = resolve(import.meta.dirname, "../../../scripts/stack-lib/python/requirements.txt");
  const pin = /^pyiceberg(?:\[[^\]]*\])?==(\S+)$/m.exec(readFileSync(requirements, "utf8"))?.[1];
  if (pin === undefined) throw new Error(`no pyiceberg==X pin in ${requirements}`);
  return pin;
}

describe("stack: readers (PyIceberg, DuckDB in Node, Spark)", () => {
  const namespace = uniqueName("smoke");
  const table = "people";
  let metadataLocation = "";
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    duck = await openDuckDB();
  });
  afterAll(() => duck?.close());

  it("imports the pinned pyiceberg (0.12) in the verifier env and writes a table through the REST catalog", async () => {
    const out = await runPython<{ version: string; rows: unknown[]; metadata_location: string }>(
      "smoke_pyiceberg.py",
      [namespace, table],
    );
    // The venv holds exactly the pinned version (a stale venv fails here, not silently), and the pin is
    // the 0.12 line that issue 17 and the README's reader matrix name: a pin change must update both.
    expect(out.version).toBe(pinnedPyIceberg());
    expect(out.version).toMatch(/^0\.12\./);
    expect(out.rows).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: null },
    ]);
    expect(out.metadata_location).toMatch(/^s3:\/\/warehouse\/rest\//);
    metadataLocation = out.metadata_location;
  });

  it("loads DuckDB's iceberg, httpfs and avro extensions from file in Node", async () => {
    const rows = await query(
      duck.conn,
      "SELECT extension_name AS name FROM duckdb_extensions() WHERE loaded AND extension_name IN ('iceberg','httpfs','avro') ORDER BY 1",
    );
    expect(rows.map((r) => r.name)).toEqual(["avro", "httpfs", "iceberg"]);
    const version = await query(duck.conn, "SELECT version() AS v");
    expect(version[0]?.v).toBe("v1.4.4");
    expect(stackEnv().FLOE_DUCKDB_EXTENSION_DIR).toContain(join("v1.4.4", "linux_amd64"));
  });

  it("DuckDB reads the table with iceberg_scan over S3 and through the REST catalog", async () => {
    expect(metadataLocation).not.toBe("");
    const scanned = await query(
      duck.conn,
      `SELECT id, name FROM iceberg_scan('${metadataLocation}') ORDER BY id`,
    );
    expect(scanned).toEqual([
      { id: 1n, name: "a" },
      { id: 2n, name: "b" },
      { id: 3n, name: null },
    ]);
    await duck.conn.run(
      `ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '${stackEnv().FLOE_REST_URI}', AUTHORIZATION_TYPE 'none')`,
    );
    const viaCatalog = await query(duck.conn, `SELECT count(*) AS n FROM lake.${namespace}.${table}`);
    expect(viaCatalog[0]?.n).toBe(3n);
  });

  it("Spark with the Iceberg runtime reads the table through the REST catalog", async () => {
    const out = await runPython<{ spark: string; rows: unknown[] }>("smoke_spark.py", [namespace, table]);
    expect(out.spark).toMatch(/^4\.0\./);
    expect(out.rows).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
      { id: 3, name: null },
    ]);
  });
});
