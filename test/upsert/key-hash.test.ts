import * as arrow from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { conformToSchema, parquetBatches } from "../../src/compaction/index.js";
import { FloeError } from "../../src/errors.js";
import {
  currentSchema,
  encodeSingleValue,
  makeSchema,
  type PrimitiveType,
  type PrimitiveValue,
} from "../../src/iceberg/spec/index.js";
import { buildColumn } from "../../src/iceberg/write/index.js";
import { checkKeyColumns, hashCanonical, keyHashes, keyVectors } from "../../src/upsert/index.js";
import { tempTable } from "./helpers.js";

// Every key type the index allows (timestamp_ns cannot be written yet: checked apart below).
const KEY_FIELDS: { name: string; type: PrimitiveType; values: PrimitiveValue[] }[] = [
  { name: "b", type: "boolean", values: [true, false, true, false] },
  { name: "i", type: "int", values: [0, -1, 2147483647, -2147483648] },
  { name: "l", type: "long", values: [0n, -1n, 9223372036854775807n, -9223372036854775808n] },
  { name: "s", type: "string", values: ["", "a", "héllo wörld ✓", "x".repeat(37)] },
  {
    name: "bin",
    type: "binary",
    values: [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(1, 2, 3, 4, 5), Uint8Array.of(255)],
  },
  {
    name: "u",
    type: "uuid",
    values: [
      "00000000-0000-0000-0000-000000000000",
      "123e4567-e89b-12d3-a456-426614174000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    ],
  },
  { name: "d", type: "date", values: [0, -1, 19000, 2932896] },
  { name: "t", type: "time", values: [0n, 1n, 43_200_000_000n, 86_399_999_999n] },
  { name: "ts", type: "timestamp", values: [0n, -1n, 1_700_000_000_000_000n, 253_402_300_799_999_999n] },
  { name: "tstz", type: "timestamptz", values: [0n, -1_000_000n, 1_700_000_000_123_456n, 1n] },
  { name: "dec", type: "decimal(38, 4)", values: [0n, -1n, 12345678901234567890123456789n, -128n] },
  { name: "dec9", type: "decimal(9, 2)", values: [0n, 127n, -129n, 999999999n] },
  {
    name: "fx",
    type: "fixed[5]",
    values: [
      Uint8Array.of(0, 0, 0, 0, 0),
      Uint8Array.of(1, 2, 3, 4, 5),
      Uint8Array.of(255, 0, 255, 0, 255),
      Uint8Array.of(9, 9, 9, 9, 9),
    ],
  },
];

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  ...KEY_FIELDS.map((f, k) => ({ id: 10 + k, name: f.name, required: false, type: f.type })),
]);

/** The canonical bytes of a value: single-value encoding, int widened to long. */
function canonical(type: PrimitiveType, v: PrimitiveValue): Uint8Array {
  return type === "int" ? encodeSingleValue("long", BigInt(v as number)) : encodeSingleValue(type, v);
}

