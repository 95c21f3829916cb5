import { describe, expect, it } from "vitest";
import { CompactReader, CT } from "../../../src/iceberg/write/thrift-compact.js";

const u8 = (...b: number[]) => new Uint8Array(b);

describe("CompactReader", () => {
  it("decodes short and long field headers, zigzag ints, 64-bit extremes and header booleans", () => {
    const bytes = u8(
      0x15,
      0x05, // field 1 (delta 1), i32 zigzag 5 = -3
      0x06,
      0xd8,
      0x04, // field id in long form: type i64, id zigzag varint 600 = 300
      0xfd,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01, // i64 zigzag 2^64-3 = -(2^63)+1
      0x11, // field 301, boolean true
      0x12, // field 302, boolean false
      0x18,
      0x03,
      0x61,
      0x62,
      0x63, // field 303, binary "abc"
      0x00,
    );
    const r = new CompactReader(bytes);
    const seen: [number, unknown][] = [];
    r.struct((id, t) => {
      if (t === CT.I32) seen.push([id, r.i32()]);
      else if (t === CT.I64) seen.push([id, r.i64()]);
      else if (t === CT.TRUE || t === CT.FALSE) seen.push([id, CompactReader.bool(t)]);
      else if (t === CT.BINARY) seen.push([id, r.string()]);
      else r.skip(t);
    });
    expect(seen).toEqual([
      [1, -3],
      [300, -(2n ** 63n) + 1n],
      [301, true],
      [302, false],
      [303, "abc"],
    ]);
    expect(r.pos).toBe(bytes.length);
  });

  it("skips lists (long size form), maps with boolean values, nested structs, doubles and binaries", () => {
    const list = [0x19, 0xf5, 20, ...new Array<number>(20).fill(0x02)]; // field 1: list<i32> of 20
    const map = [0x1b, 0x02, 0x81, 0x01, 0x61, 0x01, 0x01, 0x62, 0x02]; // field 2: map<string,bool>
    const struct = [0x1c, 0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00]; // field 3: struct { 1: double 1.0 }
    const bin = [0x18, 0x02, 0xff, 0xfe]; // field 4: binary
    const setOfBools = [0x1a, 0x31, 0x01, 0x02, 0x01]; // field 5: set<bool> of 3
    const tail = [0x15, 84, 0x00]; // field 6: i32 42
    const r = new CompactReader(u8(...list, ...map, ...struct, ...bin, ...setOfBools, ...tail));
    const fields: number[] = [];
    let answer = 0;
    r.struct((id, t) => {
      fields.push(id);
      if (id === 6) answer = r.i32();
      else r.skip(t);
    });
    expect(fields).toEqual([1, 2, 3, 4, 5, 6]);
    expect(answer).toBe(42);
  });

  it("reads doubles and list elements", () => {
    const r = new CompactReader(
      u8(0x1c, ...[0, 0, 0, 0, 0, 0, 0x04, 0xc0], 0x29, 0x38, 0x01, 0x61, 0x00, 0x01, 0x62, 0x00),
    );
    r.pos = 1;
    expect(r.double()).toBe(-2.5);
    r.pos = 10;
    const items: string[] = [];
    r.list((t) => (t === CT.BINARY ? items.push(r.string()) : r.skip(t)));
    expect(items).toEqual(["a", "", "b"]);
  });

  it("fails with DECODE_FAILED on truncated input, bad types and runaway nesting", () => {
    const cases: Uint8Array[] = [
      u8(0x15), // i32 value missing
      u8(0x18, 0x05, 0x61), // binary longer than the input
      u8(0x1d, 0x00), // type 13 is not a compact type
      u8(0x19, 0xf5, 0xff, 0xff, 0xff, 0x7f), // list claims 268M elements
      u8(...new Array<number>(100).fill(0x1c)), // 100 nested structs
    ];
    for (const bytes of cases) {
      const r = new CompactReader(bytes);
      expect(() => r.skip(CT.STRUCT)).toThrow(expect.objectContaining({ code: "DECODE_FAILED" }));
    }
  });
});
