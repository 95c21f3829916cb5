import avsc from "avsc";
import { describe, expect, it } from "vitest";
import {
  manifestEntrySchema,
  manifestFileSchema,
  partitionRecordSchema,
  partitionValueAvroType,
} from "../../../src/iceberg/avro/index.js";
import { sanitizeAvroName } from "../../../src/iceberg/avro/schemas.js";
import { decimalRequiredBytes } from "../../../src/iceberg/spec/index.js";
import { fieldIdsByPath, PARTITION_TYPE, partitionField } from "./helpers.js";

// Field ids from the Iceberg table spec, sections "Manifests" and "Manifest Lists".
const V2_ENTRY_IDS: Record<string, number> = {
  status: 0,
  snapshot_id: 1,
  sequence_number: 3,
  file_sequence_number: 4,
  data_file: 2,
  "data_file.content": 134,
  "data_file.file_path": 100,
  "data_file.file_format": 101,
  "data_file.partition": 102,
  "data_file.record_count": 103,
  "data_file.file_size_in_bytes": 104,
  "data_file.column_sizes": 108,
  "data_file.column_sizes.key": 117,
  "data_file.column_sizes.value": 118,
  "data_file.value_counts": 109,
  "data_file.value_counts.key": 119,
  "data_file.value_counts.value": 120,
  "data_file.null_value_counts": 110,
  "data_file.null_value_counts.key": 121,
  "data_file.null_value_counts.value": 122,
  "data_file.nan_value_counts": 137,
  "data_file.nan_value_counts.key": 138,
  "data_file.nan_value_counts.value": 139,
  "data_file.lower_bounds": 125,
  "data_file.lower_bounds.key": 126,
  "data_file.lower_bounds.value": 127,
  "data_file.upper_bounds": 128,
  "data_file.upper_bounds.key": 129,
  "data_file.upper_bounds.value": 130,
  "data_file.key_metadata": 131,
  "data_file.split_offsets": 132,
  "data_file.split_offsets[]": 133,
  "data_file.equality_ids": 135,
  "data_file.equality_ids[]": 136,
  "data_file.sort_order_id": 140,
  "data_file.referenced_data_file": 143,
};

const V2_LIST_IDS: Record<string, number> = {
  manifest_path: 500,
  manifest_length: 501,
  partition_spec_id: 502,
  content: 517,
  sequence_number: 515,
  min_sequence_number: 516,
  added_snapshot_id: 503,
  added_files_count: 504,
  existing_files_count: 505,
  deleted_files_count: 506,
  added_rows_count: 512,
  existing_rows_count: 513,
  deleted_rows_count: 514,
  partitions: 507,
  "partitions[]": 508,
  "partitions.contains_null": 509,
  "partitions.contains_nan": 518,
  "partitions.lower_bound": 510,
  "partitions.upper_bound": 511,
  key_metadata: 519,
};

const EMPTY = { type: "struct" as const, fields: [] };

describe("manifest_entry schema", () => {
  it("carries exactly the spec's v2 field ids (plus the partition fields)", () => {
    const ids = fieldIdsByPath(manifestEntrySchema(PARTITION_TYPE, 2) as never);
    const partitionIds = [...ids].filter(([p]) => p.startsWith("data_file.partition."));
    const rest = Object.fromEntries([...ids].filter(([p]) => !p.startsWith("data_file.partition.")));
    expect(rest).toEqual(V2_ENTRY_IDS);
    expect(partitionIds.map(([, id]) => id)).toEqual(PARTITION_TYPE.fields.map((f) => f.id));
  });

  it("v1 has no content or sequence numbers, and has block_size_in_bytes (105)", () => {
    const ids = fieldIdsByPath(manifestEntrySchema(EMPTY, 1) as never);
    expect(ids.get("data_file.block_size_in_bytes")).toBe(105);
    for (const gone of [
      "sequence_number",
      "file_sequence_number",
      "data_file.content",
      "data_file.equality_ids",
    ]) {
      expect(ids.has(gone)).toBe(false);
    }
    expect(ids.get("data_file.file_path")).toBe(100);
  });

  it("uses Java's record names and int-keyed maps as arrays of k/v records", () => {
    const s = manifestEntrySchema(PARTITION_TYPE, 2);
    expect(s.name).toBe("manifest_entry");
    expect(s.fields.find((f) => f.name === "data_file")?.type).toMatchObject({ type: "record", name: "r2" });
    const json = JSON.stringify(s);
    expect(json).toContain('"name":"r102"');
    expect(json).toContain(
      '{"type":"array","items":{"type":"record","name":"k117_v118","fields":[{"name":"key","type":"int","field-id":117},{"name":"value","type":"long","field-id":118}]},"logicalType":"map"}',
    );
    expect(json).toContain('{"type":"array","items":"long","element-id":133}');
  });

  it("is a schema avsc accepts, for both versions", () => {
    expect(() => avsc.Type.forSchema(manifestEntrySchema(PARTITION_TYPE, 2) as never)).not.toThrow();
    expect(() => avsc.Type.forSchema(manifestEntrySchema(PARTITION_TYPE, 1) as never)).not.toThrow();
    expect(() => avsc.Type.forSchema(manifestFileSchema(2) as never)).not.toThrow();
    expect(() => avsc.Type.forSchema(manifestFileSchema(1) as never)).not.toThrow();
  });
});

