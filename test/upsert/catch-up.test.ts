import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import type { Table } from "../../src/catalog/index.js";
import {
  conformToSchema,
  DeleteFileReader,
  DeleteIndex,
  parquetToArrow,
  scanSnapshot,
  unpartitionedSpecIds,
} from "../../src/compaction/index.js";
import { liveDeletionVectors } from "../../src/iceberg/snapshot/index.js";
import {
  buildPartitionSpec,
  currentSchema,
  currentSnapshot,
  FLOE_KEY_INDEX,
  FLOE_KEY_INDEX_PARENT,
  makeSchema,
} from "../../src/iceberg/spec/index.js";
import { upgradeFormatVersionAction } from "../../src/iceberg/table/index.js";
import {
  writeDeletionVectors,
  writeEqualityDeletes,
  writePositionDeletes,
} from "../../src/iceberg/write/index.js";
import type { Logger } from "../../src/log.js";
import {
  catchUp,
  type IndexedFile,
  type KeyIndex,
  keyHashes,
  loadKeyIndex,
  writeCheckpoint,
} from "../../src/upsert/index.js";
import { tempTable } from "./helpers.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "cat", required: true, type: "string" },
  { id: 3, name: "v", required: false, type: "string" },
]);
const spec = buildPartitionSpec(schema, [{ source: "cat", transform: "identity" }]);
const KEY = ["id"];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function setup(properties?: Record<string, string>) {
  const t = await tempTable(schema, spec, "t", properties);
  cleanups.push(t.cleanup);
  return t;
}

type Row = { id: bigint; cat: string; v: string };
const rows = (ids: number[], cat: string, v = "x"): Row[] => ids.map((i) => ({ id: BigInt(i), cat, v }));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function append(table: Table, data: Row[], summary?: Record<string, string>) {
  const op = await table.newAppend().appendRows(data);
  return op.commit(summary === undefined ? {} : { summary });
}

function hashesOf(ids: readonly bigint[]): Uint32Array {
  return keyHashes([arrow.makeVector(BigInt64Array.from(ids))]);
}

/** Every live row of the table (its deletes applied) as id -> "path#pos", read independently. */
async function liveKeys(table: Table): Promise<Map<bigint, string[]>> {
  const md = table.metadata;
  const files = await scanSnapshot(table.io, currentSnapshot(md));
  const index = new DeleteIndex(files.deletes, unpartitionedSpecIds(md["partition-specs"]));
  const reader = new DeleteFileReader(table.io, currentSchema(md));
  const out = new Map<bigint, string[]>();
  for (const d of files.data) {
    const t = conformToSchema(parquetToArrow(await table.io.read(d.file.file_path)), currentSchema(md));
    const deletes = await reader.forFile(d, index.deletesFor(d));
    const ids = t.getChild("id")!.toArray() as BigInt64Array;
    ids.forEach((id, pos) => {
      if (deletes.positions.has(pos)) return;
      out.set(id, [...(out.get(id) ?? []), `${d.file.file_path}#${pos}`]);
    });
  }
  return out;
}

/** The index answers every live key with its row, and knows no other key. */
async function expectMatches(index: KeyIndex, table: Table, absent: number[] = []) {
  const live = await liveKeys(table);
  const ids = [...live.keys()];
  const hashes = hashesOf(ids);
  const wrong: string[] = [];
  ids.forEach((id, i) => {
    const loc = index.lookup(hashes, i);
    const got = loc === undefined ? "none" : `${loc.file.path}#${loc.pos}`;
    const rowsOfKey = live.get(id)!;
    if (got !== rowsOfKey[rowsOfKey.length - 1] && !rowsOfKey.includes(got)) wrong.push(`${id}: ${got}`);
  });
  expect(wrong).toEqual([]);
  const gone = hashesOf(absent.map(BigInt));
  expect(absent.filter((_, i) => index.lookup(gone, i) !== undefined)).toEqual([]);
  expect(index.size).toBe(live.size);
  expect(index.snapshotId).toBe(currentSnapshot(table.metadata)?.["snapshot-id"]);
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: object) =>
    lines.push(
      `${level}: ${msg} ${JSON.stringify(fields ?? {}, (_k, v) => (typeof v === "bigint" ? `${v}` : v))}`,
    );
  return {
    lines,
    logger: {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      child() {
        return this;
      },
    } as Logger,
  };
}

