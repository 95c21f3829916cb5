/**
 * Parquet footer reader: FileMetaData decoded from the Thrift compact protocol (parquet.thrift).
 *
 * A Parquet file ends with the Thrift-encoded FileMetaData, its length as a 4-byte little-endian
 * integer and the magic "PAR1". We read the schema (with field ids), row count, and per row group the
 * column chunks' sizes, value counts and statistics. parquet-wasm's own metadata classes do not expose
 * field ids, hence this reader. Iceberg's `column_sizes` are the chunks' total_compressed_size summed
 * over row groups, keyed by the leaf's field id.
 */
import { FloeError } from "../../errors.js";
import { CompactReader, CT } from "./thrift-compact.js";

export const PHYSICAL_TYPES = [
  "BOOLEAN",
  "INT32",
  "INT64",
  "INT96",
  "FLOAT",
  "DOUBLE",
  "BYTE_ARRAY",
  "FIXED_LEN_BYTE_ARRAY",
] as const;
export const CODECS = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"] as const;
export const REPETITIONS = ["REQUIRED", "OPTIONAL", "REPEATED"] as const;

export interface ParquetSchemaElement {
  name: string;
  /** Physical type index (PHYSICAL_TYPES); absent for groups. */
  type?: number;
  typeLength?: number;
  repetition?: number;
  numChildren?: number;
  convertedType?: number;
  scale?: number;
  precision?: number;
  fieldId?: number;
}

/** A leaf column of the schema, in column-chunk order. */
export interface ParquetLeaf {
  readonly path: readonly string[];
  readonly fieldId: number | undefined;
  readonly physicalType: string;
  /** True when the leaf sits under a repeated group (a list or map). */
  readonly repeated: boolean;
}

export interface ParquetColumnChunk {
  path: string[];
  codec: string;
  numValues: bigint;
  compressedSize: bigint;
  uncompressedSize: bigint;
  /** Offset of the first data page, and of the dictionary page when there is one. */
  dataPageOffset: bigint;
  dictionaryPageOffset?: bigint;
  /** From Statistics.null_count, when written. */
  nullCount?: bigint;
  /** Statistics.min_value / max_value (plain-encoded), when written. */
  minValue?: Uint8Array;
  maxValue?: Uint8Array;
}

export interface ParquetRowGroup {
  numRows: bigint;
  totalByteSize: bigint;
  columns: ParquetColumnChunk[];
}

/** Where a row group starts in the file: its first column chunk's first page (Iceberg's split offset). */
export function rowGroupOffset(rg: ParquetRowGroup): bigint | undefined {
  const first = rg.columns[0];
  if (first === undefined) return undefined;
  const dict = first.dictionaryPageOffset;
  return dict !== undefined && dict > 0n && dict < first.dataPageOffset ? dict : first.dataPageOffset;
}

export interface ParquetFooter {
  version: number;
  rowCount: bigint;
  createdBy?: string;
  keyValueMetadata: Map<string, string>;
  schema: ParquetSchemaElement[];
  leaves: ParquetLeaf[];
  rowGroups: ParquetRowGroup[];
  /** Total compressed size per leaf field id, summed over row groups (Iceberg column_sizes). */
  columnSizes: Map<number, bigint>;
  /** Bytes of the Thrift FileMetaData. */
  metadataLength: number;
}

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

function corrupt(message: string): FloeError {
  return new FloeError("DECODE_FAILED", `not a readable Parquet file: ${message}`);
}

/** Reads the footer of a complete Parquet file held in memory. */
export function readParquetFooter(file: Uint8Array): ParquetFooter {
  if (file.length < 12) throw corrupt(`${file.length} bytes`);
  const n = file.length;
  for (let i = 0; i < 4; i++) {
    if (file[i] !== MAGIC[i]) throw corrupt("no PAR1 magic at the start");
    if (file[n - 4 + i] !== MAGIC[i]) {
      const tail = String.fromCharCode(...file.subarray(n - 4));
      throw corrupt(tail === "PARE" ? "encrypted footers are not supported" : "no PAR1 magic at the end");
    }
  }
  const len = new DataView(file.buffer, file.byteOffset + n - 8, 4).getUint32(0, true);
  if (len + 12 > n) throw corrupt(`footer length ${len} exceeds the file`);
  return parseFileMetaData(file.subarray(n - 8 - len, n - 8));
}

