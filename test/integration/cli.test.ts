import { writeFile } from "node:fs/promises";
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
  });
});
