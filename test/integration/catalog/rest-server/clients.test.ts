import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../../src/catalog/index.js";
import {
  type RestCatalogServer,
  type S3ClientSettings,
  s3TableConfig,
  startRestCatalogServer,
} from "../../../../src/catalog/rest-server/index.js";
import type { FileIO } from "../../../../src/iceberg/io/index.js";
import { readManifestEntries, readManifestList } from "../../../../src/iceberg/snapshot/index.js";
import { currentSnapshot, makeSchema } from "../../../../src/iceberg/spec/index.js";
import { DUCKDB_EXTENSIONS, openDuckDB, query } from "../../../support/duckdb.js";
import { runPython } from "../../../support/python.js";
import { stackEnv } from "../../../support/stack.js";
import { freshWarehouse } from "../../../support/warehouse.js";

// Floe's REST catalog server in front of an embedded catalog on the stack's S3 store, driven by real
// clients: DuckDB (ATTACH ... TYPE iceberg), PyIceberg's RestCatalog and Spark's REST catalog. The
// clients get no S3 settings of their own except DuckDB's usual secret: the server hands the
// endpoint and keys out per table (`tableConfig`), as the LoadTableResult `config` the spec defines.

const WAREHOUSE = "floe";
const TOKEN = `floe-${randomBytes(16).toString("hex")}`;

interface PyRead {
  namespaces: string[][];
  tables: string[][];
  exists: boolean;
  metadata_location: string;
  snapshot_id: string | null;
  format_version: number;
  rows: { id: string; name: string | null }[];
}

function stackS3(): S3ClientSettings {
  const env = stackEnv();
  return {
    endpoint: env.FLOE_S3_ENDPOINT,
    region: env.FLOE_S3_REGION,
    credentials: { accessKeyId: env.FLOE_S3_ACCESS_KEY_ID, secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY },
  };
}

