/**
 * Iceberg data-file metrics computed from the Arrow columns being written (exact, and cheaper than
 * decoding Parquet statistics back): per leaf field id, value count (nulls included), null count,
 * NaN count (float/double), and lower/upper bounds as JS values (see BoundValue).
 *
 * Semantics:
 * - A leaf inside a struct counts one value per row; it is null where it or any ancestor struct is null.
 * - A leaf inside a list or map counts one value per element of the non-null lists/maps; null and empty
 *   lists contribute nothing. Bounds are not kept for these (Iceberg cannot use them for pruning).
 * - Strings and binary compare as unsigned bytes (UTF-8 byte order = Unicode code point order).
 * - NaN is counted, never a bound. A zero lower bound is -0.0 and a zero upper bound is +0.0.
 * - Metrics modes: none -> nothing recorded, counts -> counts only, truncate(N)/full -> counts and
 *   untruncated bounds; truncation to N happens when the spec layer serialises the bounds.
 * 64-bit Iceberg fields (record count, counts) are bigint.
 */
import * as arrow from "apache-arrow";
import { FloeError } from "../../errors.js";
import { isUuidField } from "./arrow-types.js";
import { assertFieldIds, fieldIdOf } from "./field-id.js";
import {
  BoolAccumulator,
  type BoundValue,
  BytesAccumulator,
  DecimalAccumulator,
  FixedAccumulator,
  FloatAccumulator,
  Int32Accumulator,
  Int64Accumulator,
  type LeafAccumulator,
} from "./metrics-kernels.js";
import { DEFAULT_METRICS_MODE, type MetricsMode, recordsBounds } from "./metrics-mode.js";

export type { BoundValue } from "./metrics-kernels.js";

export interface FileMetrics {
  recordCount: bigint;
  /** The mode applied to every leaf field id (including those with mode none). */
  modes: Map<number, MetricsMode>;
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  /** Only float and double leaves. */
  nanValueCounts: Map<number, bigint>;
  /** Untruncated; absent when the mode records no bounds, the leaf is in a list/map, or all are null/NaN. */
  lowerBounds: Map<number, BoundValue>;
  upperBounds: Map<number, BoundValue>;
}

export interface MetricsOptions {
  /** Mode for leaves not in `modes` (default truncate(16)). */
  readonly defaultMode?: MetricsMode;
  /** Per field id modes. */
  readonly modes?: ReadonlyMap<number, MetricsMode>;
}

type Node =
  | {
      kind: "leaf";
      fieldId: number;
      mode: MetricsMode;
      bounds: boolean;
      acc: LeafAccumulator;
      isFloat: boolean;
    }
  | { kind: "struct"; children: Node[] }
  | { kind: "list"; child: Node }
  | { kind: "skip" };

/** Accumulates metrics over the record batches of one data file. */
export class MetricsCollector {
  private rows = 0;
  private readonly roots: Node[];
  private readonly leaves: Extract<Node, { kind: "leaf" }>[] = [];
  private readonly modes = new Map<number, MetricsMode>();

  constructor(
    private readonly schema: arrow.Schema,
    opts: MetricsOptions = {},
  ) {
    assertFieldIds(schema);
    const defaultMode = opts.defaultMode ?? DEFAULT_METRICS_MODE;
    const modeOf = (id: number) => opts.modes?.get(id) ?? defaultMode;
    this.roots = schema.fields.map((f) => this.plan(f, modeOf, false));
  }

  private plan(field: arrow.Field, modeOf: (id: number) => MetricsMode, repeated: boolean): Node {
    const t = field.type;
    if (arrow.DataType.isStruct(t)) {
      const children = t.children.map((c) => this.plan(c, modeOf, repeated));
      return children.every((c) => c.kind === "skip") ? { kind: "skip" } : { kind: "struct", children };
    }
    if (arrow.DataType.isList(t) || arrow.DataType.isMap(t)) {
      const child = this.plan(t.children[0]!, modeOf, true);
      return child.kind === "skip" ? child : { kind: "list", child };
    }
    const fieldId = fieldIdOf(field)!;
    const mode = modeOf(fieldId);
    const acc = accumulatorFor(field);
    this.modes.set(fieldId, mode);
    if (mode.kind === "none") return { kind: "skip" };
    const isFloat = arrow.DataType.isFloat(t);
    const leaf = {
      kind: "leaf" as const,
      fieldId,
      mode,
      bounds: recordsBounds(mode) && !repeated,
      acc,
      isFloat,
    };
    this.leaves.push(leaf);
    return leaf;
  }

