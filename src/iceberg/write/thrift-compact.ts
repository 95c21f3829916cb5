/**
 * A reader for the Thrift compact protocol, enough to decode Parquet's FileMetaData footer.
 *
 * Wire format (Apache Thrift compact protocol spec): a struct is a sequence of field headers, each one
 * byte `delta << 4 | type` (delta 0 means a zigzag varint i16 field id follows), ended by a 0 byte;
 * booleans live in the header's type nibble (1 = true, 2 = false); i16/i32/i64 are zigzag varints;
 * binary/string is a varint length plus bytes; a list header is `size << 4 | elemType` (size 15 means a
 * varint size follows); a map is a varint size then, if non-empty, one `keyType << 4 | valueType` byte.
 */
import { FloeError } from "../../errors.js";

export const CT = {
  STOP: 0,
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

const MAX_DEPTH = 64;
const decoder = new TextDecoder("utf-8", { fatal: false });

export class CompactReader {
  pos: number;
  private depth = 0;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  private fail(what: string): never {
    throw new FloeError("DECODE_FAILED", `corrupt Thrift data: ${what} at byte ${this.pos}`);
  }

  byte(): number {
    if (this.pos >= this.end) this.fail("unexpected end");
    return this.buf[this.pos++]!;
  }

  /** Unsigned varint as a number (exact up to 2^53). */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    return this.fail("varint too long");
  }

  /** Unsigned varint as a bigint (all 64 bits). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    return this.fail("varint too long");
  }

  /** i16 / i32: zigzag varint. */
  i32(): number {
    const n = this.varint();
    if (n > 0xffffffff) this.fail("i32 out of range");
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** i64: zigzag varint. */
  i64(): bigint {
    const n = this.varintBig();
    return (n >> 1n) ^ -(n & 1n);
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail("unexpected end");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Bytes of a binary field (a view into the input; copy it to keep it). */
  binary(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) this.fail("binary past the end");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return decoder.decode(this.binary());
  }

  /** Reads a struct, calling `onField` for each field; it must consume the value (or `skip` it). */
  struct(onField: (id: number, type: number) => void): void {
    if (++this.depth > MAX_DEPTH) this.fail("nesting too deep");
    let last = 0;
    for (;;) {
      const header = this.byte();
      const type = header & 0x0f;
      if (type === CT.STOP) break;
      const delta = header >> 4;
      const id = delta === 0 ? this.i32() : last + delta;
      last = id;
      onField(id, type);
    }
    this.depth--;
  }

  /** Reads a list/set header; returns [size, elementType]. */
  listHeader(): [number, number] {
    const h = this.byte();
    const size = h >> 4 === 15 ? this.varint() : h >> 4;
    if (size > this.end - this.pos) this.fail("list longer than the input");
    return [size, h & 0x0f];
  }

  /** Reads a list, calling `onElem` per element with the element type. */
  list(onElem: (type: number, index: number) => void): void {
    const [size, type] = this.listHeader();
    for (let i = 0; i < size; i++) onElem(type, i);
  }

  /** A boolean struct field: its value is the header's type nibble. */
  static bool(type: number): boolean {
    return type === CT.TRUE;
  }

  /** Skips one value of the given type. */
  skip(type: number): void {
    switch (type) {
      case CT.TRUE:
      case CT.FALSE:
        return;
      case CT.BYTE:
        this.pos++;
        return;
      case CT.I16:
      case CT.I32:
      case CT.I64:
        this.varintBig();
        return;
      case CT.DOUBLE:
        this.pos += 8;
        return;
      case CT.BINARY:
        this.binary();
        return;
      case CT.LIST:
      case CT.SET: {
        const [size, et] = this.listHeader();
        // Booleans inside collections take one byte each.
        for (let i = 0; i < size; i++) this.skip(et === CT.TRUE || et === CT.FALSE ? CT.BYTE : et);
        return;
      }
      case CT.MAP: {
        const size = this.varint();
        if (size === 0) return;
        const kv = this.byte();
        const kt = kv >> 4;
        const vt = kv & 0x0f;
        for (let i = 0; i < size; i++) {
          this.skip(kt === CT.TRUE || kt === CT.FALSE ? CT.BYTE : kt);
          this.skip(vt === CT.TRUE || vt === CT.FALSE ? CT.BYTE : vt);
        }
        return;
      }
      case CT.STRUCT:
        this.struct((_id, t) => this.skip(t));
        return;
      default:
        this.fail(`unknown type ${type}`);
    }
  }
}
