import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  decodeManifest,
  encodeManifest,
  manifestEntrySchema,
  writeContainer,
} from "../../../src/iceberg/avro/index.js";
import type { ManifestEntry } from "../../../src/iceberg/spec/index.js";
import {
  BIG_SNAPSHOT_ID,
  fieldIdsByPath,
  NEGATIVE_SNAPSHOT_ID,
  PARTITION_TYPE,
  parseHeader,
  partitionField,
  SCHEMA_JSON,
  SPEC_FIELDS_JSON,
  sampleEntry,
} from "./helpers.js";

function encode(entries: ManifestEntry[], extra: Partial<Parameters<typeof encodeManifest>[0]> = {}) {
  return encodeManifest({
    entries,
    schemaJson: SCHEMA_JSON,
    partitionSpecJson: SPEC_FIELDS_JSON,
    partitionSpecId: 7,
    formatVersion: 2,
    content: "data",
    partitionType: PARTITION_TYPE,
    ...extra,
  });
}

describe("encodeManifest / decodeManifest", () => {
  it("round-trips entries, partition values of every type and int64 extremes", () => {
    const entries = [
      sampleEntry(0),
      sampleEntry(1, {
        status: 0,
        snapshot_id: NEGATIVE_SNAPSHOT_ID,
        sequence_number: 9_007_199_254_740_995n,
        file_sequence_number: 2n ** 63n - 1n,
      }),
      sampleEntry(2, { status: 2 }),
    ];
    const decoded = decodeManifest(encode(entries));
    expect(decoded.entries).toEqual(entries);
    expect(decoded.entries[1]?.snapshot_id).toBe(-9_223_372_036_854_775_807n);
    expect(decoded.entries[0]?.snapshot_id).toBe(9_007_199_254_740_993_007n);
    expect(decoded.entries[0]?.data_file.partition.id_bucket).toBeNull();
    expect(decoded.entries[1]?.data_file.partition.ratio).toBeNaN();
    expect(decoded).toMatchObject({ formatVersion: 2, content: "data", partitionSpecId: 7, schemaId: 3 });
  });

  it("writes exactly the spec's header keys, with field ids kept in the header schema", () => {
    const bytes = encode([sampleEntry(0)]);
    const { meta } = parseHeader(bytes);
    expect([...meta.keys()].sort()).toEqual(
      [
        "avro.codec",
        "avro.schema",
        "content",
        "format-version",
        "partition-spec",
        "partition-spec-id",
        "schema",
        "schema-id",
      ].sort(),
    );
    expect(meta.get("schema")).toBe(SCHEMA_JSON);
    expect(meta.get("schema-id")).toBe("3");
    expect(meta.get("partition-spec")).toBe(SPEC_FIELDS_JSON);
    expect(meta.get("partition-spec-id")).toBe("7");
    expect(meta.get("format-version")).toBe("2");
    expect(meta.get("content")).toBe("data");
    expect(meta.get("avro.codec")).toBe("deflate");
    const schema = JSON.parse(meta.get("avro.schema") as string);
    expect(schema).toEqual(JSON.parse(JSON.stringify(manifestEntrySchema(PARTITION_TYPE, 2))));
    const ids = fieldIdsByPath(schema);
    expect(ids.get("snapshot_id")).toBe(1);
    expect(ids.get("data_file.lower_bounds.value")).toBe(127);
    expect(ids.get("data_file.partition.amount")).toBe(1002);
    expect(ids.get("data_file.split_offsets[]")).toBe(133);
  });

  it("compresses blocks with raw deflate, or writes them plain with the null codec", () => {
    const entries = [sampleEntry(0), sampleEntry(1)];
    const deflated = encode(entries);
    const plain = encode(entries, { codec: "null" });
    expect(parseHeader(plain).meta.get("avro.codec")).toBe("null");
    expect(decodeManifest(plain).entries).toEqual(entries);
    // The first block of the deflate file inflates to the records of the plain one.
    const readBlock = (bytes: Uint8Array) => {
      const { end } = parseHeader(bytes);
      let pos = end;
      const varint = () => {
        let r = 0;
        let s = 0;
        for (;;) {
          const b = bytes[pos++] as number;
          r += (b & 0x7f) * 2 ** s;
          if (!(b & 0x80)) return r / 2;
          s += 7;
        }
      };
      const count = varint();
      const size = varint();
      return { count, data: bytes.subarray(pos, pos + size) };
    };
    const d = readBlock(deflated);
    const p = readBlock(plain);
    expect(d.count).toBe(2);
    expect(Buffer.from(inflateRawSync(d.data))).toEqual(Buffer.from(p.data));
  });

  it("accepts a whole partition spec object and a schema id given explicitly", () => {
    const spec = JSON.stringify({ "spec-id": 7, fields: JSON.parse(SPEC_FIELDS_JSON) });
    const bytes = encode([sampleEntry(0)], { partitionSpecJson: spec, schemaId: 11 });
    expect(parseHeader(bytes).meta.get("partition-spec")).toBe(SPEC_FIELDS_JSON);
    expect(parseHeader(bytes).meta.get("schema-id")).toBe("11");
  });

  it("writes delete manifests and refuses files of the wrong content", () => {
    const eqDelete = sampleEntry(0);
    eqDelete.data_file.content = 2;
    eqDelete.data_file.equality_ids = [1, 2];
    const bytes = encode([eqDelete], { content: "deletes" });
    const decoded = decodeManifest(bytes);
    expect(decoded.content).toBe("deletes");
    expect(decoded.entries[0]?.data_file.equality_ids).toEqual([1, 2]);
    let caught: unknown;
    try {
      encode([eqDelete]);
    } catch (e) {
      caught = e;
    }
    expect(isFloeError(caught, "INVALID_ARGUMENT")).toBe(true);
    expect(() => encode([sampleEntry(0)], { content: "deletes" })).toThrow(/deletes manifest cannot hold/);
  });

  it("rejects partition values that do not fit their type", () => {
    const bad = (partition: Record<string, unknown>) => {
      const e = sampleEntry(0);
      Object.assign(e.data_file.partition, partition);
      return () => encode([e]);
    };
    expect(bad({ amount: 10n ** 10n })).toThrow(/amount/);
    expect(bad({ ts_day: 1.5 })).toThrow(/ts_day/);
    expect(bad({ big: 2n ** 63n })).toThrow(/big/);
    expect(bad({ code: Uint8Array.of(1) })).toThrow(/code/);
    expect(bad({ u: "not-a-uuid" })).toThrow(/uuid/);
  });

  it("takes a number for a long and 16 bytes for a uuid, and reads them back as the spec holds them", () => {
    const e = sampleEntry(0);
    Object.assign(e.data_file.partition, {
      big: 42,
      u: Uint8Array.from(Buffer.from("f79c3e09677c4bbda4793f349cb785e7", "hex")),
    });
    const partition = decodeManifest(encode([e])).entries[0]?.data_file.partition;
    expect(partition?.big).toBe(42n);
    expect(partition?.u).toBe("f79c3e09-677c-4bbd-a479-3f349cb785e7");
  });

  it("reads a manifest that uses the v1 schema", () => {
    const pt = { type: "struct" as const, fields: [partitionField(1000, "d", "date")] };
    const bytes = writeContainer({
      schema: manifestEntrySchema(pt, 1),
      metadata: { schema: SCHEMA_JSON, "partition-spec": '[{"name":"d","transform":"day","source-id":2}]' },
      records: [
        {
          status: 1,
          snapshot_id: BIG_SNAPSHOT_ID,
          data_file: {
            file_path: "s3://b/a.parquet",
            file_format: "PARQUET",
            partition: { d: 19_723 },
            record_count: 5n,
            file_size_in_bytes: 1234n,
            block_size_in_bytes: 67_108_864n,
            column_sizes: null,
            value_counts: [{ key: 1, value: 5n }],
            null_value_counts: null,
            nan_value_counts: null,
            lower_bounds: null,
            upper_bounds: null,
            key_metadata: null,
            split_offsets: null,
            sort_order_id: null,
          },
        },
      ],
    });
    const decoded = decodeManifest(bytes);
    expect(decoded).toMatchObject({ formatVersion: 1, content: "data", partitionSpecId: 0, schemaId: 3 });
    expect(decoded.entries).toEqual([
      {
        status: 1,
        snapshot_id: BIG_SNAPSHOT_ID,
        sequence_number: null,
        file_sequence_number: null,
        data_file: {
          content: 0,
          file_path: "s3://b/a.parquet",
          file_format: "PARQUET",
          partition: { d: 19_723 },
          record_count: 5n,
          file_size_in_bytes: 1234n,
          value_counts: new Map([[1, 5n]]),
        },
      },
    ]);
  });

  it("reads by field id: renamed, reordered, extra and absent fields do not matter", () => {
    const schema = {
      type: "record",
      name: "manifest_entry",
      fields: [
        { name: "unknown_extra", type: "string", "field-id": 9999 },
        {
          name: "df",
          "field-id": 2,
          type: {
            type: "record",
            name: "r2",
            fields: [
              { name: "size", type: "long", "field-id": 104 },
              { name: "path", type: "string", "field-id": 100 },
              { name: "fmt", type: "string", "field-id": 101 },
              { name: "n", type: "long", "field-id": 103 },
              { name: "part", type: { type: "record", name: "r102", fields: [] }, "field-id": 102 },
              { name: "distinct_counts", type: ["null", "string"], default: null, "field-id": 111 },
            ],
          },
        },
        { name: "st", type: "int", "field-id": 0 },
      ],
    };
    const bytes = writeContainer({
      schema: schema as never,
      metadata: { "format-version": "2" },
      records: [
        {
          unknown_extra: "x",
          df: { size: 1n, path: "p", fmt: "AVRO", n: 2n, part: {}, distinct_counts: "y" },
          st: 0,
        },
      ],
    });
    expect(decodeManifest(bytes).entries).toEqual([
      {
        status: 0,
        snapshot_id: null,
        sequence_number: null,
        file_sequence_number: null,
        data_file: {
          content: 0,
          file_path: "p",
          file_format: "AVRO",
          partition: {},
          record_count: 2n,
          file_size_in_bytes: 1n,
        },
      },
    ]);
  });

  it("fails with DECODE_FAILED on bytes that are not a manifest", () => {
    let caught: unknown;
    try {
      decodeManifest(new TextEncoder().encode("PAR1 not avro"));
    } catch (e) {
      caught = e;
    }
    expect(isFloeError(caught, "DECODE_FAILED")).toBe(true);
    const truncated = encode([sampleEntry(0)]).subarray(0, 600);
    expect(() => decodeManifest(truncated)).toThrow();
  });
});