/** A sink-like upsert commit: new rows for `ids` in partition `cat`, old rows deleted by position. */
async function upsertCommit(
  table: Table,
  index: KeyIndex,
  ids: number[],
  cat: string,
  checkpoint: boolean,
  beforeCommit?: () => Promise<unknown>,
) {
  const writer = table.dataFileWriter();
  const [data] = await writer.writeRowsIn(rows(ids, cat, "new"), [cat]);
  const hashes = hashesOf(ids.map(BigInt));
  const deletesByPartition = new Map<string, { file: IndexedFile; pos: bigint }[]>();
  ids.forEach((_, i) => {
    const old = index.lookup(hashes, i);
    if (old !== undefined) {
      const key = String(old.file.partition[0]);
      deletesByPartition.set(key, [
        ...(deletesByPartition.get(key) ?? []),
        { file: old.file, pos: BigInt(old.pos) },
      ]);
    }
    index.put(hashes, i, { path: data!.file_path, specId: 0, partition: [cat] }, i);
  });
  const deleteFiles = [];
  for (const [part, dels] of deletesByPartition) {
    deleteFiles.push(
      ...(await writePositionDeletes(
        table.writerOptions(),
        dels.map((d) => ({ path: d.file.path, pos: d.pos })),
        [part],
      )),
    );
  }
  const summary = checkpoint ? (await writeCheckpoint(table.io, table.metadata, index)).summary : undefined;
  await beforeCommit?.();
  const result = await table
    .newRowDelta()
    .addDataFiles([data!])
    .addDeleteFiles(deleteFiles)
    .commit(summary === undefined ? {} : { summary });
  index.commitPending(
    result.snapshot!["snapshot-id"],
    result.snapshot!["sequence-number"],
    result.snapshot!["parent-snapshot-id"] ?? null,
  );
  return result;
}

