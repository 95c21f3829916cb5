/**
 * Issue 13, findings 2 and 3: maintenance deletes only the table's own files. Metadata a token holder
 * committed (a statistics file elsewhere, another table's manifest list) never makes expiry delete
 * what the table does not own; it is logged and kept.
 */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { EmbeddedCatalog, Table, type TableIdentifier } from "../../src/catalog/index.js";
import { DAY_MS, expireSnapshots, removeOrphanFiles } from "../../src/compaction/index.js";
import { LocalFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema } from "../../src/iceberg/spec/index.js";
import type { Logger } from "../../src/log.js";

const schema = makeSchema([{ id: 1, name: "id", required: true, type: "long" }]);
const A: TableIdentifier = { namespace: ["db"], name: "a" };
const B: TableIdentifier = { namespace: ["db"], name: "b" };

function recordingLogger(): { logger: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const noop = () => undefined;
  const logger: Logger = {
    debug: noop,
    info: noop,
    error: noop,
    warn: (msg: string, ctx?: Record<string, unknown>) => warnings.push({ msg, ...ctx }),
    child: () => logger,
  } as unknown as Logger;
  return { logger, warnings };
}

async function setup(now: { t: number }) {
  const root = await mkdtemp(join(tmpdir(), "floe-own-"));
  const io = new LocalFileIO();
  const catalog = new EmbeddedCatalog({
    warehouse: pathToFileURL(join(root, "wh")).href,
    io,
    now: () => now.t,
  });
  await catalog.createNamespace(["db"]);
  const open = async (id: TableIdentifier) =>
    new Table(catalog, await catalog.createTable(id.namespace, { name: id.name, schema }), io);
  return { root, io, catalog, open };
}

const exists = (io: LocalFileIO, p: string) => io.exists(p);

