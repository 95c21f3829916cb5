import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { applyDeletes, conformToSchema, parquetToArrow, valueKey } from "../../src/compaction/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema, type Schema, unpartitionedSpec } from "../../src/iceberg/spec/index.js";
import { DataFileWriter, fieldIdOf, type Row } from "../../src/iceberg/write/index.js";

async function roundTrip(schema: Schema, rows: Row[]): Promise<arrow.Table> {
  const io = new MemoryFileIO();
  const writer = new DataFileWriter({ io, location: "memory://t", schema, spec: unpartitionedSpec() });
  const [file] = await writer.writeRows(rows);
  return parquetToArrow(await io.read(file?.file_path ?? ""));
}

const v1 = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "n", required: false, type: "int" },
  { id: 3, name: "f", required: false, type: "float" },
  {
    id: 4,
    name: "st",
    required: false,
    type: { type: "struct", fields: [{ id: 5, name: "x", required: false, type: "int" }] },
  },
  {
    id: 6,
    name: "tags",
    required: false,
    type: { type: "list", "element-id": 9, element: "string", "element-required": false },
  },
  { id: 10, name: "gone", required: false, type: "string" },
]);

// id renamed, n and f promoted, a struct field and a top-level column added, `gone` dropped, reordered.
const v2 = makeSchema(
  [
    { id: 7, name: "extra", required: false, type: "string" },
    { id: 1, name: "ident", required: true, type: "long" },
    { id: 2, name: "n", required: false, type: "long" },
    { id: 3, name: "f", required: false, type: "double" },
    {
      id: 4,
      name: "st",
      required: false,
      type: {
        type: "struct",
        fields: [
          { id: 5, name: "x", required: false, type: "int" },
          { id: 8, name: "y", required: false, type: "string" },
        ],
      },
    },
    {
      id: 6,
      name: "tags",
      required: false,
      type: { type: "list", "element-id": 9, element: "string", "element-required": false },
    },
  ],
  1,
);

describe("reading data files back for a rewrite", () => {
  it("conforms a file of an older schema by field id: renames, promotions, added and dropped columns", async () => {
    const t = await roundTrip(v1, [
      { id: 1n, n: 7, f: 1.5, st: { x: 3 }, tags: ["a", null], gone: "bye" },
      { id: 2n, n: null, f: null, st: null, tags: null, gone: null },
    ]);
    const c = conformToSchema(t, v2);
    expect(c.schema.fields.map((f) => [f.name, fieldIdOf(f), String(f.type)])).toEqual([
      ["extra", 7, "Utf8"],
      ["ident", 1, "Int64"],
      ["n", 2, "Int64"],
      ["f", 3, "Float64"],
      ["st", 4, "Struct<{x:Int32, y:Utf8}>"],
      ["tags", 6, "List<Utf8>"],
    ]);
    const rows = c.toArray().map((r) => r.toJSON());
    expect(rows[0]).toMatchObject({ extra: null, ident: 1n, n: 7n, f: 1.5 });
    expect(rows[0]?.st?.toJSON()).toEqual({ x: 3, y: null });
    expect([...(rows[0]?.tags ?? [])]).toEqual(["a", null]);
    expect(rows[1]).toMatchObject({ extra: null, ident: 2n, n: null, f: null, st: null, tags: null });
  });

  it("refuses what it cannot map: a missing required column, no field ids, an incompatible type", async () => {
    const t = await roundTrip(v1, [{ id: 1n }]);
    const needsZ = makeSchema([{ id: 99, name: "z", required: true, type: "int" }]);
    expect(() => conformToSchema(t, needsZ)).toThrow(/required/);
    const plain = arrow.tableFromArrays({ a: new Int32Array([1]) });
    expect(() => conformToSchema(plain, v1)).toThrow(expect.objectContaining({ code: "UNSUPPORTED" }));
    const narrowed = makeSchema([{ id: 1, name: "id", required: true, type: "int" }]);
    expect(() => conformToSchema(t, narrowed)).toThrow(/cannot be read as/);
  });

  it("keys values exactly (microsecond timestamps, decimals, bytes) and deletes by position and equality", async () => {
    const s = makeSchema([
      { id: 1, name: "ts", required: false, type: "timestamptz" },
      { id: 2, name: "dec", required: false, type: "decimal(20, 2)" },
      { id: 3, name: "b", required: false, type: "binary" },
    ]);
    const t = conformToSchema(
      await roundTrip(s, [
        { ts: 1_700_000_000_000_001n, dec: 100n, b: new Uint8Array([1]) },
        { ts: 1_700_000_000_000_002n, dec: 100n, b: new Uint8Array([1, 0]) },
        { ts: null, dec: -100n, b: null },
        { ts: 1_700_000_000_000_001n, dec: 100n, b: new Uint8Array([1]) },
      ]),
      s,
    );
    const col = (i: number) => t.batches[0]?.data.children[i] as arrow.Data;
    const keys = [0, 1, 2, 3].map((r) => [0, 1, 2].map((c) => valueKey(col(c), r)).join("|"));
    expect(new Set(keys).size).toBe(3);
    expect(keys[0]).toBe(keys[3]);
    const eqKey = valueKey(col(0), 0);
    const { table, deleted } = applyDeletes(t, new Set([2]), [{ ids: [1], keys: new Set([eqKey]) }]);
    expect(deleted).toBe(3);
    expect(table.numRows).toBe(1);
    expect(table.getChild("ts")?.get(0)).toBe(t.getChild("ts")?.get(1));
    expect(applyDeletes(t, new Set(), []).table).toBe(t);
  });
});
