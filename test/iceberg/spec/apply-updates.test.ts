import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import { applyUpdates } from "../../../src/iceberg/spec/apply-updates.js";
import { createTableUpdates, newTableMetadata } from "../../../src/iceberg/spec/new-table.js";
import { makeSchema } from "../../../src/iceberg/spec/schema.js";
import type { Snapshot } from "../../../src/iceberg/spec/snapshot.js";
import {
  parseTableMetadata,
  type StatisticsFile,
  stringifyTableMetadata,
  type TableMetadata,
} from "../../../src/iceberg/spec/table-metadata.js";
import type { TableUpdate } from "../../../src/iceberg/spec/updates.js";

const NOW = 1_700_000_100_000;
const base = newTableMetadata({
  location: "s3://b/t",
  uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d10",
  schema: makeSchema([
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "data", required: false, type: "string" },
  ]),
  nowMs: 1_700_000_000_000,
});

function snapshot(id: bigint, seq: bigint, parent?: bigint, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    "snapshot-id": id,
    ...(parent === undefined ? {} : { "parent-snapshot-id": parent }),
    "sequence-number": seq,
    "timestamp-ms": 1_700_000_000_000 + Number(seq),
    summary: { operation: "append" },
    "manifest-list": `s3://b/t/metadata/snap-${id}.avro`,
    ...extra,
  };
}

const BIG = 9007199254740993n;

function append(md: TableMetadata, s: Snapshot, ref = "main"): TableMetadata {
  return applyUpdates(
    md,
    [
      { action: "add-snapshot", snapshot: s },
      { action: "set-snapshot-ref", "ref-name": ref, "snapshot-id": s["snapshot-id"], type: "branch" },
    ],
    { nowMs: NOW },
  );
}

function expectError(
  fn: () => unknown,
  code: "INVALID_ARGUMENT" | "COMMIT_CONFLICT" | "UNSUPPORTED",
  re: RegExp,
) {
  try {
    fn();
    expect.unreachable();
  } catch (e) {
    expect(isFloeError(e, code)).toBe(true);
    expect((e as Error).message).toMatch(re);
  }
}

