/**
 * Column builders for buffered records. Values of the fixed-width primitive types go straight into typed
 * arrays and strings into UTF-8 bytes as records arrive, so a buffered record leaves almost nothing on
 * the JS heap for the garbage collector to trace, and the commit hands the arrays to Arrow without
 * converting them. Other types (decimal, uuid, binary, nested) keep their JS values. A value that does
 * not fit the builder's kind (a record whose field has another type) turns the builder into a plain
 * value array, which is always correct, only slower.
 */
import type { IcebergType } from "../iceberg/spec/index.js";
import type { ColumnInput, ColumnSource, WriteField } from "../iceberg/write/index.js";

type Kind = "bool" | "i32" | "i64" | "f64" | "utf8" | "any";

/** Storage by type: a primitive Iceberg type, or a write field's type kind (the same names). */
function kindOf(type: IcebergType | WriteField["type"]["kind"]): Kind {
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
    default:
      return "any";
  }
}

const MIN_CAPACITY = 256;

export class ColumnBuilder implements ColumnSource {
  private kind: Kind;
  /** Rows covered so far (set, or missing before a later set). */
  length = 0;
  private capacity = 0;
  /** One byte per row, 1 = null or missing. */
  private nulls = new Uint8Array(0);
  private i32 = new Int32Array(0);
  private i64 = new BigInt64Array(0);
  private f64 = new Float64Array(0);
  private bools = new Uint8Array(0);
  private offsets = new Int32Array(0);
  private bytes = Buffer.alloc(0);
  private used = 0;
  private values: unknown[] = [];

  constructor(type: IcebergType) {
    this.kind = kindOf(type);
  }

  /** Sets row i (rows between the last one set and i become null). */
  set(i: number, v: unknown): void {
    if (i < this.length && this.kind === "utf8") this.toAny(); // strings are append-only
    if (i >= this.capacity) this.grow(i + 1);
    if (i > this.length) this.fill(i);
    if (v === null || v === undefined) {
      if (this.kind === "any") this.values[i] = null;
      else this.nulls[i] = 1;
      if (this.kind === "utf8") this.offsets[i + 1] = this.used;
    } else if (!this.put(i, v)) {
      this.toAny();
      this.values[i] = v;
    } else if (this.kind !== "any") this.nulls[i] = 0;
    if (i >= this.length) this.length = i + 1;
  }

  private put(i: number, v: unknown): boolean {
    switch (this.kind) {
      case "i32":
        if (typeof v !== "number" || (v | 0) !== v) return false;
        this.i32[i] = v;
        return true;
      case "i64":
        if (typeof v === "bigint") {
          if (BigInt.asIntN(64, v) !== v) return false;
          this.i64[i] = v;
        } else if (typeof v === "number" && Number.isSafeInteger(v)) this.i64[i] = BigInt(v);
        else return false;
        return true;
      case "f64":
        if (typeof v !== "number") return false;
        this.f64[i] = v;
        return true;
      case "bool":
        if (typeof v !== "boolean") return false;
        this.bools[i] = v ? 1 : 0;
        return true;
      case "utf8":
        if (typeof v !== "string") return false;
        this.putString(i, v);
        return true;
      case "any":
        this.values[i] = v;
        return true;
    }
  }

  private putString(i: number, s: string): void {
    const max = s.length * 3;
    if (this.used + max > this.bytes.length) {
      const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + max, 64 * 1024));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    let pos = this.used;
    const n = s.length;
    let k = 0;
    for (; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) break;
      this.bytes[pos++] = c;
    }
    if (k < n) pos += this.bytes.write(s.slice(k), pos, "utf8");
    this.used = pos;
    this.offsets[i + 1] = pos;
  }

  /** Marks rows [length, to) as missing. */
  private fill(to: number): void {
    if (this.kind === "any") return; // holes read as undefined
    this.nulls.fill(1, this.length, to);
    if (this.kind === "utf8") this.offsets.fill(this.used, this.length + 1, to + 1);
  }

  private grow(min: number): void {
    const cap = Math.max(min, this.capacity * 2, MIN_CAPACITY);
    const resize = <T extends Uint8Array | Int32Array | BigInt64Array | Float64Array>(a: T, n: number): T => {
      const next = new (a.constructor as new (n: number) => T)(n);
      next.set(a as never);
      return next;
    };
    this.nulls = resize(this.nulls, cap);
    if (this.kind === "i32") this.i32 = resize(this.i32, cap);
    if (this.kind === "i64") this.i64 = resize(this.i64, cap);
    if (this.kind === "f64") this.f64 = resize(this.f64, cap);
    if (this.kind === "bool") this.bools = resize(this.bools, cap);
    if (this.kind === "utf8") this.offsets = resize(this.offsets, cap + 1);
    this.capacity = cap;
  }

  /** Row i's value (null when null or missing). */
  get(i: number): unknown {
    if (i >= this.length) return null;
    if (this.kind === "any") return this.values[i] ?? null;
    if (this.nulls[i] === 1) return null;
    switch (this.kind) {
      case "i32":
        return this.i32[i];
      case "i64":
        return this.i64[i];
      case "f64":
        return this.f64[i];
      case "bool":
        return this.bools[i] === 1;
      case "utf8":
        return this.bytes.toString("utf8", this.offsets[i], this.offsets[i + 1]);
    }
  }

  private toAny(): void {
    if (this.kind === "any") return;
    const values: unknown[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) values[i] = this.get(i);
    this.values = values;
    this.kind = "any";
    this.nulls = new Uint8Array(0);
    this.i32 = new Int32Array(0);
    this.i64 = new BigInt64Array(0);
    this.f64 = new Float64Array(0);
    this.bools = new Uint8Array(0);
    this.offsets = new Int32Array(0);
    this.bytes = Buffer.alloc(0);
    this.used = 0;
  }

  /** The first n rows as writer input for `field`: the arrays themselves when their kind fits. */
  input(field: WriteField, n: number): ColumnInput {
    if (n > this.capacity) this.grow(n);
    if (n > this.length) {
      this.fill(n);
      this.length = n;
    }
    const kind = kindOf(field.type.kind);
    // Arrow's boolean builder takes values only; the others take these arrays as they are.
    if (this.kind !== kind || kind === "any" || kind === "bool") {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.get(i);
      return out;
    }
    const nulls = this.nulls.subarray(0, n);
    switch (this.kind) {
      case "i32":
        return { kind: "typed", values: this.i32.subarray(0, n), nulls };
      case "i64":
        return { kind: "typed", values: this.i64.subarray(0, n), nulls };
      case "f64":
        return { kind: "typed", values: this.f64.subarray(0, n), nulls };
      default:
        return {
          kind: "utf8",
          offsets: this.offsets.subarray(0, n + 1),
          data: new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.used),
          nulls,
        };
    }
  }

  /** A builder of the rows `keep` lists, in that order. */
  pick(keep: readonly number[], type: IcebergType): ColumnBuilder {
    const next = new ColumnBuilder(type);
    if (this.kind === "any") next.toAny();
    for (let j = 0; j < keep.length; j++) next.set(j, this.get(keep[j] ?? 0));
    return next;
  }
}
