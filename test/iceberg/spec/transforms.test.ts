import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { hexToBytes } from "../../../src/iceberg/spec/bytes.js";
import {
  applyTransform,
  canTransform,
  escapePathComponent,
  parseKnownTransform,
  partitionPathSegment,
  preservesOrder,
  type Transform,
  transformFromString,
  transformResultToHumanString,
  transformResultType,
  transformToString,
  truncateCodePoints,
  valueToHumanString,
} from "../../../src/iceberg/spec/transforms.js";
import { parseDate, parseTime, parseTimestamp } from "../../../src/iceberg/spec/values.js";

const t = transformFromString;

describe("transformFromString / transformToString", () => {
  it.each([
    ["identity", { type: "identity" }],
    ["bucket[16]", { type: "bucket", numBuckets: 16 }],
    ["truncate[10]", { type: "truncate", width: 10 }],
    ["year", { type: "year" }],
    ["month", { type: "month" }],
    ["day", { type: "day" }],
    ["hour", { type: "hour" }],
    ["void", { type: "void" }],
  ])("round-trips %s", (text, parsed) => {
    expect(t(text)).toEqual(parsed);
    expect(transformToString(t(text))).toBe(text);
  });

  it("is case-insensitive and keeps unknown transforms", () => {
    expect(t("Bucket[4]")).toEqual({ type: "bucket", numBuckets: 4 });
    expect(t("DAY")).toEqual({ type: "day" });
    expect(t("zorder")).toEqual({ type: "unknown", name: "zorder" });
    expect(t("geohash[5]")).toEqual({ type: "unknown", name: "geohash[5]" });
    expect(transformToString(t("zorder"))).toBe("zorder");
  });

  it("rejects bad parameters", () => {
    expect(() => t("bucket[0]")).toThrow(/bucket parameter/);
    expect(() => t("truncate[99999999999]")).toThrow(/truncate parameter/);
    try {
      parseKnownTransform("zorder");
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "UNSUPPORTED")).toBe(true);
    }
    expect(parseKnownTransform("hour")).toEqual({ type: "hour" });
  });
});

describe("result types", () => {
  it.each([
    ["identity", "string", "string"],
    ["bucket[8]", "uuid", "int"],
    ["truncate[4]", "decimal(9, 2)", "decimal(9, 2)"],
    ["year", "timestamptz", "int"],
    ["month", "date", "int"],
    ["day", "timestamp", "date"],
    ["hour", "timestamp_ns", "int"],
    ["void", "double", "double"],
    ["zorder", "int", "string"],
  ] as const)("%s on %s gives %s", (transform, source, result) => {
    expect(transformResultType(t(transform), source)).toBe(result);
  });

  it.each([
    ["bucket[8]", "double"],
    ["bucket[8]", "boolean"],
    ["truncate[4]", "timestamp"],
    ["truncate[4]", "fixed[4]"],
    ["hour", "date"],
    ["year", "string"],
    ["identity", "variant"],
  ] as const)("%s cannot apply to %s", (transform, source) => {
    expect(canTransform(t(transform), source)).toBe(false);
    expect(() => transformResultType(t(transform), source)).toThrow(/cannot apply transform/);
  });

  it("rejects nested sources except for void", () => {
    const struct = { type: "struct" as const, fields: [] };
    expect(canTransform(t("identity"), struct)).toBe(false);
    expect(transformResultType(t("void"), struct)).toBe("int");
  });

  it("knows which transforms preserve order", () => {
    expect(
      ["identity", "truncate[3]", "year", "month", "day", "hour"].every((s) => preservesOrder(t(s))),
    ).toBe(true);
    expect(preservesOrder(t("bucket[3]"))).toBe(false);
    expect(preservesOrder(t("void"))).toBe(false);
    expect(preservesOrder(t("zorder"))).toBe(false);
  });
});

