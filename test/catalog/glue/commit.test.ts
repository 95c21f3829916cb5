import { beforeEach, describe, expect, it } from "vitest";
import { GlueCatalog } from "../../../src/catalog/glue/index.js";
import { type LoadedTable, Table } from "../../../src/catalog/index.js";
import { listAll, MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { makeSchema, type TableUpdate } from "../../../src/iceberg/spec/index.js";
import { failure } from "../../support/failure.js";
import { FakeGlue, glueError, networkError } from "./fake-glue.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "name", required: false, type: "string" },
]);
const id = { namespace: ["db"], name: "t" };
const setProp = (k: string, v: string): TableUpdate[] => [{ action: "set-properties", updates: { [k]: v } }];

describe("GlueCatalog commits (fake Glue)", () => {
  let glue: FakeGlue;
  let io: MemoryFileIO;
  let catalog: GlueCatalog;
  let rival: GlueCatalog;
  let created: LoadedTable;

  const metadataFiles = async () =>
    (await listAll(io, "memory://wh/db.db/t/metadata/"))
      .map((f) => f.path)
      .filter((p) => p.endsWith(".metadata.json"))
      .sort();
  const pointer = () => glue.table("db", "t")?.Parameters?.metadata_location;

  beforeEach(async () => {
    glue = new FakeGlue();
    io = new MemoryFileIO();
    catalog = new GlueCatalog({ region: "us-east-1", io, client: glue.client(), warehouse: "memory://wh" });
    rival = new GlueCatalog({ region: "us-east-1", io, client: glue.client(), warehouse: "memory://wh" });
    await catalog.createNamespace(["db"]);
    created = await catalog.createTable(["db"], { name: "t", schema });
    glue.calls.length = 0;
  });

  it("writes metadata 00001, then swaps the pointer with UpdateTable(VersionId) recording the previous file", async () => {
    const t = await catalog.commitTable(id, [], setProp("a", "1"));
    expect(t.metadataLocation).toMatch(/\/db\.db\/t\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);
    expect(t.metadata.properties).toEqual({ a: "1" });
    expect(t.metadata["metadata-log"].map((e) => e["metadata-file"])).toEqual([created.metadataLocation]);
    expect(glue.calls.map((c) => c.name)).toEqual([
      "GetTableCommand",
      "GetTableCommand",
      "UpdateTableCommand",
    ]);
    const update = glue.callsOf("UpdateTableCommand")[0];
    expect(update).toMatchObject({
      DatabaseName: "db",
      VersionId: "0",
      SkipArchive: true,
      TableInput: {
        Name: "t",
        TableType: "EXTERNAL_TABLE",
        Parameters: {
          table_type: "ICEBERG",
          metadata_location: t.metadataLocation,
          previous_metadata_location: created.metadataLocation,
        },
        StorageDescriptor: { Location: "memory://wh/db.db/t" },
      },
    });
    expect(pointer()).toBe(t.metadataLocation);
    const again = await catalog.commitTable(id, [], setProp("b", "2"));
    expect(again.metadataLocation).toMatch(/\/00002-[^/]+\.metadata\.json$/);
    expect(glue.callsOf("UpdateTableCommand")[1]?.VersionId).toBe("1");
    expect((await catalog.loadTable(id)).metadata.properties).toEqual({ a: "1", b: "2" });
  });

  it("a failed requirement is COMMIT_CONFLICT before any file is written", async () => {
    const e = await failure(
      catalog.commitTable(
        id,
        [{ type: "assert-table-uuid", uuid: "00000000-0000-0000-0000-000000000000" }],
        setProp("a", "1"),
      ),
    );
    expect(e.code).toBe("COMMIT_CONFLICT");
    expect(await metadataFiles()).toEqual([created.metadataLocation]);
  });

  it("no updates: nothing written, nothing sent but the read", async () => {
    const t = await catalog.commitTable(id, [], []);
    expect(t.metadataLocation).toBe(created.metadataLocation);
    expect(glue.callsOf("UpdateTableCommand")).toHaveLength(0);
  });

  it("ConcurrentModificationException -> COMMIT_CONFLICT, and the orphan metadata file is deleted", async () => {
    glue.faults.push({
      command: "UpdateTableCommand",
      error: glueError("ConcurrentModificationException", 400),
    });
    const e = await failure(catalog.commitTable(id, [], setProp("a", "1")));
    expect(e.code).toBe("COMMIT_CONFLICT");
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/commit to db\.t conflicted: Glue table version 0 was replaced concurrently/);
    expect(await metadataFiles()).toEqual([created.metadataLocation]);
    expect(pointer()).toBe(created.metadataLocation);
  });

  it("a rival commit between our read and UpdateTable fails on Glue's VersionId check", async () => {
    // The rival commits after our re-check, just before our UpdateTable is applied.
    let rivalDone: LoadedTable | undefined;
    glue.hooks.push({
      command: "UpdateTableCommand",
      run: async () => {
        rivalDone = await rival.commitTable(id, [], setProp("r", "1"));
      },
    });
    const e = await failure(catalog.commitTable(id, [], setProp("a", "1")));
    expect(e.code).toBe("COMMIT_CONFLICT");
    expect(pointer()).toBe(rivalDone?.metadataLocation);
    expect(await metadataFiles()).toEqual([created.metadataLocation, rivalDone?.metadataLocation].sort());
  });

  it("a metadata_location that moved between our read and our UpdateTable -> COMMIT_CONFLICT without sending it", async () => {
    let rivalDone: LoadedTable | undefined;
    // Our second GetTable (the re-check) runs after the rival's commit.
    glue.hooks.push({
      command: "GetTableCommand",
      nth: 2,
      run: async () => {
        rivalDone = await rival.commitTable(id, [], setProp("r", "1"));
      },
    });
    const e = await failure(catalog.commitTable(id, [], setProp("a", "1")));
    expect(e.code).toBe("COMMIT_CONFLICT");
    expect(e.message).toContain(`metadata_location moved from ${created.metadataLocation}`);
    expect(glue.callsOf("UpdateTableCommand")).toHaveLength(1); // the rival's only
    expect(pointer()).toBe(rivalDone?.metadataLocation);
    expect(await metadataFiles()).toEqual([created.metadataLocation, rivalDone?.metadataLocation].sort());
  });

  it("a 500 after sending UpdateTable -> COMMIT_STATE_UNKNOWN, and the metadata file is kept", async () => {
    glue.faults.push({ command: "UpdateTableCommand", error: glueError("InternalServiceException", 500) });
    const e = await failure(catalog.commitTable(id, [], setProp("a", "1")));
    expect(e.code).toBe("COMMIT_STATE_UNKNOWN");
    expect(e.retryable).toBe(true);
    const files = await metadataFiles();
    expect(files).toHaveLength(2);
    expect(files.some((f) => /\/00001-/.test(f))).toBe(true);
    expect(pointer()).toBe(created.metadataLocation);
  });

  it("a network error after sending -> COMMIT_STATE_UNKNOWN, file kept", async () => {
    glue.faults.push({ command: "UpdateTableCommand", error: networkError("ECONNRESET") });
    expect((await failure(catalog.commitTable(id, [], setProp("a", "1")))).code).toBe("COMMIT_STATE_UNKNOWN");
    expect(await metadataFiles()).toHaveLength(2);
  });

  it("a lost answer whose update landed is a success (Glue is asked)", async () => {
    glue.faults.push({
      command: "UpdateTableCommand",
      error: glueError("InternalServiceException", 503),
      after: true,
    });
    const t = await catalog.commitTable(id, [], setProp("a", "1"));
    expect(pointer()).toBe(t.metadataLocation);
  });

  it("a conflict after the SDK retried: ours if Glue points at our file, else unknown (never deleted)", async () => {
    // First try landed, the retry hit the VersionId check.
    glue.faults.push({
      command: "UpdateTableCommand",
      error: glueError("ConcurrentModificationException", 400, { attempts: 2 }),
      after: true,
    });
    const t = await catalog.commitTable(id, [], setProp("a", "1"));
    expect(pointer()).toBe(t.metadataLocation);
    // Retried and refused, and Glue does not point at us: we cannot tell, so keep the file.
    glue.faults.push({
      command: "UpdateTableCommand",
      error: glueError("ConcurrentModificationException", 400, { attempts: 3 }),
    });
    const e = await failure(catalog.commitTable(id, [], setProp("b", "2")));
    expect(e.code).toBe("COMMIT_STATE_UNKNOWN");
    expect(await metadataFiles()).toHaveLength(3);
  });

  it("the table dropped during the commit -> NOT_FOUND and the file is deleted", async () => {
    glue.hooks.push({
      command: "UpdateTableCommand",
      run: () => {
        glue.databases.get("db")?.tables.delete("t");
      },
    });
    const e = await failure(catalog.commitTable(id, [], setProp("a", "1")));
    expect(e.code).toBe("NOT_FOUND");
    expect(await metadataFiles()).toEqual([created.metadataLocation]);
  });
});

