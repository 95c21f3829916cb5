// Shared fixtures for the Avro layer's tests: a partition type covering every primitive kind, sample
// entries, and an Avro container header parser written independently of src/ (so a bug in the
// writer's framing cannot hide behind the same bug in the reader).

import { readFileSync } from "node:fs";
import type {
  IcebergType,
  ManifestEntry,
  NestedField,
  PartitionType,
} from "../../../src/iceberg/spec/index.js";

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
}

/** Beyond 2^53: a JS number cannot hold these exactly. */
export const BIG_SNAPSHOT_ID = 9_007_199_254_740_993n * 1000n + 7n;
export const NEGATIVE_SNAPSHOT_ID = -9_223_372_036_854_775_807n;

/** A partition field as spec's partitionType() makes it (optional, primitive type string as given). */
export function partitionField(id: number, name: string, type: string): NestedField {
  return { id, name, required: false, type: type as IcebergType };
}

export const PARTITION_TYPE: PartitionType = {
  type: "struct",
  fields: [
    partitionField(1000, "ts_day", "date"),
    partitionField(1001, "id_bucket", "int"),
    partitionField(1002, "amount", "decimal(10,2)"),
    partitionField(1003, "u", "uuid"),
    partitionField(1004, "ts", "timestamptz"),
    partitionField(1005, "local_ts", "timestamp"),
    partitionField(1006, "cat", "string"),
    partitionField(1007, "flag", "boolean"),
    partitionField(1008, "ratio", "double"),
    partitionField(1009, "f32", "float"),
    partitionField(1010, "big", "long"),
    partitionField(1011, "raw", "binary"),
    partitionField(1012, "code", "fixed[3]"),
    partitionField(1013, "tod", "time"),
    partitionField(1014, "price", "decimal(10,2)"),
    partitionField(1015, "weird-name", "string"),
  ],
};

export const SCHEMA_JSON = JSON.stringify({
  type: "struct",
  "schema-id": 3,
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "ts", required: false, type: "timestamptz" },
  ],
});

export const SPEC_FIELDS_JSON = JSON.stringify(
  PARTITION_TYPE.fields.map((f) => ({
    name: f.name,
    transform: "identity",
    "source-id": 1,
    "field-id": f.id,
  })),
);

export function sampleEntry(i: number, overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    status: 1,
    snapshot_id: BIG_SNAPSHOT_ID,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0,
      file_path: `s3://bucket/warehouse/db/t/data/part-${i}.parquet`,
      file_format: "PARQUET",
      partition: {
        ts_day: 19_000 + i,
        id_bucket: i % 2 === 0 ? null : i,
        amount: -12_345n + BigInt(i),
        u: "f79c3e09-677c-4bbd-a479-3f349cb785e7",
        ts: 1_700_000_000_000_000n + BigInt(i),
        local_ts: -1n,
        cat: ["b", "a", "é"][i % 3] as string,
        flag: i % 2 === 0,
        ratio: i === 1 ? Number.NaN : 0.5 * i,
        f32: 1.5,
        big: 9_223_372_036_854_775_807n,
        raw: Uint8Array.of(0, 255, i),
        code: Uint8Array.of(65, 66, 67),
        tod: 3_600_000_000n,
        price: 99_999_999n,
        "weird-name": "w",
      },
      record_count: 100n + BigInt(i),
      file_size_in_bytes: 4096n * BigInt(i + 1),
      column_sizes: new Map([
        [1, 10n],
        [2, 20n],
      ]),
      value_counts: new Map([[1, 100n]]),
      null_value_counts: new Map([[1, 0n]]),
      nan_value_counts: new Map([[2, 0n]]),
      lower_bounds: new Map([[1, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)]]),
      upper_bounds: new Map([[1, Uint8Array.of(99, 0, 0, 0, 0, 0, 0, 0)]]),
      split_offsets: [4n, 1_048_576n],
      sort_order_id: 0,
    },
    ...overrides,
  };
}

// --- independent container header parser -------------------------------------------------------

function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let p = pos;
  for (;;) {
    const b = bytes[p++];
    if (b === undefined) throw new Error("truncated varint");
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
  }
  return [(result >> 1n) ^ -(result & 1n), p];
}

/** Parses magic + metadata map + sync marker of an Avro container file. */
export function parseHeader(bytes: Uint8Array): { meta: Map<string, string>; end: number } {
  if (Buffer.from(bytes.subarray(0, 4)).toString("latin1") !== "Obj\x01") throw new Error("bad magic");
  const meta = new Map<string, string>();
  let pos = 4;
  for (;;) {
    let [count, p] = readVarint(bytes, pos);
    pos = p;
    if (count === 0n) break;
    if (count < 0n) {
      count = -count;
      [, pos] = readVarint(bytes, pos);
    }
    for (let i = 0n; i < count; i++) {
      const [klen, p1] = readVarint(bytes, pos);
      const key = Buffer.from(bytes.subarray(p1, p1 + Number(klen))).toString("utf8");
      const [vlen, p2] = readVarint(bytes, p1 + Number(klen));
      meta.set(key, Buffer.from(bytes.subarray(p2, p2 + Number(vlen))).toString("utf8"));
      pos = p2 + Number(vlen);
    }
  }
  return { meta, end: pos + 16 };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every "field-id" in a schema, keyed by the dotted path of field names. */
export function fieldIdsByPath(
  schema: Json,
  prefix = "",
  out = new Map<string, number>(),
): Map<string, number> {
  if (Array.isArray(schema)) {
    for (const s of schema) fieldIdsByPath(s, prefix, out);
  } else if (schema && typeof schema === "object") {
    if (schema.type === "record" && Array.isArray(schema.fields)) {
      for (const f of schema.fields as Array<{ [k: string]: Json }>) {
        const path = prefix ? `${prefix}.${f.name}` : String(f.name);
        if (typeof f["field-id"] === "number") out.set(path, f["field-id"]);
        fieldIdsByPath(f.type as Json, path, out);
      }
    } else if (schema.type === "array") {
      if (typeof schema["element-id"] === "number") out.set(`${prefix}[]`, schema["element-id"]);
      fieldIdsByPath(schema.items as Json, prefix, out);
    }
  }
  return out;
}
