import { describe, expect, it } from "vitest";
import { hexToBytes, utf8Encode } from "../../../src/iceberg/spec/bytes.js";
import {
  hashBoolean,
  hashBytes,
  hashDecimal,
  hashDouble,
  hashInt,
  hashLong,
  hashString,
  hashUuid,
  hashValue,
  murmur3Hash32,
} from "../../../src/iceberg/spec/murmur3.js";
import { parseDate, parseTime, parseTimestamp } from "../../../src/iceberg/spec/values.js";

describe("murmur3Hash32", () => {
  it("matches known Murmur3 x86_32 seed-0 values for every tail length", () => {
    expect(murmur3Hash32(new Uint8Array(0))).toBe(0);
    // well-known reference outputs of MurmurHash3_x86_32 with seed 0
    expect(murmur3Hash32(utf8Encode("hello")) >>> 0).toBe(0x248bfa47);
    expect(murmur3Hash32(utf8Encode("The quick brown fox jumps over the lazy dog")) >>> 0).toBe(0x2e4ff723);
    // 1, 2, 3 and 4-byte inputs exercise each tail branch
    const hashes = [1, 2, 3, 4].map((n) => murmur3Hash32(hexToBytes("00010203".slice(0, 2 * n))));
    expect(new Set(hashes).size).toBe(4);
    expect(hashes[3]).toBe(-188683207);
  });

  it("honours the seed", () => {
    expect(murmur3Hash32(utf8Encode("hello"), 1)).not.toBe(murmur3Hash32(utf8Encode("hello")));
  });
});

describe("Appendix B hash vectors", () => {
  it("int and long hash identically", () => {
    expect(hashInt(34)).toBe(2017239379);
    expect(hashLong(34n)).toBe(2017239379);
    expect(hashValue("int", 34)).toBe(2017239379);
    expect(hashValue("long", 34n)).toBe(2017239379);
  });

  it("decimal hashes the minimal unscaled bytes", () => {
    expect(hashDecimal(1420n)).toBe(-500754589);
    expect(hashValue("decimal(9, 2)", 1420n)).toBe(-500754589);
  });

  it("date, time and timestamps", () => {
    expect(hashValue("date", parseDate("2017-11-16"))).toBe(-653330422);
    expect(hashValue("time", parseTime("22:31:08"))).toBe(-662762989);
    expect(hashValue("timestamp", parseTimestamp("2017-11-16T22:31:08"))).toBe(-2047944441);
    expect(hashValue("timestamp", parseTimestamp("2017-11-16T22:31:08.000001"))).toBe(-1207196810);
    expect(hashValue("timestamptz", parseTimestamp("2017-11-16T14:31:08-08:00"))).toBe(-2047944441);
    expect(hashValue("timestamptz", parseTimestamp("2017-11-16T14:31:08.000001-08:00"))).toBe(-1207196810);
  });

  it("nanosecond timestamps hash as their microseconds", () => {
    expect(hashValue("timestamp_ns", parseTimestamp("2017-11-16T22:31:08", "nanos"))).toBe(-2047944441);
    expect(hashValue("timestamp_ns", parseTimestamp("2017-11-16T22:31:08.000001001", "nanos"))).toBe(
      -1207196810,
    );
    expect(hashValue("timestamptz_ns", parseTimestamp("2017-11-16T14:31:08.000001001-08:00", "nanos"))).toBe(
      -1207196810,
    );
  });

  it("string, uuid, fixed and binary", () => {
    expect(hashString("iceberg")).toBe(1210000089);
    expect(hashValue("string", "iceberg")).toBe(1210000089);
    expect(hashUuid("f79c3e09-677c-4bbd-a479-3f349cb785e7")).toBe(1488055340);
    expect(hashValue("uuid", "F79C3E09-677C-4BBD-A479-3F349CB785E7")).toBe(1488055340);
    expect(hashBytes(hexToBytes("00010203"))).toBe(-188683207);
    expect(hashValue("fixed[4]", hexToBytes("00010203"))).toBe(-188683207);
    expect(hashValue("binary", hexToBytes("00010203"))).toBe(-188683207);
  });

  it("the string 34 differs from the int 34", () => {
    expect(hashString("34")).toBe(-427558391);
  });

  it("non-bucketable types follow the spec's table", () => {
    expect(hashBoolean(true)).toBe(1392991556);
    expect(hashDouble(1)).toBe(-142385009);
    expect(hashValue("float", 1)).toBe(-142385009);
    expect(hashDouble(0)).toBe(1669671676);
    expect(hashDouble(-0)).toBe(1669671676);
    expect(hashDouble(Number.NaN)).toBe(hashLong(0x7ff8000000000000n));
  });

  it("rejects values in the wrong representation", () => {
    expect(() => hashValue("long", 34)).toThrow(/bigint/);
    expect(() => hashValue("int", 34n)).toThrow(/integer/);
    expect(() => hashValue("uuid", "nope")).toThrow(/UUID/);
    expect(() => hashValue("fixed[3]", hexToBytes("00010203"))).toThrow(/3 bytes/);
    expect(() => hashValue("variant", "x")).toThrow(/no primitive representation/);
  });
});
