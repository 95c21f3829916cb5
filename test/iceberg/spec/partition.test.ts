import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  buildPartitionSpec,
  computePartition,
  defaultPartitionName,
  highestPartitionFieldId,
  isUnpartitioned,
  makePartitioner,
  PartitionFieldsSchema,
  parsePartitionSpec,
  partitionPath,
  partitionType,
  specsEquivalent,
  unpartitionedSpec,
} from "../../../src/iceberg/spec/partition.js";
import { makeSchema } from "../../../src/iceberg/spec/schema.js";
import { transformFromString } from "../../../src/iceberg/spec/transforms.js";
import { parseTimestamp } from "../../../src/iceberg/spec/values.js";

const schema = makeSchema([
  { id: 1, name: "id", required: true, type: "long" },
  { id: 2, name: "ts", required: false, type: "timestamptz" },
  { id: 3, name: "region", required: false, type: "string" },
  { id: 4, name: "score", required: false, type: "double" },
  {
    id: 5,
    name: "meta",
    required: false,
    type: { type: "struct", fields: [{ id: 6, name: "source", required: false, type: "string" }] },
  },
  {
    id: 7,
    name: "tags",
    required: false,
    type: { type: "list", "element-id": 8, "element-required": false, element: "string" },
  },
]);

describe("parsePartitionSpec", () => {
  it("parses v2 specs", () => {
    const spec = parsePartitionSpec({
      "spec-id": 1,
      fields: [{ "source-id": 2, "field-id": 1000, name: "ts_day", transform: "day" }],
    });
    expect(spec).toEqual({
      "spec-id": 1,
      fields: [{ "source-id": 2, "field-id": 1000, name: "ts_day", transform: "day" }],
    });
  });

  it("assigns 1000, 1001, ... to v1 fields without ids", () => {
    const fields = PartitionFieldsSchema.parse([
      { "source-id": 2, name: "ts_day", transform: "day" },
      { "source-id": 1, name: "id_bucket", transform: "bucket[16]" },
    ]);
    expect(fields.map((f) => f["field-id"])).toEqual([1000, 1001]);
  });

  it("reads v3 source-ids", () => {
    const spec = parsePartitionSpec({
      "spec-id": 0,
      fields: [{ "source-ids": [3], "field-id": 1000, name: "r", transform: "identity" }],
    });
    expect(spec.fields[0]?.["source-id"]).toBe(3);
    expect(spec.fields[0]).not.toHaveProperty("source-ids");
  });

  it("rejects fields without a source", () => {
    expect(() =>
      parsePartitionSpec({ "spec-id": 0, fields: [{ name: "x", transform: "identity" }] }),
    ).toThrow(/no source-id/);
  });
});

describe("buildPartitionSpec", () => {
  it("assigns field ids from 1000 and default names", () => {
    const spec = buildPartitionSpec(schema, [
      { source: "ts", transform: "day" },
      { source: 1, transform: "bucket[16]" },
      { source: "region", transform: "identity" },
      { source: "meta.source", transform: "truncate[4]", name: "src" },
    ]);
    expect(spec).toEqual({
      "spec-id": 0,
      fields: [
        { "source-id": 2, "field-id": 1000, name: "ts_day", transform: "day" },
        { "source-id": 1, "field-id": 1001, name: "id_bucket", transform: "bucket[16]" },
        { "source-id": 3, "field-id": 1002, name: "region", transform: "identity" },
        { "source-id": 6, "field-id": 1003, name: "src", transform: "truncate[4]" },
      ],
    });
    expect(highestPartitionFieldId(spec)).toBe(1003);
  });

  it("continues after lastPartitionId and keeps given field ids", () => {
    const spec = buildPartitionSpec(
      schema,
      [
        { source: "ts", transform: "day", fieldId: 1000 },
        { source: "region", transform: "identity" },
      ],
      { specId: 2, lastPartitionId: 1004 },
    );
    expect(spec["spec-id"]).toBe(2);
    expect(spec.fields.map((f) => f["field-id"])).toEqual([1000, 1005]);
  });

  it.each([
    [[{ source: "nope", transform: "identity" }], /not in the schema/],
    [[{ source: "score", transform: "bucket[4]" }], /cannot partition by bucket\[4\]\(score\)/],
    [[{ source: "tags.element", transform: "identity" }], /inside a list or map/],
    [[{ source: "meta", transform: "identity" }], /cannot partition by identity\(meta\)/],
    [
      [
        { source: "ts", transform: "day" },
        { source: "ts", transform: "hour", name: "ts_day" },
      ],
      /duplicate partition field name/,
    ],
    [[{ source: "ts", transform: "day", name: "region" }], /conflicts with a schema column/],
    [[{ source: "ts", transform: "day", name: "" }], /cannot be empty/],
    [
      [
        { source: "ts", transform: "day" },
        { source: "ts", transform: "day", name: "other" },
      ],
      /already partitioned by day/,
    ],
  ])("rejects %j", (inputs, message) => {
    expect(() => buildPartitionSpec(schema, inputs)).toThrow(message);
  });

  it("rejects unknown transforms as UNSUPPORTED", () => {
    try {
      buildPartitionSpec(schema, [{ source: "id", transform: "zorder" }]);
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "UNSUPPORTED")).toBe(true);
    }
  });

  it("names fields like Java", () => {
    expect(defaultPartitionName("ts", transformFromString("year"))).toBe("ts_year");
    expect(defaultPartitionName("ts", transformFromString("hour"))).toBe("ts_hour");
    expect(defaultPartitionName("name", transformFromString("truncate[3]"))).toBe("name_trunc");
    expect(defaultPartitionName("x", transformFromString("void"))).toBe("x_null");
  });
});

