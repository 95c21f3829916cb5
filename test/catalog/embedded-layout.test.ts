/**
 * Issue 13, finding 4: in the embedded catalog no namespace or table lands inside another table's
 * directory, and purge deletes exactly the table's files. Warehouses of earlier versions that already
 * hold such collisions (built here by writing their files directly) keep working and lose nothing.
 */
import { describe, expect, it } from "vitest";
import {
  EmbeddedCatalog,
  NAMESPACE_MARKER,
  Table,
  type TableIdentifier,
  writeMetadataFile,
} from "../../src/catalog/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema, newTableMetadata } from "../../src/iceberg/spec/index.js";

const schema = makeSchema([{ id: 1, name: "id", required: true, type: "long" }]);
const WH = "memory://wh";

async function setup() {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: WH, io });
  return { io, catalog };
}

async function rows(catalog: EmbeddedCatalog, io: MemoryFileIO, id: TableIdentifier, n: bigint) {
  const t = new Table(catalog, await catalog.loadTable(id), io);
  await (await t.newAppend().appendRows([{ id: n }])).commit();
  return t;
}

/** A namespace marker as an earlier Floe wrote it, without any check. */
async function oldNamespace(io: MemoryFileIO, ns: string[]) {
  const body = new TextEncoder().encode(JSON.stringify({ namespace: ns, properties: {} }));
  await io.write(`${WH}/${ns.join("/")}/${NAMESPACE_MARKER}`, body);
}

/** A table as an earlier Floe created it at its Hadoop path, without any check. */
async function oldTable(io: MemoryFileIO, id: TableIdentifier) {
  const location = `${WH}/${[...id.namespace, id.name].join("/")}`;
  const md = newTableMetadata({
    location,
    uuid: crypto.randomUUID(),
    schema,
    properties: {},
    nowMs: Date.now(),
  });
  await writeMetadataFile(io, `${location}/metadata/v1.metadata.json`, md, true);
}

async function listAll(io: MemoryFileIO, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of io.list(prefix)) out.push(f.path);
  return out.sort();
}

describe("embedded catalog layout: namespaces and tables never collide", () => {
  it("refuses a namespace at or inside a table's directory (ns1.t1.metadata + table v2.metadata.json)", async () => {
    const { io, catalog } = await setup();
    await catalog.createNamespace(["ns1"]);
    await catalog.createTable(["ns1"], { name: "t1", schema });
    await expect(catalog.createNamespace(["ns1", "t1"])).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      message: "namespace ns1.t1 would lie at the directory of table ns1.t1",
    });
    // A warehouse where an earlier Floe already created namespace ns1.t1.
    await oldNamespace(io, ["ns1", "t1"]);
    await expect(catalog.createNamespace(["ns1", "t1", "metadata"])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: "namespace ns1.t1.metadata would lie inside the directory of table ns1.t1",
    });
    await expect(catalog.createTable(["ns1", "t1"], { name: "x", schema })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    // ns1.t1 keeps committing.
    await rows(catalog, io, { namespace: ["ns1"], name: "t1" }, 1n);
    await rows(catalog, io, { namespace: ["ns1"], name: "t1" }, 2n);
    expect((await catalog.loadTable({ namespace: ["ns1"], name: "t1" })).metadataLocation).toBe(
      `${WH}/ns1/t1/metadata/v3.metadata.json`,
    );
    expect(await listAll(io, `${WH}/ns1/t1/metadata/v2.metadata.json/`)).toEqual([]);
  });

  it("refuses a table at a namespace's directory or above one", async () => {
    const { catalog } = await setup();
    await catalog.createNamespace(["db"]);
    await catalog.createNamespace(["db", "events"]);
    await expect(catalog.createTable(["db"], { name: "events", schema })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
      message: "table db.events: its directory is namespace db.events",
    });
    await catalog.createNamespace(["db", "events", "data"]);
    await catalog.dropNamespace(["db", "events"]).catch(() => undefined);
    expect(await catalog.namespaceExists(["db", "events"])).toBe(true);
  });

  it("refuses namespace db.events.data while table db.events exists", async () => {
    const { catalog } = await setup();
    await catalog.createNamespace(["db"]);
    await catalog.createTable(["db"], { name: "events", schema });
    await expect(catalog.createNamespace(["db", "events"])).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await catalog.namespaceExists(["db", "events"])).toBe(false);
  });

  it("refuses a custom table location inside the warehouse, accepts one outside", async () => {
    const { catalog } = await setup();
    await catalog.createNamespace(["db"]);
    await catalog.createTable(["db"], { name: "events", schema });
    for (const location of [`${WH}/db/events/data/x`, `${WH}/other`, "memory://wh/./db2/t", WH]) {
      await expect(catalog.createTable(["db"], { name: "x", schema, location })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
    const t = await catalog.createTable(["db"], { name: "x", schema, location: "memory://elsewhere/x" });
    expect(t.metadata.location).toBe("memory://elsewhere/x");
    const d = await catalog.createTable(["db"], { name: "y", schema, location: `${WH}/db/y/` });
    expect(d.metadata.location).toBe(`${WH}/db/y`);
  });

  it("purge deletes exactly the table's files, not namespace db.events nor table db.events.inner", async () => {
    const { io, catalog } = await setup();
    // An earlier Floe's warehouse: namespace db.events with table inner, and table db.events.
    await catalog.createNamespace(["db"]);
    await catalog.createNamespace(["db", "events"]);
    await catalog.createTable(["db", "events"], { name: "inner", schema });
    const inner = { namespace: ["db", "events"], name: "inner" };
    await rows(catalog, io, inner, 7n);
    const events = { namespace: ["db"], name: "events" };
    await oldTable(io, events);
    await rows(catalog, io, events, 1n);
    await rows(catalog, io, events, 2n);
    const innerBefore = await listAll(io, `${WH}/db/events/inner/`);
    expect(innerBefore.length).toBeGreaterThan(4);
    // A file written but never committed: purge finds it by listing the table's own directories.
    await io.write(`${WH}/db/events/data/uncommitted.parquet`, new Uint8Array([1]));

    await catalog.dropTable(events, { purge: true });

    expect(await catalog.tableExists(events)).toBe(false);
    expect(await listAll(io, `${WH}/db/events/data/`)).toEqual([]);
    expect(await listAll(io, `${WH}/db/events/metadata/`)).toEqual([]);
    expect(await catalog.namespaceExists(["db", "events"])).toBe(true);
    expect(await listAll(io, `${WH}/db/events/inner/`)).toEqual(innerBefore);
    const t = new Table(catalog, await catalog.loadTable(inner), io);
    expect(t.metadata.snapshots).toHaveLength(1);
    expect(await catalog.listTables(["db", "events"])).toEqual([inner]);
  });

  it("drop without purge removes only the table's metadata directory entries", async () => {
    const { io, catalog } = await setup();
    await catalog.createNamespace(["db"]);
    const events = { namespace: ["db"], name: "events" };
    await catalog.createTable(["db"], { name: "events", schema });
    await rows(catalog, io, events, 1n);
    // Namespace db.events.metadata from an earlier Floe, its marker below the metadata directory.
    await oldNamespace(io, ["db", "events", "metadata"]);
    await catalog.dropTable(events);
    expect(await catalog.tableExists(events)).toBe(false);
    expect(await io.exists(`${WH}/db/events/metadata/${NAMESPACE_MARKER}`)).toBe(true);
    expect((await listAll(io, `${WH}/db/events/data/`)).length).toBe(1);
  });
});
