import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  checkValue,
  civilFromDays,
  daysFromCivil,
  floorDiv,
  floorMod,
  formatDate,
  formatDecimal,
  formatTime,
  formatTimestamp,
  parseDate,
  parseDecimal,
  parseTime,
  parseTimestamp,
} from "../../../src/iceberg/spec/values.js";

describe("calendar", () => {
  it("converts civil dates and day counts both ways", () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2017, 11, 16)).toBe(17486);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect(daysFromCivil(2000, 2, 29)).toBe(11016);
    expect(civilFromDays(-719162)).toEqual({ year: 1, month: 1, day: 1 });
    for (const d of [-800000, -719163, -1, 0, 59, 365, 11016, 2932896]) {
      const { year, month, day } = civilFromDays(d);
      expect(daysFromCivil(year, month, day)).toBe(d);
      const js = new Date(d * 86400000);
      if (year > 0)
        expect([js.getUTCFullYear(), js.getUTCMonth() + 1, js.getUTCDate()]).toEqual([year, month, day]);
    }
  });

  it("floors integer division", () => {
    expect(floorDiv(-1n, 10n)).toBe(-1n);
    expect(floorDiv(-10n, 10n)).toBe(-1n);
    expect(floorDiv(9n, 10n)).toBe(0n);
    expect(floorDiv(9n, -10n)).toBe(-1n);
    expect(floorMod(-1n, 10n)).toBe(9n);
  });
});

describe("ISO-8601 parsing and formatting", () => {
  it("dates", () => {
    expect(parseDate("2017-11-16")).toBe(17486);
    expect(formatDate(17486)).toBe("2017-11-16");
    expect(formatDate(-1)).toBe("1969-12-31");
    expect(() => parseDate("2017-02-30")).toThrow(/invalid ISO-8601 date/);
    expect(() => parseDate("17-11-16")).toThrow(/date/);
  });

  it("times", () => {
    expect(parseTime("22:31:08")).toBe(81068000000n);
    expect(parseTime("22:31:08.123456")).toBe(81068123456n);
    expect(parseTime("00:00")).toBe(0n);
    expect(formatTime(81068123456n)).toBe("22:31:08.123456");
    expect(formatTime(81068120000n)).toBe("22:31:08.120");
    expect(() => parseTime("24:00:00")).toThrow(/time/);
    expect(() => parseTime("22:31:08.0000001")).toThrow(/sub-microsecond/);
  });

  it("timestamps with and without zones", () => {
    expect(parseTimestamp("1970-01-01T00:00:00")).toBe(0n);
    expect(parseTimestamp("2017-11-16T22:31:08")).toBe(1510871468000000n);
    expect(parseTimestamp("2017-11-16 22:31:08Z")).toBe(1510871468000000n);
    expect(parseTimestamp("2017-11-16T14:31:08-08:00")).toBe(1510871468000000n);
    expect(parseTimestamp("2017-11-17T00:01:08+0130")).toBe(1510871468000000n);
    expect(parseTimestamp("1969-12-31T23:59:59.999999")).toBe(-1n);
    expect(parseTimestamp("2017-11-16T22:31:08.000000001", "nanos")).toBe(1510871468000000001n);
    expect(() => parseTimestamp("2017-11-16T22:31:08.000000001")).toThrow(/sub-microsecond/);
    expect(() => parseTimestamp("2017-11-16")).toThrow(/timestamp/);
    expect(formatTimestamp(-1n)).toBe("1969-12-31T23:59:59.999999");
    expect(formatTimestamp(1510871468000000n, "micros", true)).toBe("2017-11-16T22:31:08Z");
    expect(formatTimestamp(1510871468000000001n, "nanos")).toBe("2017-11-16T22:31:08.000000001");
  });
});

describe("decimals", () => {
  it("formats unscaled values with their scale", () => {
    expect(formatDecimal(1420n, 2)).toBe("14.20");
    expect(formatDecimal(-5n, 2)).toBe("-0.05");
    expect(formatDecimal(0n, 3)).toBe("0.000");
    expect(formatDecimal(12n, 0)).toBe("12");
  });

  it("parses to unscaled values", () => {
    expect(parseDecimal("14.2", 2)).toBe(1420n);
    expect(parseDecimal("-0.05", 2)).toBe(-5n);
    expect(parseDecimal("3", 2)).toBe(300n);
    expect(parseDecimal("1.500", 2)).toBe(150n);
    expect(() => parseDecimal("1.234", 2)).toThrow(/fraction digits/);
    expect(() => parseDecimal("abc", 2)).toThrow(/decimal/);
    expect(() => parseDecimal(".", 2)).toThrow(/decimal/);
  });
});

describe("checkValue", () => {
  it("accepts each type's representation", () => {
    expect(checkValue("boolean", true)).toBe(true);
    expect(checkValue("int", -5)).toBe(-5);
    expect(checkValue("long", 5n)).toBe(5n);
    expect(checkValue("double", 1.5)).toBe(1.5);
    expect(checkValue("decimal(4, 2)", 9999n)).toBe(9999n);
    expect(checkValue("date", 17486)).toBe(17486);
    expect(checkValue("time", 0n)).toBe(0n);
    expect(checkValue("timestamptz", -1n)).toBe(-1n);
    expect(checkValue("string", "")).toBe("");
    expect(checkValue("uuid", "f79c3e09-677c-4bbd-a479-3f349cb785e7")).toBe(
      "f79c3e09-677c-4bbd-a479-3f349cb785e7",
    );
    expect(checkValue("fixed[2]", new Uint8Array(2))).toHaveLength(2);
  });

  it.each([
    ["int", 2147483648],
    ["int", 1.5],
    ["long", 1],
    ["long", 1n << 63n],
    ["decimal(4, 2)", 10000n],
    ["time", 86400000000n],
    ["boolean", 0],
    ["string", 1],
    ["binary", "00"],
    ["fixed[2]", new Uint8Array(3)],
  ] as const)("rejects %s value %s", (type, value) => {
    try {
      checkValue(type, value);
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});
