import { describe, expect, it } from "vitest";
import { readMessageIndexes, readWireHeader, wireHeader } from "../../../src/ingest/decode/index.js";

describe("Schema Registry wire format", () => {
  it("reads the magic byte and the big-endian schema id", () => {
    expect(readWireHeader(Uint8Array.of(0, 0x01, 0x02, 0x03, 0x04, 9))).toEqual({
      schemaId: 0x01020304,
      payloadOffset: 5,
    });
    expect(wireHeader(0x01020304)).toEqual(Uint8Array.of(0, 1, 2, 3, 4));
    const view = Uint8Array.of(7, 7, 0, 0, 0, 0, 5).subarray(2);
    expect(readWireHeader(view).schemaId).toBe(5);
  });

  it("refuses other magic bytes and short values", () => {
    expect(() => readWireHeader(Uint8Array.of(1, 0, 0, 0, 1))).toThrow(
      /not in Schema Registry wire format \(magic byte 1\)/,
    );
    expect(() => readWireHeader(Uint8Array.of(0, 0, 0))).toThrow(/too short/);
    expect(() => readWireHeader(new Uint8Array(0))).toThrow(/empty value/);
  });

  it("reads Protobuf message indexes: a single 0 means [0], otherwise a zigzag count and zigzag indexes", () => {
    expect(readMessageIndexes(Uint8Array.of(0, 0, 0, 0, 1, 0, 0x08), 5)).toEqual({ indexes: [0], offset: 6 });
    // count 2 (zigzag 4), indexes 1 (2) and 300 (600 = 0xd8 0x04)
    expect(readMessageIndexes(Uint8Array.of(4, 2, 0xd8, 0x04, 0x99), 0)).toEqual({
      indexes: [1, 300],
      offset: 4,
    });
    expect(() => readMessageIndexes(Uint8Array.of(4, 2), 0)).toThrow(/truncated/);
    expect(() => readMessageIndexes(Uint8Array.of(1), 0)).toThrow(/invalid Protobuf message index count -1/);
  });
});
