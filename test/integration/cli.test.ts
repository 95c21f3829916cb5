import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Table } from "../../src/catalog/index.js";
import { main } from "../../src/cli.js";
import { makeSchema } from "../../src/iceberg/spec/index.js";
import { stackEnv } from "../support/stack.js";
import { freshWarehouse } from "../support/warehouse.js";

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

describe("floe tables / describe / query", () => {
  it("shows the catalog's tables, a table's layout and offsets, and runs SQL over them", async () => {
    const wh = await freshWarehouse("local");
    await wh.catalog.createNamespace(["shop"]);
    const schema = makeSchema([
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "item", required: false, type: "string" },
    ]);
    const table = new Table(
      wh.catalog,
      await wh.catalog.createTable(["shop"], { name: "orders", schema }),
      wh.io,
    );
    await (
      await table.newAppend().appendRows([
        { id: 1n, item: "tea" },
        { id: 2n, item: "cake" },
      ])
    ).commit({
      summary: { "floe.offsets.g1": '{"orders":{"0":"2"}}' },
    });
    const config = join(fileURLToPath(wh.warehouse), "floe.yaml");
    await writeFile(config, `warehouse:\n  location: "${wh.warehouse}"\n`);
    const env = { FLOE_DUCKDB_EXTENSION_DIR: stackEnv().FLOE_DUCKDB_EXTENSION_DIR };

    const tables = await cli(env, "tables", "--config", config);
    expect(tables.code).toBe(0);
    expect(tables.out).toMatch(/shop\.orders\s+1\s+2\s+1\s/);

    const described = await cli(env, "describe", "shop.orders", "--config", config);
    expect(described.code).toBe(0);
    expect(described.out).toContain("1  id (required): long");
    expect(described.out).toMatch(/g1\s+orders\s+0\s+2/);
    expect(described.out).toContain("partition spec 0: unpartitioned");

    const q = await cli(
      env,
      "query",
      "SELECT string_agg(item, ',' ORDER BY id) AS items FROM shop.orders",
      "--config",
      config,
    );
    expect(q.code).toBe(0);
    expect(q.out).toContain("tea,cake");

    const missing = await cli(env, "describe", "shop.nope", "--config", config);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("shop.nope does not exist");

    // Four more small appends, then floe compact merges the five files into one; maintain runs clean.
    for (let i = 3; i < 7; i++)
      await (await table.newAppend().appendRows([{ id: BigInt(i), item: `x${i}` }])).commit();
    const plan = await cli(env, "compact", "--config", config, "--dry-run");
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(/shop\.orders: ok \(dry run\), files 5 -> 5/); // nothing written
    const compacted = await cli(env, "compact", "--config", config, "--table", "shop.orders");
    expect(compacted.code).toBe(0);
    expect(compacted.out).toMatch(/shop\.orders: ok, files 5 -> 1/);
    const after = await cli(
      env,
      "query",
      "SELECT count(*) AS n, count(DISTINCT id) AS d FROM shop.orders",
      "--config",
      config,
    );
    expect(after.out).toMatch(/6\s+6/);
    const maintained = await cli(env, "maintain", "--config", config);
    expect(maintained.code).toBe(0);
    expect(maintained.out).toContain("maintenance ok");
  });

  it("query creates views only for the tables it names: a broken table fails only the queries on it", async () => {
    const wh = await freshWarehouse("local");
    await wh.catalog.createNamespace(["shop"]);
    const schema = makeSchema([
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "item", required: false, type: "string" },
    ]);
    const append = async (name: string, rows: { id: bigint; item: string }[]) => {
      const table = new Table(wh.catalog, await wh.catalog.createTable(["shop"], { name, schema }), wh.io);
      const op = await table.newAppend().appendRows(rows);
      await op.commit();
      return op.dataFiles;
    };
    await append("orders", [{ id: 1n, item: "tea" }]);
    await append('we"ird', [{ id: 2n, item: "odd" }]);
    const lost = await append("lost", [{ id: 3n, item: "gone" }]);
    for (const f of lost) await rm(fileURLToPath(f.file_path));
    const config = join(fileURLToPath(wh.warehouse), "floe.yaml");
    await writeFile(config, `warehouse:\n  location: "${wh.warehouse}"\n`);
    const env = { FLOE_DUCKDB_EXTENSION_DIR: stackEnv().FLOE_DUCKDB_EXTENSION_DIR };

    const good = await cli(env, "query", "SELECT item FROM shop.orders", "--config", config);
    expect(good.err).toBe("");
    expect(good.code).toBe(0);
    expect(good.out).toContain("tea");
    // A join, a subquery and a CTE name the same table: still only its view is needed.
    const nested = await cli(
      env,
      "query",
      "WITH o AS (SELECT * FROM shop.orders) SELECT count(*) AS n FROM o JOIN (SELECT id FROM shop.orders) p USING (id)",
      "--config",
      config,
    );
    expect(nested.code).toBe(0);
    expect(nested.out).toMatch(/n\s*\n-+\s*\n1\s*$/);

    const missingFile = await cli(env, "query", "SELECT count(*) FROM shop.lost", "--config", config);
    expect(missingFile.code).toBe(1);
    expect(missingFile.err).toContain("shop.lost");
    expect(missingFile.err).not.toMatch(/\n\s+at /); // no stack trace

    const quoted = await cli(env, "query", 'SELECT * FROM shop."we""ird"', "--config", config);
    // Listing the catalog makes every view it can, and names the tables it skipped.
    const listed = await cli(
      env,
      "query",
      "SELECT name FROM (SHOW ALL TABLES) ORDER BY name",
      "--config",
      config,
    );
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^lost$/m); // its metadata is fine: only scans fail
    expect(listed.out).toMatch(/^orders$/m);
    expect(listed.err).toContain('floe query: skipped table shop.we"ird cannot be read');

    // DuckDB 1.4 cannot scan a metadata path with '"' in it: the error names the table, on one line.
    expect(quoted.code).toBe(1);
    expect(quoted.err).toMatch(/^floe query: table shop\.we"ird cannot be read: [^\n]+\n$/);
  });

  it("an unreachable broker ends floe run with one line naming the error, no stack trace", async () => {
    const wh = await freshWarehouse("local");
    const config = join(fileURLToPath(wh.warehouse), "floe.yaml");
    await writeFile(
      config,
      [
        "kafka:",
        '  brokers: ["127.0.0.1:1"]',
        "warehouse:",
        `  location: "${wh.warehouse}"`,
        "tables:",
        "  - topics: [nowhere]",
        "    table: db.nowhere",
        "http:",
        "  port: 0",
        "",
      ].join("\n"),
    );
    const r = await cli({}, "run", "--config", config);
    expect(r.code).toBe(1);
    const last = r.err.trimEnd().split("\n").at(-1) ?? "";
    expect(last).toMatch(/^floe run: .*ECONNREFUSED 127\.0\.0\.1:1/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace lines
    expect(r.err).not.toContain("node_modules");
  }, 120_000);
});
