import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import { compactTable, removeOrphanFiles, scanSnapshot } from "../../../src/compaction/index.js";
import type { FileIO } from "../../../src/iceberg/io/index.js";
import { SnapshotProducer } from "../../../src/iceberg/snapshot/index.js";
import { currentSnapshot } from "../../../src/iceberg/spec/index.js";
import { openDuckDB } from "../../support/duckdb.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  appendMany,
  createEventsTable,
  digest,
  duckDigest,
  eventRows,
  filesPerPartition,
  pyDigest,
} from "./support.js";

// On S3: appends keep committing while a compaction runs (both land, no row is lost), and a rewrite
// that crashed after writing its files leaves the table correct and only debris that orphan removal
// collects once the grace period is over.
describe("compaction against concurrent writers and crashes (S3)", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    wh = await freshWarehouse("s3");
    duck = await openDuckDB();
  });
  afterAll(() => duck?.close());

  it("appends running during compaction lose no rows and both commit", async () => {
    const table = await createEventsTable(wh.catalog, wh.io, "busy");
    let next = await appendMany(table, 40, 6);
    const writer = new Table(wh.catalog, await wh.catalog.loadTable(table.identifier), wh.io);
    let compacting = true;
    let appendsDuring = 0;
    const appends = (async () => {
      // A sink flushing every ~250 ms, until the compaction is over (at least 10 flushes, at most 400).
      while ((compacting || appendsDuring < 10) && appendsDuring < 400) {
        await new Promise((r) => setTimeout(r, 250));
        await (await writer.newAppend().appendRows(eventRows(next, 6))).commit({
          summary: { "floe.offsets.test": JSON.stringify({ events: { "0": String(next + 6) } }) },
        });
        next += 6;
        appendsDuring++;
      }
    })();
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20 }).finally(() => {
      compacting = false;
    });
    await appends;
    expect(result.status).toBe("ok");
    expect(result.rewrite?.groupsCommitted).toBe(3);
    expect(result.rewrite?.filesRewritten).toBe(120);
    expect(appendsDuring).toBeGreaterThanOrEqual(10);
    await table.refresh();
    const ops = table.metadata.snapshots.map((s) => s.summary.operation);
    expect(ops.filter((o) => o === "append")).toHaveLength(40 + appendsDuring);
    expect(ops.filter((o) => o === "replace")).toHaveLength(3);
    // Some appends landed between the plan and a replace: the replaces were restaged over them.
    const firstReplace = ops.indexOf("replace");
    expect(ops.slice(40, firstReplace).length + (result.rewrite?.conflicts ?? 0)).toBeGreaterThan(0);
    const expected = digest(eventRows(0, next));
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(expected);
    const py = await pyDigest(table.metadataLocation);
    expect({ count: py.count, hash: py.hash }).toEqual(expected);
    // Each partition: one compacted file plus the files of the appends made during compaction.
    for (const p of (await filesPerPartition(table)).values())
      expect(p.files).toBeLessThanOrEqual(1 + appendsDuring);
  });

  it("a crash between writing and committing leaves the table correct; orphan removal later takes the debris", async () => {
    const table = await createEventsTable(wh.catalog, wh.io, "crashy");
    await appendMany(table, 12, 6);
    const before = await duckDigest(duck.conn, table.metadataLocation);
    // What a rewrite has on storage right before its commit: the new data file, its manifest, the
    // rewritten manifests and the manifest list of the staged snapshot.
    const scanned = await scanSnapshot(wh.io, currentSnapshot(table.metadata));
    const inputs = scanned.data.filter((d) => d.file.partition.cat === "alpha");
    const rows = eventRows(0, 72).filter((r) => r.cat === "alpha");
    const [debris] = await table.dataFileWriter().writeRowsIn(rows, ["alpha"]);
    if (debris === undefined) throw new Error("nothing written");
    const staged = await new SnapshotProducer(
      { io: wh.io },
      { addedDataFiles: [debris], removedFilePaths: inputs.map((d) => d.file.file_path) },
      "replace",
    ).stage(table.metadata);
    // ... and the process dies here.
    await table.refresh();
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(before);
    const py = await pyDigest(table.metadataLocation);
    expect({ count: py.count, hash: py.hash }).toEqual(before);
    expect(py.files).toBe(36);

    const early = await removeOrphanFiles(table);
    expect(early.orphans).toEqual([]);
    expect(early.tooYoung).toBe(2 + staged.attemptFiles.length);
    const later = await removeOrphanFiles(table, { now: () => Date.now() + 3 * 86_400_000 + 60_000 });
    const expectedDebris = [debris.file_path, ...staged.attemptFiles];
    // The manifest the producer prepared for the new file is debris too.
    expect(later.orphans).toHaveLength(expectedDebris.length + 1);
    expect(later.orphans).toEqual(expect.arrayContaining(expectedDebris));
    expect(later.deleted).toBe(later.orphans.length);
    for (const p of later.orphans) expect(await wh.io.exists(p)).toBe(false);
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(before);
    // The next compaction runs normally over the same files.
    const result = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(result.rewrite?.groupsCommitted).toBe(3);
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(before);
  });
});
