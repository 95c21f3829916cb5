import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { compactTable, maintainTable, scanSnapshot } from "../../src/compaction/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { buildPartitionSpec, currentSnapshot, makeSchema } from "../../src/iceberg/spec/index.js";
import { writeEqualityDeletes, writePositionDeletes } from "../../src/iceberg/write/index.js";
import { seededRandom } from "../support/random.js";
import { randomChanges, UpsertModel, type UpsertRow } from "../support/upsert-table.js";
import { liveRows, rowKey } from "./helpers.js";

// Compaction on upsert tables: deletes are applied and the delete files dropped in the same replace
// snapshot, and a delete committed against an input while a rewrite runs makes the rewrite lose.
const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "cat", required: true, type: "string" },
  { id: 3, name: "v", required: true, type: "long" },
]);
const CATS = ["a", "b"];

async function upsertTable(commits: number, keys: number, seed = 7) {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  await catalog.createNamespace(["db"]);
  const spec = buildPartitionSpec(schema, [{ source: "cat", transform: "identity" }]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "u", schema, spec }), io);
  const model = new UpsertModel("id", (row) => [row.cat as string]);
  // The key decides the partition, as the sink requires.
  const next = randomChanges(seededRandom(seed), keys, 0.1, (id, v) => ({
    id,
    cat: CATS[Number(id) % 2],
    v,
  }));
  for (let c = 0; c < commits; c++) await model.commit(table, next(keys));
  return { io, catalog, table, model };
}

const expected = (rows: readonly UpsertRow[]) => rows.map(rowKey).sort();

async function liveFiles(table: Table) {
  const s = await scanSnapshot(table.io, currentSnapshot(table.metadata));
  return { data: s.data.length, deletes: s.deletes.length };
}

