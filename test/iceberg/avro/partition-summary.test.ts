import { describe, expect, it } from "vitest";
import { decodeManifest, decodeManifestList, summarizePartitions } from "../../../src/iceberg/avro/index.js";
import { encodePartitionSingleValue } from "../../../src/iceberg/avro/partition-summary.js";
import type { PartitionType } from "../../../src/iceberg/spec/index.js";
import { fixture, partitionField } from "./helpers.js";

const le32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return new Uint8Array(b);
};
const le64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return new Uint8Array(b);
};

describe("encodePartitionSingleValue", () => {
  it("follows the spec's binary single-value serialization", () => {
    expect(encodePartitionSingleValue("int", -2)).toEqual(Uint8Array.of(0xfe, 0xff, 0xff, 0xff));
    expect(encodePartitionSingleValue("date", 19_724)).toEqual(le32(19_724));
    expect(encodePartitionSingleValue("long", 2n ** 53n + 1n)).toEqual(
      Uint8Array.of(1, 0, 0, 0, 0, 0, 0x20, 0),
    );
    expect(encodePartitionSingleValue("timestamptz", -1n)).toEqual(le64(-1n));
    expect(encodePartitionSingleValue("boolean", true)).toEqual(Uint8Array.of(1));
    expect(encodePartitionSingleValue("float", 1)).toEqual(Uint8Array.of(0, 0, 0x80, 0x3f));
    expect(encodePartitionSingleValue("double", -0)).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x80));
    expect(encodePartitionSingleValue("string", "é")).toEqual(Uint8Array.of(0xc3, 0xa9));
    expect(encodePartitionSingleValue("uuid", "F79C3E09-677C-4BBD-A479-3F349CB785E7")).toEqual(
      Uint8Array.from(Buffer.from("f79c3e09677c4bbda4793f349cb785e7", "hex")),
    );
    // Decimals: unscaled two's complement, big-endian, minimal bytes.
    expect(encodePartitionSingleValue("decimal(10,2)", -12_345n)).toEqual(Uint8Array.of(0xcf, 0xc7));
    expect(encodePartitionSingleValue("decimal(10,2)", 128n)).toEqual(Uint8Array.of(0x00, 0x80));
    expect(encodePartitionSingleValue("decimal(10,2)", -128n)).toEqual(Uint8Array.of(0x80));
    expect(encodePartitionSingleValue("decimal(10,2)", 0n)).toEqual(Uint8Array.of(0));
    expect(encodePartitionSingleValue("fixed[2]", Uint8Array.of(7, 8))).toEqual(Uint8Array.of(7, 8));
    expect(() => encodePartitionSingleValue("int", "1")).toThrow(/not a valid int/);
  });

  it("takes a safe-integer number for a 64-bit type and 16 bytes for a uuid", () => {
    expect(encodePartitionSingleValue("long", -1)).toEqual(le64(-1n));
    expect(encodePartitionSingleValue("timestamp", 5)).toEqual(le64(5n));
    const uuid = Uint8Array.from(Buffer.from("f79c3e09677c4bbda4793f349cb785e7", "hex"));
    expect(encodePartitionSingleValue("uuid", uuid)).toEqual(uuid);
    expect(() => encodePartitionSingleValue("long", 2 ** 53)).toThrow(/not a valid long/);
  });
});

describe("summarizePartitions", () => {
  const type: PartitionType = {
    type: "struct",
    fields: [
      partitionField(1000, "d", "date"),
      partitionField(1001, "s", "string"),
      partitionField(1002, "x", "double"),
      partitionField(1003, "n", "long"),
      partitionField(1004, "dec", "decimal(9,2)"),
    ],
  };

  it("tracks nulls, NaNs and bounds per field", () => {
    const rows = [
      { d: 5, s: "b", x: Number.NaN, n: null, dec: 10n },
      { d: -3, s: "\u{1F600}", x: 0, n: null, dec: -300n },
      { d: 12, s: null, x: -0, n: null, dec: 7n },
      { d: 0, s: "\uFFFF", x: 2.5, n: null, dec: 1_000n },
    ];
    const [d, s, x, n, dec] = summarizePartitions(type, rows);
    expect(d).toEqual({
      contains_null: false,
      contains_nan: false,
      lower_bound: le32(-3),
      upper_bound: le32(12),
    });
    // Strings order by code point (UTF-8 byte order): U+1F600 sorts after U+FFFF, unlike UTF-16 order.
    expect(s).toEqual({
      contains_null: true,
      contains_nan: false,
      lower_bound: new TextEncoder().encode("b"),
      upper_bound: new TextEncoder().encode("\u{1F600}"),
    });
    // NaN stays out of the bounds; -0.0 is the lower bound, not +0.0.
    expect(x?.contains_nan).toBe(true);
    expect(x?.lower_bound).toEqual(encodePartitionSingleValue("double", -0));
    expect(x?.upper_bound).toEqual(encodePartitionSingleValue("double", 2.5));
    expect(n).toEqual({ contains_null: true, contains_nan: false });
    expect(dec?.lower_bound).toEqual(Uint8Array.of(0xfe, 0xd4));
    expect(dec?.upper_bound).toEqual(Uint8Array.of(0x03, 0xe8));
  });

  it("keeps the bounds in the spec's single-value encoding, whatever order the values come in", () => {
    const [summary] = summarizePartitions({ type: "struct", fields: [partitionField(1, "a", "int")] }, [
      { a: 4 },
      { a: 2 },
      { a: 3 },
    ]);
    expect(summary).toEqual({
      contains_null: false,
      contains_nan: false,
      lower_bound: le32(2),
      upper_bound: le32(4),
    });
  });

  it("gives no summaries for an unpartitioned spec, and no bounds over no rows", () => {
    expect(summarizePartitions({ type: "struct" as const, fields: [] }, [{}, {}])).toEqual([]);
    expect(summarizePartitions(type, [])).toHaveLength(5);
    expect(summarizePartitions(type, [])[0]).toEqual({ contains_null: false, contains_nan: false });
  });

  it("matches the summaries Java wrote for the same manifest", () => {
    const manifest = decodeManifest(fixture("java-v1-manifest.avro"));
    const list = decodeManifestList(fixture("java-v1-manifest-list.avro"));
    const javaType: PartitionType = {
      type: "struct",
      fields: [
        partitionField(1000, "ts_day", "date"),
        partitionField(1001, "id_bucket", "int"),
        partitionField(1002, "amount", "decimal(10,2)"),
        partitionField(1003, "cat", "string"),
        partitionField(1004, "weird-name_trunc", "string"),
        partitionField(1005, "f", "double"),
      ],
    };
    const ours = summarizePartitions(
      javaType,
      manifest.entries.map((e) => e.data_file.partition),
    );
    expect(ours).toEqual(list.manifests[0]?.partitions);
  });
});
