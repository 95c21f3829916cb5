import { describe, expect, it } from "vitest";
import {
  decodeManifestList,
  encodeManifestList,
  manifestFileSchema,
  writeContainer,
} from "../../../src/iceberg/avro/index.js";
import type { ManifestFile } from "../../../src/iceberg/spec/index.js";
import { BIG_SNAPSHOT_ID, fieldIdsByPath, fixture, NEGATIVE_SNAPSHOT_ID, parseHeader } from "./helpers.js";

function manifest(i: number, overrides: Partial<ManifestFile> = {}): ManifestFile {
  return {
    manifest_path: `s3://bucket/t/metadata/m${i}.avro`,
    manifest_length: 4529n + BigInt(i),
    partition_spec_id: 0,
    content: 0,
    sequence_number: 7n,
    min_sequence_number: 3n,
    added_snapshot_id: BIG_SNAPSHOT_ID,
    added_files_count: 3,
    existing_files_count: 1,
    deleted_files_count: 0,
    added_rows_count: 9_007_199_254_740_993n,
    existing_rows_count: 10n,
    deleted_rows_count: 0n,
    partitions: [
      {
        contains_null: true,
        contains_nan: false,
        lower_bound: Uint8Array.of(1, 0, 0, 0),
        upper_bound: Uint8Array.of(9, 0, 0, 0),
      },
      { contains_null: true, contains_nan: false },
    ],
    ...overrides,
  };
}

describe("encodeManifestList / decodeManifestList", () => {
  it("round-trips manifests with int64 ids and counts beyond 2^53", () => {
    const manifests = [
      manifest(0),
      manifest(1, {
        content: 1,
        added_snapshot_id: NEGATIVE_SNAPSHOT_ID,
        key_metadata: Uint8Array.of(1, 2, 3),
        partitions: undefined,
      }),
    ];
    const bytes = encodeManifestList({
      manifests,
      snapshotId: BIG_SNAPSHOT_ID,
      parentSnapshotId: NEGATIVE_SNAPSHOT_ID,
      sequenceNumber: 7n,
      formatVersion: 2,
    });
    const decoded = decodeManifestList(bytes);
    expect(decoded.manifests).toEqual(manifests);
    expect(decoded).toMatchObject({
      formatVersion: 2,
      snapshotId: BIG_SNAPSHOT_ID,
      parentSnapshotId: NEGATIVE_SNAPSHOT_ID,
      sequenceNumber: 7n,
    });
  });

  it("writes the spec's header keys, 'null' for no parent, and field ids in the header schema", () => {
    const bytes = encodeManifestList({
      manifests: [manifest(0)],
      snapshotId: BIG_SNAPSHOT_ID,
      parentSnapshotId: null,
      sequenceNumber: 1n,
      formatVersion: 2,
    });
    const { meta } = parseHeader(bytes);
    expect(Object.fromEntries([...meta].filter(([k]) => !k.startsWith("avro.")))).toEqual({
      "snapshot-id": "9007199254740993007",
      "parent-snapshot-id": "null",
      "sequence-number": "1",
      "format-version": "2",
    });
    const schema = JSON.parse(meta.get("avro.schema") as string);
    expect(schema).toEqual(JSON.parse(JSON.stringify(manifestFileSchema(2))));
    const ids = fieldIdsByPath(schema);
    expect(ids.get("added_snapshot_id")).toBe(503);
    expect(ids.get("partitions[]")).toBe(508);
    expect(ids.get("partitions.contains_nan")).toBe(518);
    expect(decodeManifestList(bytes).parentSnapshotId).toBeNull();
  });

  it("refuses v2 entries with missing counts", () => {
    expect(() =>
      encodeManifestList({
        manifests: [manifest(0, { added_rows_count: null })],
        snapshotId: 1n,
        parentSnapshotId: null,
        sequenceNumber: 1n,
        formatVersion: 2,
      }),
    ).toThrow(/added_rows_count/);
  });

  it("reads a v1 list: no content or sequence numbers (read as 0), counts may be null", () => {
    const bytes = writeContainer({
      schema: manifestFileSchema(1),
      metadata: { "snapshot-id": "5", "format-version": "1" },
      records: [
        {
          manifest_path: "s3://b/m.avro",
          manifest_length: 100n,
          partition_spec_id: 0,
          added_snapshot_id: 5n,
          added_files_count: 1,
          existing_files_count: null,
          deleted_files_count: null,
          partitions: [
            { contains_null: false, contains_nan: null, lower_bound: Buffer.from("a"), upper_bound: null },
          ],
          added_rows_count: 10n,
          existing_rows_count: null,
          deleted_rows_count: null,
          key_metadata: null,
        },
      ],
    });
    const decoded = decodeManifestList(bytes);
    expect(decoded).toMatchObject({
      formatVersion: 1,
      snapshotId: 5n,
      parentSnapshotId: null,
      sequenceNumber: null,
    });
    expect(decoded.manifests).toEqual([
      {
        manifest_path: "s3://b/m.avro",
        manifest_length: 100n,
        partition_spec_id: 0,
        content: 0,
        sequence_number: 0n,
        min_sequence_number: 0n,
        added_snapshot_id: 5n,
        added_files_count: 1,
        existing_files_count: null,
        deleted_files_count: null,
        added_rows_count: 10n,
        existing_rows_count: null,
        deleted_rows_count: null,
        partitions: [{ contains_null: false, lower_bound: new TextEncoder().encode("a") }],
      },
    ]);
  });

  it("reads early Java v1 field names (added_data_files_count) by field id", () => {
    const schema = manifestFileSchema(1);
    for (const f of schema.fields) f.name = f.name.replace("_files_count", "_data_files_count");
    const bytes = writeContainer({
      schema,
      metadata: {},
      records: [
        {
          manifest_path: "m",
          manifest_length: 1n,
          partition_spec_id: 0,
          added_snapshot_id: 1n,
          added_data_files_count: 4,
          existing_data_files_count: 5,
          deleted_data_files_count: 6,
          partitions: null,
          added_rows_count: null,
          existing_rows_count: null,
          deleted_rows_count: null,
          key_metadata: null,
        },
      ],
    });
    expect(decodeManifestList(bytes).manifests[0]).toMatchObject({
      added_files_count: 4,
      existing_files_count: 5,
      deleted_files_count: 6,
    });
  });
});

