import { describe, expect, it } from "vitest";
import {
  bigintToMinBytes,
  bytesEqual,
  bytesToBase64,
  bytesToHex,
  bytesToUuid,
  compareBytes,
  hexToBytes,
  int32ToLE,
  int64ToLE,
  isUuidString,
  minBytesToBigint,
  utf8Decode,
  utf8Encode,
  uuidToBytes,
} from "../../../src/iceberg/spec/bytes.js";

describe("minimal two's-complement bytes", () => {
  it.each([
    [0n, "00"],
    [1n, "01"],
    [127n, "7f"],
    [128n, "0080"],
    [255n, "00ff"],
    [256n, "0100"],
    [1420n, "058c"],
    [-1n, "ff"],
    [-128n, "80"],
    [-129n, "ff7f"],
    [-32768n, "8000"],
    [-32769n, "ff7fff"],
    [9223372036854775807n, "7fffffffffffffff"],
    [-9223372036854775808n, "8000000000000000"],
    [10n ** 38n - 1n, "4b3b4ca85a86c47a098a223fffffffff"],
  ])("%s <-> %s", (v, hex) => {
    expect(bytesToHex(bigintToMinBytes(v))).toBe(hex);
    expect(minBytesToBigint(hexToBytes(hex))).toBe(v);
  });

  it("reads an empty array as 0", () => {
    expect(minBytesToBigint(new Uint8Array())).toBe(0n);
  });
});

describe("fixed-width little endian", () => {
  it("writes int32 and int64", () => {
    expect(bytesToHex(int32ToLE(1))).toBe("01000000");
    expect(bytesToHex(int32ToLE(-2))).toBe("feffffff");
    expect(bytesToHex(int64ToLE(34n))).toBe("2200000000000000");
    expect(bytesToHex(int64ToLE(-1n))).toBe("ffffffffffffffff");
  });
});

describe("uuid", () => {
  it("encodes the spec's example big-endian", () => {
    const bytes = uuidToBytes("f79c3e09-677c-4bbd-a479-3f349cb785e7");
    expect(bytesToHex(bytes).toUpperCase()).toBe("F79C3E09677C4BBDA4793F349CB785E7");
    expect(bytesToUuid(bytes)).toBe("f79c3e09-677c-4bbd-a479-3f349cb785e7");
  });

  it("recognizes the 8-4-4-4-12 hex form in either case, and nothing else", () => {
    expect(isUuidString("f79c3e09-677c-4bbd-a479-3f349cb785e7")).toBe(true);
    expect(isUuidString("F79C3E09-677C-4BBD-A479-3F349CB785E7")).toBe(true);
    for (const bad of [
      "f79c3e09-677c-4bbd-a479-3f349cb785e", // 35 chars
      "f79c3e09-677c-4bbd-a479-3f349cb785e70", // 37 chars
      "f79c3e09+677c-4bbd-a479-3f349cb785e7", // no dash at 8
      "f79c3e09-677c-4bbd-a4793-f349cb785e7", // dash moved
      "g79c3e09-677c-4bbd-a479-3f349cb785e7", // not hex
      "f79c3e09-677c-4bbd-a479-3f349cb785e@", // just past 'F' in ASCII... '@' is 0x40
      "f79c3e09-677c-4bbd-a479-3f349cb785e`", // and '`' is just before 'a'
      "f79c3e09-677c-4bbd-a479-3f349cb785e:", // ':' is just after '9'
      "",
    ]) {
      expect(isUuidString(bad), bad).toBe(false);
    }
  });

  it("rejects malformed input", () => {
    expect(() => uuidToBytes("f79c3e09677c4bbda4793f349cb785e7")).toThrow(/not a UUID/);
    expect(() => bytesToUuid(new Uint8Array(15))).toThrow(/16 bytes/);
  });
});

describe("helpers", () => {
  it("hex, base64, utf8", () => {
    expect(() => hexToBytes("abc")).toThrow(/hex/);
    expect(() => hexToBytes("zz")).toThrow(/hex/);
    expect(bytesToBase64(hexToBytes("00010203"))).toBe("AAECAw==");
    expect(utf8Decode(utf8Encode("héllo 😀"))).toBe("héllo 😀");
    expect(() => utf8Decode(hexToBytes("c3"))).toThrow(/UTF-8/);
  });

  it("compares bytes unsigned", () => {
    expect(compareBytes(hexToBytes("01"), hexToBytes("ff"))).toBeLessThan(0);
    expect(compareBytes(hexToBytes("0102"), hexToBytes("01"))).toBeGreaterThan(0);
    expect(compareBytes(hexToBytes("80"), hexToBytes("7f"))).toBeGreaterThan(0);
    expect(compareBytes(hexToBytes("0102"), hexToBytes("0102"))).toBe(0);
    expect(bytesEqual(hexToBytes("0102"), hexToBytes("0102"))).toBe(true);
    expect(bytesEqual(hexToBytes("0102"), hexToBytes("0103"))).toBe(false);
    expect(bytesEqual(hexToBytes("01"), hexToBytes("0102"))).toBe(false);
  });
});
