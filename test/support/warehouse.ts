import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EmbeddedCatalog } from "../../src/catalog/index.js";
import { type FileIO, RoutingFileIO } from "../../src/iceberg/io/index.js";
import { stackEnv, uniqueName } from "./stack.js";

export type WarehouseKind = "local" | "s3";

/** A FileIO for both file:// and the stack's S3 store. */
export function stackFileIO(): FileIO {
  const env = stackEnv();
  return new RoutingFileIO({
    s3: {
      endpoint: env.FLOE_S3_ENDPOINT,
      region: env.FLOE_S3_REGION,
      pathStyle: true,
      credentials: { accessKeyId: env.FLOE_S3_ACCESS_KEY_ID, secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY },
    },
  });
}

/** A fresh warehouse (a temp directory or a unique S3 prefix) with an embedded catalog over it. */
export async function freshWarehouse(
  kind: WarehouseKind,
): Promise<{ warehouse: string; io: FileIO; catalog: EmbeddedCatalog }> {
  const warehouse =
    kind === "local"
      ? pathToFileURL(await mkdtemp(join(tmpdir(), "floe-wh-"))).href
      : `s3://${stackEnv().FLOE_S3_BUCKET}/${uniqueName("wh")}`;
  const io = stackFileIO();
  return { warehouse, io, catalog: new EmbeddedCatalog({ warehouse, io }) };
}
