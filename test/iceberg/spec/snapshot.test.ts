import { describe, expect, it } from "vitest";
import { parseJson } from "../../../src/iceberg/spec/json.js";
import {
  ancestorsOf,
  branchRef,
  isAncestorOf,
  isKnownOperation,
  parseSnapshot,
  type Snapshot,
  SnapshotRefSchema,
} from "../../../src/iceberg/spec/snapshot.js";

describe("parseSnapshot", () => {
  it("reads v2 snapshots with exact 64-bit ids", () => {
    const s = parseSnapshot(
      parseJson(`{
        "snapshot-id": 3055729675574597004,
        "parent-snapshot-id": 3051729675574597004,
        "sequence-number": 1,
        "timestamp-ms": 1555100955770,
        "summary": {"operation": "append", "added-data-files": "1", "floe.offsets.g": "{\\"t\\":{\\"0\\":\\"12\\"}}"},
        "manifest-list": "s3://bucket/table/metadata/snap-3055729675574597004-1-uuid.avro",
        "schema-id": 1
      }`),
    );
    expect(s["snapshot-id"]).toBe(3055729675574597004n);
    expect(s["parent-snapshot-id"]).toBe(3051729675574597004n);
    expect(s["sequence-number"]).toBe(1n);
    expect(s["timestamp-ms"]).toBe(1555100955770);
    expect(s.summary.operation).toBe("append");
    expect(s.summary["floe.offsets.g"]).toBe('{"t":{"0":"12"}}');
    expect(s["schema-id"]).toBe(1);
  });

  it("defaults v1 fields: sequence number 0, append summary, inline manifests", () => {
    const s = parseSnapshot({ "snapshot-id": 1, "timestamp-ms": 1, manifests: ["a.avro", "b.avro"] });
    expect(s["sequence-number"]).toBe(0n);
    expect(s.summary).toEqual({ operation: "append" });
    expect(s.manifests).toEqual(["a.avro", "b.avro"]);
    expect(s["manifest-list"]).toBeUndefined();
  });

  it("reads null parents as absent and non-string summary values as strings", () => {
    const s = parseSnapshot({
      "snapshot-id": 1,
      "parent-snapshot-id": null,
      "timestamp-ms": 1,
      summary: { operation: "overwrite", "added-records": 10, big: 9007199254740993n },
    });
    expect(s["parent-snapshot-id"]).toBeUndefined();
    expect(s.summary["added-records"]).toBe("10");
    expect(s.summary.big).toBe("9007199254740993");
  });

  it("reads v3 row lineage fields", () => {
    const s = parseSnapshot({
      "snapshot-id": 1,
      "sequence-number": 2,
      "timestamp-ms": 1,
      summary: { operation: "append" },
      "manifest-list": "x",
      "first-row-id": 1000,
      "added-rows": 375,
    });
    expect(s["first-row-id"]).toBe(1000n);
    expect(s["added-rows"]).toBe(375n);
  });

  it("rejects snapshots without an id, timestamp or operation", () => {
    expect(() => parseSnapshot({ "timestamp-ms": 1 })).toThrow(/invalid snapshot/);
    expect(() => parseSnapshot({ "snapshot-id": 1 })).toThrow(/invalid snapshot/);
    expect(() => parseSnapshot({ "snapshot-id": 1, "timestamp-ms": 1, summary: {} })).toThrow(/operation/);
    expect(() => parseSnapshot({ "snapshot-id": 1n << 64n, "timestamp-ms": 1 })).toThrow(/int64/);
  });
});

describe("snapshot refs", () => {
  it("parses branches and tags with retention", () => {
    const ref = SnapshotRefSchema.parse({
      "snapshot-id": 123456789000,
      type: "tag",
      "max-ref-age-ms": 10000000,
    });
    expect(ref).toEqual({ "snapshot-id": 123456789000n, type: "tag", "max-ref-age-ms": 10000000 });
    expect(SnapshotRefSchema.safeParse({ "snapshot-id": 1, type: "label" }).success).toBe(false);
    expect(branchRef(5n)).toEqual({ "snapshot-id": 5n, type: "branch" });
  });

  it("knows the spec's operations", () => {
    expect(isKnownOperation("replace")).toBe(true);
    expect(isKnownOperation("merge")).toBe(false);
  });
});

describe("ancestry", () => {
  const snap = (id: bigint, parent?: bigint): Snapshot => ({
    "snapshot-id": id,
    ...(parent === undefined ? {} : { "parent-snapshot-id": parent }),
    "sequence-number": id,
    "timestamp-ms": Number(id),
    summary: { operation: "append" },
  });
  const snapshots = [snap(1n), snap(2n, 1n), snap(3n, 2n), snap(4n, 2n), snap(6n, 5n)];

  it("walks parents newest first", () => {
    expect(ancestorsOf(3n, snapshots).map((s) => s["snapshot-id"])).toEqual([3n, 2n, 1n]);
    expect(ancestorsOf(4n, snapshots).map((s) => s["snapshot-id"])).toEqual([4n, 2n, 1n]);
  });

  it("stops at expired parents and handles empty input", () => {
    expect(ancestorsOf(6n, snapshots).map((s) => s["snapshot-id"])).toEqual([6n]);
    expect(ancestorsOf(null, snapshots)).toEqual([]);
    expect(ancestorsOf(99n, snapshots)).toEqual([]);
  });

  it("does not loop on cycles", () => {
    const cyclic = [snap(1n, 2n), snap(2n, 1n)];
    expect(ancestorsOf(1n, cyclic)).toHaveLength(2);
  });

  it("answers ancestor questions", () => {
    expect(isAncestorOf(1n, 3n, snapshots)).toBe(true);
    expect(isAncestorOf(3n, 3n, snapshots)).toBe(true);
    expect(isAncestorOf(3n, 4n, snapshots)).toBe(false);
  });
});
