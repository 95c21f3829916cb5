import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { parseJson, stringifyJson } from "../../../src/iceberg/spec/json.js";

describe("parseJson", () => {
  it("keeps integers beyond 2^53 exact as bigint", () => {
    const v = parseJson('{"snapshot-id": 9007199254740993}') as Record<string, unknown>;
    expect(v["snapshot-id"]).toBe(9007199254740993n);
  });

  it("keeps int64 extremes exact", () => {
    const v = parseJson("[9223372036854775807, -9223372036854775808, -9007199254740993]");
    expect(v).toEqual([9223372036854775807n, -9223372036854775808n, -9007199254740993n]);
  });

  it("returns safe integers and non-integers as number", () => {
    expect(parseJson("[9007199254740991, -9007199254740991, 0, -0, 1.5, 1e3, 2E-2, 1.0]")).toEqual([
      9007199254740991, -9007199254740991, 0, -0, 1.5, 1000, 0.02, 1,
    ]);
    // a large value written with an exponent or fraction is a double, like JSON.parse
    expect(parseJson("1e20")).toBe(1e20);
    expect(parseJson("12345678901234567890.0")).toBe(Number("12345678901234567890"));
  });

  it("matches JSON.parse for ordinary documents", () => {
    const text =
      '{"a":[1,2,{"b":null,"c":true,"d":false}],"e":"x\\n\\"y\\u00e9\\ud83d\\ude00","f":{},"g":[],"h":"plain"}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it("tolerates whitespace", () => {
    expect(parseJson(' \n\t{ "a" : [ 1 , 2 ] } \r\n')).toEqual({ a: [1, 2] });
  });

  it("keeps __proto__ as an own property instead of a prototype", () => {
    const v = parseJson('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(["__proto__"]);
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each([
    ["", "end of input"],
    ["{", "property name"],
    ['{"a" 1}', "':'"],
    ["[1,]", "unexpected character"],
    ["[1 2]", "',' or ']'"],
    ["01", "trailing"],
    ["-", "invalid number"],
    ["1.", "fraction"],
    ["1e", "exponent"],
    ['"abc', "unterminated"],
    ["tru", "'true'"],
    ['"\u0001"', "control character"],
    ['"\\x"', "invalid JSON string"],
  ])("rejects %j with a FloeError mentioning %s", (text, fragment) => {
    try {
      parseJson(text);
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "INVALID_ARGUMENT")).toBe(true);
      expect((e as Error).message).toContain(fragment);
    }
  });
});

describe("stringifyJson", () => {
  it("writes bigint as a bare integer", () => {
    expect(stringifyJson({ id: 9007199254740993n, min: -9223372036854775808n })).toBe(
      '{"id":9007199254740993,"min":-9223372036854775808}',
    );
  });

  it("round-trips int64 values through parseJson", () => {
    const value = { ids: [9223372036854775807n, -9223372036854775808n, 1n], n: 3 };
    const back = parseJson(stringifyJson(value)) as { ids: unknown[]; n: number };
    expect(back.ids).toEqual([9223372036854775807n, -9223372036854775808n, 1]);
    expect(back.n).toBe(3);
  });

  it("matches JSON.stringify for values without bigint, with and without indent", () => {
    const value = {
      a: [1, "two", null, true, { b: undefined, c: [] }],
      d: {},
      e: 'quote" and \\ and \n',
      f: undefined,
      g: new Date(0),
      h: [undefined, () => 1],
      i: -0,
    };
    expect(stringifyJson(value)).toBe(JSON.stringify(value));
    expect(stringifyJson(value, 2)).toBe(JSON.stringify(value, null, 2));
    expect(stringifyJson(value, "\t")).toBe(JSON.stringify(value, null, "\t"));
  });

  it("indents bigint values like numbers", () => {
    expect(stringifyJson({ a: 1n, b: [2n] }, 2)).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}');
  });

  it("rejects non-finite numbers and cycles", () => {
    expect(() => stringifyJson({ a: Number.NaN })).toThrow(/non-finite/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => stringifyJson(cyclic)).toThrow(/circular/);
    expect(() => stringifyJson(undefined)).toThrow(/not serialisable/);
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(stringifyJson([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });
});