describe("partition type, values and paths", () => {
  const spec = buildPartitionSpec(schema, [
    { source: "ts", transform: "day" },
    { source: "id", transform: "bucket[16]" },
    { source: "region", transform: "identity" },
  ]);

  it("derives the partition struct from result types", () => {
    expect(partitionType(spec, schema)).toEqual({
      type: "struct",
      fields: [
        { id: 1000, name: "ts_day", required: false, type: "date" },
        { id: 1001, name: "id_bucket", required: false, type: "int" },
        { id: 1002, name: "region", required: false, type: "string" },
      ],
    });
    expect(partitionType(unpartitionedSpec(), schema)).toEqual({ type: "struct", fields: [] });
  });

  it("prepares a reusable partitioner", () => {
    const partitioner = makePartitioner(spec, schema);
    expect(partitioner((id) => (id === 1 ? 34n : null))).toEqual([null, 3, null]);
    expect(partitioner((id) => (id === 3 ? "x" : undefined))).toEqual([null, null, "x"]);
    const bad = {
      "spec-id": 0,
      fields: [{ "source-id": 5, "field-id": 1000, name: "m", transform: "identity" }],
    };
    expect(() => makePartitioner(bad, schema)).toThrow(/not a primitive/);
    const wrong = {
      "spec-id": 0,
      fields: [{ "source-id": 3, "field-id": 1000, name: "r", transform: "day" }],
    };
    expect(() => makePartitioner(wrong, schema)).toThrow(/cannot apply transform day/);
  });

  it("fails when a source column is missing", () => {
    const other = makeSchema([{ id: 1, name: "id", required: true, type: "long" }]);
    expect(() => partitionType(spec, other)).toThrow(/source field 2 is not in the schema/);
  });

  it("computes a row's partition tuple and its path", () => {
    const row = new Map<number, bigint | string | null>([
      [1, 34n],
      [2, parseTimestamp("2024-01-31T10:00:00Z")],
      [3, "eu west"],
    ]);
    const values = computePartition(spec, schema, (id) => row.get(id));
    expect(values).toEqual([19753, 3, "eu west"]);
    expect(partitionPath(spec, schema, values)).toBe("ts_day=2024-01-31/id_bucket=3/region=eu+west");
    expect(partitionPath(spec, schema, [null, null, null])).toBe("ts_day=null/id_bucket=null/region=null");
    expect(partitionPath(unpartitionedSpec(), schema, [])).toBe("");
    expect(() => partitionPath(spec, schema, [1])).toThrow(/has 1 values/);
  });
});

describe("spec helpers", () => {
  it("recognises unpartitioned specs", () => {
    expect(isUnpartitioned(unpartitionedSpec())).toBe(true);
    expect(isUnpartitioned(buildPartitionSpec(schema, [{ source: "id", transform: "void" }]))).toBe(true);
    expect(isUnpartitioned(buildPartitionSpec(schema, [{ source: "id", transform: "identity" }]))).toBe(
      false,
    );
    expect(highestPartitionFieldId(unpartitionedSpec())).toBe(999);
  });

  it("compares specs ignoring ids", () => {
    const a = buildPartitionSpec(schema, [{ source: "ts", transform: "day" }]);
    const b = buildPartitionSpec(schema, [{ source: "ts", transform: "DAY" }], {
      specId: 3,
      lastPartitionId: 1010,
    });
    expect(specsEquivalent(a, b)).toBe(true);
    const c = buildPartitionSpec(schema, [{ source: "ts", transform: "hour", name: "ts_day" }]);
    expect(specsEquivalent(a, c)).toBe(false);
    expect(specsEquivalent(a, unpartitionedSpec())).toBe(false);
  });
});
