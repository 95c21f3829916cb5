import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table } from "../../../src/catalog/index.js";
import { MemoryFileIO } from "../../../src/iceberg/io/index.js";
import type { StructType } from "../../../src/iceberg/spec/index.js";
import { type RecordInput, TableBuffer, tableBatch } from "../../../src/ingest/buffer/index.js";
import { OpenTableCommit } from "../../../src/ingest/commit/index.js";
import {
  type CommitterDeps,
  commitOpen,
  type PreparedCommit,
  prepareTableCommit,
} from "../../../src/ingest/commit/table-committer.js";
import { committedOffsets } from "../../../src/ingest/index.js";
import { buildRoutes } from "../../../src/ingest/route.js";
import { createLogger } from "../../../src/log.js";
import { liveRows } from "../../compaction/helpers.js";

// The committer against a real buffer (through its TableBatch) and an in-memory catalog: what it
// prepares, writes and commits, and what it hands back instead of calling into the sink.

const TABLE = { namespace: ["db"], name: "t" };
const [maybeRoute] = buildRoutes([
  {
    topics: ["t"],
    table: "db.t",
    format: "json",
    partitionBy: [],
    metadataColumns: false,
    onError: "dlq",
    evolve: true,
    maxColumns: 1000,
    properties: {},
    mode: "append",
    envelope: "none",
    keyIndexCheckpointSeconds: 60,
    keyIndexMemoryMB: 256,
  },
]);
if (!maybeRoute) throw new Error("no route");
const route = maybeRoute;

const LONG_ID: StructType = {
  type: "struct",
  fields: [{ id: 1, name: "id", required: false, type: "long" }],
};
const BYTES_ID: StructType = {
  type: "struct",
  fields: [{ id: 1, name: "id", required: false, type: "binary" }],
};

const input = (offset: number): RecordInput => ({
  topic: "t",
  partition: 0,
  offset: BigInt(offset),
  timestampMs: 1_700_000_000_000 + offset,
  key: null,
  headers: null,
  value: Buffer.from(`{"id":${offset}}`),
});

function setup() {
  const io = new MemoryFileIO();
  const catalog = new EmbeddedCatalog({ warehouse: "memory://wh", io });
  const deps: CommitterDeps = {
    catalog,
    io,
    group: "g",
    logger: createLogger({ level: "error", write: () => undefined }),
  };
  /** A batch of rows at `offsets` (their ids are their offsets). */
  const batch = (offsets: number[]) => {
    const buf = new TableBuffer(TABLE, route);
    for (const o of offsets) buf.add({ id: BigInt(o) }, LONG_ID, input(o));
    return tableBatch(buf);
  };
  const prepare = async (offsets: number[]): Promise<PreparedCommit> => {
    const prepared = await prepareTableCommit(deps, batch(offsets));
    if (prepared.superseded) throw new Error("superseded");
    return prepared;
  };
  const table = async () => new Table(catalog, await catalog.loadTable(TABLE), io);
  return { io, deps, batch, prepare, table };
}

/** One flush as its own commit. */
async function commitPrepared(deps: CommitterDeps, prepared: PreparedCommit) {
  const open = new OpenTableCommit(prepared.table, route);
  await open.write(prepared);
  return commitOpen(deps, open);
}

