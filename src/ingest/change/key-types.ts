/**
 * A delete keyed by the Kafka key carries the key's own types, which need not be the table's: a
 * StringSerializer key "12345" reads as the JSON number 12345 while the key column is a string, and a
 * string key "7" may key a long column. `alignDeleteKey` converts such scalar key values to the key
 * columns' types (number/boolean -> string; integer text or number -> int/long), so the delete matches the
 * row; anything else is left as it is (and fails where the table's types are checked).
 */

import type { IcebergType, NestedField } from "../../iceberg/spec/index.js";
import type { Change } from "./change.js";
import { derivedStruct } from "./structs.js";

const INTEGER = /^-?\d{1,19}$/;

/** `v` as `want` (a string, int or long column), or undefined when it is not a plain conversion. */
function coerce(v: unknown, want: IcebergType): unknown {
  if (want === "string") {
    return typeof v === "number" || typeof v === "bigint" || typeof v === "boolean" ? String(v) : undefined;
  }
  if (want !== "int" && want !== "long") return undefined;
  let n: bigint | undefined;
  if (typeof v === "string" && INTEGER.test(v)) n = BigInt(v);
  else if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  if (n === undefined) return undefined;
  if (want === "long") return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
  return n >= -(1n << 31n) && n < 1n << 31n ? Number(n) : undefined;
}

/**
 * The delete with its key values converted to `typeOf(column)` where that is a plain scalar conversion
 * (see the file comment); upserts and deletes whose types already match are returned as they are.
 * `typeOf` gives the table's type of a key column, undefined when unknown (no table yet).
 */
export function alignDeleteKey(change: Change, typeOf: (column: string) => IcebergType | undefined): Change {
  if (change.op !== "delete") return change;
  let key: Record<string, unknown> | undefined;
  const fields: NestedField[] = [];
  let purpose = "align";
  for (const f of change.schema.fields) {
    const want = typeOf(f.name);
    const converted = want === undefined || want === f.type ? undefined : coerce(change.key[f.name], want);
    if (converted === undefined || want === undefined) {
      fields.push(f);
      purpose += "\u0000";
      continue;
    }
    key ??= { ...change.key };
    key[f.name] = converted;
    fields.push({ ...f, type: want });
    purpose += `\u0000${String(want)}`;
  }
  if (key === undefined) return change;
  const schema = derivedStruct(change.schema, purpose, () => fields);
  return { op: "delete", key, schema: schema ?? change.schema };
}
