import { describe, expect, it } from "vitest";
import {
  decodeManifest,
  decodeManifestList,
  encodeManifest,
  encodeManifestList,
  manifestFileSchema,
  writeContainer,
} from "../../../src/iceberg/avro/index.js";
import type { ManifestFile } from "../../../src/iceberg/spec/index.js";
import { PARTITION_TYPE, parseHeader, SCHEMA_JSON, SPEC_FIELDS_JSON, sampleEntry } from "./helpers.js";

// Format v1 written for v1 tables (Spark still creates them), and the shapes DuckDB 1.4.4 writes:
// every manifest_file field optional, list elements as ["null", record], no header keys, and
// manifests without the optional metrics fields.

const manifest: ManifestFile = {
  manifest_path: "s3://b/t/metadata/m0.avro",
  manifest_length: 123n,
  partition_spec_id: 0,
  content: 0,
  sequence_number: 0n,
  min_sequence_number: 0n,
  added_snapshot_id: 42n,
  added_files_count: 2,
  existing_files_count: 0,
  deleted_files_count: 0,
  added_rows_count: 20n,
  existing_rows_count: 0n,
  deleted_rows_count: 0n,
  partitions: [{ contains_null: false, contains_nan: false, lower_bound: Uint8Array.of(1) }],
};

describe("format v1 for v1 tables", () => {
  it("writes a v1 manifest list: no content or sequence numbers, read back the same", () => {
    const bytes = encodeManifestList({
      manifests: [manifest],
      snapshotId: 43n,
      parentSnapshotId: 42n,
      sequenceNumber: 0n,
      formatVersion: 1,
    });
    const { meta } = parseHeader(bytes);
    expect(meta.get("format-version")).toBe("1");
    expect(meta.has("sequence-number")).toBe(false);
    const names = (JSON.parse(meta.get("avro.schema") ?? "{}") as { fields: { name: string }[] }).fields.map(
      (f) => f.name,
    );
    expect(names).not.toContain("content");
    expect(names).not.toContain("sequence_number");
    const decoded = decodeManifestList(bytes);
    expect(decoded).toMatchObject({ formatVersion: 1, snapshotId: 43n, parentSnapshotId: 42n });
    expect(decoded.manifests).toEqual([manifest]);
    expect(() =>
      encodeManifestList({
        manifests: [{ ...manifest, content: 1 }],
        snapshotId: 1n,
        parentSnapshotId: null,
        sequenceNumber: 0n,
        formatVersion: 1,
      }),
    ).toThrow(/data manifests only/);
  });

  it("writes a v1 manifest with block_size_in_bytes and without sequence numbers; refuses delete files", () => {
    const entry = sampleEntry(0, { sequence_number: null, file_sequence_number: null });
    const opts = {
      entries: [entry],
      schemaJson: SCHEMA_JSON,
      partitionSpecJson: SPEC_FIELDS_JSON,
      partitionSpecId: 7,
      formatVersion: 1 as const,
      content: "data" as const,
      partitionType: PARTITION_TYPE,
    };
    const bytes = encodeManifest(opts);
    const { meta } = parseHeader(bytes);
    expect(meta.get("format-version")).toBe("1");
    expect(meta.has("content")).toBe(false);
    const schema = JSON.parse(meta.get("avro.schema") ?? "{}") as {
      fields: { name: string; type: { fields?: { name: string }[] } }[];
    };
    expect(schema.fields.map((f) => f.name)).toEqual(["status", "snapshot_id", "data_file"]);
    expect(schema.fields[2]?.type.fields?.map((f) => f.name)).toContain("block_size_in_bytes");
    const decoded = decodeManifest(bytes);
    expect(decoded.formatVersion).toBe(1);
    expect(decoded.entries[0]?.data_file.file_path).toBe(entry.data_file.file_path);
    expect(decoded.entries[0]?.sequence_number).toBeNull();
    expect(() => encodeManifest({ ...opts, content: "deletes", entries: [] })).toThrow(/no delete files/);
  });
});