describe("Table.newAppend through the transaction API on Glue (fake)", () => {
  let glue: FakeGlue;
  let io: MemoryFileIO;
  let catalog: GlueCatalog;
  let table: Table;
  const rows = [
    { id: 1n, name: "a" },
    { id: 2n, name: "b" },
  ];

  beforeEach(async () => {
    glue = new FakeGlue();
    io = new MemoryFileIO();
    catalog = new GlueCatalog({ region: "us-east-1", io, client: glue.client(), warehouse: "memory://wh" });
    await catalog.createNamespace(["db"]);
    table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema }), io);
  });

  it("retries after ConcurrentModificationException and succeeds, leaving no orphan metadata", async () => {
    glue.faults.push({
      command: "UpdateTableCommand",
      error: glueError("ConcurrentModificationException", 400),
    });
    const append = await table.newAppend().appendRows(rows);
    const result = await append.commit();
    expect(result).toMatchObject({ committed: true, attempts: 2, conflicts: 1, unknownOutcomes: 0 });
    const loaded = await catalog.loadTable(id);
    expect(loaded.metadata.snapshots).toHaveLength(1);
    expect(loaded.metadata.snapshots[0]?.summary).toMatchObject({
      operation: "append",
      "added-records": "2",
    });
    expect(loaded.metadataLocation).toMatch(/\/00001-[^/]+\.metadata\.json$/);
    const files = (await listAll(io, "memory://wh/db.db/t/metadata/"))
      .map((f) => f.path)
      .filter((p) => p.endsWith(".metadata.json"))
      .sort();
    const referenced = [
      loaded.metadataLocation,
      ...loaded.metadata["metadata-log"].map((e) => e["metadata-file"]),
    ];
    expect(files).toEqual(referenced.sort());
    expect(glue.table("db", "t")?.Parameters?.previous_metadata_location).toBe(
      loaded.metadata["metadata-log"].at(-1)?.["metadata-file"],
    );
  });

  it("restages on a real rival commit (VersionId check) and keeps both appends", async () => {
    const other = new Table(catalog, await catalog.loadTable(id), io);
    glue.hooks.push({
      command: "UpdateTableCommand",
      run: async () => {
        await (await other.newAppend().appendRows([{ id: 9n, name: "rival" }])).commit();
      },
    });
    const result = await (await table.newAppend().appendRows(rows)).commit();
    expect(result).toMatchObject({ committed: true, attempts: 2, conflicts: 1 });
    const loaded = await catalog.loadTable(id);
    expect(loaded.metadata.snapshots).toHaveLength(2);
    expect(loaded.metadata.snapshots.at(-1)?.summary["total-records"]).toBe("3");
  });

  it("after an unknown outcome that did not land, reloads, restages and commits once", async () => {
    glue.faults.push({ command: "UpdateTableCommand", error: glueError("InternalServiceException", 500) });
    const result = await (await table.newAppend().appendRows(rows)).commit();
    expect(result).toMatchObject({ committed: true, attempts: 2, unknownOutcomes: 1 });
    const loaded = await catalog.loadTable(id);
    expect(loaded.metadata.snapshots).toHaveLength(1);
    expect(loaded.metadata.snapshots[0]?.summary["total-records"]).toBe("2");
  });
});
