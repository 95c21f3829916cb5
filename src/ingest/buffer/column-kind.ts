/** How a column builder stores a type's values (src/ingest/columns.ts): one storage kind per Iceberg type. */
import { decimalParams, fixedLength, type IcebergType } from "../../iceberg/spec/index.js";
import type { WriteType } from "../../iceberg/write/index.js";

export type Kind = "bool" | "i32" | "i64" | "f64" | "utf8" | "fixed" | "dec" | "struct" | "list" | "any";

/** Storage by type: a primitive Iceberg type, or a write field's type kind (the same names). */
export function kindOf(type: IcebergType | WriteType["kind"]): Kind {
  if (typeof type === "object")
    return type.type === "struct" ? "struct" : type.type === "list" ? "list" : "any";
  switch (type) {
    case "boolean":
      return "bool";
    case "int":
    case "date":
      return "i32";
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      return "i64";
    case "float":
    case "double":
      return "f64";
    case "string":
      return "utf8";
    case "uuid":
    case "fixed":
      return "fixed";
    case "decimal":
      return "dec";
    case "struct":
      return "struct";
    case "list":
      return "list";
    case "map":
      return "any";
    default:
      if (fixedLength(type) !== undefined) return "fixed";
      if (decimalParams(type) !== undefined) return "dec";
      return "any";
  }
}
