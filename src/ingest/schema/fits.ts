/**
 * Whether a record schema fits a table schema as it is: the same fields (by name) with the same types
 * or widenings whose values need no change (int to long, float to double, a wider decimal precision),
 * and every required table field present and required. Such records are written as buffered.
 */
import {
  type IcebergType,
  isPromotionAllowed,
  type NestedField,
  type Schema,
  type StructType,
} from "../../iceberg/spec/index.js";

function fitsType(from: IcebergType, to: IcebergType): boolean {
  if (typeof from === "string" || typeof to === "string") {
    return typeof from === "string" && typeof to === "string" && isPromotionAllowed(from, to);
  }
  if (from.type === "struct" && to.type === "struct") return fitsFields(from.fields, to.fields);
  if (from.type === "list" && to.type === "list") {
    return fitsType(from.element, to.element) && (!to["element-required"] || from["element-required"]);
  }
  if (from.type === "map" && to.type === "map") {
    return (
      fitsType(from.key, to.key) &&
      fitsType(from.value, to.value) &&
      (!to["value-required"] || from["value-required"])
    );
  }
  return false;
}

function fitsFields(from: readonly NestedField[], to: readonly NestedField[]): boolean {
  const own = new Map(from.map((f) => [f.name, f]));
  for (const t of to) {
    const f = own.get(t.name);
    if (t.required && (f === undefined || !f.required)) return false;
  }
  const target = new Map(to.map((f) => [f.name, f]));
  for (const f of from) {
    const t = target.get(f.name);
    if (t === undefined || !fitsType(f.type, t.type)) return false;
  }
  return true;
}

/** Whether records of `record` can be written to `table` without converting their values. */
export function fitsDirectly(record: StructType, table: Schema | StructType): boolean {
  return fitsFields(record.fields, table.fields);
}
