/**
 * Reading data files back for a rewrite: Parquet bytes -> Arrow (parquet-wasm readParquet -> IPC ->
 * apache-arrow), conformed to the table's current schema by field id, so the writer gets fields that
 * carry `PARQUET:field_id` at every level and the types it expects.
 *
 * Conforming matches columns by field id (renamed columns follow their id), fills columns the file
 * does not have with nulls (optional ones only), drops columns the table no longer has, and applies
 * the promotions Iceberg allows: int -> long, float -> double, decimal precision widening. A file
 * without field ids, or with types it cannot map (dictionary, large or view strings), is refused with
 * UNSUPPORTED rather than rewritten wrongly.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import type { Schema } from "../iceberg/spec/index.js";
import {
  arrowSchema,
  buildColumn,
  fieldIdOf,
  parquetWasm,
  type WriteField,
  writeFieldsFromSchema,
} from "../iceberg/write/index.js";

/** Rows per Arrow batch when reading (parquet-wasm's default of 1024 makes many tiny batches). */
const READ_BATCH_ROWS = 65_536;

/** Parquet bytes -> Arrow table (JS memory; the WASM copy is freed). */
export function parquetToArrow(bytes: Uint8Array, path = "<bytes>"): arrow.Table {
  try {
    const wasm = parquetWasm().readParquet(bytes, { batchSize: READ_BATCH_ROWS });
    return arrow.tableFromIPC(wasm.intoIPCStream());
  } catch (e) {
    throw new FloeError(
      "IO_ERROR",
      `cannot read Parquet file ${path}: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
        context: { path },
      },
    );
  }
}

function unsupported(path: string, message: string): FloeError {
  return new FloeError("UNSUPPORTED", `column ${path}: ${message}`, { context: { column: path } });
}

function nullData(field: WriteField, length: number, path: string): arrow.Data {
  if (field.required) throw unsupported(path, "required by the table schema but missing from the file");
  return buildColumn(field, new Array<null>(length).fill(null));
}

/** Children of a struct-like source matched by field id to the target's write fields. */
function conformChildren(
  source: arrow.Data,
  sourceFields: readonly arrow.Field[],
  targets: readonly WriteField[],
  targetArrow: readonly arrow.Field[],
  path: string,
): arrow.Data[] {
  const byId = new Map<number, number>();
  sourceFields.forEach((f, i) => {
    const id = fieldIdOf(f);
    if (id !== undefined) byId.set(id, i);
  });
  return targets.map((t, i) => {
    const childPath = path === "" ? t.name : `${path}.${t.name}`;
    const pos = byId.get(t.id);
    const data = pos === undefined ? undefined : source.children[pos];
    const tf = targetArrow[i];
    if (tf === undefined) throw unsupported(childPath, "internal: no Arrow field");
    if (data === undefined || pos === undefined) return nullData(t, source.length, childPath);
    return conformData(data, t, tf, childPath);
  });
}

function promoteInts(data: arrow.Data, to: arrow.DataType): arrow.Data {
  const src = data.values as Int32Array;
  const out = new BigInt64Array(data.offset + data.length);
  for (let i = data.offset; i < data.offset + data.length; i++) out[i] = BigInt(src[i] ?? 0);
  return arrow.makeData({
    type: to as arrow.Int64,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: out,
  });
}

function promoteFloats(data: arrow.Data, to: arrow.DataType): arrow.Data {
  const src = data.values as Float32Array;
  const out = new Float64Array(data.offset + data.length);
  for (let i = data.offset; i < data.offset + data.length; i++) out[i] = src[i] ?? 0;
  return arrow.makeData({
    type: to as arrow.Float64,
    offset: data.offset,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    data: out,
  });
}

/** `data` retyped as `target` (its Arrow field `tf`), recursively; throws UNSUPPORTED if it cannot be. */
function conformData(data: arrow.Data, target: WriteField, tf: arrow.Field, path: string): arrow.Data {
  const s = data.type as arrow.DataType;
  const t = tf.type as arrow.DataType;
  const same = () => data.clone(t);
  const mismatch = () => unsupported(path, `file type ${s} cannot be read as ${t}`);
  const wt = target.type;
  if (arrow.DataType.isDictionary(s)) throw unsupported(path, "dictionary-encoded columns are not supported");
  switch (wt.kind) {
    case "struct": {
      if (!arrow.DataType.isStruct(s)) throw mismatch();
      const children = conformChildren(data, s.children, wt.fields, t.children, path);
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, children);
    }
    case "list": {
      if (!arrow.DataType.isList(s)) throw mismatch();
      const child = data.children[0];
      const el = t.children[0];
      if (child === undefined || el === undefined) throw mismatch();
      const element: WriteField = {
        id: wt.elementId,
        name: el.name,
        required: wt.elementRequired,
        type: wt.element,
      };
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, [
        conformData(child, element, el, `${path}.element`),
      ]);
    }
    case "map": {
      if (!arrow.DataType.isMap(s)) throw mismatch();
      const entries = data.children[0];
      const te = t.children[0];
      const se = s.children[0];
      if (entries === undefined || te === undefined || se === undefined) throw mismatch();
      const kv: WriteField[] = [
        { id: wt.keyId, name: "key", required: true, type: wt.key },
        { id: wt.valueId, name: "value", required: wt.valueRequired, type: wt.value },
      ];
      // Key and value by position: a map's entries always hold exactly these two.
      const [sk, sv] = entries.children;
      const [tk, tv] = te.type.children;
      if (sk === undefined || sv === undefined || tk === undefined || tv === undefined) throw mismatch();
      const conformed = entries.clone(te.type, entries.offset, entries.length, entries.nullCount, undefined, [
        conformData(sk, kv[0]!, tk, `${path}.key`),
        conformData(sv, kv[1]!, tv, `${path}.value`),
      ]);
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, [conformed]);
    }
    case "int":
      if (arrow.DataType.isInt(s) && s.bitWidth === 32 && s.isSigned) return same();
      throw mismatch();
    case "long":
      if (arrow.DataType.isInt(s) && s.isSigned && s.bitWidth === 64) return same();
      if (arrow.DataType.isInt(s) && s.isSigned && s.bitWidth === 32) return promoteInts(data, t);
      throw mismatch();
    case "float":
      if (arrow.DataType.isFloat(s) && s.precision === arrow.Precision.SINGLE) return same();
      throw mismatch();
    case "double":
      if (arrow.DataType.isFloat(s) && s.precision === arrow.Precision.DOUBLE) return same();
      if (arrow.DataType.isFloat(s) && s.precision === arrow.Precision.SINGLE) return promoteFloats(data, t);
      throw mismatch();
    case "decimal":
      if (
        arrow.DataType.isDecimal(s) &&
        s.bitWidth === 128 &&
        s.scale === wt.scale &&
        s.precision <= wt.precision
      )
        return same();
      throw mismatch();
    case "boolean":
      if (arrow.DataType.isBool(s)) return same();
      throw mismatch();
    case "date":
      if (arrow.DataType.isDate(s) && s.unit === arrow.DateUnit.DAY) return same();
      throw mismatch();
    case "time":
      if (arrow.DataType.isTime(s) && s.unit === arrow.TimeUnit.MICROSECOND && s.bitWidth === 64)
        return same();
      throw mismatch();
    case "timestamp":
    case "timestamptz": {
      const wantTz = wt.kind === "timestamptz";
      if (
        arrow.DataType.isTimestamp(s) &&
        s.unit === arrow.TimeUnit.MICROSECOND &&
        (s.timezone != null) === wantTz
      )
        return same();
      throw mismatch();
    }
    case "string":
      if (arrow.DataType.isUtf8(s)) return same();
      throw mismatch();
    case "binary":
      if (arrow.DataType.isBinary(s)) return same();
      throw mismatch();
    case "uuid":
      if (arrow.DataType.isFixedSizeBinary(s) && s.byteWidth === 16) return same();
      throw mismatch();
    case "fixed":
      if (arrow.DataType.isFixedSizeBinary(s) && s.byteWidth === wt.length) return same();
      throw mismatch();
  }
  throw mismatch();
}

/** The table conformed to `schema`: fields carry field ids, types and order are the schema's. */
export function conformToSchema(table: arrow.Table, schema: Schema, path = "<table>"): arrow.Table {
  const fields = writeFieldsFromSchema(schema);
  const target = arrowSchema(fields);
  if (table.schema.fields.length > 0 && table.schema.fields.every((f) => fieldIdOf(f) === undefined)) {
    throw new FloeError("UNSUPPORTED", `${path} has no Parquet field ids (name mapping is not supported)`, {
      context: { path },
    });
  }
  const structType = new arrow.Struct(target.fields);
  const batches = table.batches.map((batch) => {
    const children = conformChildren(batch.data, table.schema.fields, fields, target.fields, "");
    return new arrow.RecordBatch(
      target,
      arrow.makeData({ type: structType, length: batch.numRows, nullCount: 0, children }),
    );
  });
  return new arrow.Table(target, batches);
}