/** Given at least the last 8 bytes of a file, how many trailing bytes hold the footer (metadata + 8). */
export function footerLength(tail: Uint8Array): number {
  if (tail.length < 8) throw corrupt("tail shorter than 8 bytes");
  const t = tail.length;
  if (tail[t - 4] !== 0x50 || tail[t - 3] !== 0x41 || tail[t - 2] !== 0x52 || tail[t - 1] !== 0x31) {
    throw corrupt("no PAR1 magic at the end");
  }
  return new DataView(tail.buffer, tail.byteOffset + t - 8, 4).getUint32(0, true) + 8;
}

/** Decodes Thrift-compact FileMetaData bytes. */
export function parseFileMetaData(bytes: Uint8Array): ParquetFooter {
  const r = new CompactReader(bytes);
  const out: ParquetFooter = {
    version: 0,
    rowCount: -1n,
    keyValueMetadata: new Map(),
    schema: [],
    leaves: [],
    rowGroups: [],
    columnSizes: new Map(),
    metadataLength: bytes.length,
  };
  let sawSchema = false;
  r.struct((id, t) => {
    if (id === 1 && t === CT.I32) out.version = r.i32();
    else if (id === 2 && t === CT.LIST) {
      r.list((et) => {
        if (et !== CT.STRUCT) return r.skip(et);
        out.schema.push(readSchemaElement(r));
      });
      sawSchema = true;
    } else if (id === 3 && t === CT.I64) out.rowCount = r.i64();
    else if (id === 4 && t === CT.LIST)
      r.list((et) => (et === CT.STRUCT ? out.rowGroups.push(readRowGroup(r)) : r.skip(et)));
    else if (id === 5 && t === CT.LIST)
      r.list((et) => (et === CT.STRUCT ? readKeyValue(r, out.keyValueMetadata) : r.skip(et)));
    else if (id === 6 && t === CT.BINARY) out.createdBy = r.string();
    else r.skip(t);
  });
  if (!sawSchema || out.schema.length === 0) throw corrupt("footer has no schema");
  if (out.rowCount < 0n) throw corrupt("footer has no num_rows");
  out.leaves = leavesOf(out.schema);
  for (const [g, rg] of out.rowGroups.entries()) {
    if (rg.columns.length !== out.leaves.length) {
      throw corrupt(`row group ${g} has ${rg.columns.length} column chunks for ${out.leaves.length} leaves`);
    }
    for (const [c, chunk] of rg.columns.entries()) {
      const leaf = out.leaves[c]!;
      if (chunk.path.join(".") !== leaf.path.join(".")) {
        throw corrupt(
          `row group ${g} chunk ${c} is ${chunk.path.join(".")}, schema says ${leaf.path.join(".")}`,
        );
      }
      if (leaf.fieldId !== undefined) {
        out.columnSizes.set(leaf.fieldId, (out.columnSizes.get(leaf.fieldId) ?? 0n) + chunk.compressedSize);
      }
    }
  }
  return out;
}

function readSchemaElement(r: CompactReader): ParquetSchemaElement {
  const el: ParquetSchemaElement = { name: "" };
  r.struct((id, t) => {
    if (t === CT.I32) {
      const v = r.i32();
      if (id === 1) el.type = v;
      else if (id === 2) el.typeLength = v;
      else if (id === 3) el.repetition = v;
      else if (id === 5) el.numChildren = v;
      else if (id === 6) el.convertedType = v;
      else if (id === 7) el.scale = v;
      else if (id === 8) el.precision = v;
      else if (id === 9) el.fieldId = v;
    } else if (id === 4 && t === CT.BINARY) el.name = r.string();
    else r.skip(t);
  });
  return el;
}

