import { describe, expect, it } from "vitest";
import { avroType, frameContainer } from "../../../src/iceberg/avro/container.js";
import { decodeManifest, manifestEntrySchema, writeContainer } from "../../../src/iceberg/avro/index.js";
import { fixture, partitionField } from "./helpers.js";

function encodedMinimal(): Record<string, unknown> {
  return {
    status: 1,
    snapshot_id: 5n,
    sequence_number: null,
    file_sequence_number: null,
    data_file: {
      content: 0,
      file_path: "p",
      file_format: "PARQUET",
      partition: {},
      record_count: 1n,
      file_size_in_bytes: 1n,
      column_sizes: null,
      value_counts: null,
      null_value_counts: null,
      nan_value_counts: null,
      lower_bounds: null,
      upper_bounds: null,
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: null,
      referenced_data_file: null,
    },
  };
}

describe("manifests written by other engines", () => {
  it("reads a Java (Iceberg 1.10, Spark) v1 manifest", () => {
    const m = decodeManifest(fixture("java-v1-manifest.avro"));
    expect(m).toMatchObject({ formatVersion: 1, content: "data", partitionSpecId: 0, schemaId: 0 });
    expect(m.entries).toHaveLength(2);
    const withValues = m.entries.find((e) => e.data_file.partition.cat === "a");
    expect(withValues).toMatchObject({
      status: 1,
      snapshot_id: 500_601_062_182_160_388n,
      sequence_number: null,
      data_file: { content: 0, file_format: "PARQUET", record_count: 1n, sort_order_id: 0 },
    });
    expect(withValues?.data_file.partition).toEqual({
      ts_day: 19_724, // 2024-01-02
      id_bucket: 0,
      amount: -12_345n, // -123.45 as decimal(10,2)
      cat: "a",
      "weird-name_trunc": "xy", // Avro name weird_x2Dname_trunc, original name restored
      f: Number.NaN,
    });
    expect(withValues?.data_file.nan_value_counts).toEqual(new Map([[7, 1n]]));
    expect(withValues?.data_file.lower_bounds?.get(1)).toEqual(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    const nulls = m.entries.find((e) => e.data_file.partition.cat === null);
    expect(nulls?.data_file.partition).toMatchObject({ ts_day: null, amount: null, id_bucket: 2 });
    // id 9007199254740993 (2^53 + 1) in the lower bound survives as bytes.
    expect(nulls?.data_file.lower_bounds?.get(1)).toEqual(Uint8Array.of(1, 0, 0, 0, 0, 0, 32, 0));
  });

  it("reads a Java v2 manifest with existing and deleted entries", () => {
    const m = decodeManifest(fixture("java-v2-manifest.avro"));
    expect(m).toMatchObject({ formatVersion: 2, content: "data", partitionSpecId: 0, schemaId: 0 });
    expect(
      m.entries.map((e) => [e.status, e.snapshot_id, e.sequence_number, e.file_sequence_number]),
    ).toEqual([
      [0, 4_438_024_051_997_576_958n, 1n, 1n],
      [2, 1_761_920_218_432_982_458n, 1n, 1n],
    ]);
  });

  it("reads Java's fixed partition values (written as Avro bytes, apache/iceberg#17501) and named type references", () => {
    const m = decodeManifest(fixture("java-v2-manifest-fixed-partition.avro"));
    expect(m.entries[0]?.data_file.partition).toEqual({
      code: Uint8Array.of(0x41, 0x42, 0x43), // fixed[3]
      u: "f79c3e09-677c-4bbd-a479-3f349cb785e7",
      raw: Uint8Array.of(0, 255),
      d1: -12_345n,
      d2: 100n, // type given as a reference to decimal_10_2
      u2: null,
    });
    expect(m.entries[0]?.data_file.record_count).toBe(1n);
  });

  it("reads fixed partition values per the Avro spec from other writers and from fixed Java writers", () => {
    const pt = { type: "struct" as const, fields: [partitionField(1000, "code", "fixed[3]")] };
    const record = {
      status: 1,
      snapshot_id: 1n,
      data_file: {
        file_path: "p",
        file_format: "PARQUET",
        partition: { code: Buffer.from("XYZ") },
        record_count: 1n,
        file_size_in_bytes: 1n,
        block_size_in_bytes: 1n,
        column_sizes: null,
        value_counts: null,
        null_value_counts: null,
        nan_value_counts: null,
        lower_bounds: null,
        upper_bounds: null,
        key_metadata: null,
        split_offsets: null,
        sort_order_id: null,
      },
    };
    const headers: Array<Record<string, string>> = [
      {},
      { "iceberg.schema": "{}", "iceberg.avro.fixed-encoding": "v2" },
    ];
    for (const metadata of headers) {
      const bytes = writeContainer({ schema: manifestEntrySchema(pt, 1), metadata, records: [record] });
      expect(decodeManifest(bytes).entries[0]?.data_file.partition).toEqual({
        code: new TextEncoder().encode("XYZ"),
      });
    }
  });

  it("reads a PyIceberg manifest that defines the same Avro name twice", () => {
    // Two decimal(10,2) partition fields: PyIceberg 0.10 writes decimal_10_2 inline for each.
    const m = decodeManifest(fixture("pyiceberg-v2-manifest-duplicate-names.avro"));
    expect(m.entries[0]?.data_file.partition).toEqual({ a: 100n, b: -200n });
  });

  it("ignores field defaults of the writer schema, even invalid ones", () => {
    const schema = manifestEntrySchema({ type: "struct" as const, fields: [] }, 2);
    // The header schema's optional snapshot_id carries a default that avsc would reject.
    const broken = JSON.parse(JSON.stringify(schema));
    broken.fields[1].default = "not-null";
    const reframed = frameContainer({
      schemaJson: JSON.stringify(broken),
      codecName: "null",
      metadata: {},
      blocks: [{ count: 1, data: avroType(schema).toBuffer(encodedMinimal()) }],
      syncMarker: new Uint8Array(16),
    });
    expect(decodeManifest(reframed).entries[0]?.snapshot_id).toBe(5n);
  });

  it("reads a PyIceberg v2 manifest compressed with snappy", () => {
    const m = decodeManifest(fixture("pyiceberg-v2-manifest-snappy.avro"));
    expect(m).toMatchObject({ formatVersion: 2, content: "data", partitionSpecId: 4, schemaId: 3 });
    expect(m.entries.map((e) => e.data_file.partition)).toEqual([
      { ts_day: 19_000, id_bucket: 0, amount: -12_345n, cat: "x" },
      { ts_day: 19_001, id_bucket: 1, amount: -12_345n, cat: "x" },
    ]);
    expect(m.entries[0]).toMatchObject({
      snapshot_id: -4_611_686_018_427_387_905n,
      data_file: {
        file_path: "s3://b/t/data/py0.parquet",
        split_offsets: [4n],
        column_sizes: new Map([
          [1, 11n],
          [2, 22n],
        ]),
      },
    });
  });
});
