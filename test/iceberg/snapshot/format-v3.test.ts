import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import { isFloeError } from "../../../src/errors.js";
import { decodeManifest, decodeManifestList } from "../../../src/iceberg/avro/index.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { liveDeletionVectors, liveEntries, readManifestList } from "../../../src/iceberg/snapshot/index.js";
import { currentSnapshot, makeSchema } from "../../../src/iceberg/spec/index.js";
import { readDeletionVector, writeDeletionVectors } from "../../../src/iceberg/write/index.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "v", required: false, type: "string" },
]);

async function setup(properties: Record<string, string> = { "format-version": "3" }) {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  await catalog.createNamespace(["db"]);
  const table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema, properties }), io);
  return { io, table };
}

async function append(table: Table, ids: number[]) {
  const op = await table.newAppend().appendRows(ids.map((id) => ({ id: BigInt(id), v: `r${id}` })));
  await op.commit();
  return op.dataFiles;
}

describe("format v3 writing", () => {
  it("the format-version property creates a v3 table and is not stored; v2 stays the default", async () => {
    const { table } = await setup();
    expect(table.metadata["format-version"]).toBe(3);
    expect(table.metadata["next-row-id"]).toBe(0n);
    expect(table.metadata.properties["format-version"]).toBeUndefined();
    expect((await setup({})).table.metadata["format-version"]).toBe(2);
  });

  it("assigns row ids: snapshot first-row-id and added-rows, manifest and data file first_row_id", async () => {
    const { io, table } = await setup();
    await append(table, [1, 2, 3]);
    await append(table, [4, 5]);
    const snap = currentSnapshot(table.metadata);
    expect(snap?.["first-row-id"]).toBe(3n);
    expect(snap?.["added-rows"]).toBe(2n);
    expect(table.metadata["next-row-id"]).toBe(5n);
    const list = decodeManifestList(await io.read(snap?.["manifest-list"] ?? ""));
    expect(list.formatVersion).toBe(3);
    expect(list.metadata["first-row-id"]).toBe("3");
    expect(list.manifests.map((m) => m.first_row_id).sort()).toEqual([0n, 3n]);
    const manifest = decodeManifest(await io.read(list.manifests[0]?.manifest_path ?? ""));
    expect(manifest.formatVersion).toBe(3);
    // Added files leave first_row_id null (inherited); readers resolve it from the manifest's.
    expect(manifest.entries[0]?.data_file.first_row_id).toBeUndefined();
    const byRows = (await liveEntries(io, snap)).map((e) => [
      e.data_file.record_count,
      e.data_file.first_row_id,
    ]);
    expect(byRows.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [3n, 0n],
      [2n, 3n],
    ]);
  });

  it("a rewrite keeps carried files' row ids explicit and gives new manifests fresh ranges", async () => {
    const { io, table } = await setup();
    const [a] = await append(table, [1, 2]);
    const [b] = await append(table, [3]);
    const merged = await table.dataFileWriter().writeRows([{ id: 1n, v: "r1" }]);
    await table
      .newRewrite()
      .addDataFiles(merged)
      .removeFiles([a?.file_path ?? ""])
      .commit();
    const snap = currentSnapshot(table.metadata);
    expect(snap?.["first-row-id"]).toBe(3n);
    expect(table.metadata["next-row-id"]).toBe(3n + (snap?.["added-rows"] ?? 0n));
    const live = await liveEntries(io, snap);
    expect(live.find((e) => e.data_file.file_path === b?.file_path)?.data_file.first_row_id).toBe(2n);
    expect(live.find((e) => e.data_file.file_path === merged[0]?.file_path)?.data_file.first_row_id).toBe(3n);
  });

  it("a row delta replacing a data file's deletion vector leaves one live vector, others in the Puffin kept", async () => {
    const { io, table } = await setup();
    const [a] = await append(table, [1, 2, 3, 4]);
    const [b] = await append(table, [5, 6]);
    const pathA = a?.file_path ?? "";
    const pathB = b?.file_path ?? "";
    const opts = { io, location: table.metadata.location };
    const first = await writeDeletionVectors(
      opts,
      new Map([
        [pathA, { positions: [0], partition: {} }],
        [pathB, { positions: [1], partition: {} }],
      ]),
    );
    await table.newRowDelta().addDeleteFiles(first).requireDataFiles([pathA, pathB]).commit();
    const before = await liveDeletionVectors(io, currentSnapshot(table.metadata));
    const prevA = before.get(pathA);
    expect(prevA?.first_row_id).toBeUndefined();
    const second = await writeDeletionVectors(
      opts,
      new Map([[pathA, { positions: [2], partition: {}, previous: prevA }]]),
    );
    await table
      .newRowDelta()
      .addDeleteFiles(second)
      .removeDeleteFiles([prevA!])
      .requireDataFiles([pathA])
      .commit();
    const after = await liveDeletionVectors(io, currentSnapshot(table.metadata));
    expect([...after.keys()].sort()).toEqual([pathA, pathB].sort());
    expect(await readDeletionVector(io, after.get(pathA)!)).toEqual([0, 2]);
    expect(await readDeletionVector(io, after.get(pathB)!)).toEqual([1]);
    const summary = currentSnapshot(table.metadata)?.summary;
    expect(summary).toMatchObject({ "total-position-deletes": "3", "total-delete-files": "2" });
    // Delete manifests carry no row ids; the data manifests keep theirs.
    const list = await readManifestList(io, currentSnapshot(table.metadata));
    for (const m of list) expect(m.first_row_id === undefined).toBe(m.content === 1);
  });

  it("refuses a second live deletion vector for a data file (the old one must be removed)", async () => {
    const { io, table } = await setup();
    const [a] = await append(table, [1, 2, 3]);
    const path = a?.file_path ?? "";
    const opts = { io, location: table.metadata.location };
    const dv = () => writeDeletionVectors(opts, new Map([[path, { positions: [0], partition: {} }]]));
    await table
      .newRowDelta()
      .addDeleteFiles(await dv())
      .commit();
    const again = await table
      .newRowDelta()
      .addDeleteFiles(await dv())
      .commit()
      .catch((e: unknown) => e);
    expect(isFloeError(again, "COMMIT_CONFLICT")).toBe(true);
    expect(String((again as Error).message)).toMatch(/already have a deletion vector/);
    const twice = [...(await dv()), ...(await dv())];
    await expect(table.newRowDelta().addDeleteFiles(twice).commit()).rejects.toThrow(/two deletion vectors/);
    expect((await liveDeletionVectors(io, currentSnapshot(table.metadata))).size).toBe(1);
  });
});