function readKeyValue(r: CompactReader, into: Map<string, string>): void {
  let key: string | undefined;
  let value = "";
  r.struct((id, t) => {
    if (id === 1 && t === CT.BINARY) key = r.string();
    else if (id === 2 && t === CT.BINARY) value = r.string();
    else r.skip(t);
  });
  if (key !== undefined) into.set(key, value);
}

function readRowGroup(r: CompactReader): ParquetRowGroup {
  const rg: ParquetRowGroup = { numRows: 0n, totalByteSize: 0n, columns: [] };
  r.struct((id, t) => {
    if (id === 1 && t === CT.LIST)
      r.list((et) => (et === CT.STRUCT ? rg.columns.push(readColumnChunk(r)) : r.skip(et)));
    else if (id === 2 && t === CT.I64) rg.totalByteSize = r.i64();
    else if (id === 3 && t === CT.I64) rg.numRows = r.i64();
    else r.skip(t);
  });
  return rg;
}

function readColumnChunk(r: CompactReader): ParquetColumnChunk {
  let meta: ParquetColumnChunk | undefined;
  r.struct((id, t) => {
    if (id === 3 && t === CT.STRUCT) meta = readColumnMetaData(r);
    else r.skip(t);
  });
  if (meta === undefined)
    throw corrupt("column chunk without meta_data (encrypted columns are not supported)");
  return meta;
}

function readColumnMetaData(r: CompactReader): ParquetColumnChunk {
  const m: ParquetColumnChunk = {
    path: [],
    codec: "UNCOMPRESSED",
    numValues: 0n,
    compressedSize: 0n,
    uncompressedSize: 0n,
    dataPageOffset: 0n,
  };
  r.struct((id, t) => {
    if (id === 3 && t === CT.LIST) r.list((et) => (et === CT.BINARY ? m.path.push(r.string()) : r.skip(et)));
    else if (id === 4 && t === CT.I32) {
      const c = r.i32();
      m.codec = CODECS[c] ?? `CODEC_${c}`;
    } else if (id === 5 && t === CT.I64) m.numValues = r.i64();
    else if (id === 6 && t === CT.I64) m.uncompressedSize = r.i64();
    else if (id === 7 && t === CT.I64) m.compressedSize = r.i64();
    else if (id === 9 && t === CT.I64) m.dataPageOffset = r.i64();
    else if (id === 11 && t === CT.I64) m.dictionaryPageOffset = r.i64();
    else if (id === 12 && t === CT.STRUCT) readStatistics(r, m);
    else r.skip(t);
  });
  return m;
}

function readStatistics(r: CompactReader, m: ParquetColumnChunk): void {
  r.struct((id, t) => {
    if (id === 3 && t === CT.I64) m.nullCount = r.i64();
    else if (id === 5 && t === CT.BINARY) m.maxValue = r.binary().slice();
    else if (id === 6 && t === CT.BINARY) m.minValue = r.binary().slice();
    else r.skip(t);
  });
}

/** Leaves of the flattened schema tree (element 0 is the root), depth first. */
function leavesOf(schema: readonly ParquetSchemaElement[]): ParquetLeaf[] {
  const leaves: ParquetLeaf[] = [];
  let next = 1;
  const visit = (path: string[], repeated: boolean): void => {
    const el = schema[next++];
    if (el === undefined) throw corrupt("schema ends inside a group");
    const p = [...path, el.name];
    const rep = repeated || el.repetition === 2;
    const children = el.numChildren ?? 0;
    if (el.type === undefined || children > 0) {
      for (let i = 0; i < children; i++) visit(p, rep);
      return;
    }
    const physicalType = PHYSICAL_TYPES[el.type] ?? `TYPE_${el.type}`;
    leaves.push({ path: p, fieldId: el.fieldId, physicalType, repeated: rep });
  };
  const rootChildren = schema[0]?.numChildren ?? 0;
  for (let i = 0; i < rootChildren; i++) visit([], false);
  if (next !== schema.length) throw corrupt(`schema has ${schema.length - next} elements outside the tree`);
  return leaves;
}
