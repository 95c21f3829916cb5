import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { LocalFileIO } from "../../src/iceberg/io/index.js";
import type { PartitionSpec, Schema } from "../../src/iceberg/spec/index.js";
import type { IndexedFile } from "../../src/upsert/index.js";

/** A deterministic pseudo-random stream (xorshift32). */
export function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** An unpartitioned data file named by n, as the index holds it. */
export const file = (n: number): IndexedFile => ({
  path: `file:///t/data/f${n}.parquet`,
  specId: 0,
  partition: [],
});

/** A table in a fresh temporary warehouse on local disk (embedded catalog). */
export async function tempTable(
  schema: Schema,
  spec?: PartitionSpec,
  name = "t",
  properties?: Record<string, string>,
) {
  const root = await mkdtemp(join(tmpdir(), "floe-upsert-"));
  const io = new LocalFileIO({ fsync: false });
  const catalog = new EmbeddedCatalog({ warehouse: pathToFileURL(join(root, "wh")).href, io });
  await catalog.createNamespace(["db"]);
  const loaded = await catalog.createTable(["db"], {
    name,
    schema,
    ...(spec === undefined ? {} : { spec }),
    ...(properties === undefined ? {} : { properties }),
  });
  const table = new Table(catalog, loaded, io);
  return { root, io, catalog, table, cleanup: () => rm(root, { recursive: true, force: true }) };
}
