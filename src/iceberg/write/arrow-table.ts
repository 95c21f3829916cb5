/**
 * Column inputs -> Arrow Data for any write type (nested ones included) and whole Arrow tables whose
 * fields all carry `PARQUET:field_id`.
 *
 * A column is one of:
 * - row values: `unknown[]` with null/undefined for null. Struct rows are objects keyed by field name,
 *   list rows are arrays, map rows are a Map, an array of [key, value] pairs or a plain object.
 * - a typed array (Int32Array for int/date, BigInt64Array for long/time/timestamp[tz], Float32Array /
 *   Float64Array for float/double) with no nulls, or `{ kind: "typed", values, nulls }`.
 * - columnar nested forms: `{ kind: "struct", length, children }`, `{ kind: "list", offsets, elements }`,
 *   `{ kind: "map", offsets, keys, values }`, each with an optional null mask.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import {
  applyNullMask,
  type BuildContext,
  binaryData,
  boolData,
  decimalData,
  decimalFromWords,
  fixedData,
  fixedFromBytes,
  floatData,
  int32Data,
  int64Data,
  type NullMask,
  NullTracker,
  utf8Data,
  utf8FromBytes,
} from "./arrow-builders.js";
import { arrowSchema, arrowType, type WriteField, type WriteType } from "./arrow-types.js";

export type TypedValues = Int32Array | BigInt64Array | Float32Array | Float64Array;

export interface TypedColumn {
  readonly kind: "typed";
  readonly values: TypedValues;
  readonly nulls?: NullMask;
}

export interface StructColumn {
  readonly kind: "struct";
  readonly length: number;
  /** Child columns by field name; a missing child is all null. */
  readonly children: Readonly<Record<string, ColumnInput>>;
  readonly nulls?: NullMask;
}

export interface ListColumn {
  readonly kind: "list";
  /** length + 1 offsets into `elements`, starting at 0. */
  readonly offsets: Int32Array;
  readonly elements: ColumnInput;
  readonly nulls?: NullMask;
}

export interface MapColumn {
  readonly kind: "map";
  /** length + 1 offsets into `keys` / `values`, starting at 0. */
  readonly offsets: Int32Array;
  readonly keys: ColumnInput;
  readonly values: ColumnInput;
  readonly nulls?: NullMask;
}

/** Strings already encoded: UTF-8 bytes and length + 1 offsets into them (Arrow's own layout). */
export interface Utf8Column {
  readonly kind: "utf8";
  readonly offsets: Int32Array;
  readonly data: Uint8Array;
  readonly nulls?: NullMask;
}

/** uuid / fixed[L] values already as bytes: L per row. */
export interface FixedColumn {
  readonly kind: "fixed";
  readonly length: number;
  readonly data: Uint8Array;
  readonly nulls?: NullMask;
}

/** Decimal unscaled values as 16-byte little-endian two's complement (4 words per row), within precision. */
export interface DecimalColumn {
  readonly kind: "decimal";
  readonly words: Uint32Array;
  readonly nulls?: NullMask;
}

export type ColumnInput =
  | readonly unknown[]
  | TypedValues
  | TypedColumn
  | Utf8Column
  | FixedColumn
  | DecimalColumn
  | StructColumn
  | ListColumn
  | MapColumn;

/** Number of rows a column holds. */
export function columnLength(col: ColumnInput): number {
  if (Array.isArray(col) || ArrayBuffer.isView(col)) return (col as readonly unknown[]).length;
  const c = col as
    | TypedColumn
    | StructColumn
    | ListColumn
    | MapColumn
    | Utf8Column
    | FixedColumn
    | DecimalColumn;
  switch (c.kind) {
    case "typed":
      return c.values.length;
    case "struct":
    case "fixed":
      return c.length;
    case "decimal":
      return c.words.length >> 2;
    case "utf8":
    case "list":
    case "map":
      return Math.max(0, c.offsets.length - 1);
  }
}

/** Builds the Arrow Data of one field from its column. */
export function buildColumn(field: WriteField, col: ColumnInput): arrow.Data {
  return build(field.type, arrowType(field.type), col, { path: field.name, required: field.required });
}

