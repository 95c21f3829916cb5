import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { utf8Data } from "../../../src/iceberg/write/arrow-builders.js";
import { writeParquet } from "../../../src/iceberg/write/arrow-parquet.js";
import { buildColumn, buildTable, type ColumnInput } from "../../../src/iceberg/write/arrow-table.js";
import {
  arrowSchema,
  isUuidField,
  type WriteField,
  type WriteType,
} from "../../../src/iceberg/write/arrow-types.js";
import { fieldIdOf, walkFields } from "../../../src/iceberg/write/field-id.js";
import { openProbe, type ParquetProbe } from "./duckdb-helper.js";
import { NESTED_FIELDS } from "./fixtures.js";

let probe: ParquetProbe;
beforeAll(async () => {
  probe = await openProbe();
});
afterAll(() => probe.close());

const col = (type: WriteType, rows: ColumnInput, required = false) =>
  buildColumn({ id: 1, name: "c", required, type }, rows);
const values = (data: arrow.Data) => [...arrow.makeVector(data)];

function errorOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error("expected an error");
}

describe("arrow schema from write fields", () => {
  it("puts PARQUET:field_id on every field and arrow.uuid on uuid fields", () => {
    const schema = arrowSchema(NESTED_FIELDS);
    const visited = walkFields(schema.fields);
    const ids = visited.filter((v) => v.idRequired).map((v) => [v.path, fieldIdOf(v.field)]);
    expect(ids).toContainEqual(["tags.element", 4]);
    expect(ids).toContainEqual(["attrs.entries.key", 6]);
    expect(ids).toContainEqual(["attrs.entries.value", 7]);
    expect(ids).toContainEqual(["payload.inner.x", 12]);
    expect(ids).toContainEqual(["events.element.at", 31]);
    expect(ids.every(([, id]) => typeof id === "number")).toBe(true);
    expect(ids).toHaveLength(31);
    const u = schema.fields.find((f) => f.name === "u")!;
    expect(isUuidField(u)).toBe(true);
    expect(isUuidField(schema.fields.find((f) => f.name === "f")!)).toBe(false);
    expect(schema.fields.find((f) => f.name === "id")!.nullable).toBe(false);
  });

  it("rejects invalid decimal and fixed parameters", () => {
    expect(() =>
      arrowSchema([
        { id: 1, name: "d", required: false, type: { kind: "decimal", precision: 39, scale: 0 } },
      ]),
    ).toThrow(/precision must be 1..38/);
    expect(() =>
      arrowSchema([{ id: 1, name: "f", required: false, type: { kind: "fixed", length: 0 } }]),
    ).toThrow(/positive integer/);
    expect(() => arrowSchema([{ id: -1, name: "x", required: false, type: { kind: "int" } }])).toThrow(
      /non-negative int32/,
    );
  });
});