describe("bucket", () => {
  it("is (hash & Integer.MAX_VALUE) % N", () => {
    expect(applyTransform(t("bucket[16]"), "int", 34)).toBe(2017239379 % 16);
    expect(applyTransform(t("bucket[16]"), "long", 34n)).toBe(3);
    // negative hash (-500754589): the sign bit is dropped before the modulo
    expect(applyTransform(t("bucket[10]"), "decimal(4, 2)", 1420n)).toBe(
      ((-500754589 & 0x7fffffff) % 10) as number,
    );
    expect(applyTransform(t("bucket[10]"), "decimal(4, 2)", 1420n)).toBe(9);
    expect(applyTransform(t("bucket[100]"), "string", "iceberg")).toBe(1210000089 % 100);
    expect(applyTransform(t("bucket[1]"), "uuid", "f79c3e09-677c-4bbd-a479-3f349cb785e7")).toBe(0);
  });

  it("maps null to null", () => {
    expect(applyTransform(t("bucket[16]"), "int", null)).toBeNull();
    expect(applyTransform(t("bucket[16]"), "int", undefined)).toBeNull();
  });
});

describe("truncate", () => {
  it.each([
    [1, 0],
    [-1, -10],
    [5, 0],
    [10, 10],
    [-10, -10],
    [-11, -20],
    [2147483647, 2147483640],
  ])("int %d -> %d with W=10", (v, expected) => {
    expect(applyTransform(t("truncate[10]"), "int", v)).toBe(expected);
    expect(applyTransform(t("truncate[10]"), "long", BigInt(v))).toBe(BigInt(expected));
  });

  it("truncates decimals on the unscaled value", () => {
    expect(applyTransform(t("truncate[50]"), "decimal(9, 2)", 1065n)).toBe(1050n);
    expect(applyTransform(t("truncate[50]"), "decimal(9, 2)", -1065n)).toBe(-1100n);
  });

  it("truncates strings by code point and binary by byte", () => {
    expect(applyTransform(t("truncate[3]"), "string", "iceberg")).toBe("ice");
    expect(applyTransform(t("truncate[3]"), "string", "ab")).toBe("ab");
    expect(applyTransform(t("truncate[2]"), "string", "😀😁😂")).toBe("😀😁");
    expect(truncateCodePoints("a😀b", 2)).toBe("a😀");
    expect(applyTransform(t("truncate[3]"), "binary", hexToBytes("0102030405"))).toEqual(
      hexToBytes("010203"),
    );
  });
});

describe("time transforms", () => {
  const ts = parseTimestamp("2017-11-16T22:31:08");
  const days = parseDate("2017-11-16");

  it("count from 1970", () => {
    expect(days).toBe(17486);
    expect(applyTransform(t("year"), "timestamp", ts)).toBe(47);
    expect(applyTransform(t("month"), "timestamp", ts)).toBe(47 * 12 + 10);
    expect(applyTransform(t("day"), "timestamp", ts)).toBe(17486);
    expect(applyTransform(t("hour"), "timestamp", ts)).toBe(17486 * 24 + 22);
    expect(applyTransform(t("year"), "date", days)).toBe(47);
    expect(applyTransform(t("month"), "date", days)).toBe(574);
    expect(applyTransform(t("day"), "date", days)).toBe(17486);
    expect(applyTransform(t("day"), "timestamp_ns", ts * 1000n + 999n)).toBe(17486);
  });

  it("floor before 1970", () => {
    const justBefore = parseTimestamp("1969-12-31T23:59:59.999999");
    expect(applyTransform(t("year"), "timestamptz", justBefore)).toBe(-1);
    expect(applyTransform(t("month"), "timestamptz", justBefore)).toBe(-1);
    expect(applyTransform(t("day"), "timestamptz", justBefore)).toBe(-1);
    expect(applyTransform(t("hour"), "timestamptz", justBefore)).toBe(-1);
    expect(applyTransform(t("hour"), "timestamptz_ns", -1n)).toBe(-1);
    expect(applyTransform(t("year"), "date", parseDate("1969-01-01"))).toBe(-1);
    expect(applyTransform(t("year"), "date", parseDate("1968-12-31"))).toBe(-2);
    expect(applyTransform(t("month"), "date", parseDate("1969-01-01"))).toBe(-12);
  });
});

