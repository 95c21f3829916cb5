/**
 * Column builders for buffered records. Values go into Arrow's own layouts as records arrive: numbers
 * into typed arrays, strings into UTF-8 bytes, uuid and fixed values into their bytes, decimals into
 * 16-byte words, structs into one builder per field and lists into offsets plus an element builder.
 * A buffered record so leaves almost nothing on the JS heap for the garbage collector to trace, and the
 * commit hands the arrays to Arrow without converting them. Maps and binary keep their JS values. A
 * value that does not fit the builder (a record whose field has another type) turns the builder into a
 * plain value array, which is always correct, only slower.
 */
import { decimalParams, fixedLength, type IcebergType, writeUuidBytes } from "../../iceberg/spec/index.js";
import type { ColumnInput, ColumnSource, WriteField, WriteType } from "../../iceberg/write/index.js";
import { type Kind, kindOf } from "./column-kind.js";
import { setInt64 } from "./growable.js";

const MIN_CAPACITY = 256;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A plain object holding a struct's fields (not an array, map, byte array or date). */
function isFieldObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof Date)
  );
}

/** A rough heap size of a JS value (the values of columns kept as values: maps, binary, mismatches). */
function jsSize(v: unknown, depth = 0): number {
  if (typeof v === "string") return 16 + v.length * 2;
  if (typeof v !== "object" || v === null) return 16;
  if (v instanceof Uint8Array) return 64 + v.length;
  if (depth > 3) return 64;
  let n = 32;
  if (v instanceof Map) for (const [k, x] of v) n += 16 + jsSize(k, depth + 1) + jsSize(x, depth + 1);
  else if (Array.isArray(v)) for (const x of v) n += 8 + jsSize(x, depth + 1);
  else for (const k in v) n += 16 + jsSize((v as Record<string, unknown>)[k], depth + 1);
  return n;
}

export class ColumnBuilder implements ColumnSource {
  private kind: Kind;
  /** Rows covered so far (set, or missing before a later set). */
  length = 0;
  private capacity = 0;
  /** One byte per row, 1 = null or missing. */
  private nulls = new Uint8Array(0);
  private i32 = new Int32Array(0);
  private i64 = new BigInt64Array(0);
  /** The same memory as i64, as 32-bit words (numbers are written without making a BigInt). */
  private i64w = new Uint32Array(0);
  private f64 = new Float64Array(0);
  private bools = new Uint8Array(0);
  /** utf8 and list: length + 1 offsets into `bytes` / the element builder. */
  private offsets = new Int32Array(0);
  /** utf8: UTF-8 bytes; fixed: `width` bytes per row; dec: 16 bytes per row. */
  private bytes = Buffer.alloc(0);
  private used = 0;
  /** dec: the same memory as `bytes`, two 64-bit words per row (low first). */
  private dec = new BigInt64Array(0);
  private readonly width: number;
  private readonly limit: bigint;
  private readonly children = new Map<string, ColumnBuilder>();
  private element: ColumnBuilder | undefined;
  /** struct / list: bytes the children took for the value being set. */
  private childBytes = 0;
  private values: unknown[] = [];

  constructor(private readonly type: IcebergType) {
    this.kind = kindOf(type);
    const dec = decimalParams(type);
    this.width = type === "uuid" ? 16 : dec !== undefined ? 16 : (fixedLength(type) ?? 0);
    this.limit = 10n ** BigInt(dec?.precision ?? 0);
    if (typeof type === "object" && type.type === "struct") {
      for (const f of type.fields) this.children.set(f.name, new ColumnBuilder(f.type));
    }
    if (typeof type === "object" && type.type === "list") this.element = new ColumnBuilder(type.element);
  }

  /** Whether this builder stores 64-bit integers (then a safe integer number is stored as it is). */
  get int64(): boolean {
    return this.kind === "i64";
  }

  /** Whether this builder fell back to keeping JS values (slower and larger than its layout). */
  get jsValues(): boolean {
    return this.kind === "any";
  }

  /** Whether this builder stores doubles (a safe integer is one exactly). */
  get float64(): boolean {
    return this.kind === "f64";
  }