describe("primitive builders", () => {
  it("encodes UTF-8 with nulls, ASCII fast path, long strings and buffer growth", () => {
    const long = `${"x".repeat(70)}é`;
    const euros = "€".repeat(40); // 40 chars, 120 bytes: outgrows the length-based estimate
    const rows = ["", "abc", null, "ünï", long, undefined, euros, "😀"];
    const data = utf8Data(rows, { path: "s", required: false });
    expect(values(data)).toEqual(["", "abc", null, "ünï", long, null, euros, "😀"]);
    expect(data.nullCount).toBe(2);
    expect(data.valueOffsets.at(-1)).toBe(new TextEncoder().encode(rows.filter((r) => r).join("")).length);
  });

  it("checks types, ranges and required fields with the path and row in the message", () => {
    expect(errorOf(() => col({ kind: "string" }, ["a", null], true))).toMatchObject({
      code: "INVALID_ARGUMENT",
      message: "null in required field c at row 1",
    });
    expect(errorOf(() => col({ kind: "int" }, [1, 2.5])).message).toMatch(
      /c row 1: expected an int32 number/,
    );
    expect(errorOf(() => col({ kind: "int" }, [2 ** 31])).message).toMatch(/int32/);
    expect(errorOf(() => col({ kind: "long" }, [2n ** 63n])).message).toMatch(/64-bit integer/);
    expect(errorOf(() => col({ kind: "string" }, [1])).message).toMatch(/expected a string, got number/);
    expect(errorOf(() => col({ kind: "uuid" }, ["not-a-uuid"])).message).toMatch(/UUID string/);
    expect(errorOf(() => col({ kind: "fixed", length: 4 }, [new Uint8Array(3)])).message).toMatch(/4 bytes/);
    expect(errorOf(() => col({ kind: "boolean" }, [1])).message).toMatch(/a boolean/);
    expect(errorOf(() => col({ kind: "decimal", precision: 4, scale: 2 }, [9999n, 10000n])).message).toMatch(
      /row 1: unscaled 10000 does not fit decimal\(4,2\)/,
    );
    expect(errorOf(() => col({ kind: "long" }, Int32Array.of(1))).message).toMatch(/BigInt64Array/);
  });

  it("takes typed arrays without copying, with an optional null mask", () => {
    const longs = BigInt64Array.of(1n, -2n, 3n);
    const data = col({ kind: "long" }, { kind: "typed", values: longs, nulls: Uint8Array.of(0, 1, 0) });
    expect(data.values).toBe(longs);
    expect(values(data)).toEqual([1n, null, 3n]);
    const fl = col({ kind: "float" }, Float64Array.of(1.1, 2));
    expect(fl.values).toBeInstanceOf(Float32Array);
    expect(values(fl)).toEqual([Math.fround(1.1), 2]);
    const numbersAsLongs = col({ kind: "timestamptz" }, [1, null, 2 ** 40]);
    expect([...(numbersAsLongs.values as BigInt64Array)]).toEqual([1n, 0n, 2n ** 40n]);
    expect(numbersAsLongs.nullCount).toBe(1);
    expect(
      errorOf(() =>
        col({ kind: "int" }, { kind: "typed", values: Int32Array.of(1), nulls: new Uint8Array(2) }),
      ).message,
    ).toMatch(/null mask of c has 2 entries, want 1/);
  });

  it("parses uuid strings and stores decimals as 128-bit two's complement", () => {
    const u = col({ kind: "uuid" }, ["00112233-4455-6677-8899-AABBCCDDEEFF"]);
    expect([...(u.values as Uint8Array)]).toEqual([
      0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    ]);
    const d = col({ kind: "decimal", precision: 38, scale: 0 }, [-2n, 2n ** 64n + 1n]);
    expect([...(d.values as Uint32Array)]).toEqual([
      0xfffffffe, 0xffffffff, 0xffffffff, 0xffffffff, 1, 0, 1, 0,
    ]);
  });
});

