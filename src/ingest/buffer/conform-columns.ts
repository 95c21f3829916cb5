/**
 * Brings a buffer's columns into the table schema's representation before they are written. Records
 * whose schema fits the table as it is (same types, or widenings whose values need no change: int to
 * long, float to double, a wider decimal precision) are used as buffered; the rest are converted one by
 * one, and records that cannot be written (a schema the table cannot take, a value that does not
 * convert) are taken out of the buffer and returned as failures for their error path.
 */
import { FloeError, isFloeError } from "../../errors.js";
import type { Schema, StructType } from "../../iceberg/spec/index.js";
import { alignDeleteKey } from "../change/index.js";
import type { ErrorStage } from "../dlq.js";
import { conformRow, fitsDirectly } from "../schema/index.js";
import { type BufferedRecord, CHANGE_DELETE, type TableBuffer } from "./buffer.js";
import { ColumnBuilder } from "./columns.js";

export interface RecordFailure {
  record: BufferedRecord;
  stage: ErrorStage;
  error: FloeError;
}

/**
 * Converts what needs converting in place and drops (from the buffer) the records that fail; `bad`
 * holds the record schemas the table could not take, with the reason.
 */
export function conformColumns(
  buf: TableBuffer,
  table: Schema,
  bad: ReadonlyMap<StructType, FloeError>,
): RecordFailure[] {
  const direct = buf.schemas.map(
    (s) => !bad.has(s) && (fitsDirectly(s, table) || fitsAsBuffered(s, table, buf)),
  );
  const failures: RecordFailure[] = [];
  if (direct.every(Boolean)) return failures;
  const keep: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    if (direct[buf.schemaIndex.at(i)]) {
      keep.push(i);
      continue;
    }
    let rec = buf.recordAt(i);
    if (buf.ops?.at(i) === CHANGE_DELETE) rec = alignedDelete(rec, table);
    const error = bad.get(rec.schema);
    if (error !== undefined && !buf.valueKept(i) && buf.route.config.onError === "dlq") {
      // Its schema fitted the table when it was buffered, so its bytes were let go; the table changed
      // since (another writer). Stop before committing: a restart re-reads it and dead-letters it whole.
      const { topic, partition, offset } = rec.meta;
      throw new FloeError(
        "SCHEMA_INCOMPATIBLE",
        `record ${topic}/${partition}@${offset} no longer fits the table (${error.message}); stopping ` +
          "before its offset is committed, so that a restart re-reads it and dead-letters it with its value",
        { cause: error, context: { topic, partition, offset } },
      );
    }
    if (error !== undefined) {
      failures.push({ record: rec, stage: "schema", error });
      continue;
    }
    try {
      const row = conformRow(table, rec.row);
      for (const f of table.fields) {
        let col = buf.columns.get(f.name);
        if (col === undefined) {
          col = new ColumnBuilder(f.type);
          buf.columns.set(f.name, col);
        }
        col.set(i, row[f.name]);
      }
      keep.push(i);
    } catch (e) {
      if (!isFloeError(e)) throw e;
      failures.push({ record: rec, stage: "convert", error: e });
    }
  }
  buf.retain(keep);
  return failures;
}

/**
 * An upsert delete keyed by its Kafka key, with the key converted to the table's key types (a tombstone
 * buffered before the table existed carries the key's own types: "1001" read as the JSON number).
 */
function alignedDelete(rec: BufferedRecord, table: Schema): BufferedRecord {
  const aligned = alignDeleteKey(
    { op: "delete", key: rec.row, schema: rec.schema },
    (c) => table.fields.find((f) => f.name === c)?.type,
  );
  if (aligned.op !== "delete" || aligned.schema === rec.schema) return rec;
  return { ...rec, row: aligned.key, schema: aligned.schema };
}

/**
 * Whether records of `schema` fit the table as their columns hold them: a long field (a JSON integer)
 * whose table column is a double and whose buffer column stores doubles holds them exactly already.
 */
function fitsAsBuffered(schema: StructType, table: Schema, buf: TableBuffer): boolean {
  let widened = false;
  const fields = schema.fields.map((f) => {
    if (f.type !== "long" || !buf.columns.get(f.name)?.float64) return f;
    if (table.fields.find((t) => t.name === f.name)?.type !== "double") return f;
    widened = true;
    return { ...f, type: "double" as const };
  });
  return widened && fitsDirectly({ type: "struct", fields }, table);
}