  /** Adds one record batch (its schema must be the collector's). */
  addBatch(batch: arrow.RecordBatch): void {
    if (batch.schema.fields.length !== this.schema.fields.length) {
      throw new FloeError("INVALID_ARGUMENT", "record batch schema does not match the metrics schema");
    }
    const n = batch.numRows;
    for (const [i, node] of this.roots.entries()) visit(node, batch.data.children[i]!, n, null);
    this.rows += n;
  }

  /** Adds every batch of a table. */
  addTable(table: arrow.Table): void {
    for (const b of table.batches) this.addBatch(b);
  }

  result(): FileMetrics {
    const m: FileMetrics = {
      recordCount: BigInt(this.rows),
      modes: new Map(this.modes),
      valueCounts: new Map(),
      nullValueCounts: new Map(),
      nanValueCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
    };
    for (const leaf of this.leaves) {
      const { acc, fieldId } = leaf;
      m.valueCounts.set(fieldId, BigInt(acc.values));
      m.nullValueCounts.set(fieldId, BigInt(acc.nulls));
      if (leaf.isFloat) m.nanValueCounts.set(fieldId, BigInt(acc.nans));
      if (!leaf.bounds) continue;
      const lo = acc.lower();
      const hi = acc.upper();
      if (lo !== undefined && hi !== undefined) {
        m.lowerBounds.set(fieldId, lo);
        m.upperBounds.set(fieldId, hi);
      }
    }
    return m;
  }
}

/** Metrics of a whole table (one data file). */
export function computeMetrics(table: arrow.Table, opts: MetricsOptions = {}): FileMetrics {
  const c = new MetricsCollector(table.schema, opts);
  c.addTable(table);
  return c.result();
}

function accumulatorFor(field: arrow.Field): LeafAccumulator {
  const t = field.type;
  const unsupported = () =>
    new FloeError("UNSUPPORTED", `no Iceberg metrics for Arrow type ${String(t)} (field ${field.name})`);
  switch (t.typeId) {
    case arrow.Type.Bool:
      return new BoolAccumulator();
    case arrow.Type.Int: {
      const it = t as arrow.Int;
      if (!it.isSigned || (it.bitWidth !== 32 && it.bitWidth !== 64)) throw unsupported();
      return it.bitWidth === 32 ? new Int32Accumulator() : new Int64Accumulator();
    }
    case arrow.Type.Float: {
      const p = (t as arrow.Float).precision;
      if (p === arrow.Precision.HALF) throw unsupported();
      return new FloatAccumulator();
    }
    case arrow.Type.Date:
      if ((t as arrow.Date_).unit !== arrow.DateUnit.DAY) throw unsupported();
      return new Int32Accumulator();
    case arrow.Type.Time:
      if ((t as arrow.Time).bitWidth !== 64) throw unsupported();
      return new Int64Accumulator();
    case arrow.Type.Timestamp:
      return new Int64Accumulator();
    case arrow.Type.Utf8:
      return new BytesAccumulator(true);
    case arrow.Type.Binary:
      return new BytesAccumulator(false);
    case arrow.Type.FixedSizeBinary:
      return new FixedAccumulator((t as arrow.FixedSizeBinary).byteWidth, isUuidField(field));
    case arrow.Type.Decimal:
      if ((t as arrow.Decimal).bitWidth !== 128) throw unsupported();
      return new DecimalAccumulator();
    default:
      throw unsupported();
  }
}

function isValid(data: arrow.Data, bm: Uint8Array | null, i: number): boolean {
  if (bm === null) return true;
  const b = data.offset + i;
  return (bm[b >> 3]! & (1 << (b & 7))) !== 0;
}

function visit(node: Node, data: arrow.Data, n: number, state: Uint8Array | null): void {
  switch (node.kind) {
    case "skip":
      return;
    case "leaf":
      node.acc.add(data, n, state, node.bounds);
      return;
    case "struct": {
      let childState = state;
      if (data.nullCount > 0) {
        const bm = data.nullBitmap;
        childState = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const s = state === null ? 2 : state[i]!;
          childState[i] = s === 2 && !isValid(data, bm, i) ? 1 : s;
        }
      }
      for (const [k, child] of node.children.entries()) visit(child, data.children[k]!, n, childState);
      return;
    }
    case "list": {
      // Lists and maps: a Map's child is its entries struct, visited like a list element.
      const child = data.children[0]!;
      const vo = data.valueOffsets as Int32Array;
      const bm = data.nullCount > 0 ? data.nullBitmap : null;
      const childState = new Uint8Array(child.length);
      for (let i = 0; i < n; i++) {
        if (state !== null && state[i] !== 2) continue;
        if (!isValid(data, bm, i)) continue;
        childState.fill(2, vo[i]!, vo[i + 1]!);
      }
      visit(node.child, child, child.length, childState);
      return;
    }
  }
}
