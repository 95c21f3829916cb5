import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../../src/iceberg/spec/bytes.js";
import {
  decodeSingleValue,
  encodeLowerBound,
  encodeSingleValue,
  encodeUpperBound,
  truncateLowerBoundBinary,
  truncateLowerBoundString,
  truncateUpperBoundBinary,
  truncateUpperBoundString,
} from "../../../src/iceberg/spec/single-value.js";
import type { PrimitiveType } from "../../../src/iceberg/spec/types.js";
import {
  type PrimitiveValue,
  parseDate,
  parseTime,
  parseTimestamp,
} from "../../../src/iceberg/spec/values.js";

describe("binary single-value serialization", () => {
  const cases: [PrimitiveType, PrimitiveValue, string][] = [
    ["boolean", false, "00"],
    ["boolean", true, "01"],
    ["int", 34, "22000000"],
    ["int", -1, "ffffffff"],
    ["long", 34n, "2200000000000000"],
    ["long", -9223372036854775808n, "0000000000000080"],
    ["float", 1, "0000803f"],
    ["double", 1, "000000000000f03f"],
    ["double", -0, "0000000000000080"],
    ["date", parseDate("2017-11-16"), "4e440000"],
    ["time", parseTime("22:31:08"), "008307e012000000"],
    ["timestamp", 1510871468000000n, "00c3262d215e0500"],
    ["timestamptz", -1n, "ffffffffffffffff"],
    ["timestamp_ns", 1510871468000000001n, "01b8695f98b1f714"],
    ["string", "iceberg", "69636562657267"],
    ["string", "é", "c3a9"],
    ["uuid", "f79c3e09-677c-4bbd-a479-3f349cb785e7", "f79c3e09677c4bbda4793f349cb785e7"],
    ["fixed[4]", hexToBytes("00010203"), "00010203"],
    ["binary", hexToBytes("ff00"), "ff00"],
    ["decimal(9, 2)", 1420n, "058c"],
    ["decimal(9, 2)", -1420n, "fa74"],
    ["decimal(9, 2)", 0n, "00"],
    ["decimal(9, 2)", 128n, "0080"],
  ];

  it.each(cases)("%s %s <-> %s", (type, value, hex) => {
    expect(bytesToHex(encodeSingleValue(type, value))).toBe(hex);
    expect(decodeSingleValue(type, hexToBytes(hex))).toEqual(value);
  });

  it("round-trips float32 precision", () => {
    const back = decodeSingleValue("float", encodeSingleValue("float", 0.1)) as number;
    expect(back).toBe(Math.fround(0.1));
  });

  it("decodes any non-zero boolean byte as true", () => {
    expect(decodeSingleValue("boolean", hexToBytes("05"))).toBe(true);
  });

  it("reads bounds written before type promotion", () => {
    expect(decodeSingleValue("long", hexToBytes("ffffffff"))).toBe(-1n);
    expect(decodeSingleValue("double", encodeSingleValue("float", 1.5))).toBe(1.5);
    expect(decodeSingleValue("timestamp", encodeSingleValue("date", 1))).toBe(86400000000n);
    expect(decodeSingleValue("timestamp_ns", encodeSingleValue("date", 1))).toBe(86400000000000n);
  });

  it("rejects wrong lengths", () => {
    expect(() => decodeSingleValue("int", hexToBytes("0000"))).toThrow(/4 bytes/);
    expect(() => decodeSingleValue("time", hexToBytes("00000000"))).toThrow(/8 bytes/);
    expect(() => decodeSingleValue("boolean", hexToBytes("0000"))).toThrow(/1 bytes/);
    expect(() => decodeSingleValue("uuid", hexToBytes("00"))).toThrow(/16 bytes/);
  });

  it("copies binary values instead of aliasing them", () => {
    const input = hexToBytes("0102");
    const encoded = encodeSingleValue("binary", input);
    encoded[0] = 9;
    expect(input[0]).toBe(1);
  });

  it("rejects unsupported types and wrong representations", () => {
    expect(() => encodeSingleValue("variant", "x")).toThrow(/no primitive representation/);
    expect(() => decodeSingleValue("variant", new Uint8Array())).toThrow(/single-value/);
    expect(() => encodeSingleValue("long", 1)).toThrow(/bigint/);
  });

  it("matches the parsed timestamp used in the spec's examples", () => {
    expect(parseTimestamp("2017-11-16T22:31:08")).toBe(1510871468000000n);
  });
});

