import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  allFields,
  assignFreshIds,
  checkPromotion,
  fieldName,
  findFieldById,
  findFieldByName,
  highestFieldId,
  idCounter,
  indexById,
  indexByName,
  isPromotionAllowed,
  makeSchema,
  parseSchema,
  type Schema,
  sameSchema,
  validateSchema,
} from "../../../src/iceberg/spec/schema.js";

const schemaJson = {
  type: "struct",
  "schema-id": 3,
  "identifier-field-ids": [1],
  fields: [
    { id: 1, name: "id", required: true, type: "long" },
    {
      id: 2,
      name: "location",
      required: false,
      type: {
        type: "struct",
        fields: [
          { id: 10, name: "lat", required: true, type: "double" },
          { id: 11, name: "lon", required: true, type: "double" },
        ],
      },
    },
    {
      id: 3,
      name: "points",
      required: false,
      type: {
        type: "list",
        "element-id": 12,
        "element-required": true,
        element: { type: "struct", fields: [{ id: 13, name: "x", required: true, type: "int" }] },
      },
    },
    {
      id: 4,
      name: "props",
      required: false,
      type: {
        type: "map",
        "key-id": 14,
        key: "string",
        "value-id": 15,
        "value-required": false,
        value: { type: "struct", fields: [{ id: 16, name: "y", required: false, type: "string" }] },
      },
    },
  ],
};

const schema: Schema = parseSchema(schemaJson);