export interface TableInput {
  readonly fields: readonly WriteField[];
  /** Columns aligned with `fields`, or keyed by field name. */
  readonly columns: readonly ColumnInput[] | Readonly<Record<string, ColumnInput>>;
}

/** Builds a one-batch Arrow table whose schema carries field ids at every level. */
export function buildTable(input: TableInput): arrow.Table {
  const { fields } = input;
  if (fields.length === 0) throw new FloeError("INVALID_ARGUMENT", "a table needs at least one field");
  const schema = arrowSchema(fields);
  const cols = fields.map((f, i) => {
    const col = Array.isArray(input.columns)
      ? (input.columns as readonly ColumnInput[])[i]
      : (input.columns as Readonly<Record<string, ColumnInput>>)[f.name];
    if (col === undefined) throw new FloeError("INVALID_ARGUMENT", `no column for field ${f.name}`);
    return col;
  });
  const length = columnLength(cols[0]!);
  const children = fields.map((f, i) => {
    const col = cols[i]!;
    if (columnLength(col) !== length) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `column ${f.name} has ${columnLength(col)} rows, want ${length}`,
      );
    }
    return build(f.type, schema.fields[i]!.type, col, { path: f.name, required: f.required });
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, children, nullCount: 0 });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

function isTyped(col: ColumnInput): col is TypedValues {
  return ArrayBuffer.isView(col);
}

function build(type: WriteType, at: arrow.DataType, col: ColumnInput, ctx: BuildContext): arrow.Data {
  let rows: readonly unknown[] | undefined;
  let typed: TypedValues | undefined;
  let mask: NullMask | undefined;
  if (Array.isArray(col)) rows = col as readonly unknown[];
  else if (isTyped(col)) typed = col;
  else if ((col as TypedColumn).kind === "typed") {
    typed = (col as TypedColumn).values;
    mask = (col as TypedColumn).nulls;
  } else if ((col as Utf8Column).kind === "utf8") {
    if (type.kind !== "string")
      throw wrongArray(ctx, "row values or typed arrays (utf8 input is for strings)");
    const u = col as Utf8Column;
    return utf8FromBytes(u.offsets, u.data, ctx, u.nulls);
  } else if ((col as FixedColumn).kind === "fixed") {
    if (type.kind !== "uuid" && type.kind !== "fixed")
      throw wrongArray(ctx, "row values (fixed input is for uuid and fixed)");
    const f = col as FixedColumn;
    const width = (at as arrow.FixedSizeBinary).byteWidth;
    if (f.data.length !== f.length * width) throw wrongArray(ctx, `${width} bytes per row`);
    return fixedFromBytes(at as arrow.FixedSizeBinary, f.data, ctx, f.nulls);
  } else if ((col as DecimalColumn).kind === "decimal") {
    if (type.kind !== "decimal") throw wrongArray(ctx, "row values (decimal input is for decimals)");
    const d = col as DecimalColumn;
    return decimalFromWords(at as arrow.Decimal, d.words, ctx, d.nulls);
  } else return buildColumnar(type, at, col as StructColumn | ListColumn | MapColumn, ctx);

  switch (type.kind) {
    case "int":
    case "date":
      if (typed !== undefined && !(typed instanceof Int32Array)) throw wrongArray(ctx, "Int32Array");
      return int32Data(at as arrow.Int32, (typed ?? rows)!, ctx, mask);
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      if (typed !== undefined && !(typed instanceof BigInt64Array)) throw wrongArray(ctx, "BigInt64Array");
      return int64Data(at as arrow.Int64, (typed ?? rows)!, ctx, mask);
    case "float":
    case "double":
      if (typed !== undefined && !(typed instanceof Float32Array || typed instanceof Float64Array)) {
        throw wrongArray(ctx, "Float32Array or Float64Array");
      }
      return floatData(at as arrow.Float64, (typed ?? rows)!, ctx, mask);
  }
  if (rows === undefined) throw wrongArray(ctx, "an array of row values");
  switch (type.kind) {
    case "boolean":
      return boolData(rows, ctx);
    case "string":
      return utf8Data(rows, ctx);
    case "binary":
      return binaryData(rows, ctx);
    case "uuid":
      return fixedData(at as arrow.FixedSizeBinary, rows, ctx, true);
    case "fixed":
      return fixedData(at as arrow.FixedSizeBinary, rows, ctx);
    case "decimal":
      return decimalData(at as arrow.Decimal, rows, ctx);
    case "struct":
      return structFromRows(type.fields, at as arrow.Struct, rows, ctx);
    case "list":
      return listFromRows(type, at as arrow.List, rows, ctx);
    case "map":
      return mapFromRows(type, at as arrow.Map_, rows, ctx);
  }
}

