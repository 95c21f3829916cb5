import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GlueCatalog } from "../../../../src/catalog/glue/index.js";
import { Table } from "../../../../src/catalog/index.js";
import { currentSchema } from "../../../../src/iceberg/spec/index.js";
import { canonRows } from "../../../support/canon.js";
import { allTypesRows, allTypesSchema } from "../../../support/fixtures.js";
import { runPython } from "../../../support/python.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";
import { stackFileIO } from "../../../support/warehouse.js";

interface Scan {
  rows: Record<string, unknown>[];
  metadata_location: string;
  location: string;
  snapshots: { id: string; operation: string | null }[];
  iceberg_types: Record<string, string>;
  tables: string[];
}

// Floe's GlueCatalog and PyIceberg's GlueCatalog share one moto Glue and one S3 warehouse: each loads,
// scans and appends to tables the other created.
describe("Glue interop with PyIceberg", () => {
  const env = stackEnv();
  const io = stackFileIO();
  const catalog = new GlueCatalog({
    region: env.FLOE_GLUE_REGION,
    endpoint: env.FLOE_GLUE_ENDPOINT,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    io,
  });
  const db = uniqueName("floe_interop");

  beforeAll(async () => {
    await catalog.createNamespace([db], {
      location: `s3://${env.FLOE_S3_BUCKET}/${uniqueName("glue_interop")}/${db}`,
    });
  });
  afterAll(async () => {
    for (const t of await catalog.listTables([db])) await catalog.dropTable(t, { purge: true });
    await catalog.dropNamespace([db]);
    catalog.close();
  });

  it("PyIceberg loads and scans a table Floe created and appended to", async () => {
    const rows = allTypesRows();
    const created = await catalog.createTable([db], { name: "from_floe", schema: allTypesSchema() });
    const table = new Table(catalog, created, io);
    await (await table.newAppend().appendRows(rows)).commit();
    await (await table.newAppend().appendRows(rows.slice(1))).commit();

    const out = await runPython<Scan>("glue_pyiceberg.py", ["scan", db, "from_floe"]);
    expect(out.metadata_location).toBe(table.metadataLocation);
    expect(out.location).toBe(table.metadata.location);
    expect(out.tables).toContain(`${db}.from_floe`);
    expect(out.snapshots.map((s) => s.operation)).toEqual(["append", "append"]);
    expect(out.snapshots.map((s) => s.id)).toEqual(
      table.metadata.snapshots.map((s) => String(s["snapshot-id"])),
    );
    const schema = currentSchema(table.metadata);
    expect(canonRows(schema, out.rows)).toEqual(canonRows(schema, [...rows, ...rows.slice(1)]));
    expect(out.iceberg_types).toMatchObject({ dec38: "decimal(38, 10)", tstz: "timestamptz", u: "uuid" });
  });

  it("Floe appends to a table PyIceberg created and appended to; PyIceberg sees both appends and can append again", async () => {
    const made = await runPython<{ metadata_location: string; location: string }>("glue_pyiceberg.py", [
      "create_append",
      db,
      "from_py",
    ]);
    const id = { namespace: [db], name: "from_py" };
    expect(await catalog.listTables([db])).toContainEqual(id);
    const loaded = await catalog.loadTable(id);
    expect(loaded.metadataLocation).toBe(made.metadata_location);
    expect(loaded.metadata.location).toBe(made.location);
    expect(loaded.metadata.snapshots).toHaveLength(1);

    const table = new Table(catalog, loaded, io);
    const floeRows = [
      { id: 3n, name: "floe-three", amount: 99999n, ts: 1_714_564_800_000_000n, tags: ["x"] },
      { id: 4n, name: "floe-four", amount: null, ts: null, tags: null },
    ];
    const result = await (await table.newAppend().appendRows(floeRows)).commit();
    expect(result.committed).toBe(true);
    // PyIceberg's first file is 00000 and its append 00001; ours continues the sequence.
    expect(table.metadataLocation).toMatch(/\/metadata\/00002-[0-9a-f-]{36}\.metadata\.json$/);

    const seen = await runPython<Scan>("glue_pyiceberg.py", ["scan", db, "from_py"]);
    expect(seen.metadata_location).toBe(table.metadataLocation);
    expect(seen.snapshots).toHaveLength(2);
    const schema = currentSchema(table.metadata);
    const pyRows = [
      { id: 1n, name: "py-one", amount: 1234n, ts: 1_714_564_800_000_000n, tags: ["a", "b"] },
      { id: 2n, name: null, amount: null, ts: null, tags: [] },
    ];
    expect(seen.rows).toHaveLength(4);
    expect(canonRows(schema, seen.rows)).toEqual(canonRows(schema, [...pyRows, ...floeRows]));

    // PyIceberg commits on top of Floe's Glue update (its VersionId and parameters), and Floe sees it.
    await runPython("glue_pyiceberg.py", ["append", db, "from_py", "5", "py-five"]);
    const after = await catalog.loadTable(id);
    expect(after.metadata.snapshots).toHaveLength(3);
    expect(after.metadata["metadata-log"].map((e) => e["metadata-file"])).toContain(table.metadataLocation);
    expect(after.metadata.snapshots.at(-1)?.summary["total-records"]).toBe("5");
  });
});
