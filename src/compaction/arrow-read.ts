/**
 * Reading data files back for a rewrite: Parquet bytes -> Arrow (parquet-wasm readParquet -> IPC ->
 * apache-arrow; large files batch by batch in parquet-batches.ts), conformed to the table's current schema by field id, so the writer gets fields that
 * carry `PARQUET:field_id` at every level and the types it expects.
 *
 * Conforming matches columns by field id (renamed columns follow their id), fills columns the file
 * does not have with nulls (optional ones only), drops columns the table no longer has, and converts
 * every physical variant Iceberg allows to the writer's Arrow type (arrow-convert.ts: large and view
 * layouts, dictionaries, time units, decimal widths, int widths, and the promotions int -> long,
 * float -> double, decimal precision widening). Files written without field ids (migrated tables)
 * get them from the table's name mapping (`schema.name-mapping.default`). A file without field ids and
 * no mapping, or with a type Iceberg does not let the field be read from, is refused with UNSUPPORTED
 * rather than rewritten wrongly.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../errors.js";
import { type MappedField, mappedField, type NameMapping, type Schema } from "../iceberg/spec/index.js";
import {
  arrowSchema,
  buildColumn,
  fieldIdMetadata,
  fieldIdOf,
  parquetWasm,
  type WriteField,
  writeFieldsFromSchema,
} from "../iceberg/write/index.js";
import { convertPrimitive, plainLayout, unsupported } from "./arrow-convert.js";

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
    const sf = pos === undefined ? undefined : sourceFields[pos];
    const tf = targetArrow[i];
    if (tf === undefined) throw unsupported(childPath, "internal: no Arrow field");
    if (data === undefined || sf === undefined) return nullData(t, source.length, childPath);
    return conformData(data, sf, t, tf, childPath);
  });
}

/**
 * `data` (described by the file's field `sf`, whose nested fields carry the ids) retyped as `target`
 * (its Arrow field `tf`), recursively; throws UNSUPPORTED if it cannot be.
 */
function conformData(
  raw: arrow.Data,
  sf: arrow.Field,
  target: WriteField,
  tf: arrow.Field,
  path: string,
): arrow.Data {
  const t = tf.type as arrow.DataType;
  if (arrow.DataType.isNull(raw.type)) return nullData(target, raw.length, path);
  const data = plainLayout(raw, path);
  const s = data.type as arrow.DataType;
  const mismatch = () => unsupported(path, `file type ${raw.type} cannot be read as ${t}`);
  const wt = target.type;
  switch (wt.kind) {
    case "struct": {
      if (!arrow.DataType.isStruct(s)) throw mismatch();
      const children = conformChildren(data, sf.type.children, wt.fields, t.children, path);
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, children);
    }
    case "list": {
      if (!arrow.DataType.isList(s)) throw mismatch();
      const child = data.children[0];
      const el = t.children[0];
      const sel = (sf.type as arrow.DataType).children[0];
      if (child === undefined || el === undefined || sel === undefined) throw mismatch();
      const element: WriteField = {
        id: wt.elementId,
        name: el.name,
        required: wt.elementRequired,
        type: wt.element,
      };
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, [
        conformData(child, sel, element, el, `${path}.element`),
      ]);
    }
    case "map": {
      if (!arrow.DataType.isMap(s)) throw mismatch();
      const entries = data.children[0];
      const te = t.children[0];
      const se = (sf.type as arrow.DataType).children[0];
      if (entries === undefined || te === undefined || se === undefined) throw mismatch();
      const kv: WriteField[] = [
        { id: wt.keyId, name: "key", required: true, type: wt.key },
        { id: wt.valueId, name: "value", required: wt.valueRequired, type: wt.value },
      ];
      // Key and value by position: a map's entries always hold exactly these two.
      const [sk, sv] = entries.children;
      const [tk, tv] = te.type.children;
      const [fk, fv] = (se.type as arrow.DataType).children;
      if (!sk || !sv || !tk || !tv || !fk || !fv) throw mismatch();
      const conformed = entries.clone(te.type, entries.offset, entries.length, entries.nullCount, undefined, [
        conformData(sk, fk, kv[0]!, tk, `${path}.key`),
        conformData(sv, fv, kv[1]!, tv, `${path}.value`),
      ]);
      return data.clone(t, data.offset, data.length, data.nullCount, undefined, [conformed]);
    }
    default:
      return (
        convertPrimitive(data, wt, t, path) ??
        (() => {
          throw mismatch();
        })()
      );
  }
}

/**
 * The file's fields with Iceberg field ids from a name mapping (fields the mapping does not name stay
 * without one, so they are dropped like columns the table no longer has). Only the fields' metadata
 * and nesting are rebuilt; the data keeps its own types.
 */
function withMappedIds(
  fields: readonly arrow.Field[],
  mapping: readonly MappedField[] | undefined,
): arrow.Field[] {
  return fields.map((f) => {
    const m = mappedField(mapping, f.name);
    const type = f.type as arrow.DataType;
    let mapped: arrow.DataType = type;
    const nested = (children: readonly arrow.Field[]) => withMappedIds(children, m?.fields);
    if (arrow.DataType.isStruct(type)) mapped = new arrow.Struct(nested(type.children));
    else if (arrow.DataType.isList(type) || arrow.DataType.isLargeList(type)) {
      const [el] = type.children;
      if (el)
        mapped = new arrow.List(withMappedIds([el.clone({ name: "element" })], m?.fields)[0] as arrow.Field);
    } else if (arrow.DataType.isMap(type)) {
      const [entries] = type.children;
      const [k, v] = (entries?.type as arrow.DataType | undefined)?.children ?? [];
      if (entries && k && v) {
        const kv = withMappedIds([k.clone({ name: "key" }), v.clone({ name: "value" })], m?.fields);
        mapped = new arrow.Map_(entries.clone({ type: new arrow.Struct(kv) }) as never);
      }
    }
    const id = m?.["field-id"];
    return new arrow.Field(f.name, mapped, f.nullable, id === undefined ? new Map() : fieldIdMetadata(id));
  });
}

export interface ConformOptions {
  /** The table's name mapping: gives field ids to files written without them. */
  nameMapping?: NameMapping | undefined;
}

/** The table conformed to `schema`: fields carry field ids, types and order are the schema's. */
export function conformToSchema(
  table: arrow.Table,
  schema: Schema,
  path = "<table>",
  options: ConformOptions = {},
): arrow.Table {
  const fields = writeFieldsFromSchema(schema);
  const target = arrowSchema(fields);
  let sourceFields = table.schema.fields;
  if (sourceFields.length > 0 && sourceFields.every((f) => fieldIdOf(f) === undefined)) {
    if (options.nameMapping === undefined) {
      throw new FloeError(
        "UNSUPPORTED",
        `${path} has no Parquet field ids and the table has no name mapping (schema.name-mapping.default)`,
        { context: { path } },
      );
    }
    sourceFields = withMappedIds(sourceFields, options.nameMapping);
  }
  const structType = new arrow.Struct(target.fields);
  const batches = table.batches.map((batch) => {
    const children = conformChildren(batch.data, sourceFields, fields, target.fields, "");
    return new arrow.RecordBatch(
      target,
      arrow.makeData({ type: structType, length: batch.numRows, nullCount: 0, children }),
    );
  });
  return new arrow.Table(target, batches);
}