describe("partition record", () => {
  it("maps Iceberg types to Avro types with logical types", () => {
    expect(partitionValueAvroType("date")).toEqual({ type: "int", logicalType: "date" });
    expect(partitionValueAvroType("time")).toEqual({ type: "long", logicalType: "time-micros" });
    expect(partitionValueAvroType("timestamp")).toEqual({
      type: "long",
      logicalType: "timestamp-micros",
      "adjust-to-utc": false,
    });
    expect(partitionValueAvroType("timestamptz")).toEqual({
      type: "long",
      logicalType: "timestamp-micros",
      "adjust-to-utc": true,
    });
    expect(partitionValueAvroType("decimal(10, 2)")).toEqual({
      type: "fixed",
      name: "decimal_10_2",
      size: 5,
      logicalType: "decimal",
      precision: 10,
      scale: 2,
    });
    expect(partitionValueAvroType("uuid")).toEqual({
      type: "fixed",
      name: "uuid_fixed",
      size: 16,
      logicalType: "uuid",
    });
    expect(partitionValueAvroType("fixed[7]")).toEqual({ type: "fixed", name: "fixed_7", size: 7 });
    expect(partitionValueAvroType("binary")).toBe("bytes");
    expect(partitionValueAvroType("string")).toBe("string");
    expect(partitionValueAvroType("long")).toBe("long");
    expect(() => partitionValueAvroType("list<int>")).toThrow(/not an Iceberg primitive type/);
  });

  it("makes every field optional with a null default and its partition field id", () => {
    const r = partitionRecordSchema({ type: "struct" as const, fields: [partitionField(1000, "d", "date")] });
    expect(r).toEqual({
      type: "record",
      name: "r102",
      fields: [
        { name: "d", type: ["null", { type: "int", logicalType: "date" }], default: null, "field-id": 1000 },
      ],
    });
  });

  it("gives a repeated named type a definition of its own under a suffixed name", () => {
    const r = partitionRecordSchema(PARTITION_TYPE);
    const fixedOf = (name: string) => (r.fields.find((f) => f.name === name)?.type as unknown[])?.[1];
    expect(fixedOf("amount")).toMatchObject({ type: "fixed", name: "decimal_10_2", size: 5 });
    expect(fixedOf("price")).toMatchObject({ type: "fixed", name: "decimal_10_2_1", size: 5, precision: 10 });
    // Valid Avro: no name is defined twice.
    expect(() => avsc.Type.forSchema(r as never)).not.toThrow();
  });

  it("sanitizes names Avro cannot hold and keeps the original", () => {
    const r = partitionRecordSchema({
      type: "struct",
      fields: [partitionField(1000, "weird-name_trunc", "string")],
    });
    expect(r.fields[0]).toMatchObject({
      name: "weird_x2Dname_trunc",
      "iceberg-field-name": "weird-name_trunc",
    });
    expect(sanitizeAvroName("1st")).toBe("_1st");
    expect(sanitizeAvroName("a.b c")).toBe("a_x2Eb_x20c");
  });

  it("sizes decimals with the fewest bytes that hold the precision", () => {
    expect([1, 2, 3, 9, 10, 18, 19, 38].map(decimalRequiredBytes)).toEqual([1, 1, 2, 4, 5, 8, 9, 16]);
  });
});

describe("manifest_file schema", () => {
  it("carries exactly the spec's v2 field ids", () => {
    expect(Object.fromEntries(fieldIdsByPath(manifestFileSchema(2) as never))).toEqual(V2_LIST_IDS);
    expect(JSON.stringify(manifestFileSchema(2))).toContain('"name":"r508"');
  });

  it("v1 lacks content and sequence numbers and has optional counts", () => {
    const s = manifestFileSchema(1);
    const names = s.fields.map((f) => f.name);
    expect(names).not.toContain("content");
    expect(names).not.toContain("sequence_number");
    expect(s.fields.find((f) => f.name === "added_files_count")?.type).toEqual(["null", "int"]);
  });
});