describe("identity and void", () => {
  it("identity returns the value, void returns null", () => {
    expect(applyTransform(t("identity"), "string", "x")).toBe("x");
    expect(applyTransform(t("void"), "string", "x")).toBeNull();
  });

  it("unknown transforms cannot be applied", () => {
    expect(() => applyTransform(t("zorder"), "int", 1)).toThrow(/unknown transform/);
  });

  it("checks the value representation", () => {
    expect(() => applyTransform(t("identity"), "long", 1)).toThrow(/bigint/);
    expect(() => applyTransform(t("day"), "string", "x")).toThrow(/cannot apply/);
  });
});

describe("human strings and path segments", () => {
  it("formats time transform results", () => {
    expect(transformResultToHumanString(t("year"), "timestamp", 47)).toBe("2017");
    expect(transformResultToHumanString(t("month"), "timestamp", 574)).toBe("2017-11");
    expect(transformResultToHumanString(t("month"), "date", -1)).toBe("1969-12");
    expect(transformResultToHumanString(t("day"), "timestamp", 17486)).toBe("2017-11-16");
    expect(transformResultToHumanString(t("hour"), "timestamp", 17486 * 24 + 22)).toBe("2017-11-16-22");
    expect(transformResultToHumanString(t("hour"), "timestamp", -1)).toBe("1969-12-31-23");
    expect(transformResultToHumanString(t("bucket[4]"), "string", 3)).toBe("3");
    expect(transformResultToHumanString(t("day"), "date", null)).toBe("null");
  });

  it("formats identity values by type", () => {
    expect(valueToHumanString("date", 17486)).toBe("2017-11-16");
    expect(valueToHumanString("time", parseTime("22:31:08"))).toBe("22:31:08");
    expect(valueToHumanString("time", parseTime("22:31:00"))).toBe("22:31");
    expect(valueToHumanString("timestamp", parseTimestamp("2017-11-16T22:31:08.000001"))).toBe(
      "2017-11-16T22:31:08.000001",
    );
    expect(valueToHumanString("timestamptz", parseTimestamp("2017-11-16T22:31:08.1Z"))).toBe(
      "2017-11-16T22:31:08.100Z",
    );
    expect(valueToHumanString("timestamp_ns", parseTimestamp("2017-11-16T22:31:08.000000001", "nanos"))).toBe(
      "2017-11-16T22:31:08.000000001",
    );
    expect(valueToHumanString("decimal(9, 2)", 1420n)).toBe("14.20");
    expect(valueToHumanString("binary", hexToBytes("00010203"))).toBe("AAECAw==");
    expect(valueToHumanString("double", 1)).toBe("1.0");
    expect(valueToHumanString("boolean", true)).toBe("true");
    expect(valueToHumanString("long", -5n)).toBe("-5");
  });

  it("escapes like java.net.URLEncoder", () => {
    expect(escapePathComponent("a b/c=d")).toBe("a+b%2Fc%3Dd");
    expect(escapePathComponent("Az09.-*_")).toBe("Az09.-*_");
    expect(escapePathComponent("é")).toBe("%C3%A9");
  });

  it("builds partition path segments", () => {
    const day: Transform = t("day");
    expect(partitionPathSegment("ts_day", day, "timestamp", 19753)).toBe("ts_day=2024-01-31");
    expect(partitionPathSegment("id_bucket", t("bucket[16]"), "long", 3)).toBe("id_bucket=3");
    expect(partitionPathSegment("region", t("identity"), "string", "us east/1")).toBe("region=us+east%2F1");
    expect(partitionPathSegment("region", t("identity"), "string", null)).toBe("region=null");
  });
});
