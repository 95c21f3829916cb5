import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { parseJson } from "../../../src/iceberg/spec/json.js";
import {
  appendMetadataLog,
  currentSchema,
  currentSnapshot,
  defaultSortOrder,
  defaultSpec,
  parseTableMetadata,
  schemaById,
  snapshotById,
  snapshotForRef,
  specById,
  stringifyTableMetadata,
  tableMetadataToJson,
} from "../../../src/iceberg/spec/table-metadata.js";
import { V1_METADATA, V2_METADATA, V3_METADATA } from "./fixtures.js";

function mutate(text: string, change: (json: Record<string, unknown>) => void): Record<string, unknown> {
  const json = parseJson(text) as Record<string, unknown>;
  change(json);
  return json;
}

describe("reading v1 metadata", () => {
  const md = parseTableMetadata(V1_METADATA);

  it("normalises the single schema and partition spec into lists", () => {
    expect(md["format-version"]).toBe(1);
    expect(md.schemas).toHaveLength(1);
    expect(md["current-schema-id"]).toBe(0);
    expect(currentSchema(md).fields.map((f) => f.name)).toEqual(["x", "y", "z"]);
    expect(md["partition-specs"]).toEqual([
      { "spec-id": 0, fields: [{ "source-id": 1, "field-id": 1000, name: "x", transform: "identity" }] },
    ]);
    expect(md["default-spec-id"]).toBe(0);
    expect(md["last-partition-id"]).toBe(1000);
  });

  it("defaults v2-only fields", () => {
    expect(md["last-sequence-number"]).toBe(0n);
    expect(md["sort-orders"]).toEqual([{ "order-id": 0, fields: [] }]);
    expect(md["default-sort-order-id"]).toBe(0);
    expect(md["current-snapshot-id"]).toBeNull();
    expect(md.refs).toEqual({});
    expect(md["snapshot-log"]).toEqual([]);
    expect(md.statistics).toEqual([]);
  });

  it("writes v1 back with the legacy fields and without sequence numbers", () => {
    const json = tableMetadataToJson(md);
    expect(json.schema).toEqual(currentSchema(md));
    expect(json["partition-spec"]).toEqual(defaultSpec(md).fields);
    expect(json).not.toHaveProperty("last-sequence-number", expect.anything());
    expect(json["current-snapshot-id"]).toBe(-1);
    const text = stringifyTableMetadata(md);
    expect(text).not.toContain("last-sequence-number");
    expect(parseTableMetadata(text)).toEqual(md);
  });
});

describe("reading v2 metadata", () => {
  const md = parseTableMetadata(V2_METADATA);

  it("keeps 64-bit snapshot ids exact", () => {
    expect(md["current-snapshot-id"]).toBe(3055729675574597004n);
    expect(md.snapshots.map((s) => s["snapshot-id"])).toEqual([3051729675574597004n, 3055729675574597004n]);
    expect(md["snapshot-log"][1]?.["snapshot-id"]).toBe(3055729675574597004n);
    expect(md["last-sequence-number"]).toBe(34n);
  });

  it("creates the main branch from current-snapshot-id when refs are absent", () => {
    expect(md.refs).toEqual({ main: { "snapshot-id": 3055729675574597004n, type: "branch" } });
    expect(snapshotForRef(md, "main")?.["sequence-number"]).toBe(1n);
    expect(snapshotForRef(md, "nope")).toBeUndefined();
  });

  it("exposes lookups", () => {
    expect(currentSchema(md)["identifier-field-ids"]).toEqual([1, 2]);
    expect(schemaById(md, 0)?.fields).toHaveLength(1);
    expect(schemaById(md, 7)).toBeUndefined();
    expect(specById(md, 0)?.fields[0]?.name).toBe("x");
    expect(defaultSortOrder(md)["order-id"]).toBe(3);
    expect(currentSnapshot(md)?.["parent-snapshot-id"]).toBe(3051729675574597004n);
    expect(snapshotById(md, 1n)).toBeUndefined();
  });

  it("passes statistics through, with the snapshot id as bigint", () => {
    expect(md.statistics[0]?.["snapshot-id"]).toBe(3055729675574597004n);
    expect(md.statistics[0]?.["file-footer-size-in-bytes"]).toBe(42);
    expect(md.statistics[0]?.["blob-metadata"]).toEqual([expect.objectContaining({ type: "ndv" })]);
  });

  it("ignores unknown fields", () => {
    expect(md).not.toHaveProperty("some-future-field");
  });

  it("round-trips through its own JSON exactly", () => {
    const text = stringifyTableMetadata(md, 2);
    expect(text).toContain('"current-snapshot-id": 3055729675574597004');
    expect(text).toContain('"snapshot-id": 3051729675574597004');
    expect(text).not.toContain('"schema":');
    expect(text).not.toContain('"partition-spec":');
    expect(parseTableMetadata(text)).toEqual(md);
  });

  it("writes keys in the Java order", () => {
    const keys = Object.keys(tableMetadataToJson(md)).filter((k) => tableMetadataToJson(md)[k] !== undefined);
    expect(keys.slice(0, 6)).toEqual([
      "format-version",
      "table-uuid",
      "location",
      "last-sequence-number",
      "last-updated-ms",
      "last-column-id",
    ]);
  });
});