describe("maintenance deletes only the table's own files", () => {
  it("finding 2: expiring a snapshot keeps a statistics file outside the table location", async () => {
    const now = { t: 1_800_000_000_000 };
    const { root, io, catalog, open } = await setup(now);
    const elsewhere = join(root, "elsewhere");
    await mkdir(elsewhere);
    const foreign = pathToFileURL(join(elsewhere, "x.puffin")).href;
    await writeFile(join(elsewhere, "x.puffin"), "precious");
    const a = await open(A);
    await (await a.newAppend().appendRows([{ id: 1n }])).commit();
    const first = a.metadata["current-snapshot-id"] ?? -1n;
    const own = `${a.metadata.location}/metadata/own-stats.puffin`;
    await io.write(own, new TextEncoder().encode("own"));
    await catalog.commitTable(
      A,
      [],
      [
        {
          action: "set-statistics",
          statistics: {
            "snapshot-id": first,
            "statistics-path": foreign,
            "file-size-in-bytes": 8,
            "file-footer-size-in-bytes": 0,
            "blob-metadata": [],
          },
        },
      ],
    );
    now.t += 10 * DAY_MS;
    await a.refresh();
    await (await a.newAppend().appendRows([{ id: 2n }])).commit();
    const { logger, warnings } = recordingLogger();
    const result = await expireSnapshots(catalog, A, io, {
      retainLast: 1,
      maxSnapshotAgeMs: 0,
      logger,
      now: () => now.t,
    });
    expect(result.snapshotsExpired).toBe(1);
    expect(await readFile(join(elsewhere, "x.puffin"), "utf8")).toBe("precious");
    expect(result.files.statisticsFiles).toEqual([]);
    expect(result.foreignFiles).toEqual([
      { path: foreign, reason: `not under the table location ${a.metadata.location}` },
    ]);
    expect(warnings).toContainEqual(
      expect.objectContaining({ msg: "not deleting a file the table does not own", path: foreign }),
    );
    // The table's own unreachable files still go.
    expect(result.files.manifestLists).toHaveLength(1);
    expect(await exists(io, result.files.manifestLists[0] ?? "")).toBe(false);
    expect(await exists(io, own)).toBe(true); // never referenced: not expiry's business
  });

  it("finding 3: expiring table A's snapshot that names B's manifest list keeps B's files", async () => {
    const now = { t: 1_800_000_000_000 };
    const { io, catalog, open } = await setup(now);
    const a = await open(A);
    const b = await open(B);
    await (await b.newAppend().appendRows([{ id: 7n }])).commit();
    const bSnap = b.metadata.snapshots.at(-1);
    const bList = bSnap?.["manifest-list"] ?? "";
    const bFiles = await scanPaths(b);
    expect(bFiles.length).toBeGreaterThanOrEqual(2);
    await (await a.newAppend().appendRows([{ id: 1n }])).commit();
    // A token holder adds to A a snapshot whose manifest list is B's current one.
    await catalog.commitTable(
      A,
      [],
      [
        {
          action: "add-snapshot",
          snapshot: {
            "snapshot-id": 4242n,
            "sequence-number": 2n,
            "timestamp-ms": now.t,
            "manifest-list": bList,
            summary: { operation: "append" },
          },
        },
      ],
    );
    now.t += 10 * DAY_MS;
    const { logger, warnings } = recordingLogger();
    const result = await expireSnapshots(catalog, A, io, {
      retainLast: 1,
      maxSnapshotAgeMs: 0,
      logger,
      now: () => now.t,
    });
    expect(result.selection.expire).toEqual([4242n]);
    expect(result.filesDeleted).toBe(0);
    for (const p of [bList, ...bFiles]) expect(await exists(io, p), p).toBe(true);
    expect(result.foreignFiles.map((f) => f.path).sort()).toEqual([bList, ...bFiles].sort());
    expect(warnings.filter((w) => w.msg === "not deleting a file the table does not own")).toHaveLength(
      bFiles.length + 1,
    );
    // B still reads its row.
    await b.refresh();
    expect((await scanPaths(b)).sort()).toEqual([...bFiles].sort());
    await expect(catalog.loadTable(B)).resolves.toBeDefined();
  });

  it("orphan removal keeps a namespace marker and a nested table in an old warehouse", async () => {
    const now = { t: 1_800_000_000_000 };
    const { io, catalog, open } = await setup(now);
    const a = await open(A);
    await (await a.newAppend().appendRows([{ id: 1n }])).commit();
    const loc = a.metadata.location;
    // What an earlier Floe let users create: namespace db.a.data, table db.a.data.t, table db.a.metadata.
    const marker = `${loc}/data/.floe-namespace.json`;
    const nestedData = `${loc}/data/t/data/x.parquet`;
    const nestedMeta = `${loc}/metadata/metadata/v1.metadata.json`;
    const orphan = `${loc}/data/orphan.parquet`;
    for (const p of [marker, nestedData, nestedMeta, orphan])
      await io.write(p, new TextEncoder().encode("x"));
    const { logger, warnings } = recordingLogger();
    const result = await removeOrphanFiles(a, { olderThanMs: 0, now: () => Date.now() + 1000, logger });
    expect(result.orphans).toEqual([orphan]);
    expect(result.foreignKept).toBe(3);
    expect(await exists(io, orphan)).toBe(false);
    for (const p of [marker, nestedData, nestedMeta]) expect(await exists(io, p), p).toBe(true);
    expect(warnings.map((w) => w.path).sort()).toEqual([marker, nestedData, nestedMeta].sort());
    void catalog;
  });
});

/** Manifests and data files a table's current snapshot references. */
async function scanPaths(t: Table): Promise<string[]> {
  const { readManifestEntries, readManifestList } = await import("../../src/iceberg/snapshot/index.js");
  const snap = t.metadata.snapshots.find((s) => s["snapshot-id"] === t.metadata["current-snapshot-id"]);
  if (snap === undefined) return [];
  const out: string[] = [];
  for (const m of await readManifestList(t.io, snap)) {
    out.push(m.manifest_path);
    for (const e of await readManifestEntries(t.io, m)) out.push(e.data_file.file_path);
  }
  return out;
}