describe("compaction of a table with position deletes", () => {
  it("applies every delete and drops every delete file in the replace snapshots", async () => {
    const { table, model } = await upsertTable(12, 40);
    const before = await liveFiles(table);
    expect(before.deletes).toBeGreaterThanOrEqual(12);
    expect(await liveRows(table)).toEqual(expected(model.rows()));
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(result.status).toBe("ok");
    expect(result.deleteFilesBefore).toBe(before.deletes);
    expect(result.deleteFilesAfter).toBe(0);
    expect(result.rewrite?.deleteFilesRemoved).toBe(before.deletes);
    expect(await liveFiles(table)).toEqual({ data: 2, deletes: 0 });
    expect(await liveRows(table)).toEqual(expected(model.rows()));
    const head = currentSnapshot(table.metadata)?.summary;
    expect(head).toMatchObject({
      operation: "replace",
      "total-delete-files": "0",
      "total-position-deletes": "0",
    });
    // The two group commits together removed every delete file and position delete.
    const replaces = table.metadata.snapshots.filter((s) => s.summary.operation === "replace");
    const sum = (k: string) => replaces.reduce((n, s) => n + Number(s.summary[k] ?? 0), 0);
    expect(sum("removed-delete-files")).toBe(before.deletes);
    expect(sum("removed-position-delete-files")).toBe(before.deletes);
    const parent = table.metadata.snapshots.at(-3)?.summary;
    expect(sum("removed-position-deletes")).toBe(Number(parent?.["total-position-deletes"]));
    expect(sum("deleted-records") - sum("added-records")).toBe(sum("removed-position-deletes"));
    // Nothing left: a second run plans nothing.
    const again = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(again.plan?.groups).toEqual([]);
  });

  it("drops a delete file spanning two groups with the group that rewrites its last file", async () => {
    const { table, model } = await upsertTable(10, 30, 11);
    const before = await liveFiles(table);
    // Bins of about two input files: a partition's files land in several groups.
    const files = await scanSnapshot(table.io, currentSnapshot(table.metadata));
    const largest = Math.max(...files.data.map((d) => Number(d.file.file_size_in_bytes)));
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      maxGroupInputBytes: 2 * largest,
    });
    expect(result.plan?.groups.length).toBeGreaterThan(2);
    expect(result.rewrite?.groupsCommitted).toBe(result.plan?.groups.length);
    expect(result.deleteFilesAfter).toBe(0);
    expect(result.rewrite?.deleteFilesRemoved).toBe(before.deletes);
    expect(await liveFiles(table)).toMatchObject({ deletes: 0 });
    expect(await liveRows(table)).toEqual(expected(model.rows()));
  });

  it("keeps the delete files of partitions it did not rewrite, and they still apply", async () => {
    const { table, model } = await upsertTable(6, 30, 5);
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20, maxGroups: 1 });
    expect(result.rewrite?.groupsCommitted).toBe(1);
    const left = await liveFiles(table);
    expect(left.deletes).toBeGreaterThan(0);
    expect(left.deletes).toBe(result.deleteFilesAfter);
    expect(await liveRows(table)).toEqual(expected(model.rows()));
  });

  it("keeps a position delete naming a data file it does not rewrite", async () => {
    const { table, io } = await upsertTable(1, 0);
    const put = async (rows: UpsertRow[]) => {
      const files = await table.dataFileWriter().writeRowsIn(rows, ["a"]);
      await table.newRowDelta().addDataFiles(files).commit();
      return files[0]?.file_path ?? "";
    };
    // A big file (not small, so not picked for its size) and two small ones, one position delete
    // file naming rows in the two small files only, and one naming the big file and a small one.
    const big = await put(
      Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i), cat: "a", v: BigInt(i) })),
    );
    const s1 = await put([{ id: 5000n, cat: "a", v: 1n }]);
    const s2 = await put([{ id: 5001n, cat: "a", v: 1n }]);
    const bigSize = Number(
      (await scanSnapshot(io, currentSnapshot(table.metadata))).data.find((d) => d.file.file_path === big)
        ?.file.file_size_in_bytes,
    );
    const onlySmall = await writePositionDeletes(
      table.writerOptions(),
      [
        { path: s1, pos: 0n },
        { path: s2, pos: 1n },
      ],
      ["a"],
    );
    const withBig = await writePositionDeletes(
      table.writerOptions(),
      [
        { path: big, pos: 7n },
        { path: s2, pos: 0n },
      ],
      ["a"],
    );
    await table
      .newRowDelta()
      .addDeleteFiles([...onlySmall, ...withBig])
      .commit();
    const before = await liveRows(table);
    expect(before).toHaveLength(3000 - 1 + 2 - 2);
    // The big file is over the memory budget: only the small ones are rewritten.
    const result = await compactTable(table, {
      targetFileSizeBytes: 4 * bigSize,
      maxGroupInputBytes: bigSize - 1,
    });
    expect(result.rewrite?.groupsCommitted).toBe(1);
    expect(result.plan?.skipped.overBudget).toBe(1);
    const after = await scanSnapshot(io, currentSnapshot(table.metadata));
    expect(after.deletes.map((d) => d.file.file_path)).toEqual([withBig[0]?.file_path]);
    expect(await liveRows(table)).toEqual(before);
  });

  it("drops an equality delete once every file it applies to is rewritten, and dangling delete files", async () => {
    const { table, io } = await upsertTable(1, 0);
    const appended = [];
    for (let i = 0; i < 3; i++) {
      const a = await table.newAppend().appendRows([
        { id: BigInt(i), cat: "a", v: 0n },
        { id: BigInt(10 + i), cat: "b", v: 0n },
      ]);
      await a.commit();
      appended.push(...a.dataFiles);
    }
    const eq = await writeEqualityDeletes(table.writerOptions(), [1], [{ id: 1n }], ["a"]);
    await table.newRowDelta().addDeleteFiles(eq).commit();
    // A position delete on a partition-b file, then that file removed: the delete file dangles.
    const victim = appended.find((f) => f.partition.cat === "b")?.file_path ?? "";
    const pos = await writePositionDeletes(table.writerOptions(), [{ path: victim, pos: 0n }], ["b"]);
    await table.newRowDelta().addDeleteFiles(pos).commit();
    await table.newRowDelta().removeFiles([victim]).commit();
    const before = await liveRows(table);
    expect(before).toHaveLength(4);
    // Partition b has two files left: with no small-file criterion, nothing there is rewritten.
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20, minFileSizeRatio: 0 });
    expect(result.plan?.groups.map((g) => g.partition.cat)).toEqual(["a"]);
    expect(result.rewrite?.deleteFilesRemoved).toBe(1);
    expect(result.danglingDeletesRemoved).toBe(1);
    expect(result.deleteFilesAfter).toBe(0);
    expect((await scanSnapshot(io, currentSnapshot(table.metadata))).deletes).toEqual([]);
    expect(await liveRows(table)).toEqual(before);
  });
});