describe("reading v3 metadata", () => {
  const md = parseTableMetadata(V3_METADATA);

  it("reads null current snapshot, next-row-id and v3 types", () => {
    expect(md["format-version"]).toBe(3);
    expect(md["current-snapshot-id"]).toBeNull();
    expect(md["next-row-id"]).toBe(0n);
    expect(currentSchema(md).fields[1]?.type).toBe("timestamptz_ns");
  });

  it("writes null for no current snapshot and keeps next-row-id", () => {
    const json = tableMetadataToJson({ ...md, "next-row-id": 9007199254740993n });
    expect(json["current-snapshot-id"]).toBeNull();
    expect(json["next-row-id"]).toBe(9007199254740993n);
    expect(stringifyTableMetadata({ ...md, "next-row-id": 9007199254740993n })).toContain(
      '"next-row-id":9007199254740993',
    );
  });
});

describe("validation", () => {
  it("rejects format versions newer than 3 as UNSUPPORTED", () => {
    try {
      parseTableMetadata(mutate(V3_METADATA, (j) => (j["format-version"] = 4)));
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "UNSUPPORTED")).toBe(true);
    }
  });

  it("requires the v2 fields in v2 metadata", () => {
    expect(() => parseTableMetadata(mutate(V2_METADATA, (j) => delete j["last-sequence-number"]))).toThrow(
      /requires last-sequence-number/,
    );
    expect(() => parseTableMetadata(mutate(V2_METADATA, (j) => delete j["table-uuid"]))).toThrow(
      /table-uuid/,
    );
  });

  it.each([
    ["current schema", (j: Record<string, unknown>) => (j["current-schema-id"] = 9), /current schema 9/],
    ["default spec", (j: Record<string, unknown>) => (j["default-spec-id"] = 9), /default spec 9/],
    ["sort order", (j: Record<string, unknown>) => (j["default-sort-order-id"] = 9), /default sort order 9/],
    [
      "current snapshot",
      (j: Record<string, unknown>) => (j["current-snapshot-id"] = 5),
      /current snapshot 5/,
    ],
    [
      "dangling ref",
      (j: Record<string, unknown>) =>
        (j.refs = {
          main: { "snapshot-id": 3055729675574597004n, type: "branch" },
          t: { "snapshot-id": 7, type: "tag" },
        }),
      /ref t points to missing snapshot 7/,
    ],
    [
      "main mismatch",
      (j: Record<string, unknown>) =>
        (j.refs = { main: { "snapshot-id": 3051729675574597004n, type: "branch" } }),
      /differs from the main branch/,
    ],
  ])("rejects a missing %s", (_name, change, message) => {
    expect(() => parseTableMetadata(mutate(V2_METADATA, change))).toThrow(message);
  });

  it("rejects non-objects and malformed JSON", () => {
    expect(() => parseTableMetadata("[]")).toThrow(/not a JSON object/);
    expect(() => parseTableMetadata("{")).toThrow(/invalid JSON/);
    expect(() => parseTableMetadata({ "format-version": 2 })).toThrow(/invalid table metadata/);
  });
});

describe("appendMetadataLog", () => {
  it("appends and trims to the configured maximum", () => {
    const md = parseTableMetadata(V2_METADATA);
    const once = appendMetadataLog(md, "s3://b/v2.json", 2000);
    expect(once["metadata-log"]).toHaveLength(2);
    expect(once["metadata-log"][1]).toEqual({ "timestamp-ms": 2000, "metadata-file": "s3://b/v2.json" });
    const trimmed = appendMetadataLog(once, "s3://b/v3.json", 3000, 2);
    expect(trimmed["metadata-log"].map((e) => e["metadata-file"])).toEqual([
      "s3://b/v2.json",
      "s3://b/v3.json",
    ]);
    const viaProperty = appendMetadataLog(
      { ...once, properties: { "write.metadata.previous-versions-max": "1" } },
      "s3://b/v3.json",
      3000,
    );
    expect(viaProperty["metadata-log"]).toHaveLength(1);
    expect(md["metadata-log"]).toHaveLength(1);
  });
});