describe("table committer", () => {
  it("creates the table, writes the batch and commits it with its offsets; the same range again is superseded", async () => {
    const { deps, batch, prepare, table } = setup();
    const prepared = await prepare([0, 1, 2]);
    expect(prepared.failures).toEqual([]);
    const result = await commitPrepared(deps, prepared);
    expect(result).toMatchObject({ superseded: false, rows: 3, newestTimestampMs: 1_700_000_000_002n });
    if (result.superseded) return;
    expect(result.files).toBeGreaterThan(0);
    const t = await table();
    expect(result.snapshotId).toBe(t.metadata["current-snapshot-id"]);
    expect(committedOffsets(t.metadata, "g")).toEqual(new Map([["t", new Map([[0, 3n]])]]));
    expect(await liveRows(t)).toEqual(['{"id":"0n"}', '{"id":"1n"}', '{"id":"2n"}']);

    // A zombie (or a re-read) with part of that range: nothing is written, it re-reads from 3.
    const again = await prepareTableCommit(deps, batch([2, 3]));
    expect(again).toEqual({ superseded: true, reseek: new Map([["t", new Map([[0, 3n]])]]) });
  });

  it("hands back the records the table cannot take, writes the rest and covers every offset", async () => {
    const { deps, prepare, table } = setup();
    await commitPrepared(deps, await prepare([0]));
    const mixed = new TableBuffer(TABLE, route);
    mixed.add({ id: 1n }, LONG_ID, input(1));
    mixed.add({ id: Buffer.from("x") }, BYTES_ID, input(2));
    const prepared = await prepareTableCommit(deps, tableBatch(mixed));
    if (prepared.superseded) throw new Error("superseded");
    expect(prepared.failures.map((f) => [f.stage, f.error.code, f.record.meta.offset])).toEqual([
      ["schema", "SCHEMA_INCOMPATIBLE", 2n],
    ]);
    expect(new TextDecoder().decode(prepared.failures[0]?.record.value ?? undefined)).toBe('{"id":2}');
    const result = await commitPrepared(deps, prepared);
    expect(result).toMatchObject({ superseded: false, rows: 1 });
    const t = await table();
    expect(committedOffsets(t.metadata, "g").get("t")?.get(0)).toBe(3n);
    expect(await liveRows(t)).toEqual(['{"id":"0n"}', '{"id":"1n"}']);
  });

  it("drops its snapshot and deletes its files when another writer commits the range after it prepared", async () => {
    const { io, deps, prepare, table } = setup();
    await commitPrepared(deps, await prepare([0])); // the table exists for both writers
    const zombie = await prepare([1, 2]);
    const winner = await commitPrepared(deps, await prepare([1, 2, 3]));
    expect(winner.superseded).toBe(false);
    const lost = await commitPrepared(deps, zombie);
    expect(lost).toEqual({ superseded: true, reseek: new Map([["t", new Map([[0, 4n]])]]) });
    const t = await table();
    const parquet: string[] = [];
    for await (const f of io.list(t.metadata.location)) if (f.path.endsWith(".parquet")) parquet.push(f.path);
    expect(parquet).toHaveLength(2); // the first commit's file and the winner's: the zombie's is gone
    expect(await liveRows(t)).toEqual(['{"id":"0n"}', '{"id":"1n"}', '{"id":"2n"}', '{"id":"3n"}']);
  });

  it("writes several flushes into one open file per partition and commits them with the merged offsets", async () => {
    const { io, deps, batch, prepare, table } = setup();
    const first = await prepare([0, 1, 2]);
    const open = new OpenTableCommit(first.table, route);
    await open.write(first);
    for (const offsets of [
      [3, 4],
      [5, 6, 7],
    ]) {
      const prepared = await prepareTableCommit(deps, batch(offsets), open.table);
      if (prepared.superseded) throw new Error("superseded");
      expect(open.overlaps(prepared.batch)).toBe(false);
      await open.write(prepared);
    }
    // Records read again after a seek would be written twice: the open commit refuses them.
    expect(open.overlaps(batch([6, 7, 8]))).toBe(true);
    expect(open.restartPoints(batch([6, 7, 8]))).toEqual(new Map([["t", new Map([[0, 0n]])]]));
    const result = await commitOpen(deps, open);
    expect(result).toMatchObject({ superseded: false, rows: 8, files: 1 });
    const t = await table();
    expect(committedOffsets(t.metadata, "g")).toEqual(new Map([["t", new Map([[0, 8n]])]]));
    expect(await liveRows(t)).toHaveLength(8);
    const parquet: string[] = [];
    for await (const f of io.list(t.metadata.location)) if (f.path.endsWith(".parquet")) parquet.push(f.path);
    expect(parquet).toHaveLength(1);
  });

  it("an aborted open commit leaves no file behind", async () => {
    const { io, prepare, table } = setup();
    const prepared = await prepare([0, 1]);
    const open = new OpenTableCommit(prepared.table, route);
    await open.write(prepared);
    await open.abort();
    const t = await table();
    const files: string[] = [];
    for await (const f of io.list(t.metadata.location)) if (f.path.endsWith(".parquet")) files.push(f.path);
    expect(files).toEqual([]);
  });
});
