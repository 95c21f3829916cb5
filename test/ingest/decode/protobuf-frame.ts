import protobuf from "protobufjs";
import { wireHeader } from "../../../src/ingest/decode/index.js";

/** Zigzag varints: the message-index array (a single 0 for [0]). */
function messageIndexes(indexes: number[]): Uint8Array {
  if (indexes.length === 1 && indexes[0] === 0) return Uint8Array.of(0);
  const out: number[] = [];
  for (const n of [indexes.length, ...indexes]) {
    let z = (n << 1) ^ (n >> 31);
    while (z > 0x7f) {
      out.push((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    out.push(z);
  }
  return Uint8Array.from(out);
}

/** Confluent framing around a protobufjs-encoded message of `proto` (parsed on its own, as a producer would). */
export function framed(
  id: number,
  proto: string | string[],
  typeName: string,
  value: object,
  indexes = [0],
): Uint8Array {
  const root = new protobuf.Root();
  for (const text of Array.isArray(proto) ? proto : [proto]) protobuf.parse(text, root, { keepCase: true });
  for (const name of ["timestamp", "wrappers", "duration", "struct", "empty"].map(
    (n) => `google/protobuf/${n}.proto`,
  )) {
    const json = protobuf.common.get(name);
    if (json?.nested) root.addJSON(json.nested);
  }
  const type = root.lookupType(typeName);
  const payload = type.encode(type.fromObject(value)).finish();
  return Buffer.concat([wireHeader(id), messageIndexes(indexes), payload]);
}
