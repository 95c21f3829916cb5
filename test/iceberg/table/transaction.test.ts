import { beforeEach, describe, expect, it } from "vitest";
import { catalogTableOps, EmbeddedCatalog, type LoadedTable, Table } from "../../../src/catalog/index.js";
import { FloeError, isFloeError } from "../../../src/errors.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { liveEntries, SnapshotProducer } from "../../../src/iceberg/snapshot/index.js";
import {
  COMMIT_MAX_RETRY_WAIT_MS,
  COMMIT_MIN_RETRY_WAIT_MS,
  COMMIT_NUM_RETRIES,
  COMMIT_TOTAL_RETRY_TIME_MS,
  currentSchema,
  currentSnapshot,
  type DataFile,
  makeSchema,
} from "../../../src/iceberg/spec/index.js";
import {
  commitActions,
  Table as IcebergTable,
  snapshotAction,
  type TableOps,
  updatePropertiesAction,
  updateSchemaAction,
} from "../../../src/iceberg/table/index.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "v", required: false, type: "string" },
]);

let seq = 0;
/** A data (or delete) file struct: the producer never opens the files it commits. */
function file(content: 0 | 1 | 2 = 0, records = 10n): DataFile {
  seq++;
  return {
    content,
    file_path: `memory://wh/db.db/t/data/${content === 0 ? "data" : "delete"}-${seq}.parquet`,
    file_format: "PARQUET",
    partition: {},
    record_count: records,
    file_size_in_bytes: 1000n,
  };
}

/** A FileIO that counts the metadata files written: manifests and manifest lists. */
class CountingIO extends MemoryFileIO {
  manifests = 0;
  lists = 0;
  override async write(path: string, bytes: Uint8Array, opts?: Parameters<MemoryFileIO["write"]>[2]) {
    if (/\/metadata\/snap-/.test(path)) this.lists++;
    else if (path.endsWith("-m0.avro")) this.manifests++;
    return super.write(path, bytes, opts);
  }
}

type Fault = "conflict" | "rival" | "unknown-landed" | "unknown-lost";

/** The catalog's TableOps with faults injected into the next commits, in order. */
function faultyOps(catalog: EmbeddedCatalog, io: MemoryFileIO, faults: Fault[]): TableOps<LoadedTable> {
  const id = { namespace: ["db"], name: "t" };
  const ops = catalogTableOps(catalog, id);
  return {
    name: ops.name,
    load: ops.load,
    commit: async (requirements, updates) => {
      const fault = faults.shift();
      if (fault === "conflict") throw new FloeError("COMMIT_CONFLICT", "injected conflict");
      if (fault === "rival") {
        const rival = new Table(catalog, await catalog.loadTable(id), io);
        await rival.newAppend().appendFiles([file()]).commit();
      }
      if (fault === "unknown-lost") throw new FloeError("COMMIT_STATE_UNKNOWN", "injected: lost");
      const result = await ops.commit(requirements, updates);
      if (fault === "unknown-landed") throw new FloeError("COMMIT_STATE_UNKNOWN", "injected: landed");
      return result;
    },
  };
}

const noSleep = { sleep: async () => {} };

