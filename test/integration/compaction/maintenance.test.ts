import { utimes } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import {
  compactTable,
  maintainTable,
  removeOrphanFiles,
  scanSnapshot,
} from "../../../src/compaction/index.js";
import { type FileIO, listAll, localPathOf } from "../../../src/iceberg/io/index.js";
import { snapshotById } from "../../../src/iceberg/spec/index.js";
import { openDuckDB } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";
import { appendMany, createEventsTable, digest, duckDigest, eventRows, pyDigest } from "./support.js";

const DAY = 86_400_000;

describe("maintenance on a local warehouse", () => {
  let wh: { warehouse: string; io: FileIO; catalog: EmbeddedCatalog };
  let duck: Awaited<ReturnType<typeof openDuckDB>>;

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    duck = await openDuckDB();
  });
  afterAll(() => duck?.close());

  it("expiry keeps time travel to retained snapshots working and removes unreachable files", async () => {
    const table = await createEventsTable(wh.catalog, wh.io, "expiring", {
      "write.metadata.delete-after-commit.enabled": "true",
      "write.metadata.previous-versions-max": "5",
    });
    let next = await appendMany(table, 30, 6);
    const compacted = await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    expect(compacted.rewrite?.groupsCommitted).toBe(3);
    const smallFiles = (
      await scanSnapshot(
        wh.io,
        snapshotById(table.metadata, table.metadata.snapshots[29]?.["snapshot-id"] ?? 0n),
      )
    ).data;
    expect(smallFiles).toHaveLength(90);
    next = await appendMany(table, 3, 6, next);
    const retainedId = table.metadata.snapshots.at(-2)?.["snapshot-id"] ?? 0n;
    const retainedRows = digest(eventRows(0, next - 6));
    const firstId = table.metadata.snapshots[0]?.["snapshot-id"] ?? 0n;

    const result = await maintainTable(table, {
      manifests: false,
      orphans: false,
      expire: { retainLast: 2, maxSnapshotAgeMs: 0 },
    });
    expect(result.status).toBe("ok");
    const expire = result.expire;
    expect(expire?.snapshotsRetained).toBe(2);
    expect(expire?.snapshotsExpired).toBe(34);
    expect(expire?.files.dataFiles).toHaveLength(90);
    expect(expire?.files.manifestLists).toHaveLength(34);
    expect(expire?.filesDeleted).toBeGreaterThan(90 + 34);
    await table.refresh();
    expect(table.metadata.snapshots.map((s) => s["snapshot-id"])).not.toContain(firstId);
    for (const f of smallFiles) expect(await wh.io.exists(f.file.file_path)).toBe(false);
    // Everything the retained snapshots read is still there.
    for (const s of table.metadata.snapshots) {
      for (const d of (await scanSnapshot(wh.io, s)).data)
        expect(await wh.io.exists(d.file.file_path)).toBe(true);
    }
    // Metadata files: only the current one and the newest 5 of the log remain.
    expect(result.metadata?.deleted).toBeGreaterThan(0);
    const versions = (await listAll(wh.io, `${table.metadata.location}/metadata/`))
      .map((f) => f.path)
      .filter((p) => p.endsWith(".metadata.json"));
    expect(versions.length).toBeLessThanOrEqual(6);
    expect((await wh.catalog.loadTable(table.identifier)).metadataLocation).toBe(table.metadataLocation);

    const all = digest(eventRows(0, next));
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(all);
    expect(await duckDigest(duck.conn, table.metadataLocation, retainedId)).toEqual(retainedRows);
    const py = await pyDigest(table.metadataLocation, retainedId);
    expect({ count: py.count, hash: py.hash }).toEqual(retainedRows);
    const spark = await runPython<{ results: { rows: Record<string, unknown>[] }[] }>(
      "spark_queries.py",
      [
        JSON.stringify([
          { sql: `SELECT * FROM local.db.expiring VERSION AS OF ${retainedId}` },
          { sql: "SELECT * FROM local.db.expiring" },
        ]),
      ],
      { env: { FLOE_SPARK_LOCAL_WAREHOUSE: wh.warehouse } },
    );
    expect(digest(spark.results[0]?.rows ?? [])).toEqual(retainedRows);
    expect(digest(spark.results[1]?.rows ?? [])).toEqual(all);
  });

  it("orphan removal never deletes a referenced file nor one younger than the grace period", async () => {
    const table = await createEventsTable(wh.catalog, wh.io, "orphaned");
    const next = await appendMany(table, 10, 6);
    await compactTable(table, { targetFileSizeBytes: 1 << 20 });
    const firstId = table.metadata.snapshots[0]?.["snapshot-id"] ?? 0n;
    const loc = table.metadata.location;
    const tenDaysAgo = (Date.now() - 10 * DAY) / 1000;
    // Age every real file: only references keep them now.
    const real = await listAll(wh.io, `${loc}/`);
    for (const f of real) await utimes(localPathOf(f.path), tenDaysAgo, tenDaysAgo);
    // Plant orphans: two old enough, two inside the grace period.
    const someData = await wh.io.read(real.find((f) => f.path.endsWith(".parquet"))?.path ?? "");
    const planted = {
      oldData: `${loc}/data/cat=alpha/99999-orphan-old.parquet`,
      oldManifest: `${loc}/metadata/0000-orphan-m0.avro`,
      youngData: `${loc}/data/cat=beta/99999-orphan-young.parquet`,
      youngManifest: `${loc}/metadata/0001-orphan-m0.avro`,
    };
    for (const p of Object.values(planted)) await wh.io.write(p, someData);
    const fourDaysAgo = (Date.now() - 4 * DAY) / 1000;
    await utimes(localPathOf(planted.oldData), fourDaysAgo, fourDaysAgo);
    await utimes(localPathOf(planted.oldManifest), tenDaysAgo, tenDaysAgo);
    const twoDaysAgo = (Date.now() - 2 * DAY) / 1000;
    await utimes(localPathOf(planted.youngData), twoDaysAgo, twoDaysAgo);

    const dry = await removeOrphanFiles(table, { dryRun: true });
    expect(dry.orphans.sort()).toEqual([planted.oldData, planted.oldManifest].sort());
    expect(dry.deleted).toBe(0);
    const result = await removeOrphanFiles(table);
    expect(result.orphans.sort()).toEqual([planted.oldData, planted.oldManifest].sort());
    expect(result.tooYoung).toBe(2);
    expect(result.deleted).toBe(2);
    expect(await wh.io.exists(planted.oldData)).toBe(false);
    expect(await wh.io.exists(planted.youngData)).toBe(true);
    expect(await wh.io.exists(planted.youngManifest)).toBe(true);
    // Every real file survived, the compacted-away ones included: old snapshots still reference them.
    for (const f of real) expect(await wh.io.exists(f.path)).toBe(true);
    const all = digest(eventRows(0, next));
    expect(await duckDigest(duck.conn, table.metadataLocation)).toEqual(all);
    expect(await duckDigest(duck.conn, table.metadataLocation, firstId)).toEqual(digest(eventRows(0, 6)));
  });
});
