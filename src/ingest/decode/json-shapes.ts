/**
 * The inferred structs of a JSON topic's recent records, so that a record of a recent shape skips its
 * inference, shape key and intern lookup. Topics whose producers write one shape (the common case) spend
 * half their decode time on that otherwise (flat 12-field records: 3.7 -> 1.7 us per record). Topics
 * whose records vary (optional fields left out, dozens of shapes) gain nothing, since comparing against
 * recent shapes misses as often as not: when fewer than nine in ten records hit, the cache stands aside
 * for a while and then tries again.
 */
import type { StructType } from "../../iceberg/spec/index.js";

type Obj = Record<string, unknown>;

/**
 * Whether inferring `value`'s schema would give `struct` again: the same keys in the same order, each
 * with a value of the inferred type (objects compared field by field). Nulls (left out of an inferred
 * schema) and arrays (whose element types merge) answer false, and inference decides.
 */
export function sameShape(struct: StructType, value: Obj): boolean {
  const fields = struct.fields;
  let i = 0;
  for (const k in value) {
    const f = fields[i++];
    if (f === undefined || f.name !== k) return false;
    const v = value[k];
    const t = f.type;
    switch (typeof v) {
      case "string":
        if (t !== "string") return false;
        break;
      case "number":
        if (!Number.isFinite(v) || t !== (Number.isInteger(v) ? "long" : "double")) return false;
        break;
      case "boolean":
        if (t !== "boolean") return false;
        break;
      case "bigint":
        if (t !== "long") return false;
        break;
      case "object":
        if (v === null || Array.isArray(v) || typeof t !== "object" || t.type !== "struct") return false;
        if (!sameShape(t, v as Obj)) return false;
        break;
      default:
        return false;
    }
  }
  return i === fields.length;
}

/** Shapes kept, most recent first. */
const KEPT = 4;
/** Lookups per verdict on whether the cache pays. */
const WINDOW = 1024;
/** Records the cache stands aside for after a window with too few hits. */
const PAUSE = 16 * WINDOW;

export class RecentShapes {
  readonly #shapes: StructType[] = [];
  #lookups = 0;
  #hits = 0;
  #paused = 0;

  /** A recent struct that inferring `value` would give (moved to the front), or undefined. */
  find(value: Obj): StructType | undefined {
    if (this.#paused > 0) {
      this.#paused--;
      return undefined;
    }
    const found = this.#lookup(value);
    if (found !== undefined) this.#hits++;
    if (++this.#lookups === WINDOW) {
      if (this.#hits * 10 < WINDOW * 9) this.#paused = PAUSE;
      this.#lookups = 0;
      this.#hits = 0;
    }
    return found;
  }

  /** A struct just inferred (not found by `find`). */
  add(struct: StructType): void {
    this.#shapes.unshift(struct);
    if (this.#shapes.length > KEPT) this.#shapes.pop();
  }

  #lookup(value: Obj): StructType | undefined {
    const shapes = this.#shapes;
    for (let i = 0; i < shapes.length; i++) {
      const s = shapes[i] as StructType;
      if (!sameShape(s, value)) continue;
      if (i > 0) {
        shapes.copyWithin(1, 0, i);
        shapes[0] = s;
      }
      return s;
    }
    return undefined;
  }
}