describe("key index load and catch-up on a real table", () => {
  it("rebuilds from the table, counting keys found on two live rows", async () => {
    const { table } = await setup();
    expect((await loadKeyIndex(table.io, table.metadata, KEY)).source).toBe("empty");
    await append(table, [...rows(range(0, 50), "a"), ...rows(range(50, 100), "b")]);
    await append(table, rows([7, 60, 200], "a")); // 7 and 60 again: duplicates
    const { index, source, caughtUpFiles, duplicateKeys } = await loadKeyIndex(table.io, table.metadata, KEY);
    expect(source).toBe("rebuilt");
    expect(caughtUpFiles).toBe(3);
    expect(duplicateKeys).toBe(2);
    expect(index.size).toBe(101);
    // The newer file's row wins.
    const second = index.lookup(hashesOf([7n, 60n]), 0)!;
    expect(index.lookup(hashesOf([60n]), 0)!.file.path).toBe(second.file.path);
    expect(second.file.partition).toEqual(["a"]);
    expect(second.pos).toBe(0);
    await expectMatches(index, table, [100, 150]);
  });

  it("saves a checkpoint with a commit and loads it on restart without reading data files", async () => {
    const { table } = await setup();
    await append(table, rows(range(0, 40), "a"));
    const { index } = await loadKeyIndex(table.io, table.metadata, KEY);
    const before = index.snapshotId;
    const committed = await upsertCommit(table, index, [1, 2, 3, 100], "a", true);
    const summary = committed.snapshot!.summary;
    expect(summary[FLOE_KEY_INDEX]).toMatch(/\/metadata\/floe-keys-[0-9a-f-]+\.bin$/);
    expect(summary[FLOE_KEY_INDEX_PARENT]).toBe(String(before));
    await upsertCommit(table, index, [4, 100, 101], "b", false);
    await expectMatches(index, table);
    // Each commit landed right on the index's snapshot: the index is settled at the newest.
    expect(index.settledSnapshotId).toBe(index.snapshotId);
    expect(index.ownSnapshotIds).toEqual([]);
    const { logger, lines } = capture();
    const loaded = await loadKeyIndex(table.io, table.metadata, KEY, logger);
    expect(loaded.source).toBe("checkpoint");
    // The commit after the checkpoint is caught up: its data file read, its position deletes applied.
    expect(loaded.caughtUpFiles).toBe(1);
    await expectMatches(loaded.index, table);
    expect(lines.filter((l) => l.startsWith("warn"))).toEqual([]);
  });

  it("catches up with another writer's append, row delta and a rewrite of files", async () => {
    const { table } = await setup();
    await append(table, rows(range(0, 30), "a"));
    await append(table, rows(range(30, 60), "b"));
    const { index } = await loadKeyIndex(table.io, table.metadata, KEY);
    // Another writer appends new keys and one existing key (a duplicate: the newer row wins).
    await append(table, rows([500, 501, 5], "a"));
    let r = await catchUp(table.io, index, table.metadata);
    expect(r).toMatchObject({ files: 1, duplicateKeys: 1, rebuilt: false });
    await expectMatches(index, table);
    // Another writer deletes rows by position (two rows of the first file).
    const scanned = await scanSnapshot(table.io, currentSnapshot(table.metadata));
    const first = scanned.data.find(
      (d) => Number(d.file.record_count) === 30 && d.file.partition.cat === "a",
    )!;
    const del = await writePositionDeletes(
      table.writerOptions(),
      [
        { path: first.file.file_path, pos: 10n },
        { path: first.file.file_path, pos: 11n },
      ],
      ["a"],
    );
    await table.newRowDelta().addDeleteFiles(del).commit();
    r = await catchUp(table.io, index, table.metadata);
    expect(r).toMatchObject({ files: 0, removed: 2, rebuilt: false });
    await expectMatches(index, table, [10, 11]);
    // A compaction-like rewrite: partition a's live rows into one new file, the old files removed.
    const live = await liveKeys(table);
    const aFiles = (await scanSnapshot(table.io, currentSnapshot(table.metadata))).data.filter(
      (d) => d.file.partition.cat === "a",
    );
    const aRows = [...live.entries()]
      .filter(([, locs]) => aFiles.some((f) => locs[0]!.startsWith(f.file.file_path)))
      .map(([id]) => ({ id, cat: "a", v: "rewritten" }));
    const rewritten = await table.dataFileWriter().writeRowsIn(aRows, ["a"]);
    await table
      .newRewrite()
      .addDataFiles(rewritten)
      .removeFiles(aFiles.map((f) => f.file.file_path))
      .commit();
    r = await catchUp(table.io, index, table.metadata);
    expect(r).toMatchObject({ files: 1, duplicateKeys: 0, rebuilt: false });
    expect(index.files.size).toBe(2);
    await expectMatches(index, table, [10, 11]);
    // Nothing foreign since: nothing read.
    expect(await catchUp(table.io, index, table.metadata)).toMatchObject({ files: 0, removed: 0 });
  });

  it("keeps an index past a tiny memory budget (run on disk) in step: rebuild, commits, catch-up, restart", async () => {
    const { table, root } = await setup();
    await append(table, rows(range(0, 40), "a"));
    await append(table, rows([...range(40, 80), 3], "b"));
    const tiny = { memoryBytes: 256, spillDir: `${root}/spill` };
    // The rebuild reads the files in runs of a quarter of the budget each and merges them on disk.
    const { index, duplicateKeys } = await loadKeyIndex(table.io, table.metadata, KEY, undefined, tiny);
    expect(index.spilled).toBe(true);
    expect(duplicateKeys).toBe(1);
    await expectMatches(index, table);
    await upsertCommit(table, index, [1, 2, 3, 100], "a", true);
    await append(table, rows([500, 5], "b")); // another writer
    expect(await catchUp(table.io, index, table.metadata)).toMatchObject({ files: 1, duplicateKeys: 1 });
    await upsertCommit(table, index, [5, 6, 101], "b", true);
    await expectMatches(index, table, [200]);
    expect(index.diskBytes).toBeGreaterThan(256);
    const loaded = await loadKeyIndex(table.io, table.metadata, KEY, undefined, tiny);
    expect(loaded.source).toBe("checkpoint");
    expect(loaded.index.spilled).toBe(true);
    await expectMatches(loaded.index, table, [200]);
    index.close();
    loaded.index.close();
  });

  it("catches up from a checkpoint whose commit landed on another writer's snapshot", async () => {
    const { table } = await setup();
    await append(table, rows(range(0, 20), "a"));
    const { index } = await loadKeyIndex(table.io, table.metadata, KEY);
    // The checkpoint is written on the index's snapshot, but another writer commits first: the
    // upsert commit lands on top of it.
    const foreign = () => append(table, rows([300, 3], "b"));
    const ours = await upsertCommit(table, index, [1, 2, 3], "a", true, foreign);
    const parent = ours.snapshot!["parent-snapshot-id"];
    expect(String(parent)).not.toBe(ours.snapshot!.summary[FLOE_KEY_INDEX_PARENT]);
    // Not settled: the other writer's snapshot is not reflected yet.
    expect(index.ownSnapshotIds).toEqual([ours.snapshot!["snapshot-id"]]);
    expect((await catchUp(table.io, index, table.metadata)).files).toBe(1);
    await expectMatches(index, table);
    const { logger, lines } = capture();
    const loaded = await loadKeyIndex(table.io, table.metadata, KEY, logger);
    expect(loaded.source).toBe("checkpoint");
    expect(lines.some((l) => /written on another parent/.test(l))).toBe(true);
    expect(loaded.caughtUpFiles).toBe(1); // the other writer's file
    expect(loaded.duplicateKeys).toBe(1); // key 3 is in both: ours (newer) is kept
    await expectMatches(loaded.index, table);
  });

  it("rebuilds when the checkpoint is missing or damaged, or another writer added equality deletes", async () => {
    const { table, io } = await setup();
    await append(table, rows(range(0, 25), "a"));
    const { index } = await loadKeyIndex(table.io, table.metadata, KEY);
    await upsertCommit(table, index, [1, 2], "a", true);
    const path = currentSnapshot(table.metadata)!.summary[FLOE_KEY_INDEX]!;
    // Damaged: one byte flipped.
    const bytes = await io.read(path);
    const bad = bytes.slice();
    bad[bad.length - 10] = (bad[bad.length - 10]! + 1) & 0xff;
    await io.write(path, bad);
    let log = capture();
    let loaded = await loadKeyIndex(table.io, table.metadata, KEY, log.logger);
    expect(loaded.source).toBe("rebuilt");
    expect(log.lines.some((l) => /^warn: key index checkpoint unusable/.test(l))).toBe(true);
    await expectMatches(loaded.index, table);
    // Missing.
    await io.delete(path);
    log = capture();
    loaded = await loadKeyIndex(table.io, table.metadata, KEY, log.logger);
    expect(loaded.source).toBe("rebuilt");
    expect(log.lines.some((l) => /checkpoint unusable/.test(l))).toBe(true);
    await expectMatches(loaded.index, table);
    // Another writer's equality delete of key 7: a rebuild that applies it.
    const ids = currentSchema(table.metadata).fields.find((f) => f.name === "id")!.id;
    const eq = await writeEqualityDeletes(table.writerOptions(), [ids], [{ id: 7n }], ["a"]);
    await table.newRowDelta().addDeleteFiles(eq).commit();
    const r = await catchUp(table.io, loaded.index, table.metadata);
    expect(r.rebuilt).toBe(true);
    expect(loaded.index.lookup(hashesOf([7n]), 0)).toBeUndefined();
    expect(loaded.index.size).toBe(24);
  });

  it("applies another writer's deletion vectors (format v3), merged ones included", async () => {
    const { table, io } = await setup();
    await table.commit(upgradeFormatVersionAction(3));
    expect(table.metadata["format-version"]).toBe(3);
    await append(table, rows(range(0, 10), "a"));
    const { index } = await loadKeyIndex(table.io, table.metadata, KEY);
    const dataPath = (await scanSnapshot(io, currentSnapshot(table.metadata))).data[0]!.file.file_path;
    const opts = { io, location: table.metadata.location, spec };
    const first = await writeDeletionVectors(
      opts,
      new Map([[dataPath, { positions: [1, 2], partition: ["a"] }]]),
    );
    await table.newRowDelta().addDeleteFiles(first).commit();
    expect(await catchUp(io, index, table.metadata)).toMatchObject({ files: 0, removed: 2, rebuilt: false });
    await expectMatches(index, table, [1, 2]);
    // The file's vector replaced by a merged one (old positions kept, one more).
    const previous = (await liveDeletionVectors(io, currentSnapshot(table.metadata))).get(dataPath);
    expect(previous).toBeDefined();
    const second = await writeDeletionVectors(
      opts,
      new Map([[dataPath, { positions: [7], partition: ["a"], previous }]]),
    );
    await table.newRowDelta().addDeleteFiles(second).removeDeleteFiles([previous!]).commit();
    expect(await catchUp(io, index, table.metadata)).toMatchObject({ files: 0, removed: 1 });
    await expectMatches(index, table, [1, 2, 7]);
    // A rebuild reads the vector too.
    const rebuilt = await loadKeyIndex(io, table.metadata, KEY);
    expect(rebuilt.source).toBe("rebuilt");
    await expectMatches(rebuilt.index, table, [1, 2, 7]);
  });
});