describe("snapshots and refs", () => {
  const one = append(base, snapshot(BIG, 1n));

  it("add-snapshot + main ref moves the table forward", () => {
    expect(one["current-snapshot-id"]).toBe(BIG);
    expect(one["last-sequence-number"]).toBe(1n);
    expect(one.refs.main).toEqual({ "snapshot-id": BIG, type: "branch" });
    expect(one["snapshot-log"]).toEqual([{ "timestamp-ms": 1_700_000_000_001, "snapshot-id": BIG }]);
    expect(one["last-updated-ms"]).toBe(1_700_000_000_001);
  });

  it("does not modify its input", () => {
    const copy = structuredClone(base);
    append(base, snapshot(1n, 1n));
    expect(base).toEqual(copy);
  });

  it("a second append chains sequence numbers and the log", () => {
    const two = append(one, snapshot(2n, 2n, BIG));
    expect(two["current-snapshot-id"]).toBe(2n);
    expect(two["last-sequence-number"]).toBe(2n);
    expect(two["snapshot-log"].map((e) => e["snapshot-id"])).toEqual([BIG, 2n]);
  });

  it("rejects a stale sequence number as a commit conflict", () => {
    expectError(() => append(one, snapshot(3n, 1n, BIG)), "COMMIT_CONFLICT", /sequence number 1/);
  });

  it("a branch commit does not touch the current snapshot or the log", () => {
    const branched = append(one, snapshot(3n, 2n, BIG), "audit");
    expect(branched["current-snapshot-id"]).toBe(BIG);
    expect(branched["snapshot-log"]).toHaveLength(1);
    expect(branched.refs.audit?.["snapshot-id"]).toBe(3n);
  });

  it("moving main to an existing snapshot logs it at nowMs", () => {
    const branched = append(one, snapshot(3n, 2n, BIG), "audit");
    const fastForward = applyUpdates(
      branched,
      [{ action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": 3n, type: "branch" }],
      { nowMs: NOW },
    );
    expect(fastForward["current-snapshot-id"]).toBe(3n);
    expect(fastForward["snapshot-log"][1]).toEqual({ "timestamp-ms": NOW, "snapshot-id": 3n });
    expect(fastForward["last-updated-ms"]).toBe(NOW);
  });

  it("setting a ref to its current value changes nothing but the timestamp", () => {
    const same = applyUpdates(
      one,
      [{ action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": BIG, type: "branch" }],
      {
        nowMs: NOW,
      },
    );
    expect(same["snapshot-log"]).toEqual(one["snapshot-log"]);
  });

  it("keeps retention settings on refs", () => {
    const tagged = applyUpdates(
      one,
      [
        {
          action: "set-snapshot-ref",
          "ref-name": "v1",
          "snapshot-id": BIG,
          type: "tag",
          "max-ref-age-ms": 1000,
        },
      ],
      { nowMs: NOW },
    );
    expect(tagged.refs.v1).toEqual({ "snapshot-id": BIG, type: "tag", "max-ref-age-ms": 1000 });
  });

  it.each([
    [[{ action: "add-snapshot", snapshot: snapshot(BIG, 5n) }], /snapshot 9007199254740993 already exists/],
    [
      [{ action: "set-snapshot-ref", "ref-name": "x", "snapshot-id": 42n, type: "tag" }],
      /snapshot 42 does not exist/,
    ],
    [
      [{ action: "set-snapshot-ref", "ref-name": "main", "snapshot-id": BIG, type: "tag" }],
      /main must be a branch/,
    ],
  ] as [TableUpdate[], RegExp][])("rejects invalid snapshot updates (%#)", (updates, re) => {
    expectError(() => applyUpdates(one, updates, { nowMs: NOW }), "INVALID_ARGUMENT", re);
  });

  it("remove-snapshots drops refs, statistics and the log before the gap", () => {
    const stats: StatisticsFile = { "snapshot-id": BIG, "statistics-path": "s3://b/s.puffin" };
    let md = applyUpdates(one, [{ action: "set-statistics", statistics: stats }], { nowMs: NOW });
    md = append(md, snapshot(2n, 2n, BIG));
    md = applyUpdates(
      md,
      [{ action: "set-snapshot-ref", "ref-name": "old", "snapshot-id": BIG, type: "tag" }],
      { nowMs: NOW },
    );
    const pruned = applyUpdates(md, [{ action: "remove-snapshots", "snapshot-ids": [BIG] }], { nowMs: NOW });
    expect(pruned.snapshots.map((s) => s["snapshot-id"])).toEqual([2n]);
    expect(Object.keys(pruned.refs)).toEqual(["main"]);
    expect(pruned.statistics).toEqual([]);
    expect(pruned["snapshot-log"].map((e) => e["snapshot-id"])).toEqual([2n]);
    const empty = applyUpdates(pruned, [{ action: "remove-snapshots", "snapshot-ids": [2n] }], {
      nowMs: NOW,
    });
    expect(empty["current-snapshot-id"]).toBeNull();
    expect(empty.refs).toEqual({});
  });

  it("remove-snapshot-ref on main clears the current snapshot", () => {
    const md = applyUpdates(one, [{ action: "remove-snapshot-ref", "ref-name": "main" }], { nowMs: NOW });
    expect(md["current-snapshot-id"]).toBeNull();
    expect(md.refs).toEqual({});
    expect(
      applyUpdates(one, [{ action: "remove-snapshot-ref", "ref-name": "nope" }], { nowMs: NOW }).refs,
    ).toEqual(one.refs);
  });
});

describe("schemas, specs and sort orders", () => {
  const wider = makeSchema([
    { id: 1, name: "id", required: true, type: "long" },
    { id: 2, name: "data", required: false, type: "string" },
    { id: 3, name: "ts", required: false, type: "timestamptz" },
  ]);

  it("add-schema takes the next id and set-current-schema -1 selects it", () => {
    const md = applyUpdates(
      base,
      [
        { action: "add-schema", schema: { ...wider, "schema-id": 42 } },
        { action: "set-current-schema", "schema-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(md.schemas.map((s) => s["schema-id"])).toEqual([0, 1]);
    expect(md["current-schema-id"]).toBe(1);
    expect(md["last-column-id"]).toBe(3);
    expect(md["last-updated-ms"]).toBe(NOW);
  });

  it("re-adding an existing schema reuses its id", () => {
    const md = applyUpdates(
      base,
      [
        {
          action: "add-schema",
          schema: { ...(base.schemas[0] as ReturnType<typeof makeSchema>), "schema-id": 9 },
        },
        { action: "set-current-schema", "schema-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(md.schemas).toHaveLength(1);
    expect(md["current-schema-id"]).toBe(0);
  });

  it.each([
    [[{ action: "set-current-schema", "schema-id": -1 }], /no schema was added/],
    [[{ action: "set-current-schema", "schema-id": 5 }], /unknown schema 5/],
    [[{ action: "add-schema", schema: wider, "last-column-id": 1 }], /last-column-id 1 is below/],
    [
      [
        {
          action: "add-schema",
          schema: makeSchema([
            { id: 1, name: "a", required: true, type: "long" },
            { id: 1, name: "b", required: true, type: "long" },
          ]),
        },
      ],
      /duplicate field id/,
    ],
    [[{ action: "set-default-spec", "spec-id": -1 }], /no partition spec was added/],
    [[{ action: "set-default-sort-order", "sort-order-id": 7 }], /unknown sort order 7/],
    [
      [
        {
          action: "add-spec",
          spec: {
            "spec-id": 0,
            fields: [{ "source-id": 9, "field-id": 1000, name: "x", transform: "identity" }],
          },
        },
      ],
      /source field 9 is not in any schema/,
    ],
    [
      [
        {
          action: "add-spec",
          spec: { "spec-id": 0, fields: [{ "source-id": 2, "field-id": 1000, name: "x", transform: "day" }] },
        },
      ],
      /transform day cannot apply to data/,
    ],
  ] as [TableUpdate[], RegExp][])("rejects invalid schema/spec/order updates (%#)", (updates, re) => {
    expectError(() => applyUpdates(base, updates, { nowMs: NOW }), "INVALID_ARGUMENT", re);
  });

  it("add-spec assigns a new spec id and raises last-partition-id", () => {
    const spec = {
      "spec-id": 0,
      fields: [{ "source-id": 1, "field-id": 1000, name: "id_bucket", transform: "bucket[4]" }],
    };
    const md = applyUpdates(
      base,
      [
        { action: "add-spec", spec },
        { action: "set-default-spec", "spec-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(md["partition-specs"].map((s) => s["spec-id"])).toEqual([0, 1]);
    expect(md["default-spec-id"]).toBe(1);
    expect(md["last-partition-id"]).toBe(1000);
    const again = applyUpdates(
      md,
      [
        { action: "add-spec", spec },
        { action: "set-default-spec", "spec-id": -1 },
      ],
      {
        nowMs: NOW,
      },
    );
    expect(again["partition-specs"]).toHaveLength(2);
    const unpartitioned = applyUpdates(
      md,
      [
        { action: "add-spec", spec: { "spec-id": 0, fields: [] } },
        { action: "set-default-spec", "spec-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(unpartitioned["default-spec-id"]).toBe(0);
  });

  it("add-sort-order numbers orders from 1 and keeps 0 for unsorted", () => {
    const order = {
      "order-id": 0,
      fields: [
        {
          transform: "identity",
          "source-id": 1,
          direction: "asc" as const,
          "null-order": "nulls-first" as const,
        },
      ],
    };
    const md = applyUpdates(
      base,
      [
        { action: "add-sort-order", "sort-order": order },
        { action: "set-default-sort-order", "sort-order-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(md["sort-orders"].map((o) => o["order-id"])).toEqual([0, 1]);
    expect(md["default-sort-order-id"]).toBe(1);
    const back = applyUpdates(
      md,
      [
        { action: "add-sort-order", "sort-order": { "order-id": 5, fields: [] } },
        { action: "set-default-sort-order", "sort-order-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(back["default-sort-order-id"]).toBe(0);
    expect(back["sort-orders"]).toHaveLength(2);
  });
});

describe("table-level updates", () => {
  it("assign-uuid accepts the same uuid and rejects another", () => {
    expect(
      applyUpdates(base, [{ action: "assign-uuid", uuid: base["table-uuid"] as string }], { nowMs: NOW })[
        "table-uuid"
      ],
    ).toBe(base["table-uuid"]);
    expectError(
      () =>
        applyUpdates(base, [{ action: "assign-uuid", uuid: "00000000-0000-0000-0000-000000000000" }], {
          nowMs: NOW,
        }),
      "INVALID_ARGUMENT",
      /already has uuid/,
    );
  });

  it("upgrade-format-version upgrades, refuses downgrades and unknown versions", () => {
    const v3 = applyUpdates(base, [{ action: "upgrade-format-version", "format-version": 3 }], {
      nowMs: NOW,
    });
    expect(v3["format-version"]).toBe(3);
    expect(v3["next-row-id"]).toBe(0n);
    expectError(
      () => applyUpdates(v3, [{ action: "upgrade-format-version", "format-version": 2 }], { nowMs: NOW }),
      "INVALID_ARGUMENT",
      /cannot downgrade/,
    );
    expectError(
      () => applyUpdates(base, [{ action: "upgrade-format-version", "format-version": 4 }], { nowMs: NOW }),
      "UNSUPPORTED",
      /format version 4/,
    );
  });

  it("v3 snapshots advance next-row-id and must not reuse row ids", () => {
    const v3 = applyUpdates(base, [{ action: "upgrade-format-version", "format-version": 3 }], {
      nowMs: NOW,
    });
    const one = append(v3, snapshot(1n, 1n, undefined, { "first-row-id": 0n, "added-rows": 100n }));
    expect(one["next-row-id"]).toBe(100n);
    expectError(
      () => append(one, snapshot(2n, 2n, 1n, { "first-row-id": 50n, "added-rows": 1n })),
      "COMMIT_CONFLICT",
      /first-row-id 50 is behind next-row-id 100/,
    );
    expectError(() => append(one, snapshot(2n, 2n, 1n)), "INVALID_ARGUMENT", /first-row-id and added-rows/);
  });

  it("location, properties and statistics", () => {
    const stats: StatisticsFile = { "snapshot-id": 1n, "statistics-path": "s3://b/1.puffin", extra: 1 };
    const md = applyUpdates(
      { ...append(base, snapshot(1n, 1n)), properties: { keep: "1", drop: "2" } },
      [
        { action: "set-location", location: "s3://elsewhere/t" },
        { action: "set-properties", updates: { added: "3", keep: "4" } },
        { action: "remove-properties", removals: ["drop", "missing"] },
        { action: "set-statistics", statistics: stats },
        {
          action: "set-statistics",
          "snapshot-id": 1n,
          statistics: { ...stats, "statistics-path": "s3://b/2.puffin" },
        },
      ],
      { nowMs: NOW },
    );
    expect(md.location).toBe("s3://elsewhere/t");
    expect(md.properties).toEqual({ keep: "4", added: "3" });
    expect(md.statistics).toEqual([{ ...stats, "statistics-path": "s3://b/2.puffin" }]);
    const removed = applyUpdates(md, [{ action: "remove-statistics", "snapshot-id": 1n }], { nowMs: NOW });
    expect(removed.statistics).toEqual([]);
    expectError(
      () =>
        applyUpdates(md, [{ action: "set-statistics", "snapshot-id": 2n, statistics: stats }], {
          nowMs: NOW,
        }),
      "INVALID_ARGUMENT",
      /does not match/,
    );
  });

  it("returns the same metadata for no updates", () => {
    expect(applyUpdates(base, [], { nowMs: NOW })).toBe(base);
  });

  it("produces metadata that survives a write/read round trip", () => {
    const md = append(base, snapshot(BIG, 1n));
    expect(parseTableMetadata(stringifyTableMetadata(md))).toEqual(md);
  });
});

describe("create commits", () => {
  it("rebuilds new-table metadata from its create updates", () => {
    const md = newTableMetadata({
      location: "s3://b/t2",
      uuid: "0f8e8f4a-3c2b-4d6e-9f1a-2b3c4d5e6f70",
      schema: makeSchema([{ id: 1, name: "ts", required: false, type: "timestamp" }]),
      spec: {
        "spec-id": 0,
        fields: [{ "source-id": 1, "field-id": 1000, name: "ts_hour", transform: "hour" }],
      },
      properties: { a: "b" },
      formatVersion: 1,
      nowMs: NOW,
    });
    const created = applyUpdates(undefined, createTableUpdates(md), { nowMs: NOW });
    expect(created).toEqual(md);
  });

  it("fills defaults and requires uuid, location and schema", () => {
    const created = applyUpdates(
      undefined,
      [
        { action: "assign-uuid", uuid: "0f8e8f4a-3c2b-4d6e-9f1a-2b3c4d5e6f70" },
        { action: "set-location", location: "s3://b/t3" },
        { action: "add-schema", schema: makeSchema([{ id: 1, name: "a", required: false, type: "int" }]) },
        { action: "set-current-schema", "schema-id": -1 },
      ],
      { nowMs: NOW },
    );
    expect(created["format-version"]).toBe(2);
    expect(created["partition-specs"]).toEqual([{ "spec-id": 0, fields: [] }]);
    expect(created["sort-orders"]).toEqual([{ "order-id": 0, fields: [] }]);
    expectError(
      () => applyUpdates(undefined, [{ action: "set-location", location: "s3://b/t3" }], { nowMs: NOW }),
      "INVALID_ARGUMENT",
      /needs assign-uuid, add-schema\/set-current-schema/,
    );
  });
});
