import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { parseJson, stringifyJson } from "../../../src/iceberg/spec/json.js";
import { parseTableMetadata } from "../../../src/iceberg/spec/table-metadata.js";
import {
  checkRequirements,
  parseTableRequirements,
  parseTableUpdates,
  type TableRequirement,
  TableUpdateSchema,
} from "../../../src/iceberg/spec/updates.js";
import { V2_METADATA } from "./fixtures.js";

const COMMIT_BODY = `{
  "requirements": [
    {"type": "assert-table-uuid", "uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1"},
    {"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": 3055729675574597004}
  ],
  "updates": [
    {"action": "assign-uuid", "uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1"},
    {"action": "upgrade-format-version", "format-version": 2},
    {"action": "add-schema", "schema": {"type": "struct", "schema-id": 5, "fields": [
      {"id": 1, "name": "x", "required": true, "type": "long"}]}, "last-column-id": 3},
    {"action": "set-current-schema", "schema-id": -1},
    {"action": "add-spec", "spec": {"fields": [{"source-id": 1, "field-id": 1001, "name": "x_b", "transform": "bucket[4]"}]}},
    {"action": "set-default-spec", "spec-id": -1},
    {"action": "add-sort-order", "sort-order": {"order-id": 1, "fields": []}},
    {"action": "set-default-sort-order", "sort-order-id": -1},
    {"action": "add-snapshot", "snapshot": {
      "snapshot-id": 9223372036854775807, "parent-snapshot-id": 3055729675574597004, "sequence-number": 35,
      "timestamp-ms": 1700000000000, "summary": {"operation": "append"}, "manifest-list": "s3://x/snap.avro"}},
    {"action": "set-snapshot-ref", "ref-name": "main", "snapshot-id": 9223372036854775807, "type": "branch"},
    {"action": "remove-snapshots", "snapshot-ids": [3051729675574597004]},
    {"action": "remove-snapshot-ref", "ref-name": "old"},
    {"action": "set-location", "location": "s3://new/location"},
    {"action": "set-properties", "updates": {"a": "1"}},
    {"action": "remove-properties", "removals": ["b"]},
    {"action": "set-statistics", "snapshot-id": 3055729675574597004, "statistics": {
      "snapshot-id": 3055729675574597004, "statistics-path": "s3://x/s.puffin", "file-size-in-bytes": 1,
      "file-footer-size-in-bytes": 1, "blob-metadata": []}},
    {"action": "remove-statistics", "snapshot-id": 3055729675574597004}
  ]
}`;

describe("parsing commit bodies", () => {
  const body = parseJson(COMMIT_BODY) as { requirements: unknown; updates: unknown };

  it("parses every update action with exact ids", () => {
    const updates = parseTableUpdates(body.updates);
    expect(updates.map((u) => u.action)).toEqual([
      "assign-uuid",
      "upgrade-format-version",
      "add-schema",
      "set-current-schema",
      "add-spec",
      "set-default-spec",
      "add-sort-order",
      "set-default-sort-order",
      "add-snapshot",
      "set-snapshot-ref",
      "remove-snapshots",
      "remove-snapshot-ref",
      "set-location",
      "set-properties",
      "remove-properties",
      "set-statistics",
      "remove-statistics",
    ]);
    const add = updates[8];
    expect(add?.action === "add-snapshot" && add.snapshot["snapshot-id"]).toBe(9223372036854775807n);
    const rm = updates[10];
    expect(rm?.action === "remove-snapshots" && rm["snapshot-ids"]).toEqual([3051729675574597004n]);
  });

  it("parses requirements with exact ids", () => {
    const reqs = parseTableRequirements(body.requirements);
    expect(reqs[1]).toEqual({
      type: "assert-ref-snapshot-id",
      ref: "main",
      "snapshot-id": 3055729675574597004n,
    });
  });

  it("reads a missing or null ref snapshot id as null", () => {
    expect(parseTableRequirements([{ type: "assert-ref-snapshot-id", ref: "main" }])[0]).toEqual({
      type: "assert-ref-snapshot-id",
      ref: "main",
      "snapshot-id": null,
    });
  });

  it("round-trips through stringifyJson", () => {
    const updates = parseTableUpdates(body.updates);
    expect(parseTableUpdates(parseJson(stringifyJson(updates)))).toEqual(updates);
  });

  it("rejects unknown actions and malformed updates", () => {
    expect(TableUpdateSchema.safeParse({ action: "rename-table" }).success).toBe(false);
    expect(() => parseTableUpdates([{ action: "set-location" }])).toThrow(/invalid table updates/);
    expect(() => parseTableRequirements([{ type: "assert-nothing" }])).toThrow(/invalid table requirements/);
  });
});

