import { describe, expect, it } from "vitest";
import { catalogTableOps, EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import { isFloeError } from "../../../src/errors.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { liveEntries, SnapshotProducer } from "../../../src/iceberg/snapshot/index.js";
import { currentSnapshot, makeSchema } from "../../../src/iceberg/spec/index.js";
import { commitLoop } from "../../../src/iceberg/table/index.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "v", required: false, type: "string" },
]);

async function setup() {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  await catalog.createNamespace(["db"]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema }), io);
  return { io, catalog, table };
}

async function appendOne(table: Table, id: number) {
  const op = await table.newAppend().appendRows([{ id: BigInt(id), v: `row-${id}` }]);
  await op.commit();
  return op.dataFiles[0]?.file_path ?? "";
}

const livePaths = async (table: Table) =>
  (await liveEntries(table.io, currentSnapshot(table.metadata))).map((e) => e.data_file.file_path).sort();

describe("snapshot producer", () => {
  it("appends carry earlier manifests and inherit the new sequence number", async () => {
    const { table } = await setup();
    const a = await appendOne(table, 1);
    const b = await appendOne(table, 2);
    expect(await livePaths(table)).toEqual([a, b].sort());
    const entries = await liveEntries(table.io, currentSnapshot(table.metadata));
    expect(entries.map((e) => e.sequence_number).sort()).toEqual([1n, 2n]);
    expect(table.metadata["last-sequence-number"]).toBe(2n);
    expect(currentSnapshot(table.metadata)?.summary).toMatchObject({
      "total-records": "2",
      "total-data-files": "2",
    });
  });

  it("replace swaps files, keeps totals and marks the old files deleted", async () => {
    const { table } = await setup();
    const a = await appendOne(table, 1);
    const b = await appendOne(table, 2);
    const c = await appendOne(table, 3);
    const merged = await table.dataFileWriter().writeRows([
      { id: 1n, v: "row-1" },
      { id: 2n, v: "row-2" },
    ]);
    const result = await table.newRewrite().addDataFiles(merged).removeFiles([a, b]).commit();
    expect(result.committed).toBe(true);
    expect(await livePaths(table)).toEqual([c, merged[0]?.file_path ?? ""].sort());
    expect(currentSnapshot(table.metadata)?.summary).toMatchObject({
      operation: "replace",
      "added-data-files": "1",
      "deleted-data-files": "2",
      "total-data-files": "2",
      "total-records": "3",
    });
    // The entry for c keeps the sequence number it was added with.
    const entries = await liveEntries(table.io, currentSnapshot(table.metadata));
    expect(entries.find((e) => e.data_file.file_path === c)?.sequence_number).toBe(3n);
  });

  it("refuses to replace a file that is no longer live, without retrying", async () => {
    const { table } = await setup();
    const a = await appendOne(table, 1);
    const merged = await table.dataFileWriter().writeRows([{ id: 1n, v: "row-1" }]);
    await table.newRewrite().addDataFiles(merged).removeFiles([a]).commit();
    const again = await table
      .newRewrite()
      .addDataFiles(merged)
      .removeFiles([a])
      .commit()
      .catch((e: unknown) => e);
    expect(isFloeError(again, "COMMIT_CONFLICT")).toBe(true);
    expect((again as Error).message).toContain("no longer live");
  });

  it("a rewrite that loses a race with an append restages and keeps the appended rows", async () => {
    const { table, catalog, io } = await setup();
    const a = await appendOne(table, 1);
    const merged = await table.dataFileWriter().writeRows([{ id: 1n, v: "row-1" }]);
    const producer = new SnapshotProducer(
      { io },
      { addedDataFiles: merged, removedFilePaths: [a] },
      "replace",
    );
    let raced = false;
    let b = "";
    const ops = catalogTableOps(catalog, table.identifier);
    const result = await commitLoop(ops, async (base, attempt) => {
      const staged = await producer.stage(base.metadata);
      if (!raced) {
        raced = true; // another writer commits between our stage and our commit
        const other = new Table(catalog, await catalog.loadTable(table.identifier), io);
        b = await appendOne(other, 2);
      }
      expect(attempt).toBeLessThanOrEqual(2);
      return { ...staged, landed: (md) => producer.landed(md) };
    });
    expect(result).toMatchObject({ committed: true, attempts: 2, conflicts: 1 });
    await table.refresh();
    expect(await livePaths(table)).toEqual([b, merged[0]?.file_path ?? ""].sort());
    expect(currentSnapshot(table.metadata)?.summary["total-records"]).toBe("2");
  });
});
