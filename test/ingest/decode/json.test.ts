import { describe, expect, it } from "vitest";
import { createDecoder } from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";

const enc = new TextEncoder();
function input(text: string | Uint8Array | null) {
  const value = typeof text === "string" ? enc.encode(text) : text;
  return { topic: "t", partition: 0, offset: 7n, value, key: null };
}

describe("json decoder (inferred)", () => {
  const decoder = createDecoder({ format: "json" });

  it("infers the schema and gives the row in its representation, big integers exact", async () => {
    const { row, schema } = await decoder.decode(
      input(
        '{"id": 1234567890123456789, "n": 3, "x": 0.5, "s": "é", "ok": false, "none": null, "a": [1, 2.5], "o": {"k": 1}}',
      ),
    );
    expect(row).toEqual({
      id: 1234567890123456789n,
      n: 3n,
      x: 0.5,
      s: "é",
      ok: false,
      a: [1, 2.5],
      o: { k: 1n },
    });
    expect(schema.fields.map((f) => [f.name, f.type])).toEqual([
      ["id", "long"],
      ["n", "long"],
      ["x", "double"],
      ["s", "string"],
      ["ok", "boolean"],
      ["a", { type: "list", "element-id": 8, element: "double", "element-required": false }],
      ["o", { type: "struct", fields: [{ id: 9, name: "k", required: false, type: "long" }] }],
    ]);
  });

  it("keeps 2^53 + 1 exact", async () => {
    const { row } = await decoder.decode(input('{"v": 9007199254740993, "w": -9007199254740993}'));
    expect(row).toEqual({ v: 9007199254740993n, w: -9007199254740993n });
    const tooBig = await failure(decoder.decode(input('{"v": 12345678901234567891}')));
    expect(tooBig.message).toContain(
      'field "v": cannot convert 12345678901234567891 to long: out of the 64-bit range',
    );
  });

  it("parses again exactly only where JSON.parse rounded an integer: nested, in arrays, at 2^53", async () => {
    const { row } = await decoder.decode(
      input('{"edge": 9007199254740991, "o": {"deep": [1, 9007199254740993]}, "f": 0.5}'),
    );
    expect(row).toEqual({ edge: 9007199254740991n, o: { deep: [1n, 9007199254740993n] }, f: 0.5 });
    const at = await decoder.decode(input('{"v": 9007199254740992}'));
    expect(at.row).toEqual({ v: 9007199254740992n });
  });

  it("keeps a __proto__ key as a plain field, on both parse paths", async () => {
    for (const text of ['{"__proto__": {"x": 1}}', '{"__proto__": {"x": 1}, "big": 9007199254740993}']) {
      const { row, schema } = await decoder.decode(input(text));
      expect(schema.fields[0]?.name).toBe("__proto__");
      expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(row, "__proto__")?.value).toEqual({ x: 1n });
    }
  });

  it("parses digits inside strings the same on both paths", async () => {
    const { row } = await decoder.decode(input('{"s": "12345678901234567890", "n": 123456789012345}'));
    expect(row).toEqual({ s: "12345678901234567890", n: 123456789012345n });
  });

  it("shares one schema object between records of the same shape", async () => {
    const a = await decoder.decode(input('{"x": 1, "y": "a"}'));
    const b = await decoder.decode(input('{"x": 2, "y": "b"}'));
    const c = await decoder.decode(input('{"x": 2, "y": 3}'));
    expect(a.schema).toBe(b.schema);
    expect(c.schema).not.toBe(a.schema);
  });

  it("gives each record the schema inference gives it, whatever the record before it", async () => {
    // Each record after the first differs from its predecessor in one way the shape check must see.
    const texts = [
      '{"a": 1, "b": "x", "c": true}',
      '{"a": 2, "b": "y", "c": false}', // same shape
      '{"a": 2.5, "b": "y", "c": false}', // long -> double
      '{"a": 3, "b": "y", "c": false}', // and back
      '{"a": 3, "b": null, "c": false}', // a null leaves b out
      '{"a": 3, "c": false, "b": "z"}', // reordered
      '{"a": 3, "b": "z"}', // a field fewer
      '{"a": 3, "b": "z", "c": true, "d": 1}', // a field more
      '{"a": 3, "b": {"n": 1}, "c": true}', // nested
      '{"a": 4, "b": {"n": 2}, "c": true}', // the same nested shape
      '{"a": 4, "b": {"n": 2.5}, "c": true}', // a nested type changes
      '{"a": 4, "b": {"n": null}, "c": true}', // an object left with no fields
      '{"a": 4, "b": {"n": 2, "m": "x"}, "c": true}', // a nested field more
      '{"a": 3, "b": "y", "c": false}', // a shape four records back
      '{"a": 3, "b": ["q"], "c": true}', // a list
      '{"a": 3, "b": 4, "c": "t"}', // types swapped
      '{"a": 9007199254740993, "b": "y", "c": false}', // a big integer (bigint) is a long
      '{"a": 1, "b": "x", "c": true}',
    ];
    const fresh = (t: string) => createDecoder({ format: "json" }).decode(input(t));
    for (const [i, t] of texts.entries()) {
      const got = await decoder.decode(input(t));
      const alone = await fresh(t);
      expect(got.schema, `record ${i}: ${t}`).toEqual(alone.schema);
      expect(got.row, `record ${i}`).toEqual(alone.row);
    }
  });

  it("keeps giving inference's schema while the shape cache pauses and resumes", async () => {
    // Varied shapes (the cache misses and stands aside), then one shape, then varied again.
    const d = createDecoder({ format: "json" });
    const text = (i: number, varied: boolean) =>
      varied
        ? `{"a": ${i % 3 === 0 ? i + 0.5 : i}${i % 5 === 0 ? "" : ', "b": "x"'}${i % 7 === 0 ? ', "c": {"n": 1}' : ""}}`
        : `{"a": ${i}, "b": "x"}`;
    const phases = [true, false, true];
    for (const [p, varied] of phases.entries()) {
      for (let i = 0; i < 20_000; i++) {
        const t = text(i, varied);
        const got = await d.decode(input(t));
        if (i % 97 === 0 || i === 19_999) {
          const alone = await createDecoder({ format: "json" }).decode(input(t));
          expect(got.schema, `phase ${p}, record ${i}: ${t}`).toEqual(alone.schema);
        }
      }
    }
  });

  it("refuses invalid UTF-8, invalid JSON, NaN, non-objects and tombstones with DECODE_FAILED", async () => {
    const utf8 = await failure(
      decoder.decode(input(Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d))),
    );
    expect(utf8.code).toBe("DECODE_FAILED");
    expect(utf8.message).toContain("not valid UTF-8");
    expect(utf8.message).toContain("t[0]@7");
    for (const text of ['{"a": NaN}', '{"a": Infinity}', '{"a": 1', "", '{"a": 1} x']) {
      const e = await failure(decoder.decode(input(text)));
      expect(e.code).toBe("DECODE_FAILED");
      expect(e.message).toContain("invalid JSON");
    }
    expect((await failure(decoder.decode(input("[1, 2]")))).message).toContain(
      "must be an object, got an array",
    );
    expect((await failure(decoder.decode(input("null")))).message).toContain("got null");
    expect((await failure(decoder.decode(input(null)))).message).toContain("tombstone");
  });

  it("reports arrays mixing types as SCHEMA_INCOMPATIBLE with the path", async () => {
    const e = await failure(decoder.decode(input('{"a": [1, "x"]}')));
    expect(e.code).toBe("SCHEMA_INCOMPATIBLE");
    expect(e.message).toContain('field "a.element"');
  });
});