describe("string bound truncation", () => {
  it("lower bound keeps the first N code points", () => {
    expect(truncateLowerBoundString("iceberg", 3)).toBe("ice");
    expect(truncateLowerBoundString("ab", 3)).toBe("ab");
    expect(truncateLowerBoundString("😀😁😂", 2)).toBe("😀😁");
  });

  it("upper bound increments the last kept code point", () => {
    expect(truncateUpperBoundString("iceberg", 3)).toBe("icf");
    expect(truncateUpperBoundString("ice", 3)).toBe("ice");
    expect(truncateUpperBoundString("ab", 3)).toBe("ab");
    expect(truncateUpperBoundString("a😀b", 2)).toBe("a😁");
  });

  it("carries past U+10FFFF and skips surrogates", () => {
    const max = String.fromCodePoint(0x10ffff);
    expect(truncateUpperBoundString(`a${max}${max}`, 2)).toBe("b");
    expect(truncateUpperBoundString(`${max}${max}x`, 2)).toBeUndefined();
    expect(truncateUpperBoundString("\ud7ffab", 1)).toBe("\ue000");
  });

  it("upper bound is never below the original value", () => {
    for (const s of ["zzzz", "a\u00ff\u00ff", "héllo wörld", "日本語テキスト"]) {
      const ub = truncateUpperBoundString(s, 2);
      expect(ub).toBeDefined();
      expect(Buffer.compare(Buffer.from(ub as string), Buffer.from(s))).toBeGreaterThan(0);
    }
  });
});

describe("binary bound truncation", () => {
  it("lower bound keeps the first N bytes", () => {
    expect(truncateLowerBoundBinary(hexToBytes("010203"), 2)).toEqual(hexToBytes("0102"));
    expect(truncateLowerBoundBinary(hexToBytes("01"), 2)).toEqual(hexToBytes("01"));
  });

  it("upper bound increments with carry", () => {
    expect(truncateUpperBoundBinary(hexToBytes("010203"), 2)).toEqual(hexToBytes("0103"));
    expect(truncateUpperBoundBinary(hexToBytes("01ff03"), 2)).toEqual(hexToBytes("02"));
    expect(truncateUpperBoundBinary(hexToBytes("ffff03"), 2)).toBeUndefined();
    expect(truncateUpperBoundBinary(hexToBytes("ffff"), 2)).toEqual(hexToBytes("ffff"));
  });
});

describe("encoded bounds", () => {
  it("truncates strings and binary only", () => {
    expect(bytesToHex(encodeLowerBound("string", "iceberg", 3))).toBe("696365");
    expect(bytesToHex(encodeUpperBound("string", "iceberg", 3) as Uint8Array)).toBe("696366");
    expect(bytesToHex(encodeUpperBound("binary", hexToBytes("0102ff"), 2) as Uint8Array)).toBe("0103");
    expect(encodeUpperBound("binary", hexToBytes("ffff01"), 2)).toBeUndefined();
    expect(bytesToHex(encodeLowerBound("fixed[3]", hexToBytes("010203"), 1))).toBe("010203");
    expect(bytesToHex(encodeUpperBound("long", 5n, 1) as Uint8Array)).toBe("0500000000000000");
    expect(bytesToHex(encodeLowerBound("string", "iceberg"))).toBe("69636562657267");
  });
});
