import { describe, expect, it } from "vitest";
import {
  buildTableInput,
  glueColumns,
  hiveTypeString,
  isIcebergTable,
  metadataLocationOf,
} from "../../../src/catalog/glue/index.js";
import {
  type IcebergType,
  makeSchema,
  newTableMetadata,
  type TableMetadata,
} from "../../../src/iceberg/spec/index.js";
import { allTypesSchema } from "../../support/fixtures.js";

const list = (element: IcebergType, id = 100): IcebergType => ({
  type: "list",
  "element-id": id,
  element,
  "element-required": false,
});
const map = (key: IcebergType, value: IcebergType, id = 200): IcebergType => ({
  type: "map",
  "key-id": id,
  key,
  "value-id": id + 1,
  value,
  "value-required": false,
});

describe("hiveTypeString", () => {
  it.each([
    ["boolean", "boolean"],
    ["int", "int"],
    ["long", "bigint"],
    ["float", "float"],
    ["double", "double"],
    ["date", "date"],
    ["time", "string"],
    ["timestamp", "timestamp"],
    ["timestamptz", "timestamp"],
    ["timestamp_ns", "timestamp"],
    ["timestamptz_ns", "timestamp"],
    ["string", "string"],
    ["uuid", "string"],
    ["fixed[16]", "binary"],
    ["binary", "binary"],
    ["decimal(9, 2)", "decimal(9,2)"],
    ["decimal(38, 0)", "decimal(38,0)"],
    ["unknown", "void"],
    ["variant", "variant"],
  ] as [IcebergType, string][])("%s -> %s", (type, hive) => {
    expect(hiveTypeString(type)).toBe(hive);
  });

  it("writes nested types the Hive way, recursively", () => {
    const inner: IcebergType = {
      type: "struct",
      fields: [
        { id: 3, name: "x", required: false, type: "int" },
        { id: 4, name: "y", required: true, type: "decimal(10, 3)" },
      ],
    };
    expect(hiveTypeString(inner)).toBe("struct<x:int,y:decimal(10,3)>");
    expect(hiveTypeString(list("long"))).toBe("array<bigint>");
    expect(hiveTypeString(map("string", "uuid"))).toBe("map<string,string>");
    const deep: IcebergType = {
      type: "struct",
      fields: [{ id: 9, name: "a", required: false, type: list(map("string", inner)) }],
    };
    expect(hiveTypeString(deep)).toBe("struct<a:array<map<string,struct<x:int,y:decimal(10,3)>>>>");
  });
});

function metadataFor(schema = allTypesSchema()): TableMetadata {
  return newTableMetadata({
    location: "s3://bucket/wh/db/t",
    uuid: "1b9f4f8e-9c4d-4b0e-8f57-3d2d3f6e0a11",
    schema,
    nowMs: 1_700_000_000_000,
  });
}

describe("glueColumns", () => {
  it("lists every top-level field with its Hive type, field id, optionality and current flag", () => {
    const cols = glueColumns(metadataFor());
    expect(cols.map((c) => [c.Name, c.Type])).toEqual([
      ["id", "bigint"],
      ["b", "boolean"],
      ["i", "int"],
      ["l", "bigint"],
      ["f", "float"],
      ["d", "double"],
      ["dec", "decimal(9,2)"],
      ["dec38", "decimal(38,10)"],
      ["dt", "date"],
      ["tm", "string"],
      ["ts", "timestamp"],
      ["tstz", "timestamp"],
      ["s", "string"],
      ["u", "string"],
      ["fx", "binary"],
      ["bin", "binary"],
      ["st", "struct<x:int,y:string>"],
      ["tags", "array<string>"],
      ["attrs", "map<string,bigint>"],
    ]);
    expect(cols[0]?.Parameters).toEqual({
      "iceberg.field.id": "1",
      "iceberg.field.optional": "false",
      "iceberg.field.current": "true",
    });
    expect(cols[1]?.Parameters).toEqual({
      "iceberg.field.id": "2",
      "iceberg.field.optional": "true",
      "iceberg.field.current": "true",
    });
    // Field ids are the table's: fresh ids at create number the top-level fields 1..19 first.
    expect(cols.map((c) => c.Parameters?.["iceberg.field.id"])).toEqual(
      Array.from({ length: 19 }, (_, i) => String(i + 1)),
    );
  });

  it("puts the doc in Comment and adds fields only older schemas have as not current", () => {
    const v0 = makeSchema([
      { id: 1, name: "id", required: true, type: "long", doc: "the key" },
      { id: 2, name: "gone", required: false, type: "string" },
    ]);
    const md = metadataFor(v0);
    const v1 = makeSchema(
      [
        { id: 1, name: "id", required: true, type: "long", doc: "the key" },
        { id: 3, name: "added", required: false, type: "double" },
      ],
      1,
    );
    const evolved: TableMetadata = { ...md, schemas: [...md.schemas, v1], "current-schema-id": 1 };
    const cols = glueColumns(evolved);
    expect(cols).toEqual([
      {
        Name: "id",
        Type: "bigint",
        Comment: "the key",
        Parameters: {
          "iceberg.field.id": "1",
          "iceberg.field.optional": "false",
          "iceberg.field.current": "true",
        },
      },
      {
        Name: "added",
        Type: "double",
        Parameters: {
          "iceberg.field.id": "3",
          "iceberg.field.optional": "true",
          "iceberg.field.current": "true",
        },
      },
      {
        Name: "gone",
        Type: "string",
        Parameters: {
          "iceberg.field.id": "2",
          "iceberg.field.optional": "true",
          "iceberg.field.current": "false",
        },
      },
    ]);
  });
});

