import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, loadTable, parseIdentifier } from "../../src/catalog/index.js";
import {
  acquireLease,
  compactAll,
  exitCodeOf,
  listAllTables,
  maintainAll,
} from "../../src/compaction/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema } from "../../src/iceberg/spec/index.js";
import { createLogger } from "../../src/log.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "s", required: false, type: "string" },
]);

async function setup() {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  await catalog.createNamespace(["a"]);
  await catalog.createNamespace(["a", "inner"]);
  await catalog.createNamespace(["b"]);
  for (const [ns, name] of [
    [["a"], "one"],
    [["a", "inner"], "two"],
    [["b"], "three"],
  ] as const) {
    await catalog.createTable([...ns], { name, schema });
    const table = await loadTable(catalog, { namespace: [...ns], name }, io);
    for (let i = 0; i < 4; i++) {
      await (await table.newAppend().appendRows([{ id: BigInt(i), s: `${name}-${i}` }])).commit();
    }
  }
  return { io, catalog };
}

describe("compaction jobs over a catalog", () => {
  it("lists every table of every namespace, nested ones included", async () => {
    const { catalog } = await setup();
    const names = (await listAllTables(catalog)).map((t) => [...t.namespace, t.name].join("."));
    expect(names.sort()).toEqual(["a.inner.two", "a.one", "b.three"]);
    const inA = (await listAllTables(catalog, ["a"])).map((t) => t.name);
    expect(inA.sort()).toEqual(["one", "two"]);
  });

  it("compacts every table, skips a leased one, logs progress and a summary, maps to an exit code", async () => {
    const { catalog, io } = await setup();
    const held = await acquireLease(io, "memory://wh/b/three", { owner: "someone-else" });
    expect(held.acquired).toBe(true);
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const batch = await compactAll(catalog, io, { targetFileSizeBytes: 1 << 20, logger });
    expect(batch.counts).toEqual({ ok: 2, partial: 0, failed: 0, locked: 1 });
    expect(batch.status).toBe("ok");
    expect(exitCodeOf(batch)).toBe(0);
    const byName = new Map(batch.tables.map((t) => [t.table, t]));
    expect(byName.get("a.one")?.filesAfter).toBe(1);
    expect(byName.get("a.inner.two")?.filesBefore).toBe(4);
    expect(byName.get("b.three")?.status).toBe("locked");
    const msgs = lines.map((l) => JSON.parse(l) as { msg: string; table?: string });
    expect(msgs.some((m) => m.msg === "compaction group committed" && m.table === "a.one")).toBe(true);
    expect(msgs.at(-1)?.msg).toBe("compaction summary");
  });

  it("runs maintenance on selected tables, in a dry run, writing nothing", async () => {
    const { catalog, io } = await setup();
    const paths = io.paths();
    const batch = await maintainAll(catalog, io, { tables: [parseIdentifier("a.one")], dryRun: true });
    expect(batch.tables.map((t) => t.table)).toEqual(["a.one"]);
    expect(batch.tables[0]?.status).toBe("ok");
    expect(batch.tables[0]?.manifests?.manifestsReplaced).toBe(4);
    expect(io.paths()).toEqual(paths);
  });

  it("reports a missing table as a failure", async () => {
    const { catalog, io } = await setup();
    const batch = await compactAll(catalog, io, {
      tables: [parseIdentifier("a.nope"), parseIdentifier("a.one")],
    });
    expect(batch.counts).toMatchObject({ ok: 1, failed: 1 });
    expect(batch.status).toBe("partial");
    expect(exitCodeOf(batch)).toBe(1);
    const only = await compactAll(catalog, io, { tables: [parseIdentifier("a.nope")] });
    expect(exitCodeOf(only)).toBe(2);
  });
});
