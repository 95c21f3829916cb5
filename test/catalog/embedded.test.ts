import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { isFloeError } from "../../src/errors.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import {
  COMMIT_MAX_RETRY_WAIT_MS,
  COMMIT_MIN_RETRY_WAIT_MS,
  COMMIT_NUM_RETRIES,
  makeSchema,
} from "../../src/iceberg/spec/index.js";

const schema = makeSchema([{ id: 1, name: "id", required: true, type: "long" }]);
const id = { namespace: ["db"], name: "t" };

async function setup() {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  await catalog.createNamespace(["db"], { owner: "floe" });
  return { io, catalog };
}

describe("embedded catalog", () => {
  it("manages namespaces and tables with clear errors", async () => {
    const { catalog } = await setup();
    expect(await catalog.listNamespaces()).toEqual([["db"]]);
    expect(await catalog.loadNamespaceProperties(["db"])).toMatchObject({ owner: "floe" });
    await expect(catalog.createNamespace(["db"])).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(catalog.createNamespace(["db", "../x"])).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await catalog.createTable(["db"], { name: "t", schema });
    await expect(catalog.createTable(["db"], { name: "t", schema })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
    await expect(catalog.createTable(["nope"], { name: "t", schema })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await catalog.listTables(["db"])).toEqual([id]);
    await expect(catalog.dropNamespace(["db"])).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await catalog.dropTable(id);
    expect(await catalog.tableExists(id)).toBe(false);
    await expect(catalog.loadTable(id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await catalog.dropNamespace(["db"]);
    expect(await catalog.listNamespaces()).toEqual([]);
  });

  it("finds committed versions past a stale or missing version hint", async () => {
    const { io, catalog } = await setup();
    const table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema }), io);
    await (await table.newAppend().appendRows([{ id: 1n }])).commit();
    await (await table.newAppend().appendRows([{ id: 2n }])).commit();
    await io.write("memory://wh/db/t/metadata/version-hint.text", new TextEncoder().encode("1\n"));
    expect((await catalog.loadTable(id)).metadataLocation).toBe("memory://wh/db/t/metadata/v3.metadata.json");
    await io.delete("memory://wh/db/t/metadata/version-hint.text");
    expect((await catalog.loadTable(id)).metadata.snapshots).toHaveLength(2);
    // Early versions cleaned up and no hint: the newest version is found by listing.
    await io.delete("memory://wh/db/t/metadata/v1.metadata.json");
    expect((await catalog.loadTable(id)).metadataLocation).toBe("memory://wh/db/t/metadata/v3.metadata.json");
    expect(await catalog.listTables(["db"])).toEqual([id]);
  });

  it("lets exactly one of two writers on the same base win a version", async () => {
    const { io, catalog } = await setup();
    await catalog.createTable(["db"], { name: "t", schema });
    const base = await catalog.loadTable(id);
    const update = (k: string) => [{ action: "set-properties" as const, updates: { [k]: "1" } }];
    const req = [{ type: "assert-table-uuid" as const, uuid: base.metadata["table-uuid"] ?? "" }];
    const results = await Promise.allSettled([
      catalog.commitTable(id, req, update("a")),
      catalog.commitTable(id, req, update("b")),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    // Both may also succeed in turn (the second reloads v2 first); never may both write v2.
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of lost)
      expect(isFloeError((r as PromiseRejectedResult).reason, "COMMIT_CONFLICT")).toBe(true);
    const final = await catalog.loadTable(id);
    expect(final.metadataLocation).toMatch(won.length === 2 ? /v3\.metadata\.json$/ : /v2\.metadata\.json$/);
    expect(Object.keys(final.metadata.properties).filter((k) => k === "a" || k === "b")).toHaveLength(
      won.length,
    );
    void io;
  });

  it("8 writers x 25 appends: every append lands once", async () => {
    const { io, catalog } = await setup();
    // Every append must land: a generous, quick retry budget in the table's commit.retry.* properties.
    const properties = {
      [COMMIT_NUM_RETRIES]: "99",
      [COMMIT_MIN_RETRY_WAIT_MS]: "5",
      [COMMIT_MAX_RETRY_WAIT_MS]: "500",
    };
    await catalog.createTable(["db"], { name: "t", schema, properties });
    let conflicts = 0;
    const tables = await Promise.all(
      Array.from({ length: 8 }, async () => new Table(catalog, await catalog.loadTable(id), io)),
    );
    // The first round starts all 8 commits together against the same base (Parquet encoding is
    // serialised on one thread, so free-running writers could otherwise end up taking turns); the other
    // rounds run free.
    const first = await Promise.all(
      tables.map((t, w) => t.newAppend().appendRows([{ id: BigInt(w * 100) }])),
    );
    for (const r of await Promise.all(first.map((op) => op.commit()))) {
      conflicts += r.conflicts;
    }
    await Promise.all(
      tables.map(async (table, w) => {
        for (let i = 1; i < 25; i++) {
          const op = await table.newAppend().appendRows([{ id: BigInt(w * 100 + i) }]);
          const r = await op.commit();
          conflicts += r.conflicts;
        }
      }),
    );
    const final = await catalog.loadTable(id);
    expect(final.metadata.snapshots).toHaveLength(200);
    expect(final.metadata.snapshots.at(-1)?.summary["total-records"]).toBe("200");
    expect(conflicts).toBeGreaterThan(0);
  });
});