describe("buildTableInput", () => {
  it("creates an EXTERNAL_TABLE with the ICEBERG parameters and the table location", () => {
    const md = metadataFor();
    const input = buildTableInput({
      name: "t",
      metadata: md,
      metadataLocation: "s3://b/m/00000-a.metadata.json",
    });
    expect(input).toMatchObject({
      Name: "t",
      TableType: "EXTERNAL_TABLE",
      Parameters: { table_type: "ICEBERG", metadata_location: "s3://b/m/00000-a.metadata.json" },
      StorageDescriptor: { Location: "s3://bucket/wh/db/t" },
    });
    expect(input.Parameters).not.toHaveProperty("previous_metadata_location");
    expect(input.StorageDescriptor?.Columns).toHaveLength(19);
    expect(input).not.toHaveProperty("Description");
  });

  it("on update keeps the Glue table's other parameters and description, and records the previous file", () => {
    const md = metadataFor();
    const input = buildTableInput({
      name: "t",
      metadata: md,
      metadataLocation: "s3://b/m/00002-c.metadata.json",
      previousMetadataLocation: "s3://b/m/00001-b.metadata.json",
      existing: {
        Name: "t",
        Description: "orders from kafka",
        Parameters: {
          table_type: "iceberg",
          metadata_location: "s3://b/m/00001-b.metadata.json",
          previous_metadata_location: "s3://b/m/00000-a.metadata.json",
          "lakeformation.owner": "team-a",
        },
      },
    });
    expect(input.Parameters).toEqual({
      table_type: "ICEBERG",
      metadata_location: "s3://b/m/00002-c.metadata.json",
      previous_metadata_location: "s3://b/m/00001-b.metadata.json",
      "lakeformation.owner": "team-a",
    });
    expect(input.Description).toBe("orders from kafka");
  });

  it("takes the description from the `comment` table property first", () => {
    const md = { ...metadataFor(), properties: { comment: "from iceberg" } };
    const input = buildTableInput({
      name: "t",
      metadata: md,
      metadataLocation: "x",
      existing: { Name: "t", Description: "old" },
    });
    expect(input.Description).toBe("from iceberg");
  });
});

describe("isIcebergTable / metadataLocationOf", () => {
  it("reads table_type case-insensitively and ignores other tables", () => {
    expect(isIcebergTable({ Name: "a", Parameters: { table_type: "ICEBERG" } })).toBe(true);
    expect(isIcebergTable({ Name: "a", Parameters: { table_type: "iceberg" } })).toBe(true);
    expect(isIcebergTable({ Name: "a", Parameters: { table_type: "Iceberg" } })).toBe(true);
    expect(isIcebergTable({ Name: "a", Parameters: { table_type: "HIVE" } })).toBe(false);
    expect(isIcebergTable({ Name: "a" })).toBe(false);
    expect(metadataLocationOf({ Name: "a", Parameters: { metadata_location: "s3://x" } })).toBe("s3://x");
    expect(metadataLocationOf({ Name: "a", Parameters: { metadata_location: "" } })).toBeUndefined();
  });
});
