// Test helper: a real Parquet reader (DuckDB 1.4.4) to check what the writer produced.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

export type Row = Record<string, unknown>;

export interface ParquetProbe {
  /** Writes bytes to a temp file and returns its path (quoted-safe: no quotes in it). */
  file(bytes: Uint8Array, name?: string): string;
  /** Runs SQL and returns rows as JSON-ish objects (BIGINT/HUGEINT/DECIMAL as strings). */
  rows(sql: string): Promise<Row[]>;
  close(): void;
}

export async function openProbe(): Promise<ParquetProbe> {
  const dir = mkdtempSync(join(tmpdir(), "floe-write-"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn: DuckDBConnection = await instance.connect();
  let n = 0;
  return {
    file(bytes, name) {
      const path = join(dir, name ?? `f${n++}.parquet`);
      writeFileSync(path, bytes);
      return path;
    },
    async rows(sql) {
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Row[];
    },
    close() {
      conn.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
