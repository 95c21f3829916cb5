/**
 * JSON Schema (the draft-07 subset producers generate) -> Iceberg struct.
 *
 * object with properties -> struct (a property in `required` and not nullable -> required field);
 * object with only `additionalProperties: <schema>` -> map<string, V>; string -> string, with format
 * date-time -> timestamptz, date -> date, uuid -> uuid, contentEncoding base64 -> binary; integer -> long;
 * number -> double; boolean; array -> list. Kafka Connect's `connect.type` narrows numbers (int8/16/32 ->
 * int, float32 -> float). Nullable via type ["x", "null"] or oneOf/anyOf [{type: null}, X]. `$ref`
 * within the document (`#/definitions/X`, `#/$defs/X`, `#`) is followed; recursion and other unions are
 * SCHEMA_INCOMPATIBLE. Values with no fixed shape (free-form objects, `{}`, arrays without items) become
 * string columns holding the JSON text. A top-level schema that is not an object becomes {value: T}.
 */

import { FloeError } from "../../errors.js";
import type { IcebergType, NestedField, StructType } from "../../iceberg/spec/index.js";
import { numberFields } from "../schema/index.js";
import { decodeFailed } from "./errors.js";

interface Node {
  type: IcebergType;
  nullable: boolean;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function incompatible(path: string, why: string): FloeError {
  return new FloeError("SCHEMA_INCOMPATIBLE", `field "${path || "<root>"}": ${why}`, {
    context: { field: path },
  });
}

const FREE_FORM: Node = { type: "string", nullable: true };

const CONNECT_TYPES: Record<string, IcebergType> = {
  int8: "int",
  int16: "int",
  int32: "int",
  int64: "long",
  float32: "float",
  float64: "double",
};

class JsonSchemaToIceberg {
  private readonly resolving = new Set<string>();
  constructor(private readonly doc: unknown) {}