const rows = KEY_FIELDS[0]!.values.map((_, r) => {
  const row: Record<string, unknown> = { id: BigInt(r) };
  for (const f of KEY_FIELDS) row[f.name] = f.values[r];
  return row;
});

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe("keyHashes", () => {
  it("agrees between the writer's Arrow, the Arrow read back from Parquet and the canonical bytes", async () => {
    const { table, io, cleanup } = await tempTable(schema);
    cleanups.push(cleanup);
    const writer = table.dataFileWriter();
    const columns = new Map<string, unknown[]>(
      schema.fields.map((f) => [f.name, rows.map((r) => r[f.name])]),
    );
    const [built] = [...writer.partitionTables(columns, rows.length)];
    const files = await writer.writeRows(rows);
    expect(files).toHaveLength(1);
    const bytes = await io.read(files[0]!.file_path);
    // The catalog assigns its own field ids.
    const tableSchema = currentSchema(table.metadata);
    const read: arrow.Table[] = [];
    for await (const b of parquetBatches(bytes)) read.push(conformToSchema(b, tableSchema));
    expect(read).toHaveLength(1);
    const idOf = (name: string) => tableSchema.fields.find((x) => x.name === name)!.id;
    for (const f of KEY_FIELDS) {
      const id = idOf(f.name);
      const fromWriter = keyHashes(keyVectors(built!.table, [id]), [f.name]);
      const fromFile = keyHashes(keyVectors(read[0]!, [id]), [f.name]);
      expect([...fromFile], f.name).toEqual([...fromWriter]);
      const expected = f.values.flatMap((v) => hashCanonical([canonical(f.type, v)]));
      expect([...fromWriter], f.name).toEqual(expected);
      // Distinct values, distinct hashes (boolean repeats its two values).
      const distinct = new Set(f.values.map((_, r) => `${fromWriter[2 * r]}:${fromWriter[2 * r + 1]}`));
      expect(distinct.size, f.name).toBe(f.type === "boolean" ? 2 : 4);
    }
    // A composite key of every type.
    const ids = KEY_FIELDS.map((f) => idOf(f.name));
    const composite = keyHashes(keyVectors(built!.table, ids));
    expect([...keyHashes(keyVectors(read[0]!, ids))]).toEqual([...composite]);
    expect([...composite.subarray(0, 2)]).toEqual(
      hashCanonical(KEY_FIELDS.map((f) => canonical(f.type, f.values[0]!))),
    );
  });

  it("hashes an int and a long of the same value alike (int -> long promotion keeps hashes)", () => {
    const values = [0, 1, -1, 123456, -2147483648, 2147483647];
    const ints = arrow.makeVector(
      buildColumn({ id: 1, name: "k", required: true, type: { kind: "int" } }, values),
    );
    const longs = arrow.makeVector(
      buildColumn({ id: 1, name: "k", required: true, type: { kind: "long" } }, values.map(BigInt)),
    );
    expect([...keyHashes([ints])]).toEqual([...keyHashes([longs])]);
  });

  it("hashes timestamp_ns as 8 little-endian bytes", () => {
    const v = arrow.makeVector(
      arrow.makeData({
        type: new arrow.TimestampNanosecond("UTC"),
        length: 2,
        data: BigInt64Array.of(5n, -7n),
      }),
    );
    expect([...keyHashes([v])]).toEqual([
      ...hashCanonical([encodeSingleValue("timestamptz_ns", 5n)]),
      ...hashCanonical([encodeSingleValue("timestamptz_ns", -7n)]),
    ]);
  });

  it("keeps column boundaries apart and reads sliced and chunked vectors by position", () => {
    const str = (xs: string[]) => arrow.vectorFromArray(xs, new arrow.Utf8());
    const h = keyHashes([str(["ab", "a"]), str(["c", "bc"])]);
    expect(`${h[0]}:${h[1]}`).not.toBe(`${h[2]}:${h[3]}`);
    const whole = keyHashes([str(["p", "q", "r", "s"])]);
    const chunked = str(["x", "p", "q"])
      .slice(1)
      .concat(str(["r", "s"]));
    expect(chunked.data.length).toBe(2);
    expect([...keyHashes([chunked])]).toEqual([...whole]);
    // 200k distinct longs: no two share a hash.
    const n = 200_000;
    const many = keyHashes([arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i)))]);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(`${many[2 * i]}:${many[2 * i + 1]}`);
    expect(seen.size).toBe(n);
  });

  it("refuses a null key value, naming the column and row", () => {
    const v = arrow.vectorFromArray(["a", null, "c"], new arrow.Utf8());
    let err: unknown;
    try {
      keyHashes([arrow.vectorFromArray(["x", "y", "z"], new arrow.Utf8()), v], ["name", "email"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FloeError);
    expect((err as FloeError).code).toBe("KEY_INVALID");
    expect((err as FloeError).message).toBe("key column email is null at row 1");
    expect((err as FloeError).context).toMatchObject({ column: "email", row: 1 });
  });

  it("refuses float, double, nested, missing and repeated key columns at config time", () => {
    const s = makeSchema([
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "f", required: true, type: "float" },
      { id: 3, name: "dbl", required: true, type: "double" },
      {
        id: 4,
        name: "st",
        required: false,
        type: { type: "struct", fields: [{ id: 5, name: "x", required: false, type: "int" }] },
      },
    ]);
    expect(checkKeyColumns(s, ["id"]).map((f) => f.id)).toEqual([1]);
    const message = (keys: string[]) => {
      try {
        checkKeyColumns(s, keys);
      } catch (e) {
        expect((e as FloeError).code).toBe("CONFIG_INVALID");
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(message(["f"])).toMatch(/key column f has type float, which cannot be a key/);
    expect(message(["id", "dbl"])).toMatch(/key column dbl has type double/);
    expect(message(["st"])).toMatch(/key column st is a nested type/);
    expect(message(["x"])).toMatch(/key column x is not a top-level column/);
    expect(message(["id", "id"])).toMatch(/key column id is listed twice/);
    expect(message([])).toMatch(/at least one column/);
  });
});
