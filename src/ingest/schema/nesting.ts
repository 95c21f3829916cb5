/**
 * A cap on how deeply a record's schema may nest. The write path cannot take much more: parquet-wasm
 * refuses the Arrow IPC schema of a column nested ~60 levels deep (flatbuffers' depth limit), and the
 * metadata JSON writer recurses per level. A deeper record that reached the committer would first add
 * its column to the table, then fail every later write of that table, so it is refused when decoded,
 * as that record's error (dead letter, skip or fail per the route).
 */
import { FloeError } from "../../errors.js";
import type { IcebergType, StructType } from "../../iceberg/spec/index.js";

/** Nesting levels a record may use; a map counts 2 (Arrow's entries struct, then key/value). */
export const MAX_NESTING = 32;

const checked = new WeakMap<StructType, boolean>();

/** Whether `type` needs more than `budget` levels (stops descending once it does). */
function deeper(type: IcebergType, budget: number): boolean {
  if (typeof type === "string") return false;
  const cost = type.type === "map" ? 2 : 1;
  if (cost > budget) return true;
  switch (type.type) {
    case "struct":
      return type.fields.some((f) => deeper(f.type, budget - cost));
    case "list":
      return deeper(type.element, budget - cost);
    case "map":
      return deeper(type.key, budget - cost) || deeper(type.value, budget - cost);
  }
}

let lastFine: StructType | undefined;

/** Throws DECODE_FAILED when a record schema nests deeper than MAX_NESTING. Cached per schema object. */
export function checkNesting(schema: StructType): void {
  if (schema === lastFine) return; // consecutive records mostly share one schema object
  let tooDeep = checked.get(schema);
  if (tooDeep === undefined) {
    tooDeep = schema.fields.some((f) => deeper(f.type, MAX_NESTING));
    checked.set(schema, tooDeep);
  }
  if (!tooDeep) lastFine = schema;
  if (tooDeep) {
    throw new FloeError("DECODE_FAILED", `record nests deeper than ${MAX_NESTING} levels`, {
      context: { maxNesting: MAX_NESTING },
    });
  }
}