describe("parseSchema", () => {
  it("parses v2 schemas", () => {
    expect(schema["schema-id"]).toBe(3);
    expect(schema["identifier-field-ids"]).toEqual([1]);
    expect(schema.fields).toHaveLength(4);
  });

  it("defaults schema-id and type for v1 schemas", () => {
    const v1 = parseSchema({ fields: [{ id: 1, name: "a", required: false, type: "int" }] });
    expect(v1["schema-id"]).toBe(0);
    expect(v1.type).toBe("struct");
  });

  it("rejects invalid schemas with INVALID_ARGUMENT", () => {
    try {
      parseSchema({ type: "struct", fields: [{ id: "x", name: "a", required: false, type: "int" }] });
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});

describe("indexes", () => {
  it("indexes every id, including list elements and map entries", () => {
    const byId = indexById(schema);
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16]);
    expect(byId.get(12)?.name).toBe("element");
    expect(byId.get(15)?.required).toBe(false);
    expect(byId.get(14)?.required).toBe(true);
  });

  it("indexes full dotted names and short aliases", () => {
    const byName = indexByName(schema);
    expect(byName.get("location.lat")).toBe(10);
    expect(byName.get("points.element.x")).toBe(13);
    expect(byName.get("points.x")).toBe(13);
    expect(byName.get("props.key")).toBe(14);
    expect(byName.get("props.value.y")).toBe(16);
    expect(byName.get("props.y")).toBe(16);
    expect(byName.get("lat")).toBeUndefined();
  });

  it("prefers a real field over a short alias with the same name", () => {
    const s = makeSchema([
      {
        id: 1,
        name: "a",
        required: false,
        type: {
          type: "list",
          "element-id": 2,
          "element-required": false,
          element: { type: "struct", fields: [{ id: 3, name: "b", required: false, type: "int" }] },
        },
      },
    ]);
    expect(indexByName(s).get("a.b")).toBe(3);
    // a struct field actually named "element" is a normal field, not a collection marker
    const t = makeSchema([
      {
        id: 1,
        name: "s",
        required: false,
        type: { type: "struct", fields: [{ id: 2, name: "element", required: false, type: "int" }] },
      },
    ]);
    expect(indexByName(t).get("s.element")).toBe(2);
    expect(indexByName(t).get("s")).toBe(1);
  });

  it("finds fields by id and name", () => {
    expect(findFieldById(schema, 11)?.name).toBe("lon");
    expect(findFieldById(schema, 99)).toBeUndefined();
    expect(findFieldByName(schema, "location.lon")?.id).toBe(11);
    expect(findFieldByName(schema, "LOCATION.Lon")).toBeUndefined();
    expect(findFieldByName(schema, "LOCATION.Lon", { caseSensitive: false })?.id).toBe(11);
    expect(fieldName(schema, 16)).toBe("props.value.y");
  });

  it("reports context for every field", () => {
    const entries = allFields(schema);
    const x = entries.find((e) => e.field.id === 13);
    expect(x?.inCollection).toBe(true);
    expect(x?.parents).toEqual([3, 12]);
    const lat = entries.find((e) => e.field.id === 10);
    expect(lat?.underOptional).toBe(true);
    expect(lat?.inCollection).toBe(false);
  });

  it("throws on duplicate ids", () => {
    const dup = makeSchema([
      { id: 1, name: "a", required: false, type: "int" },
      { id: 1, name: "b", required: false, type: "int" },
    ]);
    expect(() => indexById(dup)).toThrow(/duplicate field id 1/);
  });

  it("finds the highest field id", () => {
    expect(highestFieldId(schema)).toBe(16);
    expect(highestFieldId(makeSchema([]))).toBe(0);
    expect(highestFieldId("int")).toBe(0);
    expect(highestFieldId({ type: "list", "element-id": 7, "element-required": true, element: "int" })).toBe(
      7,
    );
  });
});

describe("assignFreshIds", () => {
  it("numbers each struct's fields first, then nested types", () => {
    const { schema: fresh, idMap } = assignFreshIds(schema, idCounter(1), 0);
    const byName = indexByName(fresh);
    expect(byName.get("id")).toBe(1);
    expect(byName.get("location")).toBe(2);
    expect(byName.get("points")).toBe(3);
    expect(byName.get("props")).toBe(4);
    expect(byName.get("location.lat")).toBe(5);
    expect(byName.get("location.lon")).toBe(6);
    expect(byName.get("points.element")).toBe(7);
    expect(byName.get("points.element.x")).toBe(8);
    expect(byName.get("props.key")).toBe(9);
    expect(byName.get("props.value")).toBe(10);
    expect(byName.get("props.value.y")).toBe(11);
    expect(fresh["schema-id"]).toBe(0);
    expect(fresh["identifier-field-ids"]).toEqual([1]);
    expect(idMap.get(16)).toBe(11);
    expect(idMap.get(12)).toBe(7);
    // the input is not modified
    expect(schema.fields[1]?.id).toBe(2);
    expect(findFieldById(schema, 10)?.name).toBe("lat");
  });

  it("uses the given counter and remaps identifier fields", () => {
    const s = makeSchema(
      [
        { id: 7, name: "a", required: true, type: "int" },
        { id: 3, name: "b", required: true, type: "string" },
      ],
      0,
      [3],
    );
    const { schema: fresh } = assignFreshIds(s, idCounter(100));
    expect(fresh.fields.map((f) => f.id)).toEqual([100, 101]);
    expect(fresh["identifier-field-ids"]).toEqual([101]);
  });

  it("rejects identifier ids that are not in the schema", () => {
    expect(() => assignFreshIds(makeSchema([], 0, [5]))).toThrow(/identifier field id 5/);
  });
});

describe("validateSchema", () => {
  it("accepts a valid schema", () => {
    expect(() => validateSchema(schema)).not.toThrow();
  });

  it.each([
    [[1, 99], /does not exist/],
    [[2], /must be a primitive/],
    [[10], /cannot be double/],
    [[16], /must be required/],
    [[14], /list or map/],
  ])("rejects identifier ids %j", (ids, message) => {
    expect(() => validateSchema({ ...schema, "identifier-field-ids": ids })).toThrow(message);
  });

  it("rejects identifier fields under an optional struct", () => {
    const s = makeSchema(
      [
        {
          id: 1,
          name: "s",
          required: false,
          type: { type: "struct", fields: [{ id: 2, name: "k", required: true, type: "long" }] },
        },
      ],
      0,
      [2],
    );
    expect(() => validateSchema(s)).toThrow(/optional struct/);
  });

  it("rejects duplicate and reserved ids", () => {
    expect(() =>
      validateSchema(
        makeSchema([
          { id: 1, name: "a", required: false, type: "int" },
          { id: 1, name: "b", required: false, type: "int" },
        ]),
      ),
    ).toThrow(/duplicate field id 1/);
    expect(() =>
      validateSchema(makeSchema([{ id: 2147483646, name: "_file", required: false, type: "string" }])),
    ).toThrow(/reserved/);
  });
});

describe("sameSchema", () => {
  it("ignores schema ids but not fields or identifier fields", () => {
    expect(sameSchema(schema, { ...schema, "schema-id": 9 })).toBe(true);
    expect(sameSchema(schema, { ...schema, "identifier-field-ids": [] })).toBe(false);
    expect(sameSchema(schema, { ...schema, fields: schema.fields.slice(1) })).toBe(false);
  });
});

describe("type promotion", () => {
  it.each([
    ["int", "long", true],
    ["float", "double", true],
    ["decimal(9, 2)", "decimal(18, 2)", true],
    ["decimal(9, 2)", "decimal(9, 2)", true],
    ["string", "string", true],
    ["long", "int", false],
    ["double", "float", false],
    ["decimal(9, 2)", "decimal(18, 3)", false],
    ["decimal(18, 2)", "decimal(9, 2)", false],
    ["date", "timestamp", false],
    ["int", "string", false],
    ["fixed[16]", "uuid", false],
  ] as const)("%s -> %s is %s", (from, to, allowed) => {
    expect(isPromotionAllowed(from, to)).toBe(allowed);
  });

  it("throws SCHEMA_INCOMPATIBLE naming the field", () => {
    try {
      checkPromotion("long", "int", "amount");
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "SCHEMA_INCOMPATIBLE")).toBe(true);
      expect((e as Error).message).toContain("amount");
    }
    expect(() => checkPromotion("int", "long")).not.toThrow();
    expect(() => checkPromotion("int", { type: "struct", fields: [] })).toThrow(/cannot change/);
    expect(() =>
      checkPromotion({ type: "struct", fields: [] }, { type: "struct", fields: [] }),
    ).not.toThrow();
  });
});