function wrongArray(ctx: BuildContext, want: string): FloeError {
  return new FloeError("INVALID_ARGUMENT", `${ctx.path}: column must be ${want}`, {
    context: { field: ctx.path },
  });
}

/** Parent nulls for the children of a struct: its own nulls OR its ancestors'. */
function childNulls(n: number, nulls: NullTracker, own: (i: number) => boolean, ctx: BuildContext) {
  if (nulls.count === 0) return ctx.parentNulls;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    out[i] = own(i) || (ctx.parentNulls !== undefined && ctx.parentNulls[i] !== 0) ? 1 : 0;
  return out;
}

function structData(at: arrow.Struct, n: number, nulls: NullTracker, children: arrow.Data[]): arrow.Data {
  return arrow.makeData({ type: at, length: n, children, ...nulls.props() });
}

function structFromRows(
  fields: readonly WriteField[],
  at: arrow.Struct,
  rows: readonly unknown[],
  ctx: BuildContext,
): arrow.Data {
  const n = rows.length;
  const nulls = new NullTracker(n, ctx);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r === null || r === undefined) nulls.setNull(i);
    else if (typeof r !== "object" || Array.isArray(r))
      throw wrongArray({ ...ctx, path: `${ctx.path}[${i}]` }, "an object");
  }
  const parentNulls = childNulls(n, nulls, (i) => rows[i] === null || rows[i] === undefined, ctx);
  const children = fields.map((f, k) => {
    const childRows = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as Record<string, unknown> | null | undefined;
      childRows[i] = r?.[f.name];
    }
    const cctx = { path: `${ctx.path}.${f.name}`, required: f.required, parentNulls };
    return build(f.type, at.children[k]!.type, childRows, cctx);
  });
  return structData(at, n, nulls, children);
}

function listFromRows(
  type: Extract<WriteType, { kind: "list" }>,
  at: arrow.List,
  rows: readonly unknown[],
  ctx: BuildContext,
) {
  const n = rows.length;
  const nulls = new NullTracker(n, ctx);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (Array.isArray(r)) total += r.length;
    else if (r === null || r === undefined) nulls.setNull(i);
    else throw wrongArray({ ...ctx, path: `${ctx.path}[${i}]` }, "an array");
    offsets[i + 1] = total;
  }
  const elements = new Array<unknown>(total);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (Array.isArray(r)) for (const e of r) elements[p++] = e;
  }
  const ectx = { path: `${ctx.path}.element`, required: type.elementRequired };
  const child = build(type.element, at.children[0]!.type, elements, ectx);
  return arrow.makeData({ type: at, length: n, valueOffsets: offsets, child, ...nulls.props() });
}

function mapFromRows(
  type: Extract<WriteType, { kind: "map" }>,
  at: arrow.Map_,
  rows: readonly unknown[],
  ctx: BuildContext,
) {
  const n = rows.length;
  const nulls = new NullTracker(n, ctx);
  const offsets = new Int32Array(n + 1);
  const keys: unknown[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r === null || r === undefined) nulls.setNull(i);
    else if (r instanceof Map) {
      for (const [k, v] of r) {
        keys.push(k);
        values.push(v);
      }
    } else if (Array.isArray(r)) {
      for (const e of r) {
        if (!Array.isArray(e) || e.length !== 2)
          throw wrongArray({ ...ctx, path: `${ctx.path}[${i}]` }, "[key, value] pairs");
        keys.push(e[0]);
        values.push(e[1]);
      }
    } else if (typeof r === "object") {
      for (const [k, v] of Object.entries(r)) {
        keys.push(k);
        values.push(v);
      }
    } else throw wrongArray({ ...ctx, path: `${ctx.path}[${i}]` }, "a Map, pairs or an object");
    offsets[i + 1] = keys.length;
  }
  return mapData(type, at, n, offsets, keys, values, nulls, ctx);
}

