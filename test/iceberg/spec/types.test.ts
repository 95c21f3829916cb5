import { describe, expect, it } from "vitest";
import { isFloeError } from "../../../src/errors.js";
import {
  decimalParams,
  decimalType,
  describeType,
  fixedLength,
  fixedType,
  type IcebergType,
  IcebergTypeSchema,
  isListType,
  isMapType,
  isNestedType,
  isPrimitiveType,
  isStructType,
  parseIcebergType,
  parsePrimitiveType,
  primitiveKind,
  tryParsePrimitiveType,
  typesEqual,
} from "../../../src/iceberg/spec/types.js";

describe("primitive type strings", () => {
  it.each([
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "timestamp_ns",
    "timestamptz_ns",
    "string",
    "uuid",
    "binary",
    "unknown",
    "variant",
  ])("accepts %s", (t) => {
    expect(parsePrimitiveType(t)).toBe(t);
    expect(primitiveKind(parsePrimitiveType(t))).toBe(t);
  });

  it("normalises decimal spacing and case", () => {
    expect(parsePrimitiveType("decimal(9,2)")).toBe("decimal(9, 2)");
    expect(parsePrimitiveType("decimal(9, 2)")).toBe("decimal(9, 2)");
    expect(parsePrimitiveType(" DECIMAL( 38 ,0 ) ")).toBe("decimal(38, 0)");
    expect(parsePrimitiveType("Fixed[16]")).toBe("fixed[16]");
    expect(primitiveKind("decimal(9, 2)")).toBe("decimal");
    expect(primitiveKind("fixed[16]")).toBe("fixed");
  });

  it("reads decimal and fixed parameters", () => {
    expect(decimalParams("decimal(10, 3)")).toEqual({ precision: 10, scale: 3 });
    expect(decimalParams("long")).toBeUndefined();
    expect(decimalParams({ type: "struct", fields: [] })).toBeUndefined();
    expect(fixedLength("fixed[7]")).toBe(7);
    expect(fixedLength("binary")).toBeUndefined();
  });

  it("rejects precision above 38 and bad lengths", () => {
    expect(() => parsePrimitiveType("decimal(39,2)")).toThrow(/precision/);
    expect(() => decimalType(0, 0)).toThrow(/precision/);
    expect(() => decimalType(10, -1)).toThrow(/scale/);
    expect(() => fixedType(0)).toThrow(/length/);
    expect(decimalType(38, 10)).toBe("decimal(38, 10)");
    expect(fixedType(3)).toBe("fixed[3]");
  });

  it("rejects unknown primitive names with UNSUPPORTED", () => {
    try {
      parsePrimitiveType("varchar");
      expect.unreachable();
    } catch (e) {
      expect(isFloeError(e, "UNSUPPORTED")).toBe(true);
    }
    expect(tryParsePrimitiveType("decimal(9)")).toBeUndefined();
    expect(tryParsePrimitiveType("fixed(16)")).toBeUndefined();
    expect(tryParsePrimitiveType("geometry(srid:4326)")).toBeUndefined();
  });
});

const nestedJson = {
  type: "struct",
  fields: [
    { id: 1, name: "id", required: true, type: "long", doc: "primary key" },
    { id: 2, name: "amount", required: false, type: "decimal(9,2)", "initial-default": "0.00" },
    {
      id: 3,
      name: "tags",
      required: false,
      type: { type: "list", "element-id": 5, element: "string", "element-required": true },
    },
    {
      id: 4,
      name: "props",
      required: false,
      type: {
        type: "map",
        "key-id": 6,
        key: "string",
        "value-id": 7,
        value: { type: "struct", fields: [{ id: 8, name: "x", required: true, type: "FIXED[4]" }] },
        "value-required": false,
      },
    },
  ],
};

describe("IcebergTypeSchema", () => {
  it("parses nested types and normalises nested primitives", () => {
    const t = parseIcebergType(nestedJson);
    expect(isStructType(t)).toBe(true);
    if (!isStructType(t)) return;
    expect(t.fields[0]?.doc).toBe("primary key");
    expect(t.fields[1]?.type).toBe("decimal(9, 2)");
    expect(t.fields[1]?.["initial-default"]).toBe("0.00");
    const tags = t.fields[2]?.type as IcebergType;
    expect(isListType(tags)).toBe(true);
    const props = t.fields[3]?.type as IcebergType;
    expect(isMapType(props)).toBe(true);
    if (!isMapType(props) || !isStructType(props.value)) throw new Error("expected map of struct");
    expect(props.value.fields[0]?.type).toBe("fixed[4]");
  });

  it("drops absent optional keys rather than writing undefined", () => {
    const t = parseIcebergType(nestedJson);
    if (!isStructType(t)) throw new Error("struct expected");
    expect(Object.keys(t.fields[0] ?? {})).not.toContain("initial-default");
  });

  it("rejects malformed types", () => {
    expect(IcebergTypeSchema.safeParse("varchar").success).toBe(false);
    expect(IcebergTypeSchema.safeParse({ type: "list", element: "int" }).success).toBe(false);
    expect(
      IcebergTypeSchema.safeParse({ type: "struct", fields: [{ id: 1, name: "a", type: "int" }] }).success,
    ).toBe(false);
    expect(IcebergTypeSchema.safeParse({ type: "tuple" }).success).toBe(false);
    expect(() => parseIcebergType(42)).toThrow(/invalid Iceberg type/);
  });

  it("has guards that agree with each other", () => {
    expect(isPrimitiveType("int")).toBe(true);
    expect(isNestedType("int")).toBe(false);
    const list: IcebergType = { type: "list", "element-id": 1, element: "int", "element-required": false };
    expect(isNestedType(list)).toBe(true);
    expect(isStructType(list)).toBe(false);
    expect(isMapType(list)).toBe(false);
  });
});

describe("typesEqual and describeType", () => {
  it("compares structurally", () => {
    const a = parseIcebergType(nestedJson);
    const b = parseIcebergType(structuredClone(nestedJson));
    expect(typesEqual(a, b)).toBe(true);
    const changed = structuredClone(nestedJson);
    (changed.fields[2]?.type as { "element-id": number })["element-id"] = 9;
    expect(typesEqual(a, parseIcebergType(changed))).toBe(false);
    const renamed = structuredClone(nestedJson);
    if (renamed.fields[0]) renamed.fields[0].name = "ident";
    expect(typesEqual(a, parseIcebergType(renamed))).toBe(false);
    expect(typesEqual("int", "long")).toBe(false);
    expect(typesEqual("int", a)).toBe(false);
  });

  it("describes types compactly", () => {
    expect(describeType(parseIcebergType(nestedJson))).toBe(
      "struct<1 id: required long, 2 amount: decimal(9, 2), 3 tags: list<string>, 4 props: map<string, struct<8 x: required fixed[4]>>>",
    );
  });
});
