import { makeSchema, type NestedField, type Schema } from "../../src/iceberg/spec/index.js";

/**
 * Every Iceberg primitive type plus nested struct/list/map, field ids 1..N. Spark has no `time` type
 * (Iceberg's Spark runtime refuses to load a table with one), so `{ time: false }` leaves it out.
 */
export function allTypesSchema(options: { time?: boolean } = {}): Schema {
  let id = 0;
  const f = (name: string, type: NestedField["type"], required = false): NestedField => ({
    id: ++id,
    name,
    required,
    type,
  });
  const fields: NestedField[] = [
    f("id", "long", true),
    f("b", "boolean"),
    f("i", "int"),
    f("l", "long"),
    f("f", "float"),
    f("d", "double"),
    f("dec", "decimal(9, 2)"),
    f("dec38", "decimal(38, 10)"),
    f("dt", "date"),
    ...(options.time === false ? [] : [f("tm", "time")]),
    f("ts", "timestamp"),
    f("tstz", "timestamptz"),
    f("s", "string"),
    f("u", "uuid"),
    f("fx", "fixed[4]"),
    f("bin", "binary"),
  ];
  const structId = ++id;
  const inner = [f("x", "int"), f("y", "string", true)];
  fields.push({ id: structId, name: "st", required: false, type: { type: "struct", fields: inner } });
  const listId = ++id;
  const elemId = ++id;
  fields.push({
    id: listId,
    name: "tags",
    required: false,
    type: { type: "list", "element-id": elemId, element: "string", "element-required": false },
  });
  const mapId = ++id;
  const keyId = ++id;
  const valueId = ++id;
  fields.push({
    id: mapId,
    name: "attrs",
    required: false,
    type: {
      type: "map",
      "key-id": keyId,
      key: "string",
      "value-id": valueId,
      value: "long",
      "value-required": false,
    },
  });
  return makeSchema(fields);
}

const DAY = 86_400_000_000n;

/** Rows covering nulls, NaN, empty strings, unicode, negative and pre-1970 timestamps, max-precision decimals. */
export function allTypesRows(): Record<string, unknown>[] {
  return [
    {
      id: 1n,
      b: true,
      i: 2147483647,
      l: 9007199254740993n,
      f: 1.5,
      d: Math.PI,
      dec: 12345n,
      dec38: 99999999999999999999999999999999999999n,
      dt: 19000,
      tm: 45296123456n,
      ts: 1_700_000_000_123_456n,
      tstz: 1_700_000_000_000_001n,
      s: "héllo wörld ✓ 😀",
      u: "f79c3e09-677c-4bbd-a479-3f349cb785e7",
      fx: new Uint8Array([1, 2, 3, 4]),
      bin: new Uint8Array([0, 255, 16]),
      st: { x: 7, y: "inner" },
      tags: ["a", "", "c"],
      attrs: new Map([
        ["k1", 1n],
        ["k2", null],
      ]),
    },
    {
      id: 2n,
      b: false,
      i: -2147483648,
      l: -9223372036854775808n,
      f: Number.NaN,
      d: -0.5,
      dec: -99999n,
      dec38: -12345678901234567890123456789012345678n,
      dt: -1,
      tm: 0n,
      ts: -1n,
      tstz: -DAY * 365n * 30n - 7n,
      s: "",
      u: "00000000-0000-0000-0000-000000000000",
      fx: new Uint8Array([0, 0, 0, 0]),
      bin: new Uint8Array([]),
      st: { x: null, y: "" },
      tags: [],
      attrs: new Map(),
    },
    {
      id: 3n,
      b: null,
      i: null,
      l: null,
      f: null,
      d: Number.NaN,
      dec: null,
      dec38: null,
      dt: null,
      tm: null,
      ts: null,
      tstz: null,
      s: null,
      u: null,
      fx: null,
      bin: null,
      st: null,
      tags: null,
      attrs: null,
    },
  ];
}
