import { describe, expect, it } from "vitest";
import { createTableUpdates, newTableMetadata } from "../../../src/iceberg/spec/new-table.js";
import { makeSchema } from "../../../src/iceberg/spec/schema.js";
import { parseTableMetadata, stringifyTableMetadata } from "../../../src/iceberg/spec/table-metadata.js";

const inputSchema = makeSchema(
  [
    { id: 10, name: "id", required: true, type: "long" },
    {
      id: 20,
      name: "attrs",
      required: false,
      type: {
        type: "map",
        "key-id": 21,
        key: "string",
        "value-id": 22,
        "value-required": false,
        value: "string",
      },
    },
    { id: 30, name: "ts", required: false, type: "timestamptz" },
  ],
  7,
  [10],
);

const options = {
  location: "s3://bucket/wh/db/events/",
  uuid: "5b1b5bd1-6a8b-4f5f-9a54-2b1c0e3a7d10",
  schema: inputSchema,
  spec: {
    "spec-id": 4,
    fields: [
      { "source-id": 30, "field-id": 1500, name: "ts_day", transform: "day" },
      { "source-id": 10, "field-id": 1501, name: "id_bucket", transform: "bucket[8]" },
    ],
  },
  sortOrder: {
    "order-id": 9,
    fields: [
      {
        transform: "identity",
        "source-id": 30,
        direction: "desc" as const,
        "null-order": "nulls-last" as const,
      },
    ],
  },
  properties: { "write.format.default": "parquet" },
  nowMs: 1700000000000,
};

describe("newTableMetadata", () => {
  const md = newTableMetadata(options);

  it("assigns fresh field ids from 1 and remaps identifier fields", () => {
    const schema = md.schemas[0];
    expect(schema?.["schema-id"]).toBe(0);
    expect(schema?.fields.map((f) => f.id)).toEqual([1, 2, 3]);
    expect(schema?.fields[1]?.type).toEqual({
      type: "map",
      "key-id": 4,
      key: "string",
      "value-id": 5,
      "value-required": false,
      value: "string",
    });
    expect(schema?.["identifier-field-ids"]).toEqual([1]);
    expect(md["last-column-id"]).toBe(5);
    expect(md["current-schema-id"]).toBe(0);
  });

  it("rebinds the spec and assigns partition field ids from 1000", () => {
    expect(md["partition-specs"]).toEqual([
      {
        "spec-id": 0,
        fields: [
          { "source-id": 3, "field-id": 1000, name: "ts_day", transform: "day" },
          { "source-id": 1, "field-id": 1001, name: "id_bucket", transform: "bucket[8]" },
        ],
      },
    ]);
    expect(md["last-partition-id"]).toBe(1001);
  });

  it("rebinds the sort order as order 1", () => {
    expect(md["sort-orders"]).toEqual([
      {
        "order-id": 1,
        fields: [{ transform: "identity", "source-id": 3, direction: "desc", "null-order": "nulls-last" }],
      },
    ]);
    expect(md["default-sort-order-id"]).toBe(1);
  });

  it("fills the rest of a fresh v2 table", () => {
    expect(md["format-version"]).toBe(2);
    expect(md["table-uuid"]).toBe(options.uuid);
    expect(md.location).toBe("s3://bucket/wh/db/events");
    expect(md["last-sequence-number"]).toBe(0n);
    expect(md["last-updated-ms"]).toBe(1700000000000);
    expect(md["current-snapshot-id"]).toBeNull();
    expect(md.properties).toEqual({ "write.format.default": "parquet" });
    expect(md).not.toHaveProperty("next-row-id");
    expect(parseTableMetadata(stringifyTableMetadata(md))).toEqual(md);
  });

  it("defaults to unpartitioned and unsorted, and supports v3", () => {
    const plain = newTableMetadata({ ...options, spec: undefined, sortOrder: undefined, formatVersion: 3 });
    expect(plain["partition-specs"]).toEqual([{ "spec-id": 0, fields: [] }]);
    expect(plain["last-partition-id"]).toBe(999);
    expect(plain["sort-orders"]).toEqual([{ "order-id": 0, fields: [] }]);
    expect(plain["default-sort-order-id"]).toBe(0);
    expect(plain["next-row-id"]).toBe(0n);
  });

  it("rejects specs and orders that refer to missing fields", () => {
    expect(() =>
      newTableMetadata({
        ...options,
        spec: {
          "spec-id": 0,
          fields: [{ "source-id": 99, "field-id": 1000, name: "x", transform: "identity" }],
        },
      }),
    ).toThrow(/partition field x refers to field 99/);
    expect(() =>
      newTableMetadata({
        ...options,
        sortOrder: {
          "order-id": 1,
          fields: [{ transform: "identity", "source-id": 98, direction: "asc", "null-order": "nulls-first" }],
        },
      }),
    ).toThrow(/sort field refers to field 98/);
  });
});

describe("createTableUpdates", () => {
  it("lists the updates of a create commit", () => {
    const updates = createTableUpdates(newTableMetadata(options));
    expect(updates.map((u) => u.action)).toEqual([
      "assign-uuid",
      "upgrade-format-version",
      "add-schema",
      "set-current-schema",
      "add-spec",
      "set-default-spec",
      "add-sort-order",
      "set-default-sort-order",
      "set-location",
      "set-properties",
    ]);
  });

  it("needs a uuid", () => {
    const md = newTableMetadata(options);
    delete md["table-uuid"];
    expect(() => createTableUpdates(md)).toThrow(/uuid/);
  });
});
