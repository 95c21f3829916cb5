import { describe, expect, it } from "vitest";
import { type Catalog, EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import {
  compactTable,
  expireSnapshots,
  maintainTable,
  removeOrphanFiles,
  rewriteManifests,
  scanSnapshot,
} from "../../src/compaction/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { readManifestList } from "../../src/iceberg/snapshot/index.js";
import {
  buildPartitionSpec,
  currentSnapshot,
  makeSchema,
  type Schema,
} from "../../src/iceberg/spec/index.js";
import { writeEqualityDeletes, writePositionDeletes } from "../../src/iceberg/write/index.js";
import { filesPerPartition, hashRows, liveRows } from "./helpers.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "cat", required: true, type: "string" },
  { id: 3, name: "n", required: false, type: "int" },
  { id: 4, name: "ts", required: false, type: "timestamptz" },
]);
const CATS = ["a", "b", "c"];

async function setup(appends = 30, rowsPer = 4, s: Schema = schema) {
  let t = 1_800_000_000_000;
  const io = new MemoryFileIO({ now: () => t });
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io, now: () => t });
  await catalog.createNamespace(["db"]);
  const spec = buildPartitionSpec(s, [{ source: "cat", transform: "identity" }]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema: s, spec }), io);
  let id = 0n;
  for (let a = 0; a < appends; a++) {
    const rows = Array.from({ length: rowsPer }, (_, i) => ({
      id: id++,
      cat: CATS[(a + i) % CATS.length],
      n: i % 3 === 0 ? null : a * 10 + i,
      ts: 1_700_000_000_000_000n + id,
    }));
    await (await table.newAppend().appendRows(rows)).commit({
      summary: { "floe.offsets.g": `{"t":{"0":"${a}"}}` },
    });
    t += 1000;
  }
  return {
    io,
    catalog,
    table,
    advance: (ms: number) => {
      t += ms;
    },
    now: () => t,
  };
}