describe("nested builders", () => {
  const structType: WriteType = {
    kind: "struct",
    fields: [
      { id: 2, name: "req", required: true, type: { kind: "int" } },
      { id: 3, name: "opt", required: false, type: { kind: "string" } },
    ],
  };

  it("allows a required struct child to be null only where the struct is null", () => {
    const ok = col(structType, [{ req: 1, opt: "a" }, null, { req: 2 }]);
    expect(ok.nullCount).toBe(1);
    expect(ok.children[0]!.nullCount).toBe(1);
    expect(errorOf(() => col(structType, [{ req: 1 }, { opt: "b" }])).message).toBe(
      "null in required field c.req at row 1",
    );
  });

  it("builds lists and maps from rows and from offsets, and checks offsets and keys", () => {
    const listType: WriteType = {
      kind: "list",
      elementId: 2,
      elementRequired: false,
      element: { kind: "int" },
    };
    const fromRows = col(listType, [[1, 2], null, [], [null]]);
    const fromCols = col(listType, {
      kind: "list",
      offsets: Int32Array.of(0, 2, 2, 2, 3),
      elements: { kind: "typed", values: Int32Array.of(1, 2, 0), nulls: Uint8Array.of(0, 0, 1) },
      nulls: Uint8Array.of(0, 1, 0, 0),
    });
    const show = (d: arrow.Data) => values(d).map((v) => (v === null ? null : [...(v as arrow.Vector)]));
    expect(show(fromRows)).toEqual([[1, 2], null, [], [null]]);
    expect(show(fromCols)).toEqual(show(fromRows));
    const bad = { kind: "list" as const, offsets: Int32Array.of(0, 2, 1), elements: [1, 2] };
    expect(errorOf(() => col(listType, bad)).message).toMatch(/offsets decrease at 1/);
    const short = { kind: "list" as const, offsets: Int32Array.of(0, 3), elements: [1, 2] };
    expect(errorOf(() => col(listType, short)).message).toMatch(/last offset 3 != 2 children/);

    const mapType: WriteType = {
      kind: "map",
      keyId: 2,
      key: { kind: "string" },
      valueId: 3,
      valueRequired: true,
      value: { kind: "long" },
    };
    const m = col(mapType, [
      new Map([["a", 1n]]),
      [
        ["b", 2n],
        ["c", 3n],
      ],
      { d: 4n },
      null,
    ]);
    expect(m.valueOffsets).toEqual(Int32Array.of(0, 1, 3, 4, 4));
    expect(values(m.children[0]!.children[0]!)).toEqual(["a", "b", "c", "d"]);
    expect(errorOf(() => col(mapType, [[[null, 1n]]])).message).toBe("null in required field c.key at row 0");
    expect(errorOf(() => col(mapType, [{ a: null }])).message).toBe(
      "null in required field c.value at row 0",
    );
  });

  it("writes columnar nested inputs that a real reader reads back", async () => {
    const fields: WriteField[] = [
      { id: 1, name: "id", required: true, type: { kind: "int" } },
      { id: 10, name: "st", required: false, type: structType },
      {
        id: 5,
        name: "xs",
        required: false,
        type: { kind: "list", elementId: 6, elementRequired: true, element: { kind: "string" } },
      },
      {
        id: 7,
        name: "m",
        required: false,
        type: {
          kind: "map",
          keyId: 8,
          key: { kind: "int" },
          valueId: 9,
          valueRequired: false,
          value: { kind: "boolean" },
        },
      },
    ];
    const table = buildTable({
      fields,
      columns: [
        Int32Array.of(1, 2, 3),
        {
          kind: "struct",
          length: 3,
          nulls: Uint8Array.of(0, 0, 1),
          children: { req: Int32Array.of(10, 20, 30) },
        },
        {
          kind: "list",
          offsets: Int32Array.of(0, 1, 1, 3),
          elements: ["a", "b", "c"],
          nulls: Uint8Array.of(0, 1, 0),
        },
        {
          kind: "map",
          offsets: Int32Array.of(0, 2, 2, 3),
          keys: Int32Array.of(1, 2, 3),
          values: [true, null, false],
        },
      ],
    });
    const file = probe.file(writeParquet(table));
    const rows = await probe.rows(`select id, st, xs, m from read_parquet('${file}') order by id`);
    expect(rows).toEqual([
      {
        id: 1,
        st: { req: 10, opt: null },
        xs: ["a"],
        m: [
          { key: 1, value: true },
          { key: 2, value: null },
        ],
      },
      { id: 2, st: { req: 20, opt: null }, xs: null, m: [] },
      { id: 3, st: null, xs: ["b", "c"], m: [{ key: 3, value: false }] },
    ]);
  });

  it("checks table-level inputs", () => {
    const fields: WriteField[] = [
      { id: 1, name: "a", required: false, type: { kind: "int" } },
      { id: 2, name: "b", required: false, type: { kind: "int" } },
    ];
    expect(errorOf(() => buildTable({ fields, columns: { a: [1] } })).message).toBe("no column for field b");
    expect(errorOf(() => buildTable({ fields, columns: [[1], [1, 2]] })).message).toBe(
      "column b has 2 rows, want 1",
    );
    expect(errorOf(() => buildTable({ fields: [], columns: [] })).message).toMatch(/at least one field/);
    const t = buildTable({ fields, columns: [[1, null], Int32Array.of(5, 6)] });
    expect(t.numRows).toBe(2);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { a: 1, b: 5 },
      { a: null, b: 6 },
    ]);
  });
});
