/**
 * Structs derived from a record's schema (the `after` part of an envelope, key fields, CDC columns
 * appended), renumbered 1..n and interned by shape: records whose derived structs have one shape get the
 * same StructType object, even when their own schemas differ (a schemaless Debezium create has no
 * `before` field, its update has one), so callers may cache schema evolution by identity.
 */

import type { NestedField, StructType } from "../../iceberg/spec/index.js";
import { numberFields, shapeKey } from "../schema/index.js";

const MAX_SHAPES = 1024;
const byShape = new Map<string, StructType>();

/** The interned struct of these fields (ids renumbered 1..n). */
function intern(fields: NestedField[]): StructType {
  const key = shapeKey(fields);
  let out = byShape.get(key);
  if (out === undefined) {
    if (byShape.size >= MAX_SHAPES) byShape.clear();
    out = numberFields(fields.map((f) => ({ ...f, id: 0 })));
    byShape.set(key, out);
  }
  return out;
}

const derived = new WeakMap<StructType, Map<string, StructType | null>>();

/**
 * The struct `derive` makes from `source` (null when there is none), computed once per source struct
 * and `purpose` and interned by shape.
 */
export function derivedStruct(
  source: StructType,
  purpose: string,
  derive: (source: StructType) => NestedField[] | null,
): StructType | null {
  let cache = derived.get(source);
  if (cache === undefined) {
    cache = new Map();
    derived.set(source, cache);
  }
  let out = cache.get(purpose);
  if (out === undefined) {
    const fields = derive(source);
    out = fields === null ? null : intern(fields);
    cache.set(purpose, out);
  }
  return out;
}