function mapData(
  type: Extract<WriteType, { kind: "map" }>,
  at: arrow.Map_,
  n: number,
  offsets: Int32Array,
  keys: ColumnInput,
  values: ColumnInput,
  nulls: NullTracker,
  ctx: BuildContext,
): arrow.Data {
  const entriesType = at.children[0]!.type as arrow.Struct;
  const k = build(type.key, entriesType.children[0]!.type, keys, { path: `${ctx.path}.key`, required: true });
  const vctx = { path: `${ctx.path}.value`, required: type.valueRequired };
  const v = build(type.value, entriesType.children[1]!.type, values, vctx);
  if (k.length !== v.length)
    throw new FloeError("INVALID_ARGUMENT", `${ctx.path}: ${k.length} keys, ${v.length} values`);
  const entries = arrow.makeData({ type: entriesType, length: k.length, children: [k, v], nullCount: 0 });
  return arrow.makeData({ type: at, length: n, valueOffsets: offsets, child: entries, ...nulls.props() });
}

function checkOffsets(offsets: Int32Array, childLength: number, ctx: BuildContext): void {
  const n = offsets.length - 1;
  if (n < 0 || offsets[0] !== 0)
    throw new FloeError("INVALID_ARGUMENT", `${ctx.path}: offsets must start at 0`);
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1]! < offsets[i]!)
      throw new FloeError("INVALID_ARGUMENT", `${ctx.path}: offsets decrease at ${i}`);
  }
  if (offsets[n] !== childLength) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `${ctx.path}: last offset ${offsets[n]} != ${childLength} children`,
    );
  }
}

function buildColumnar(
  type: WriteType,
  at: arrow.DataType,
  col: StructColumn | ListColumn | MapColumn,
  ctx: BuildContext,
) {
  const mismatch = () => wrongArray(ctx, `a ${type.kind} column, got a ${col.kind} column`);
  const n = columnLength(col);
  const nulls = new NullTracker(n, ctx);
  applyNullMask(col.nulls, n, nulls, ctx.path);
  switch (col.kind) {
    case "struct": {
      if (type.kind !== "struct") throw mismatch();
      const mask = col.nulls;
      const parentNulls = childNulls(n, nulls, (i) => mask !== undefined && mask[i] !== 0, ctx);
      const children = type.fields.map((f, k) => {
        const child = col.children[f.name] ?? new Array<unknown>(n).fill(null);
        if (columnLength(child) !== n)
          throw new FloeError("INVALID_ARGUMENT", `${ctx.path}.${f.name}: wrong length`);
        const cctx = { path: `${ctx.path}.${f.name}`, required: f.required, parentNulls };
        return build(f.type, (at as arrow.Struct).children[k]!.type, child, cctx);
      });
      return structData(at as arrow.Struct, n, nulls, children);
    }
    case "list": {
      if (type.kind !== "list") throw mismatch();
      checkOffsets(col.offsets, columnLength(col.elements), ctx);
      const ectx = { path: `${ctx.path}.element`, required: type.elementRequired };
      const child = build(type.element, (at as arrow.List).children[0]!.type, col.elements, ectx);
      return arrow.makeData({
        type: at as arrow.List,
        length: n,
        valueOffsets: col.offsets,
        child,
        ...nulls.props(),
      });
    }
    case "map":
      if (type.kind !== "map") throw mismatch();
      checkOffsets(col.offsets, columnLength(col.keys), ctx);
      return mapData(type, at as arrow.Map_, n, col.offsets, col.keys, col.values, nulls, ctx);
  }
}