  /**
   * Sets row i (rows between the last one set and i become null); returns the bytes the value takes
   * in this column (its slots, bytes and null flag; an estimate for values kept as JS values).
   */
  set(i: number, v: unknown): number {
    // Strings and lists are append-only: rewriting a row turns the column into JS values, unless the
    // row keeps its value (a converted record sets every column again, mostly to what it held).
    if (i < this.length && (this.kind === "utf8" || this.kind === "list")) {
      if (this.kind === "utf8" && this.holds(i, v)) return 0;
      this.toAny();
    }
    if (i >= this.capacity) this.grow(i + 1);
    if (i > this.length) this.fill(i);
    let size: number;
    if (v === null || v === undefined) {
      if (this.kind === "any") this.values[i] = null;
      else this.nulls[i] = 1;
      if (this.kind === "utf8") this.offsets[i + 1] = this.used;
      if (this.kind === "list") this.offsets[i + 1] = this.offsets[i] ?? 0;
      size = this.kind === "any" ? 8 : 1 + this.slotBytes();
    } else {
      const before = this.kind === "utf8" ? this.used : 0;
      this.childBytes = 0;
      if (!this.put(i, v)) {
        this.toAny();
        this.values[i] = v;
      } else if (this.kind !== "any") this.nulls[i] = 0;
      if (this.kind === "any") size = 8 + jsSize(v);
      else size = 1 + this.slotBytes() + (this.kind === "utf8" ? this.used - before : this.childBytes);
    }
    if (i >= this.length) this.length = i + 1;
    return size;
  }

  /** Bytes per row of this column's own arrays (children and string bytes aside). */
  private slotBytes(): number {
    switch (this.kind) {
      case "bool":
        return 1;
      case "i32":
      case "utf8":
      case "list":
        return 4;
      case "i64":
      case "f64":
        return 8;
      case "fixed":
      case "dec":
        return this.width;
      default:
        return 0;
    }
  }

  private put(i: number, v: unknown): boolean {
    switch (this.kind) {
      case "i32":
        if (typeof v !== "number" || (v | 0) !== v) return false;
        this.i32[i] = v;
        return true;
      case "i64":
        if (typeof v === "bigint") {
          if (v < INT64_MIN || v > INT64_MAX) return false;
          this.i64[i] = v;
        } else if (typeof v === "number" && Number.isSafeInteger(v)) setInt64(this.i64, this.i64w, i, v);
        else return false;
        return true;
      case "f64":
        // A JSON integer in a column of doubles (its record inferred long) is one exactly up to 2^53.
        if (typeof v === "bigint" && v >= -MAX_SAFE && v <= MAX_SAFE) v = Number(v);
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
      case "fixed":
        return this.putFixed(i, v);
      case "dec":
        return this.putDecimal(i, v);
      case "struct":
        return this.putStruct(i, v);
      case "list":
        return this.putList(i, v);
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

  /** uuid (canonical string or 16 bytes) and fixed[L] (L bytes). */
  private putFixed(i: number, v: unknown): boolean {
    const at = i * this.width;
    if (v instanceof Uint8Array) {
      if (v.length !== this.width) return false;
      this.bytes.set(v, at);
      return true;
    }
    return typeof v === "string" && this.type === "uuid" && writeUuidBytes(v, this.bytes, at);
  }

  /** Unscaled decimal (bigint or safe integer) within the precision, as 16-byte two's complement. */
  private putDecimal(i: number, v: unknown): boolean {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) return false;
      v = BigInt(v);
    }
    if (typeof v !== "bigint" || v >= this.limit || v <= -this.limit) return false;
    this.dec[2 * i] = BigInt.asIntN(64, v);
    this.dec[2 * i + 1] = BigInt.asIntN(64, v >> 64n);
    return true;
  }

  private putStruct(i: number, v: unknown): boolean {
    if (!isFieldObject(v)) return false;
    // a field we have no column for
    for (const name in v) if (Object.hasOwn(v, name) && !this.children.has(name)) return false;
    let n = 0;
    for (const [name, child] of this.children) n += child.set(i, v[name]);
    this.childBytes = n;
    return true;
  }

  private putList(i: number, v: unknown): boolean {
    const element = this.element;
    if (!Array.isArray(v) || element === undefined) return false;
    let k = this.offsets[i] ?? 0;
    let n = 0;
    for (const e of v) n += element.set(k++, e);
    this.offsets[i + 1] = k;
    this.childBytes = n;
    return true;
  }