describe("checkRequirements", () => {
  const md = parseTableMetadata(V2_METADATA);

  const passing: TableRequirement[] = [
    { type: "assert-table-uuid", uuid: "9C12D441-03FE-4693-9A96-A0705DDF69C1" },
    { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": 3055729675574597004n },
    { type: "assert-ref-snapshot-id", ref: "feature", "snapshot-id": null },
    { type: "assert-last-assigned-field-id", "last-assigned-field-id": 3 },
    { type: "assert-current-schema-id", "current-schema-id": 1 },
    { type: "assert-last-assigned-partition-id", "last-assigned-partition-id": 1000 },
    { type: "assert-default-spec-id", "default-spec-id": 0 },
    { type: "assert-default-sort-order-id", "default-sort-order-id": 3 },
  ];

  it("passes when everything holds", () => {
    expect(() => checkRequirements(md, passing)).not.toThrow();
    expect(() => checkRequirements(undefined, [{ type: "assert-create" }])).not.toThrow();
  });

  it.each(
    (
      [
        [{ type: "assert-create" }, /assert-create failed: the table already exists/],
        [
          { type: "assert-table-uuid", uuid: "00000000-0000-0000-0000-000000000000" },
          /assert-table-uuid failed/,
        ],
        [
          { type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": 3051729675574597004n },
          /points to snapshot 3055729675574597004, expected 3051729675574597004/,
        ],
        [{ type: "assert-ref-snapshot-id", ref: "main", "snapshot-id": null }, /ref main was created/],
        [{ type: "assert-ref-snapshot-id", ref: "dev", "snapshot-id": 1n }, /ref dev is missing/],
        [
          { type: "assert-last-assigned-field-id", "last-assigned-field-id": 2 },
          /assert-last-assigned-field-id failed/,
        ],
        [{ type: "assert-current-schema-id", "current-schema-id": 0 }, /assert-current-schema-id failed/],
        [
          { type: "assert-last-assigned-partition-id", "last-assigned-partition-id": 999 },
          /assert-last-assigned-partition-id failed/,
        ],
        [{ type: "assert-default-spec-id", "default-spec-id": 1 }, /assert-default-spec-id failed/],
        [
          { type: "assert-default-sort-order-id", "default-sort-order-id": 0 },
          /assert-default-sort-order-id failed/,
        ],
      ] as [TableRequirement, RegExp][]
    ).map(([req, message]) => [req.type, req, message] as const),
  )("fails %s with COMMIT_CONFLICT", (_name, req, message) => {
    try {
      checkRequirements(md, [...passing, req]);
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "COMMIT_CONFLICT")).toBe(true);
      expect((e as Error).message).toMatch(message);
      expect((e as { retryable: boolean }).retryable).toBe(true);
      expect((e as { context: { requirement: string } }).context.requirement).toBe(req.type);
    }
  });

  it("fails non-create requirements when the table does not exist", () => {
    expect(() =>
      checkRequirements(undefined, [{ type: "assert-current-schema-id", "current-schema-id": 0 }]),
    ).toThrow(/does not exist/);
  });
});
