/**
 * Snappy raw block decompression (the format Avro's `snappy` codec uses, minus its trailing CRC32).
 *
 * A block is a varint of the uncompressed length, then elements whose tag byte's low two bits say:
 * 0 literal, 1 copy with an 11-bit offset, 2 copy with a 16-bit offset, 3 copy with a 32-bit offset.
 * Copies may overlap their own output (offset < length), so they go byte by byte.
 */

import { FloeError } from "../../errors.js";

function corrupt(reason: string): FloeError {
  return new FloeError("DECODE_FAILED", `corrupt snappy block: ${reason}`);
}

export function snappyDecompress(input: Uint8Array): Uint8Array {
  let pos = 0;
  const byteAt = (): number => {
    if (pos >= input.length) throw corrupt("unexpected end of input");
    return input[pos++] as number;
  };

  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (shift > 28) throw corrupt("length varint too long");
    const b = byteAt();
    length += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  const out = new Uint8Array(length);
  let op = 0;

  while (pos < input.length) {
    const tag = byteAt();
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = 0;
        for (let i = 0; i < extra; i++) len += byteAt() * 2 ** (8 * i);
      }
      len += 1;
      if (pos + len > input.length) throw corrupt("literal runs past the input");
      if (op + len > length) throw corrupt("literal runs past the output");
      out.set(input.subarray(pos, pos + len), op);
      pos += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | byteAt();
    } else if (kind === 2) {
      len = (tag >>> 2) + 1;
      offset = byteAt() | (byteAt() << 8);
    } else {
      len = (tag >>> 2) + 1;
      offset = (byteAt() | (byteAt() << 8) | (byteAt() << 16)) + byteAt() * 2 ** 24;
    }
    if (offset === 0 || offset > op) throw corrupt(`copy offset ${offset} out of range`);
    if (op + len > length) throw corrupt("copy runs past the output");
    for (let i = 0; i < len; i++, op++) out[op] = out[op - offset] as number;
  }
  if (op !== length) throw corrupt(`expected ${length} bytes, got ${op}`);
  return out;
}
