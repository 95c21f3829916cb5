/** Small conversions of avsc-decoded values into this layer's types, shared by the two decoders. */

import { FloeError } from "../../errors.js";

export function optBigint(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  throw new FloeError("DECODE_FAILED", `expected a long, got ${typeof v}`);
}

export function reqBigint(v: unknown, what: string): bigint {
  const b = optBigint(v);
  if (b === null) throw new FloeError("DECODE_FAILED", `missing required ${what}`);
  return b;
}

export function optInt(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new FloeError("DECODE_FAILED", `expected an int, got ${typeof v}`);
}

export function reqInt(v: unknown, what: string): number {
  const n = optInt(v);
  if (n === null) throw new FloeError("DECODE_FAILED", `missing required ${what}`);
  return n;
}

export function reqString(v: unknown, what: string): string {
  if (typeof v !== "string") throw new FloeError("DECODE_FAILED", `missing required ${what}`);
  return v;
}

export function optBytes(v: unknown): Uint8Array | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new FloeError("DECODE_FAILED", `expected bytes, got ${typeof v}`);
}

/** Iceberg int-keyed map, written as an array of {key, value} records (or, by some writers, an Avro map). */
export function intKeyMap<V>(v: unknown, value: (x: unknown) => V): Map<number, V> | undefined {
  if (v === null || v === undefined) return undefined;
  const out = new Map<number, V>();
  if (Array.isArray(v)) {
    for (const kv of v as Array<{ key: unknown; value: unknown }>)
      out.set(reqInt(kv.key, "map key"), value(kv.value));
  } else if (typeof v === "object") {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out.set(Number(k), value(x));
  } else {
    throw new FloeError("DECODE_FAILED", "expected a map");
  }
  return out;
}

/** Map<number, V> -> the Avro array-of-records form; undefined -> null. */
export function intKeyMapToAvro<V>(
  m: ReadonlyMap<number, V> | undefined,
  value: (x: V) => unknown = (x) => x,
): Array<{ key: number; value: unknown }> | null {
  if (m === undefined || m === null) return null;
  return [...m].map(([key, v]) => ({ key, value: value(v) }));
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