describe("transaction API (iceberg/table)", () => {
  let io: CountingIO;
  let catalog: EmbeddedCatalog;
  let table: Table;

  const setup = async (properties: Record<string, string> = {}) => {
    io = new CountingIO();
    catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
    await catalog.createNamespace(["db"]);
    table = new Table(catalog, await catalog.createTable(["db"], { name: "t", schema, properties }), io);
  };
  const tableWith = (faults: Fault[]) => new IcebergTable(faultyOps(catalog, io, faults), table.state, io);

  beforeEach(() => setup());

  it("a replace that loses to a rival append restages without re-encoding its manifests", async () => {
    const inputs = [file(), file(), file()];
    for (const f of inputs) await table.newAppend().appendFiles([f]).commit();
    const before = { manifests: io.manifests, lists: io.lists };
    const deleted: string[] = [];
    const merged = file(0, 30n);
    const result = await tableWith(["rival", "rival"])
      .newRewrite()
      .addDataFiles([merged])
      .removeFiles(inputs.map((f) => f.file_path))
      .commit({ ...noSleep, deleteFiles: async (p) => deleted.push(...p) });
    expect(result).toMatchObject({ committed: true, attempts: 3, conflicts: 2, unknownOutcomes: 0 });
    // Each rival append wrote 1 manifest and 1 list; ours: the new files' manifest and the combined
    // manifest of the inputs once each, and one manifest list per attempt.
    expect(io.manifests - before.manifests).toBe(2 + 2);
    expect(io.lists - before.lists).toBe(2 + 3);
    // The lists of the two attempts that did not land were handed over for deletion, nothing else.
    expect(deleted).toHaveLength(2);
    for (const p of deleted) expect(p).toMatch(/\/metadata\/snap-/);
    await table.refresh();
    const live = (await liveEntries(io, currentSnapshot(table.metadata))).map((e) => e.data_file.file_path);
    expect(live).toHaveLength(3); // the merged file and the two rival appends
    expect(live).toContain(merged.file_path);
    expect(currentSnapshot(table.metadata)?.summary).toMatchObject({
      operation: "replace",
      "deleted-data-files": "3",
      "total-data-files": "3",
      "total-records": "50",
    });
  });

  it("an unknown outcome that landed is not retried and leaves one snapshot", async () => {
    const result = await tableWith(["unknown-landed"]).newAppend().appendFiles([file()]).commit(noSleep);
    expect(result).toMatchObject({ committed: true, attempts: 1, unknownOutcomes: 1 });
    expect(result.snapshot).toBeDefined();
    await table.refresh();
    expect(table.metadata.snapshots).toHaveLength(1);
    expect(table.metadata.snapshots[0]?.["snapshot-id"]).toBe(result.snapshot?.["snapshot-id"]);
  });

  it("an unknown outcome that did not land is retried once and lands once", async () => {
    const result = await tableWith(["unknown-lost"]).newAppend().appendFiles([file()]).commit(noSleep);
    expect(result).toMatchObject({ committed: true, attempts: 2, unknownOutcomes: 1 });
    await table.refresh();
    expect(table.metadata.snapshots).toHaveLength(1);
  });

  it("a schema change whose outcome was unknown but landed is resolved too", async () => {
    const wider = makeSchema([...schema.fields, { id: 3, name: "w", required: false, type: "int" }]);
    const result = await tableWith(["unknown-landed"]).updateSchema(
      () => ({ schema: wider, lastColumnId: 3 }),
      noSleep,
    );
    expect(result).toMatchObject({ committed: true, attempts: 1, unknownOutcomes: 1 });
    await table.refresh();
    expect(table.metadata.schemas).toHaveLength(2);
    expect(currentSchema(table.metadata).fields.map((f) => f.name)).toEqual(["id", "v", "w"]);
  });

  it("takes its retry budget from commit.retry.* table properties", async () => {
    await setup({
      [COMMIT_NUM_RETRIES]: "2",
      [COMMIT_MIN_RETRY_WAIT_MS]: "5",
      [COMMIT_MAX_RETRY_WAIT_MS]: "12",
    });
    const waits: number[] = [];
    const failure = await tableWith(["conflict", "conflict", "conflict", "conflict"])
      .newAppend()
      .appendFiles([file()])
      .commit({ sleep: async (ms) => void waits.push(ms) })
      .catch((e: unknown) => e);
    expect(isFloeError(failure, "COMMIT_CONFLICT")).toBe(true);
    expect((failure as Error).message).toContain("after 3 attempts");
    expect(waits).toHaveLength(2);
    for (const w of waits) {
      expect(w).toBeGreaterThanOrEqual(5);
      expect(w).toBeLessThanOrEqual(12);
    }
  });

  it("with no retries left, still resolves an unknown outcome before giving up", async () => {
    await setup({ [COMMIT_NUM_RETRIES]: "0" });
    const landed = await tableWith(["unknown-landed"]).newAppend().appendFiles([file()]).commit(noSleep);
    expect(landed).toMatchObject({ committed: true, attempts: 1, unknownOutcomes: 1 });
    const lost = await tableWith(["unknown-lost"])
      .newAppend()
      .appendFiles([file()])
      .commit(noSleep)
      .catch((e: unknown) => e);
    expect(isFloeError(lost, "COMMIT_STATE_UNKNOWN")).toBe(true);
    expect((lost as FloeError).retryable).toBe(true);
    await table.refresh();
    expect(table.metadata.snapshots).toHaveLength(1);
  });

  it("stops retrying when commit.retry.total-timeout-ms is spent", async () => {
    await setup({ [COMMIT_TOTAL_RETRY_TIME_MS]: "1000", [COMMIT_MIN_RETRY_WAIT_MS]: "400" });
    let clock = 0;
    const failure = await tableWith(["conflict", "conflict", "conflict", "conflict"])
      .newAppend()
      .appendFiles([file()])
      .commit({
        now: () => clock,
        random: () => 1,
        sleep: async (ms) => {
          clock += ms;
        },
      })
      .catch((e: unknown) => e);
    // 400 + 800 > 1000: the second retry would end past the budget, so two attempts in all.
    expect((failure as Error).message).toContain("after 2 attempts");
  });

  it("a row delta adds position deletes with Iceberg's summary counts and checks its data files", async () => {
    const data = file(0, 100n);
    await table.newAppend().appendFiles([data]).commit();
    const deletes = { ...file(1, 7n), referenced_data_file: data.file_path };
    const result = await table
      .newRowDelta()
      .addDataFiles([file(0, 5n)])
      .addDeleteFiles([deletes])
      .requireDataFiles([data.file_path])
      .commit();
    expect(result.committed).toBe(true);
    expect(result.snapshot?.summary).toMatchObject({
      operation: "overwrite",
      "added-data-files": "1",
      "added-records": "5",
      "added-delete-files": "1",
      "added-position-delete-files": "1",
      "added-position-deletes": "7",
      "total-data-files": "2",
      "total-records": "105",
      "total-delete-files": "1",
      "total-position-deletes": "7",
      "total-equality-deletes": "0",
    });
    const live = await liveEntries(io, currentSnapshot(table.metadata));
    expect(live.filter((e) => e.data_file.content === 1).map((e) => e.data_file.file_path)).toEqual([
      deletes.file_path,
    ]);
    // Once that data file is gone, a row delta pointing into it must be replanned, not retried.
    await table.newDelete().removeFiles([data.file_path]).commit();
    const stale = await table
      .newRowDelta()
      .addDeleteFiles([{ ...file(1, 1n), referenced_data_file: data.file_path }])
      .requireDataFiles([data.file_path])
      .commit()
      .catch((e: unknown) => e);
    expect(isFloeError(stale, "COMMIT_CONFLICT")).toBe(true);
    expect((stale as FloeError).retryable).toBe(false);
  });

  it("a validation hook that refuses drops the commit and hands back every file written", async () => {
    const deleted: string[] = [];
    let calls = 0;
    const result = await tableWith(["rival"])
      .newAppend()
      .appendFiles([file()])
      .commit({
        ...noSleep,
        // A zombie: fine on the first base, overtaken once the rival committed.
        validate: () => ++calls === 1,
        deleteFiles: async (p) => deleted.push(...p),
      });
    expect(result).toMatchObject({ committed: false, attempts: 2, conflicts: 1 });
    expect(deleted.filter((p) => p.endsWith("-m0.avro"))).toHaveLength(1);
    expect(deleted.filter((p) => /\/snap-/.test(p))).toHaveLength(1);
    await table.refresh();
    expect(table.metadata.snapshots).toHaveLength(1); // the rival's only
  });

  it("stages the first attempt on the caller's base without loading, and reloads only on conflict", async () => {
    let loads = 0;
    const ops = faultyOps(catalog, io, []);
    const counting: TableOps<LoadedTable> = {
      ...ops,
      load: () => {
        loads++;
        return ops.load();
      },
    };
    const fresh = await catalog.loadTable(table.identifier);
    const nothing = await commitActions(counting, updatePropertiesAction({}), { base: fresh });
    expect(nothing.committed).toBe(false);
    const set = await commitActions(counting, updatePropertiesAction({ a: "1" }), { base: fresh });
    expect(set).toMatchObject({ committed: true, attempts: 1 });
    expect(loads).toBe(0);
    // A stale base (another writer appended since) costs one conflict and one load.
    await table.newAppend().appendFiles([file()]).commit();
    const producer = new SnapshotProducer({ io }, { addedDataFiles: [file()] });
    const stale = await commitActions(counting, snapshotAction(producer), { ...noSleep, base: fresh });
    expect(stale).toMatchObject({ committed: true, attempts: 2, conflicts: 1 });
    expect(loads).toBe(1);
    expect(stale.table.metadata.properties.a).toBe("1");
    expect(stale.table.metadata.snapshots).toHaveLength(2);
  });

  it("commits several actions atomically: schema, properties and a snapshot", async () => {
    const wider = makeSchema([...schema.fields, { id: 3, name: "w", required: false, type: "int" }]);
    const producer = new SnapshotProducer({ io }, { addedDataFiles: [file()] }, "append");
    const result = await commitActions(
      faultyOps(catalog, io, ["rival"]),
      [
        updateSchemaAction(() => ({ schema: wider, lastColumnId: 3 })),
        updatePropertiesAction({ "floe.test": "1" }),
        snapshotAction(producer, () => ({ "floe.offsets.g": "{}" })),
      ],
      noSleep,
    );
    expect(result).toMatchObject({ committed: true, attempts: 2, conflicts: 1 });
    const md = result.table.metadata;
    expect(currentSchema(md).fields.map((f) => f.name)).toEqual(["id", "v", "w"]);
    expect(md.properties["floe.test"]).toBe("1");
    const head = currentSnapshot(md);
    expect(head?.["snapshot-id"]).toBe(producer.snapshotId);
    expect(head?.["schema-id"]).toBe(md["current-schema-id"]);
    expect(head?.summary["total-data-files"]).toBe("2");
  });
});
