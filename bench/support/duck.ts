// DuckDB 1.4.4 for the benchmarks' query timings: its iceberg/avro/httpfs extensions are loaded from
// FLOE_DUCKDB_EXTENSION_DIR, else from `scripts/stack env --json`; queries are timed after warm-up.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

/** The stack's environment (S3 endpoint and keys, DuckDB extension dir), the process's taking precedence. */
export function stackEnv(): Record<string, string> {
  if (process.env.FLOE_DUCKDB_EXTENSION_DIR) return process.env as Record<string, string>;
  const here = dirname(fileURLToPath(import.meta.url));
  const out = execFileSync(join(here, "..", "..", "scripts", "stack"), ["env", "--json"], {
    encoding: "utf8",
  });
  return { ...(JSON.parse(out) as Record<string, string>), ...(process.env as Record<string, string>) };
}

/** An in-memory DuckDB with the iceberg extensions loaded (and an S3 secret for the stack if `s3`). */
export async function openDuck(
  env: Record<string, string>,
  s3 = false,
): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const db = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const conn = await db.connect();
  for (const ext of ["httpfs", "avro", "iceberg"]) {
    await conn.run(`LOAD '${join(env.FLOE_DUCKDB_EXTENSION_DIR ?? "", `${ext}.duckdb_extension`)}'`);
  }
  if (s3) {
    const endpoint = new URL(env.FLOE_S3_ENDPOINT ?? "http://127.0.0.1:9000");
    await conn.run(`CREATE SECRET bench_s3 (TYPE s3, KEY_ID '${env.FLOE_S3_ACCESS_KEY_ID}',
      SECRET '${env.FLOE_S3_SECRET_ACCESS_KEY}', ENDPOINT '${endpoint.host}', URL_STYLE 'path',
      USE_SSL false, REGION '${env.FLOE_S3_REGION ?? "us-east-1"}')`);
  }
  return {
    conn,
    close: () => {
      conn.closeSync();
      db.closeSync();
    },
  };
}

/** `warmup` unrecorded then `iterations` timed runs of `sql` (rows read out included); the last result as JSON. */
export async function timeQuery(
  conn: DuckDBConnection,
  sql: string,
  iterations: number,
  warmup: number,
): Promise<{ ms: number[]; result: string }> {
  const ms: number[] = [];
  let result = "";
  for (let i = 0; i < warmup + iterations; i++) {
    const t0 = performance.now();
    const reader = await conn.runAndReadAll(sql);
    const rows = reader.getRowObjectsJson();
    const t1 = performance.now();
    result = JSON.stringify(rows);
    if (i >= warmup) ms.push(t1 - t0);
  }
  return { ms, result };
}