  /** Marks rows [length, to) as missing. */
  private fill(to: number): void {
    if (this.kind === "any") return; // holes read as undefined
    this.nulls.fill(1, this.length, to);
    if (this.kind === "utf8") this.offsets.fill(this.used, this.length + 1, to + 1);
    if (this.kind === "list") this.offsets.fill(this.offsets[this.length] ?? 0, this.length + 1, to + 1);
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
    if (this.kind === "i64") {
      this.i64 = resize(this.i64, cap);
      this.i64w = new Uint32Array(this.i64.buffer);
    }
    if (this.kind === "f64") this.f64 = resize(this.f64, cap);
    if (this.kind === "bool") this.bools = resize(this.bools, cap);
    if (this.kind === "utf8" || this.kind === "list") this.offsets = resize(this.offsets, cap + 1);
    if (this.kind === "fixed" || this.kind === "dec") {
      const next = Buffer.alloc(cap * this.width);
      this.bytes.copy(next);
      this.bytes = next;
      if (this.kind === "dec") this.dec = new BigInt64Array(next.buffer, next.byteOffset, cap * 2);
    }
    this.capacity = cap;
  }

  /** Whether string row i already holds `v` (null and undefined alike). */
  private holds(i: number, v: unknown): boolean {
    if (v === null || v === undefined) return this.nulls[i] === 1;
    return typeof v === "string" && this.nulls[i] === 0 && this.get(i) === v;
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
      case "fixed":
        return this.fixedAt(i);
      case "dec":
        return BigInt.asUintN(64, this.dec[2 * i] ?? 0n) + ((this.dec[2 * i + 1] ?? 0n) << 64n);
      case "struct": {
        const row: Record<string, unknown> = {};
        for (const [name, child] of this.children) row[name] = child.get(i);
        return row;
      }
      case "list": {
        const out: unknown[] = [];
        for (let k = this.offsets[i] ?? 0; k < (this.offsets[i + 1] ?? 0); k++)
          out.push(this.element?.get(k));
        return out;
      }
    }
  }

  private fixedAt(i: number): unknown {
    const b = this.bytes.subarray(i * this.width, (i + 1) * this.width);
    if (this.type !== "uuid") return Uint8Array.from(b);
    const hex = b.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
    this.i64w = new Uint32Array(0);
    this.f64 = new Float64Array(0);
    this.bools = new Uint8Array(0);
    this.offsets = new Int32Array(0);
    this.bytes = Buffer.alloc(0);
    this.dec = new BigInt64Array(0);
    this.used = 0;
    this.children.clear();
    this.element = undefined;
  }

  /** Whether this builder's storage is the layout `type` takes as it is. */
  private fits(type: WriteType): boolean {
    const kind = kindOf(type.kind);
    if (this.kind !== kind) return false;
    switch (type.kind) {
      case "uuid":
        return this.type === "uuid";
      case "fixed":
        return this.type !== "uuid" && this.width === type.length;
      case "decimal": {
        const own = decimalParams(this.type);
        return own !== undefined && own.scale === type.scale && own.precision <= type.precision;
      }
      default:
        return kind !== "any" && kind !== "bool";
    }
  }

  /** The first n rows as writer input for `field`: the arrays themselves when their layout fits. */
  input(field: WriteField, n: number): ColumnInput {
    if (n > this.capacity) this.grow(n);
    if (n > this.length) {
      this.fill(n);
      this.length = n;
    }
    // Arrow's boolean builder takes values only; other layouts that do not fit are converted.
    if (!this.fits(field.type)) {
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = this.get(i);
      return out;
    }
    const nulls = this.nulls.subarray(0, n);
    const t = field.type;
    switch (this.kind) {
      case "i32":
        return { kind: "typed", values: this.i32.subarray(0, n), nulls };
      case "i64":
        return { kind: "typed", values: this.i64.subarray(0, n), nulls };
      case "f64":
        return { kind: "typed", values: this.f64.subarray(0, n), nulls };
      case "fixed":
        return { kind: "fixed", length: n, data: this.bytes.subarray(0, n * this.width), nulls };
      case "dec":
        return {
          kind: "decimal",
          words: new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, n * 4),
          nulls,
        };
      case "struct": {
        const children: Record<string, ColumnInput> = {};
        if (t.kind === "struct")
          for (const f of t.fields) {
            const child = this.children.get(f.name);
            if (child !== undefined) children[f.name] = child.input(f, n);
          }
        return { kind: "struct", length: n, children, nulls };
      }
      case "list": {
        const offsets = this.offsets.subarray(0, n + 1);
        const element = this.element;
        if (t.kind !== "list" || element === undefined) throw new Error("list builder without a list field");
        const field: WriteField = {
          id: t.elementId,
          name: "element",
          required: t.elementRequired,
          type: t.element,
        };
        return { kind: "list", offsets, elements: element.input(field, offsets[n] ?? 0), nulls };
      }
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
