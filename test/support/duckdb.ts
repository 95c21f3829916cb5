import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { stackEnv } from "./stack.js";

export const DUCKDB_EXTENSIONS = ["httpfs", "avro", "iceberg"] as const;

/**
 * An in-memory DuckDB (Node, @duckdb/node-api 1.4.4) with the iceberg, httpfs and avro extensions
 * LOADed from the verifier env's files (nothing downloads at run time) and an S3 secret for the
 * local store.
 */
export async function openDuckDB(): Promise<{
  db: DuckDBInstance;
  conn: DuckDBConnection;
  close: () => void;
}> {
  const env = stackEnv();
  const db = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const conn = await db.connect();
  for (const ext of DUCKDB_EXTENSIONS) {
    await conn.run(`LOAD '${join(env.FLOE_DUCKDB_EXTENSION_DIR, `${ext}.duckdb_extension`)}'`);
  }
  const endpoint = new URL(env.FLOE_S3_ENDPOINT);
  await conn.run(`CREATE SECRET floe_local_s3 (
    TYPE s3, KEY_ID '${env.FLOE_S3_ACCESS_KEY_ID}', SECRET '${env.FLOE_S3_SECRET_ACCESS_KEY}',
    ENDPOINT '${endpoint.host}', URL_STYLE 'path', USE_SSL false, REGION '${env.FLOE_S3_REGION}')`);
  return {
    db,
    conn,
    close: () => {
      conn.closeSync();
      db.closeSync();
    },
  };
}

/** Runs a query and returns its rows as objects (JSON-friendly values: bigint stays bigint). */
export async function query(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects() as Record<string, unknown>[];
}