describe("compaction on an in-memory table", () => {
  it("rewrites small files into one per partition, keeping every row", async () => {
    const { table } = await setup();
    const before = await liveRows(table);
    expect(before).toHaveLength(120);
    const files = await filesPerPartition(table);
    expect([...files.values()]).toEqual([30, 30, 30]);
    const progress: string[] = [];
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      onProgress: (p) => progress.push(p.phase),
    });
    expect(result.status).toBe("ok");
    expect(result.rewrite?.groupsCommitted).toBe(3);
    expect(result.filesBefore).toBe(90);
    expect(result.filesAfter).toBe(3);
    expect(progress).toContain("commit");
    expect([...(await filesPerPartition(table)).values()]).toEqual([1, 1, 1]);
    expect(await liveRows(table)).toEqual(before);
    const head = currentSnapshot(table.metadata);
    expect(head?.summary).toMatchObject({
      operation: "replace",
      "total-records": "120",
      "total-data-files": "3",
    });
    // The lease is gone after the run.
    expect(await table.io.exists(`${table.metadata.location}/.floe-compaction.lease`)).toBe(false);
    // Nothing left to do: a second run plans no group.
    const again = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(again.plan?.groups).toEqual([]);
    expect(again.status).toBe("ok");
  });

  it("plans only in a dry run", async () => {
    const { table, io } = await setup(6);
    const paths = io.paths();
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20, dryRun: true });
    expect(result.plan?.groups.length).toBe(3);
    expect(result.rewrite).toBeUndefined();
    expect(io.paths()).toEqual(paths);
  });

  it("applies attached position and equality deletes while rewriting", async () => {
    const { table } = await setup(9);
    const files = (await readManifestList(table.io, currentSnapshot(table.metadata))).length;
    expect(files).toBe(9);
    // Delete positions 0 of one file of partition a, and every row with id 5 (wherever it is).
    const scanned = await scanSnapshot(table.io, currentSnapshot(table.metadata));
    const victim = scanned.data.find((d) => d.file.partition.cat === "a");
    if (!victim) throw new Error("no file in partition a");
    const pos = await writePositionDeletes(
      table.writerOptions(),
      [{ path: victim.file.file_path, pos: 0n }],
      ["a"],
    );
    await table.newRowDelta().addDeleteFiles(pos).commit();
    const cat = String((await liveRows(table)).map((r) => JSON.parse(r)).find((r) => r.id === "5n")?.cat);
    const eq = await writeEqualityDeletes(table.writerOptions(), [1], [{ id: 5n }], [cat]);
    await table.newRowDelta().addDeleteFiles(eq).commit();
    const before = await liveRows(table);
    expect(before).toHaveLength(36 - 2);
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(result.status).toBe("ok");
    expect(result.rewrite?.deletedRowsApplied).toBe(2);
    expect(await liveRows(table)).toEqual(before);
    // The new files hold only the surviving rows.
    const after = await scanSnapshot(table.io, currentSnapshot(table.metadata));
    expect(after.data.reduce((n, d) => n + Number(d.file.record_count), 0)).toBe(34);
  });

  it("restages over appends that land mid-commit, keeping them, and leaves no stray files", async () => {
    const { table, io, catalog } = await setup(6);
    const before = await liveRows(table);
    // A catalog that lets a sink append land right before each replace commit.
    let inject = 3;
    let nextId = 10_000n;
    const racing: Catalog = Object.create(catalog);
    racing.commitTable = async (id, requirements, updates) => {
      const replace = updates.some(
        (u) => u.action === "add-snapshot" && u.snapshot.summary.operation === "replace",
      );
      if (replace && inject > 0) {
        inject--;
        const sink = new Table(catalog, await catalog.loadTable(id), io);
        await (await sink.newAppend().appendRows([{ id: nextId++, cat: "b", n: 1, ts: null }])).commit();
      }
      return catalog.commitTable(id, requirements, updates);
    };
    const compacting = new Table(racing, await catalog.loadTable(table.identifier), io);
    const result = await compactTable(compacting, { targetFileSizeBytes: 1 << 20 });
    expect(result.rewrite?.groupsCommitted).toBe(3);
    expect(result.rewrite?.conflicts).toBe(3);
    await table.refresh();
    const after = await liveRows(table);
    expect(after).toHaveLength(before.length + 3);
    expect(after).toEqual(expect.arrayContaining(before));
    // Manifest lists of the lost attempts were deleted: nothing unreferenced is left.
    const orphans = await removeOrphanFiles(table, { dryRun: true, olderThanMs: 0, now: () => 8e12 });
    expect(orphans.orphans).toEqual([]);
  });

  it("streams a group into files of about the writer's target size, and skips a rewrite with nothing to gain", async () => {
    const { table, io } = await setup(12);
    const before = await liveRows(table);
    // One byte per output: every input would come back as a file of its own, so nothing is committed.
    const none = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      writer: { targetFileSizeBytes: 1 },
    });
    expect(none.rewrite?.groupsAbandoned).toBe(3);
    expect(none.rewrite?.groups[0]?.reason).toMatch(/no gain/);
    expect(io.paths().filter((p) => p.endsWith(".parquet"))).toHaveLength(36);
    // Output files are cut by rows too: three per group.
    const some = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      writer: { maxRowsPerFile: Math.ceil(before.length / 3 / 3) },
    });
    expect(some.rewrite?.groupsCommitted).toBe(3);
    for (const g of some.rewrite?.groups ?? []) expect(g.outputFiles).toBe(3);
    expect(await liveRows(table)).toEqual(before);
  });

  it("abandons a group whose inputs another commit removed, deleting the files it wrote", async () => {
    const { table, io } = await setup(6);
    let written: string[] = [];
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      maxGroups: 1,
      beforeCommit: async (group, files) => {
        written = files.map((f) => f.file_path);
        const other = new Table(table.catalog, await table.catalog.loadTable(table.identifier), io);
        await other
          .newRowDelta()
          .removeFiles([group.files[0]?.path ?? ""])
          .commit();
      },
    });
    expect(result.rewrite?.groupsAbandoned).toBe(1);
    expect(result.rewrite?.groups[0]?.reason).toMatch(/no longer live/);
    expect(written.length).toBeGreaterThan(0);
    for (const p of written) expect(await io.exists(p)).toBe(false);
    expect(result.status).toBe("ok");
  });

  it("abandons a group when a delete file lands in its partition during the rewrite", async () => {
    const { table, io } = await setup(6);
    const before = await liveRows(table);
    const result = await compactTable(table, {
      targetFileSizeBytes: 1 << 20,
      maxGroups: 1,
      beforeCommit: async (group) => {
        const other = new Table(table.catalog, await table.catalog.loadTable(table.identifier), io);
        const cat = String(group.partition.cat);
        const del = await writeEqualityDeletes(other.writerOptions(), [2], [{ cat }], [cat]);
        await other.newRowDelta().addDeleteFiles(del).commit();
      },
    });
    expect(result.rewrite?.groupsAbandoned).toBe(1);
    expect(result.rewrite?.groups[0]?.reason).toMatch(/added equality deletes/);
    await table.refresh();
    // The equality delete removed one partition's rows; the rest are untouched.
    expect((await liveRows(table)).length).toBe(before.length - 8);
  });

  it("rewrites files of an older schema into the current one", async () => {
    const { table, catalog } = await setup(6);
    const evolved = makeSchema(
      [...schema.fields, { id: 5, name: "note", required: false, type: "string" }],
      1,
    );
    await catalog.commitTable(
      table.identifier,
      [],
      [
        { action: "add-schema", schema: evolved },
        { action: "set-current-schema", "schema-id": -1 },
      ],
    );
    await table.refresh();
    await (
      await table.newAppend().appendRows([{ id: 1000n, cat: "a", n: 1, ts: null, note: "new" }])
    ).commit();
    const before = await liveRows(table);
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(result.status).toBe("ok");
    const after = await liveRows(table);
    expect(after).toEqual(before);
    expect(after.filter((r) => r.includes('"note":"new"'))).toHaveLength(1);
  });

  it("merges manifests, expires old snapshots, deletes what only they referenced", async () => {
    const { table, io, catalog, advance, now } = await setup(12);
    const rows = await liveRows(table);
    const merge = await rewriteManifests(catalog, table.identifier, io);
    expect(merge).toMatchObject({
      committed: true,
      manifestsBefore: 12,
      manifestsAfter: 1,
      manifestsReplaced: 12,
    });
    await table.refresh();
    expect(await liveRows(table)).toEqual(rows);
    const compacted = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(compacted.filesAfter).toBe(3);
    const oldFiles = compacted.rewrite?.groups.length ?? 0;
    expect(oldFiles).toBe(3);
    advance(10 * 86_400_000);
    const timeTravel = table.metadata.snapshots.at(-2)?.["snapshot-id"] ?? 0n;
    const expired = await expireSnapshots(catalog, table.identifier, io, {
      retainLast: 2,
      maxSnapshotAgeMs: 86_400_000,
      now,
    });
    expect(expired.committed).toBe(true);
    // The 3 group replaces, the merge and the newest offsets carrier (the last append) stay: the
    // chain from main's head to the offsets is never broken.
    expect(expired.snapshotsRetained).toBe(5);
    expect(expired.snapshotsExpired).toBe(11);
    expect(expired.files.dataFiles.length).toBe(0); // the small files are still read by the retained snapshots
    await table.refresh();
    expect(await liveRows(table, timeTravel)).toEqual(rows);
    expect(await liveRows(table)).toEqual(rows);
    // Now expire down to the head: the 36 small files become unreachable and go.
    advance(1000);
    const again = await expireSnapshots(catalog, table.identifier, io, {
      retainLast: 1,
      maxSnapshotAgeMs: 0,
      offsetsPrefix: "none.",
      now,
    });
    expect(again.snapshotsExpired).toBe(4);
    expect(again.files.dataFiles.length).toBe(36);
    for (const p of again.files.dataFiles) expect(await io.exists(p)).toBe(false);
    await table.refresh();
    expect(await liveRows(table)).toEqual(rows);
    // Everything left under the table is referenced: no orphans.
    const orphans = await removeOrphanFiles(table, { olderThanMs: 0, now: () => Date.now() + 1e12 });
    expect(orphans.orphans.filter((p) => !p.endsWith(".metadata.json"))).toEqual([]);
    expect(await liveRows(table)).toEqual(rows);
  });

  it("runs every maintenance step and removes orphans older than the grace period only", async () => {
    const { table, io, advance, now } = await setup(4);
    const loc = table.metadata.location;
    await io.write(`${loc}/data/cat=a/old-debris.parquet`, new Uint8Array([1]));
    advance(4 * 86_400_000);
    await io.write(`${loc}/data/cat=a/young-debris.parquet`, new Uint8Array([1]));
    const dry = await maintainTable(table, { dryRun: true, expire: { now }, orphans: { now } });
    expect(dry.orphans?.orphans).toEqual([`${loc}/data/cat=a/old-debris.parquet`]);
    expect(await io.exists(`${loc}/data/cat=a/old-debris.parquet`)).toBe(true);
    const result = await maintainTable(table, { expire: { now, retainLast: 1 }, orphans: { now } });
    expect(result.status).toBe("ok");
    expect(result.orphans?.deleted).toBe(1);
    expect(await io.exists(`${loc}/data/cat=a/old-debris.parquet`)).toBe(false);
    expect(await io.exists(`${loc}/data/cat=a/young-debris.parquet`)).toBe(true);
    expect(result.manifests?.committed).toBe(true);
    expect(await liveRows(table)).toHaveLength(16);
    expect(hashRows(await liveRows(table))).toBe(hashRows(await liveRows(table)));
  });
});