describe("json decoder (declared schema)", () => {
  const declared = {
    type: "struct",
    "schema-id": 0,
    fields: [
      { id: 10, name: "id", required: true, type: "long" },
      { id: 11, name: "at", required: false, type: "timestamptz" },
      { id: 12, name: "day", required: false, type: "date" },
      { id: 13, name: "amount", required: false, type: "decimal(20, 2)" },
      { id: 14, name: "u", required: false, type: "uuid" },
      { id: 15, name: "meta", required: false, type: "string" },
    ],
  };
  const decoder = createDecoder({ format: "json", schema: declared });

  it("converts values to the declared types and renumbers ids locally", async () => {
    const { row, schema } = await decoder.decode(
      input(
        '{"id": 1, "at": 1700000000123, "day": "2024-02-29", "amount": 123456789012345678.91, "u": "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "meta": {"a": [1]}}',
      ),
    );
    expect(schema.fields.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
    // 123456789012345678.91 is not exactly a double; the shortest double text has fewer digits
    expect(row).toMatchObject({
      id: 1n,
      at: 1700000000123000n,
      day: 19782,
      u: "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    });
    expect(row.meta).toBe('{"a":[1]}');
    const exact = await decoder.decode(
      input('{"id": 2, "at": "2024-01-01T00:00:00Z", "amount": "123456789012345678.91"}'),
    );
    expect(exact.row).toMatchObject({ at: 1704067200000000n, amount: 12345678901234567891n, day: null });
    expect(exact.schema).toBe(schema);
  });

  it("adds inferred extra fields after the declared ones", async () => {
    const { row, schema } = await decoder.decode(input('{"id": 1, "extra": {"n": 5}, "nothing": null}'));
    expect(schema.fields.map((f) => f.name)).toEqual(["id", "at", "day", "amount", "u", "meta", "extra"]);
    expect(schema.fields.at(-1)).toEqual({
      id: 7,
      name: "extra",
      required: false,
      type: { type: "struct", fields: [{ id: 8, name: "n", required: false, type: "long" }] },
    });
    expect(row.extra).toEqual({ n: 5n });
    const again = await decoder.decode(input('{"id": 9, "extra": {"n": 6}}'));
    expect(again.schema).toBe(schema);
  });

  it("names the field that cannot be converted", async () => {
    const e = await failure(decoder.decode(input('{"id": 1, "at": "abc"}')));
    expect(e.code).toBe("DECODE_FAILED");
    expect(e.message).toContain('field "at": cannot convert "abc" to timestamptz');
    const missing = await failure(decoder.decode(input('{"at": 1}')));
    expect(missing.message).toContain('field "id" is required');
  });

  it("with columns: the values in field order for a column buffer, the row the same when read", async () => {
    const columnar = createDecoder({ format: "json", schema: declared, columns: true });
    const text =
      '{"id": 1, "at": 1700000000123, "amount": 12.5, "u": "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "x": true}';
    const rec = await columnar.decode(input(text));
    const plain = await decoder.decode(input(text));
    expect(rec.schema).toBe((await columnar.decode(input(text))).schema);
    expect(rec.schema.fields.map((f) => f.name)).toEqual([...plain.schema.fields.map((f) => f.name)]);
    // Long and timestamp values that are safe integers stay numbers; everything else as in the row.
    expect(rec.values).toEqual([
      1,
      1700000000123000,
      null,
      1250n,
      "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
      null,
      true,
    ]);
    expect(rec.row).toEqual(plain.row);
    expect(plain.values).toBeUndefined();
    // Past 2^53 a long stays a bigint.
    const big = await columnar.decode(input('{"id": 9007199254740993}'));
    expect(big.values?.[0]).toBe(9007199254740993n);
    const e = await failure(columnar.decode(input('{"id": 1, "at": "abc"}')));
    expect(e.message).toContain('field "at": cannot convert "abc" to timestamptz');
    const missing = await failure(columnar.decode(input('{"at": 1}')));
    expect(missing.message).toContain('field "id" is required');
  });

  it("refuses a declared schema that is not an Iceberg schema", () => {
    expect(() => createDecoder({ format: "json", schema: { fields: [{ name: "x" }] } })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
  });
});

describe("string and bytes decoders", () => {
  it("wraps the value", async () => {
    const s = await createDecoder({ format: "string" }).decode(input("héllo"));
    expect(s).toEqual({
      row: { value: "héllo" },
      schema: { type: "struct", fields: [{ id: 1, name: "value", required: false, type: "string" }] },
    });
    expect((await createDecoder({ format: "string" }).decode(input(null))).row).toEqual({ value: null });
    await expect(
      createDecoder({ format: "string" }).decode(input(Uint8Array.of(0xff))),
    ).rejects.toMatchObject({
      code: "DECODE_FAILED",
    });
    const b = await createDecoder({ format: "bytes" }).decode(input(Uint8Array.of(0xff, 0)));
    expect(b.row).toEqual({ value: Uint8Array.of(0xff, 0) });
    expect(b.schema.fields[0]?.type).toBe("binary");
  });

  it("builds a protobuf decoder (its behaviour is tested in protobuf.test.ts)", async () => {
    const decoder = createDecoder({ format: "protobuf", registry: {} as never });
    await expect(decoder.decode(input(Uint8Array.of(1, 2, 3)))).rejects.toMatchObject({
      code: "DECODE_FAILED",
    });
  });
});