describe("manifest lists written by other engines", () => {
  it("reads a Java (Iceberg 1.10) v1 list", () => {
    const l = decodeManifestList(fixture("java-v1-manifest-list.avro"));
    expect(l).toMatchObject({
      formatVersion: 1,
      snapshotId: 500_601_062_182_160_388n,
      parentSnapshotId: null,
    });
    expect(l.manifests).toHaveLength(1);
    expect(l.manifests[0]).toMatchObject({
      manifest_length: 7766n,
      content: 0,
      sequence_number: 0n,
      added_files_count: 2,
      added_rows_count: 2n,
    });
    expect(l.manifests[0]?.partitions).toHaveLength(6);
  });

  it("reads a Java v2 list after a copy-on-write delete", () => {
    const l = decodeManifestList(fixture("java-v2-manifest-list.avro"));
    expect(l).toMatchObject({
      formatVersion: 2,
      snapshotId: 1_761_920_218_432_982_458n,
      parentSnapshotId: 4_438_024_051_997_576_958n,
      sequenceNumber: 2n,
    });
    expect(l.manifests[0]).toMatchObject({
      sequence_number: 2n,
      min_sequence_number: 1n,
      added_files_count: 0,
      existing_files_count: 1,
      deleted_files_count: 1,
      existing_rows_count: 1n,
      deleted_rows_count: 1n,
    });
    // The double partition field saw NaN.
    expect(l.manifests[0]?.partitions?.[5]?.contains_nan).toBe(true);
  });

  it("reads a PyIceberg v2 list compressed with snappy", () => {
    const l = decodeManifestList(fixture("pyiceberg-v2-manifest-list-snappy.avro"));
    expect(l).toMatchObject({
      snapshotId: -4_611_686_018_427_387_905n,
      parentSnapshotId: null,
      sequenceNumber: 9n,
    });
    expect(l.manifests[0]).toMatchObject({
      partition_spec_id: 4,
      added_rows_count: 21n,
      sequence_number: 9n,
    });
    expect(l.manifests[0]?.partitions?.[2]).toEqual({
      contains_null: false,
      contains_nan: false,
      lower_bound: Uint8Array.of(0xcf, 0xc7),
      upper_bound: Uint8Array.of(0xcf, 0xc7),
    });
  });
});