describe("what DuckDB 1.4.4 writes", () => {
  const opt = (name: string, id: number, type: unknown) => ({ "field-id": id, name, type: ["null", type] });
  /** A manifest_entry schema whose data_file has only the required fields, then `extra`. */
  const minimalManifestSchema = (extra: unknown[]) => ({
    type: "record",
    name: "manifest_entry",
    fields: [
      { "field-id": 0, name: "status", type: "int" },
      opt("snapshot_id", 1, "long"),
      opt("sequence_number", 3, "long"),
      opt("file_sequence_number", 4, "long"),
      {
        "field-id": 2,
        name: "data_file",
        type: {
          type: "record",
          name: "r2",
          fields: [
            { "field-id": 134, name: "content", type: "int" },
            { "field-id": 100, name: "file_path", type: "string" },
            { "field-id": 101, name: "file_format", type: "string" },
            { "field-id": 102, name: "partition", type: { type: "record", name: "r102", fields: [] } },
            { "field-id": 103, name: "record_count", type: "long" },
            { "field-id": 104, name: "file_size_in_bytes", type: "long" },
            ...extra,
          ],
        },
      },
    ],
  });

  it("reads a manifest list whose fields are all optional and whose partitions elements are unions", () => {
    const schema = {
      type: "record",
      name: "manifest_file",
      fields: [
        opt("manifest_path", 500, "string"),
        opt("manifest_length", 501, "long"),
        opt("partition_spec_id", 502, "int"),
        opt("content", 517, "int"),
        opt("sequence_number", 515, "long"),
        opt("min_sequence_number", 516, "long"),
        opt("added_snapshot_id", 503, "long"),
        opt("added_files_count", 504, "int"),
        opt("added_rows_count", 512, "long"),
        opt("partitions", 507, {
          "element-id": 508,
          type: "array",
          items: [
            "null",
            {
              type: "record",
              name: "element0",
              fields: [
                opt("contains_null", 509, "boolean"),
                opt("contains_nan", 518, "boolean"),
                opt("lower_bound", 510, "bytes"),
                opt("upper_bound", 511, "bytes"),
              ],
            },
          ],
        }),
      ],
    };
    const record = {
      manifest_path: "s3://b/m.avro",
      manifest_length: 10n,
      partition_spec_id: 0,
      content: 0,
      sequence_number: 3n,
      min_sequence_number: 3n,
      added_snapshot_id: 9n,
      added_files_count: 1,
      added_rows_count: 10n,
    };
    const bytes = writeContainer({
      schema: schema as never,
      metadata: {},
      records: [
        { ...record, partitions: null },
        {
          ...record,
          partitions: [
            {
              contains_null: true,
              contains_nan: null,
              lower_bound: Buffer.from("eu"),
              upper_bound: Buffer.from("us"),
            },
          ],
        },
      ],
    });
    const decoded = decodeManifestList(bytes);
    expect(decoded.manifests[0]).toMatchObject({ ...record, existing_files_count: null });
    expect(decoded.manifests[0]?.partitions).toBeUndefined();
    expect(decoded.manifests[1]?.partitions).toEqual([
      {
        contains_null: true,
        lower_bound: new TextEncoder().encode("eu"),
        upper_bound: new TextEncoder().encode("us"),
      },
    ]);
  });

  it("reads a manifest without the optional metrics fields and with an empty partition record", () => {
    const schema = minimalManifestSchema([]);
    const bytes = writeContainer({
      schema: schema as never,
      metadata: { "format-version": "2", content: "data" },
      records: [
        {
          status: 1,
          snapshot_id: 5n,
          sequence_number: 1n,
          file_sequence_number: null,
          data_file: {
            content: 0,
            file_path: "s3://b/d.parquet",
            file_format: "parquet",
            partition: {},
            record_count: 10n,
            file_size_in_bytes: 2498n,
          },
        },
      ],
    });
    const decoded = decodeManifest(bytes);
    expect(decoded.entries).toEqual([
      {
        status: 1,
        snapshot_id: 5n,
        sequence_number: 1n,
        file_sequence_number: null,
        data_file: {
          content: 0,
          file_path: "s3://b/d.parquet",
          file_format: "parquet",
          partition: {},
          record_count: 10n,
          file_size_in_bytes: 2498n,
        },
      },
    ]);
  });

  it("reads the v3 fields of a deletion vector's data_file and of a manifest list", () => {
    const schema = minimalManifestSchema([
      opt("first_row_id", 142, "long"),
      opt("referenced_data_file", 143, "string"),
      opt("content_offset", 144, "long"),
      opt("content_size_in_bytes", 145, "long"),
    ]);
    const bytes = writeContainer({
      schema: schema as never,
      metadata: { "format-version": "3", content: "deletes" },
      records: [
        {
          status: 1,
          snapshot_id: 5n,
          sequence_number: null,
          file_sequence_number: null,
          data_file: {
            content: 1,
            file_path: "s3://b/dv.puffin",
            file_format: "PUFFIN",
            partition: {},
            record_count: 3n,
            file_size_in_bytes: 900n,
            first_row_id: null,
            referenced_data_file: "s3://b/d.parquet",
            content_offset: 4n,
            content_size_in_bytes: 120n,
          },
        },
      ],
    });
    const file = decodeManifest(bytes).entries[0]?.data_file;
    expect(file?.referenced_data_file).toBe("s3://b/d.parquet");
    expect(file?.content_offset).toBe(4n);
    expect(file?.content_size_in_bytes).toBe(120n);
    expect(file).not.toHaveProperty("first_row_id");

    const v2 = manifestFileSchema(2);
    const listSchema = { ...v2, fields: [...v2.fields, opt("first_row_id", 520, "long")] };
    const list = writeContainer({
      schema: listSchema as never,
      metadata: { "format-version": "3" },
      records: [{ ...manifest, partitions: null, key_metadata: null, first_row_id: 1000n }],
    });
    expect(decodeManifestList(list).manifests[0]?.first_row_id).toBe(1000n);
  });
});
