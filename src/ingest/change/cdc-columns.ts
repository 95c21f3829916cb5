/**
 * Optional metadata columns for rows upserted from Debezium events, taken from the event:
 * - `_cdc_op` string: c (insert), u (update) or r (snapshot read) of the change that wrote the row.
 * - `_cdc_ts_ms` long: `source.ts_ms`, when the change happened in the database (epoch ms); the event's
 *   own `ts_ms` (when Debezium processed it) when the source has none.
 * - `_cdc_pos` string: the change's position in the database log: Postgres `lsn`, SQL Server / Db2
 *   `change_lsn`, Oracle `scn`, MySQL / MariaDB `file:pos:row`; null for other connectors.
 * They are appended after the row's own fields; a row field of the same name is replaced.
 */

import type { NestedField, StructType } from "../../iceberg/spec/index.js";
import { derivedStruct } from "./structs.js";

/** The `source` struct of a Debezium event, as decoded (fields vary by connector). */
export type CdcSource = Record<string, unknown> | null | undefined;

export const CDC_COLUMNS: readonly NestedField[] = [
  { id: 0, name: "_cdc_op", required: false, type: "string" },
  { id: 0, name: "_cdc_ts_ms", required: false, type: "long" },
  { id: 0, name: "_cdc_pos", required: false, type: "string" },
];
const NAMES = new Set(CDC_COLUMNS.map((f) => f.name));

const has = (v: unknown) => v !== null && v !== undefined;

function toLong(v: unknown): bigint | null {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return null;
}

/** The log position of the change (see the file comment), or null. */
export function cdcPosition(source: CdcSource): string | null {
  if (!source) return null;
  for (const name of ["lsn", "change_lsn", "scn"]) if (has(source[name])) return String(source[name]);
  if (has(source.file) && has(source.pos)) return `${source.file}:${source.pos}:${source.row ?? 0}`;
  return null;
}

/** `schema` with the CDC columns appended (interned by shape). */
export function cdcSchema(schema: StructType): StructType {
  return derivedStruct(schema, "cdc", (s) => [
    ...s.fields.filter((f) => !NAMES.has(f.name)),
    ...CDC_COLUMNS,
  ]) as StructType;
}

/** An upsert with the CDC columns of its event added to the row and the schema. */
export function withCdcColumns<C extends { row: Record<string, unknown>; schema: StructType }>(
  change: C,
  op: string,
  source: CdcSource,
  eventTsMs: unknown,
): C {
  const row = {
    ...change.row,
    _cdc_op: op,
    _cdc_ts_ms: toLong(source?.ts_ms) ?? toLong(eventTsMs),
    _cdc_pos: cdcPosition(source),
  };
  return { ...change, row, schema: cdcSchema(change.schema) };
}