  private resolve(ref: string, path: string): unknown {
    if (!ref.startsWith("#")) throw incompatible(path, `$ref "${ref}" outside this schema is not supported`);
    let target: unknown = this.doc;
    const pointer = ref.slice(1);
    if (pointer !== "") {
      for (const raw of pointer.replace(/^\//, "").split("/")) {
        const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
        target = isObj(target) ? target[key] : Array.isArray(target) ? target[Number(key)] : undefined;
        if (target === undefined)
          throw decodeFailed(`invalid JSON Schema: $ref "${ref}" at "${path}" does not resolve`);
      }
    }
    return target;
  }

  node(schema: unknown, path: string): Node | undefined {
    if (schema === true) return FREE_FORM;
    if (!isObj(schema)) throw decodeFailed(`invalid JSON Schema at "${path || "<root>"}"`);
    if (typeof schema.$ref === "string") {
      const ref = schema.$ref;
      if (this.resolving.has(ref))
        throw incompatible(path, `recursive $ref "${ref}" cannot be an Iceberg type`);
      this.resolving.add(ref);
      try {
        return this.node(this.resolve(ref, path), path);
      } finally {
        this.resolving.delete(ref);
      }
    }
    for (const key of ["oneOf", "anyOf"] as const) {
      const variants = schema[key];
      if (Array.isArray(variants)) return this.variants(variants, path, key);
    }
    if (Array.isArray(schema.allOf)) {
      if (schema.allOf.length === 1) return this.node(schema.allOf[0], path);
      throw incompatible(path, "allOf with several schemas is not supported");
    }
    const declared = Array.isArray(schema.type)
      ? schema.type
      : schema.type === undefined
        ? []
        : [schema.type];
    const nullable = declared.includes("null");
    let kinds = declared.filter((t) => t !== "null");
    if (kinds.length === 0) {
      if (declared.length > 0) return undefined; // only null: no column
      kinds = [this.impliedKind(schema)];
    }
    if (kinds.length === 2 && kinds.includes("integer") && kinds.includes("number")) kinds = ["number"];
    if (kinds.length > 1)
      throw incompatible(path, `a value of types ${kinds.join(" | ")} cannot be one Iceberg type`);
    const type = this.typed(String(kinds[0]), schema, path);
    return type === undefined ? undefined : { type: type.type, nullable: nullable || type.nullable };
  }

  /** The type a schema without `type` implies by its keywords. */
  private impliedKind(schema: Obj): string {
    if (isObj(schema.properties) || schema.additionalProperties !== undefined) return "object";
    if (schema.items !== undefined) return "array";
    const values = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : [];
    if (values.length > 0 && values.every((v) => typeof v === "string")) return "string";
    if (values.length > 0 && values.every((v) => Number.isInteger(v))) return "integer";
    if (values.length > 0 && values.every((v) => typeof v === "number")) return "number";
    if (values.length > 0 && values.every((v) => typeof v === "boolean")) return "boolean";
    return "any";
  }

  private variants(variants: unknown[], path: string, key: string): Node | undefined {
    const isNull = (v: unknown) => isObj(v) && v.type === "null";
    const others = variants.filter((v) => !isNull(v));
    if (others.length !== 1) {
      throw incompatible(path, `${key} with ${others.length} non-null schemas cannot be one Iceberg type`);
    }
    const inner = this.node(others[0], path);
    return inner === undefined
      ? undefined
      : { ...inner, nullable: inner.nullable || others.length < variants.length };
  }

  private typed(kind: string, schema: Obj, path: string): Node | undefined {
    const connect =
      typeof schema["connect.type"] === "string" ? CONNECT_TYPES[schema["connect.type"]] : undefined;
    switch (kind) {
      case "string":
        if (schema.contentEncoding === "base64") return { type: "binary", nullable: false };
        switch (schema.format) {
          case "date-time":
            return { type: "timestamptz", nullable: false };
          case "date":
            return { type: "date", nullable: false };
          case "uuid":
            return { type: "uuid", nullable: false };
          default:
            return { type: "string", nullable: false };
        }
      case "integer":
        return { type: connect === "int" ? "int" : "long", nullable: false };
      case "number":
        return { type: connect ?? "double", nullable: false };
      case "boolean":
        return { type: "boolean", nullable: false };
      case "array":
        return this.array(schema, path);
      case "object":
        return this.object(schema, path);
      case "any":
        return FREE_FORM;
      default:
        throw decodeFailed(`invalid JSON Schema: unknown type "${kind}" at "${path || "<root>"}"`);
    }
  }

  private array(schema: Obj, path: string): Node {
    if (Array.isArray(schema.items))
      throw incompatible(path, "tuple arrays (items as a list) are not supported");
    const element = schema.items === undefined ? FREE_FORM : this.node(schema.items, `${path}.element`);
    if (element === undefined) throw incompatible(path, "an array of nulls has no Iceberg type");
    return {
      type: { type: "list", "element-id": 0, element: element.type, "element-required": !element.nullable },
      nullable: false,
    };
  }

  private object(schema: Obj, path: string): Node {
    const properties = isObj(schema.properties) ? schema.properties : {};
    const names = Object.keys(properties);
    if (names.length === 0) {
      const extra = schema.additionalProperties;
      if (isObj(extra)) {
        const value = this.node(extra, `${path}.value`) ?? FREE_FORM;
        return {
          type: {
            type: "map",
            "key-id": 0,
            key: "string",
            "value-id": 0,
            value: value.type,
            "value-required": !value.nullable,
          },
          nullable: false,
        };
      }
      return { ...FREE_FORM, nullable: false };
    }
    const required = new Set(
      Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : [],
    );
    const fields: NestedField[] = [];
    for (const name of names) {
      const node = this.node(properties[name], path ? `${path}.${name}` : name);
      if (node === undefined) continue;
      const description = (properties[name] as Obj).description;
      fields.push({
        id: 0,
        name,
        required: required.has(name) && !node.nullable,
        type: node.type,
        ...(typeof description === "string" && description !== "" ? { doc: description } : {}),
      });
    }
    return { type: { type: "struct", fields }, nullable: false };
  }
}

export interface CompiledJsonSchema {
  struct: StructType;
  /** True when the schema is not an object and records are wrapped as {value: payload}. */
  wrapped: boolean;
}

/** Converts a parsed JSON Schema document; throws SCHEMA_INCOMPATIBLE or DECODE_FAILED. */
export function compileJsonSchema(doc: unknown): CompiledJsonSchema {
  const root = new JsonSchemaToIceberg(doc).node(doc, "");
  if (root === undefined) throw incompatible("", "a schema of only null has no Iceberg type");
  if (typeof root.type === "object" && root.type.type === "struct") {
    return { struct: numberFields(root.type.fields), wrapped: false };
  }
  return {
    struct: numberFields([{ id: 0, name: "value", required: !root.nullable, type: root.type }]),
    wrapped: true,
  };
}