describe("maintenance on a table with deletes", () => {
  it("rewrites only the files with deletes attached and drops every delete file", async () => {
    const { table, model } = await upsertTable(8, 30, 13);
    // Two small files without deletes: maintenance leaves them to compaction.
    for (const cat of CATS) {
      const files = await table.dataFileWriter().writeRowsIn([{ id: 9000n, cat, v: 0n }], [cat]);
      await table.newRowDelta().addDataFiles(files).commit();
    }
    const before = await liveFiles(table);
    expect(before.deletes).toBeGreaterThan(0);
    const result = await maintainTable(table, {
      expire: false,
      orphans: false,
      metadata: false,
      manifests: false,
    });
    expect(result.status).toBe("ok");
    expect(result.deletes?.deleteFilesAfter).toBe(0);
    expect(result.deletes?.plan?.skipped.bigEnough).toBe(2);
    // One rewritten file per partition plus the two untouched ones.
    expect(await liveFiles(table)).toEqual({ data: 4, deletes: 0 });
    expect(await liveRows(table)).toEqual(
      expected([...model.rows(), ...CATS.map((cat) => ({ id: 9000n, cat, v: 0n }))]),
    );
  });
});

describe("a delete committed while a rewrite runs", () => {
  it("makes the rewrite lose when it names an input, so the deleted row stays deleted", async () => {
    const { table, model, io } = await upsertTable(5, 20, 3);
    const rows = expected(model.rows());
    let victim: UpsertRow | undefined;
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      maxGroups: 1,
      beforeCommit: async (group) => {
        // The sink deletes a live row of one of the group's inputs (by position) meanwhile.
        const sink = new Table(table.catalog, await table.catalog.loadTable(table.identifier), io);
        const [input, target] =
          group.files.map((f) => [f.path, model.locate(f.path)[0]] as const).find(([, l]) => l) ?? [];
        if (input === undefined || target === undefined) throw new Error("no live row in the inputs");
        victim = target.row;
        const del = await writePositionDeletes(
          sink.writerOptions(),
          [{ path: input, pos: BigInt(target.pos) }],
          [group.partition.cat as string],
        );
        await sink.newRowDelta().addDeleteFiles(del).requireDataFiles([input]).commit();
      },
    });
    expect(result.rewrite?.groupsAbandoned).toBe(1);
    expect(result.rewrite?.groups[0]?.reason).toMatch(/added position deletes for input/);
    await table.refresh();
    const gone = rowKey(victim ?? {});
    const after = await liveRows(table);
    expect(after).toEqual(rows.filter((r) => r !== gone));
    expect(after).toHaveLength(rows.length - 1);
    // The next run starts from the new state: it converges, and the row stays deleted.
    const again = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(again.rewrite?.groupsCommitted).toBe(2);
    expect(again.deleteFilesAfter).toBe(0);
    expect(await liveRows(table)).toEqual(after);
  });

  it("does not make the rewrite lose when it names only files outside the group", async () => {
    const { table, model, io } = await upsertTable(4, 20, 9);
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      beforeCommit: async (group) => {
        if (group.partition.cat !== "a") return;
        // A multi-file position delete in partition a naming a data file the sink added meanwhile.
        const sink = new Table(table.catalog, await table.catalog.loadTable(table.identifier), io);
        const fresh = await sink.dataFileWriter().writeRowsIn(
          [
            { id: 1000n, cat: "a", v: 1n },
            { id: 1002n, cat: "a", v: 1n },
          ],
          ["a"],
        );
        const path = fresh[0]?.file_path ?? "";
        await sink.newRowDelta().addDataFiles(fresh).commit();
        const del = await writePositionDeletes(
          sink.writerOptions(),
          [
            { path, pos: 0n },
            { path: `${path}.other`, pos: 0n },
          ],
          ["a"],
        );
        expect(del[0]?.referenced_data_file).toBeUndefined();
        await sink.newRowDelta().addDeleteFiles(del).commit();
      },
    });
    expect(result.rewrite?.groupsCommitted).toBe(2);
    await table.refresh();
    const rows = expected([...model.rows(), { id: 1002n, cat: "a", v: 1n }]);
    expect(await liveRows(table)).toEqual(rows);
  });
});