describe("rest-server: DuckDB, PyIceberg and Spark against Floe's REST catalog", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let open: RestCatalogServer;
  let authed: RestCatalogServer;
  let ordersSnapshot = "";
  const logs: string[] = [];

  beforeAll(async () => {
    wh = await freshWarehouse("s3");
    await wh.catalog.createNamespace(["sales"], { owner: "floe" });
    await wh.catalog.createNamespace(["sales", "eu"]);
    const schema = makeSchema([
      { id: 1, name: "id", type: "long", required: true },
      { id: 2, name: "name", type: "string", required: false },
    ]);
    const orders = new Table(
      wh.catalog,
      await wh.catalog.createTable(["sales"], { name: "orders", schema }),
      wh.io,
    );
    const result = await (
      await orders.newAppend().appendRows([
        { id: 1n, name: "apple" },
        { id: 2n, name: "pear" },
        { id: 3n, name: null },
      ])
    ).commit();
    ordersSnapshot = String(result.snapshot?.["snapshot-id"]);
    const nested = new Table(
      wh.catalog,
      await wh.catalog.createTable(["sales", "eu"], { name: "returns", schema }),
      wh.io,
    );
    await (await nested.newAppend().appendRows([{ id: 10n, name: "ten" }])).commit();

    const base = {
      catalog: wh.catalog,
      port: 0,
      warehouse: WAREHOUSE,
      tableConfig: s3TableConfig(stackS3()),
    };
    open = await startRestCatalogServer(base);
    const { createLogger } = await import("../../../../src/log.js");
    authed = await startRestCatalogServer({
      ...base,
      token: TOKEN,
      prefix: "lake",
      logger: createLogger({ level: "debug", write: (l) => logs.push(l) }),
    });
  });

  afterAll(async () => {
    await open?.close();
    await authed?.close();
  });

  it("DuckDB attaches without auth and reads S3 with the credentials the server vends", async () => {
    // No S3 secret in this DuckDB: it turns the table `config` into a scoped S3 secret itself.
    const env = stackEnv();
    const db = await DuckDBInstance.create(":memory:", {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    const conn = await db.connect();
    try {
      for (const ext of DUCKDB_EXTENSIONS) {
        await conn.run(`LOAD '${join(env.FLOE_DUCKDB_EXTENSION_DIR, `${ext}.duckdb_extension`)}'`);
      }
      await conn.run(
        `ATTACH '${WAREHOUSE}' AS floe (TYPE iceberg, ENDPOINT '${open.url}', AUTHORIZATION_TYPE 'none')`,
      );
      const tables = await query(
        conn,
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'floe' ORDER BY ALL",
      );
      // DuckDB 1.4 lists top-level namespaces only; nested ones are reachable by name.
      expect(tables).toEqual([{ schema_name: "sales", table_name: "orders" }]);
      expect(await query(conn, "SELECT id, name FROM floe.sales.orders ORDER BY id")).toEqual([
        { id: 1n, name: "apple" },
        { id: 2n, name: "pear" },
        { id: 3n, name: null },
      ]);
      expect(await query(conn, 'SELECT id FROM floe."sales.eu".returns')).toEqual([{ id: 10n }]);
      const secrets = await query(conn, "SELECT type, provider FROM duckdb_secrets()");
      expect(secrets).toContainEqual({ type: "s3", provider: "config" });
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it("DuckDB attaches with a bearer token and a prefix, and gets 401 without the token", async () => {
    const duck = await openDuckDB();
    try {
      await expect(
        duck.conn.run(
          `ATTACH '${WAREHOUSE}' AS nope (TYPE iceberg, ENDPOINT '${authed.url}', AUTHORIZATION_TYPE 'none')`,
        ),
      ).rejects.toThrow(/401|Unauthorized/);
      await duck.conn.run(
        `ATTACH '${WAREHOUSE}' AS direct (TYPE iceberg, ENDPOINT '${authed.url}', TOKEN '${TOKEN}')`,
      );
      expect(await query(duck.conn, "SELECT count(*) AS n FROM direct.sales.orders")).toEqual([{ n: 3n }]);
      await duck.conn.run(`CREATE SECRET floe_rest (TYPE iceberg, TOKEN '${TOKEN}')`);
      await duck.conn.run(
        `ATTACH '${WAREHOUSE}' AS viasecret (TYPE iceberg, ENDPOINT '${authed.url}', SECRET floe_rest)`,
      );
      const rows = await query(duck.conn, "SELECT count(*) AS n, sum(id) AS s FROM viasecret.sales.orders");
      expect(rows).toEqual([{ n: 3n, s: 6n }]);
    } finally {
      duck.close();
    }
    expect(logs.some((l) => l.includes('"status":401'))).toBe(true);
    for (const line of logs) expect(line).not.toContain(TOKEN);
  });

  it("PyIceberg's RestCatalog lists, loads and scans with a token; S3 settings come from the server", async () => {
    const out = await runPython<PyRead>("rest_server_clients.py", [
      "pyiceberg-read",
      authed.url,
      WAREHOUSE,
      TOKEN,
      "sales",
      "orders",
    ]);
    expect(out.namespaces).toEqual([["sales"]]);
    expect(out.tables).toEqual([["sales", "orders"]]);
    expect(out.exists).toBe(true);
    expect(out.snapshot_id).toBe(ordersSnapshot);
    expect(out.metadata_location).toBe(`${wh.warehouse}/sales/orders/metadata/v2.metadata.json`);
    expect(out.rows).toEqual([
      { id: "1", name: "apple" },
      { id: "2", name: "pear" },
      { id: "3", name: null },
    ]);
  });

  it("PyIceberg creates and appends a table that Floe then reads and appends to", async () => {
    const written = await runPython<{ snapshot_id: string; rows: unknown[] }>("rest_server_clients.py", [
      "pyiceberg-write",
      open.url,
      WAREHOUSE,
      "-",
      "crm",
      "contacts",
    ]);
    expect(written.rows).toHaveLength(3);

    const loaded = await wh.catalog.loadTable({ namespace: ["crm"], name: "contacts" });
    const snap = currentSnapshot(loaded.metadata);
    expect(String(snap?.["snapshot-id"])).toBe(written.snapshot_id);
    let records = 0n;
    for (const manifest of await readManifestList(wh.io, snap)) {
      for (const entry of await readManifestEntries(wh.io, manifest)) records += entry.data_file.record_count;
    }
    expect(records).toBe(3n);

    const table = new Table(wh.catalog, loaded, wh.io);
    await (
      await table.newAppend().appendRows([
        { id: 4n, name: "four" },
        { id: 5n, name: "five" },
      ])
    ).commit();
    const again = await runPython<PyRead>("rest_server_clients.py", [
      "pyiceberg-read",
      open.url,
      WAREHOUSE,
      "-",
      "crm",
      "contacts",
    ]);
    expect(again.rows.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("Spark's REST catalog reads Floe's and PyIceberg's tables and commits its own, with a token", async () => {
    const out = await runPython<{ spark: string; results: Record<string, unknown>[][] }>(
      "rest_server_clients.py",
      [
        "spark-read",
        authed.url,
        WAREHOUSE,
        TOKEN,
        "SELECT id, name FROM floe.sales.orders ORDER BY id",
        "SELECT count(*) AS n FROM floe.crm.contacts",
        "SELECT id FROM floe.sales.eu.returns",
        "SHOW TABLES IN floe.sales",
        "SHOW NAMESPACES IN floe",
        "CREATE TABLE floe.sales.spark_made (id bigint, label string) USING iceberg",
        "INSERT INTO floe.sales.spark_made VALUES (1, 'x'), (2, 'y')",
        "INSERT INTO floe.sales.orders VALUES (4, 'plum')",
        "SELECT count(*) AS n FROM floe.sales.orders",
      ],
    );
    expect(out.spark).toMatch(/^4\.0\./);
    expect(out.results[0]).toEqual([
      { id: "1", name: "apple" },
      { id: "2", name: "pear" },
      { id: "3", name: null },
    ]);
    expect(out.results[1]).toEqual([{ n: "5" }]);
    expect(out.results[2]).toEqual([{ id: "10" }]);
    expect(out.results[3]).toContainEqual({ namespace: "sales", tableName: "orders", isTemporary: false });
    expect(out.results[4]).toEqual([{ namespace: "crm" }, { namespace: "sales" }]);
    expect(out.results[8]).toEqual([{ n: "4" }]);

    // What Spark committed through the server is there for Floe.
    const made = await wh.catalog.loadTable({ namespace: ["sales"], name: "spark_made" });
    expect(currentSnapshot(made.metadata)?.summary["total-records"]).toBe("2");
    const orders = await wh.catalog.loadTable({ namespace: ["sales"], name: "orders" });
    expect(orders.metadata.snapshots).toHaveLength(2);
    expect(currentSnapshot(orders.metadata)?.summary["total-records"]).toBe("4");
  });

  it("PyIceberg drops the table and the namespace through the server", async () => {
    const out = await runPython<{ missing_after_drop: boolean; namespaces: string[][] }>(
      "rest_server_clients.py",
      ["pyiceberg-drop", open.url, WAREHOUSE, "-", "crm", "contacts"],
    );
    expect(out.missing_after_drop).toBe(true);
    expect(out.namespaces).toEqual([["sales"]]);
    expect(await wh.catalog.tableExists({ namespace: ["crm"], name: "contacts" })).toBe(false);
  });
});
