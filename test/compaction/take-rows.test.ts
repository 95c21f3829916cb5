import * as arrow from "apache-arrow";
import { describe, expect, it } from "vitest";
import { applyDeletes, conformToSchema, parquetToArrow } from "../../src/compaction/index.js";
import { takeRows } from "../../src/compaction/take-rows.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";
import { makeSchema, unpartitionedSpec } from "../../src/iceberg/spec/index.js";
import { DataFileWriter } from "../../src/iceberg/write/index.js";
import { allTypesRows, allTypesSchema } from "../support/fixtures.js";
import { rowKey } from "./helpers.js";

// Applying deletes copies the kept rows of every column type exactly (taken column by column), also
// from a batch that is itself a slice.
const schema = allTypesSchema();
const flat = makeSchema(schema.fields.filter((f) => typeof f.type === "string"));

async function read(s: typeof schema, copies: number): Promise<arrow.Table> {
  const io = new MemoryFileIO();
  const writer = new DataFileWriter({ io, location: "memory://t", schema: s, spec: unpartitionedSpec() });
  const base = allTypesRows();
  const rows = Array.from({ length: copies }, (_, c) =>
    base.map((r, i) => ({ ...r, id: BigInt(c * base.length + i) })),
  ).flat();
  const [file] = await writer.writeRows(rows);
  return conformToSchema(parquetToArrow(await io.read(file?.file_path ?? "")), s);
}

const texts = (t: arrow.Table) => t.toArray().map((r) => rowKey(r.toJSON() as Record<string, unknown>));

describe("applying deletes keeps exactly the other rows", () => {
  for (const [name, s, sliced] of [
    ["flat columns", flat, false],
    ["nested columns", schema, false],
    ["a sliced batch", schema, true],
  ] as const) {
    it(name, async () => {
      const whole = await read(s, 7);
      const t = sliced ? whole.slice(3, whole.numRows - 2) : whole;
      const all = texts(t);
      const positions = new Set([0, 2, 3, 9, all.length - 1]);
      const { table, deleted } = applyDeletes(t, positions, []);
      expect(deleted).toBe(positions.size);
      expect(texts(table)).toEqual(all.filter((_, i) => !positions.has(i)));
      // The result joins batches of the input's schema.
      expect(new arrow.Table([...table.batches, ...t.batches]).numRows).toBe(2 * all.length - positions.size);
      // The kept rows are in new buffers: fewer bytes than the input.
      const bytes = (x: arrow.Table) => x.batches.reduce((n, b) => n + b.data.byteLength, 0);
      expect(bytes(table)).toBeLessThan(bytes(t));
    });
  }

  it("takes every column type, and leaves a dictionary column to the caller", async () => {
    const [batch] = (await read(schema, 1)).batches;
    if (batch === undefined) throw new Error("no batch");
    const one = takeRows(batch, Int32Array.of(2));
    expect(one?.numRows).toBe(1);
    expect(rowKey(one?.get(0)?.toJSON() ?? {})).toBe(rowKey(batch.get(2)?.toJSON() ?? {}));
    const dict = new arrow.Table({
      d: arrow.vectorFromArray(["a", "b", "a"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    });
    expect(takeRows(dict.batches[0] as arrow.RecordBatch, Int32Array.of(1))).toBeUndefined();
  });
});
