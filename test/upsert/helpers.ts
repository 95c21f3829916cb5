import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EmbeddedCatalog, Table } from "../../src/catalog/index.js";
import { LocalFileIO } from "../../src/iceberg/io/index.js";
import type { PartitionSpec, Schema } from "../../src/iceberg/spec/index.js";

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
