/**
 * A decoded record of an upsert route as a change to its table: the row to keep for a key, a delete of
 * a key, or nothing (a record to skip).
 *
 * envelope none: a value is the row to keep (every key field present and non-null); a tombstone deletes
 * the row keyed by the Kafka key.
 * envelope debezium: the value is a Debezium change event (decoded from any format: JSON with or without
 * schema, Avro/JSON Schema/Protobuf through the registry, all giving a row with `before`, `after`, `op`,
 * `source`): op c (create), r (snapshot read), u (update) keep `after`; d deletes the row keyed by
 * `before` (by the Kafka key when `before` is null or lacks the key); a tombstone deletes by the Kafka key
 * (Debezium sends one after each delete, so it repeats the delete: harmless); t (truncate), m (message) and
 * anything without an op (e.g. schema-change events) are skipped (null).
 * Key errors are KEY_INVALID naming the field, which the route's onError handles (dead letter, skip, fail).
 */

import { FloeError } from "../../errors.js";
import type { NestedField, StructType } from "../../iceberg/spec/index.js";
import type { DecodedRecord, DecodeInput, Decoder } from "../decode/index.js";
import { type CdcSource, withCdcColumns } from "./cdc-columns.js";
import { compileConnectSchema, EMPTY_RECORD, isConnectEnvelope } from "./connect.js";
import { derivedStruct } from "./structs.js";

export type Change =
  /** The row to keep for its key; `schema` has local field ids, as decoders give. */
  | { op: "upsert"; row: Record<string, unknown>; schema: StructType }
  /** A delete of the row with this key: only the key fields, in `ChangeOptions.key` order (local ids). */
  | { op: "delete"; key: Record<string, unknown>; schema: StructType };

export interface ChangeOptions {
  readonly key: readonly string[];
  readonly envelope: "none" | "debezium";
  /** debezium: add `_cdc_op`, `_cdc_ts_ms`, `_cdc_pos` to upserted rows (cdc-columns.ts). Default false. */
  readonly cdcColumns?: boolean;
}

type Row = Record<string, unknown>;

function keyInvalid(message: string, field: string): FloeError {
  return new FloeError("KEY_INVALID", message, { context: { field } });
}

const present = (v: unknown) => v !== null && v !== undefined;

/** Throws KEY_INVALID unless every key field has a value in `row`. */
function requireKeys(key: readonly string[], row: Row, what: string): void {
  for (const k of key) {
    if (!present(row[k])) throw keyInvalid(`key field "${k}" is null or missing in the ${what}`, k);
  }
}

/** The struct of only the key fields of `source`, in key order (ids 1..n). */
function keyStruct(source: StructType, key: readonly string[], what: string): StructType {
  return derivedStruct(source, `key\u0000${key.join("\u0000")}`, (s) =>
    key.map((k) => {
      const f = s.fields.find((x) => x.name === k);
      if (f === undefined) throw keyInvalid(`key field "${k}" is not a field of the ${what}`, k);
      return f;
    }),
  ) as StructType;
}

function pick(row: Row, key: readonly string[]): Row {
  const out: Row = {};
  for (const k of key) out[k] = row[k];
  return out;
}

/** The delete for a Kafka key record: its key fields, or its only field when the key is one field. */
function deleteByKafkaKey(key: readonly string[], record: DecodedRecord | null): Change {
  if (record === null || record === EMPTY_RECORD) {
    throw keyInvalid("a delete without a Kafka key cannot be keyed", key[0] ?? "");
  }
  const only = record.schema.fields[0];
  if (key.length === 1 && record.schema.fields.length === 1 && only !== undefined && only.name !== key[0]) {
    // A bare scalar / primitive key (a one-field struct under another name): its value is the key.
    const name = key[0] as string;
    const value = record.row[only.name];
    if (!present(value)) throw keyInvalid(`key field "${name}" is null in the Kafka key`, name);
    const schema = renamedKey(record.schema, name);
    return { op: "delete", key: { [name]: value }, schema };
  }
  requireKeys(key, record.row, "Kafka key");
  return { op: "delete", key: pick(record.row, key), schema: keyStruct(record.schema, key, "Kafka key") };
}

/** A one-field struct with its field renamed to `name`. */
function renamedKey(source: StructType, name: string): StructType {
  return derivedStruct(source, `rename\u0000${name}`, (s) => [
    { ...(s.fields[0] as NestedField), name },
  ]) as StructType;
}

/** The struct type of a field of an envelope (`after`, `before`), or null. */
function part(envelope: StructType, name: string): StructType | null {
  return derivedStruct(envelope, name, (s) => {
    const t = s.fields.find((f) => f.name === name)?.type;
    return typeof t === "object" && t.type === "struct" ? t.fields : null;
  });
}

/** A JsonConverter `{schema, payload}` row (the plain json decoder's output) as the envelope it holds. */
function unwrapConnect(value: DecodedRecord): DecodedRecord | null {
  const row = value.row;
  if (!isConnectEnvelope(row)) return value;
  if (row.schema === null || row.payload === null) return null;
  const compiled = compileConnectSchema(row.schema);
  return { row: compiled.toRow(row.payload), schema: compiled.struct };
}

function debeziumChange(
  opts: ChangeOptions,
  envelope: DecodedRecord,
  keyOf: () => DecodedRecord | null,
): Change | null {
  const row = envelope.row;
  const op = row.op;
  if (op === "c" || op === "r" || op === "u") {
    const after = row.after;
    const schema = part(envelope.schema, "after");
    if (typeof after !== "object" || after === null || schema === null) {
      throw new FloeError("DECODE_FAILED", `Debezium event with op "${op}" has no after row`, {
        context: { field: "after" },
      });
    }
    requireKeys(opts.key, after as Row, "after row");
    const change = { op: "upsert" as const, row: after as Row, schema };
    return opts.cdcColumns ? withCdcColumns(change, op, row.source as CdcSource, row.ts_ms) : change;
  }
  if (op === "d") {
    const before = row.before as Row | null | undefined;
    const schema = part(envelope.schema, "before");
    if (
      before !== null &&
      before !== undefined &&
      schema !== null &&
      opts.key.every((k) => present(before[k]))
    ) {
      return { op: "delete", key: pick(before, opts.key), schema: keyStruct(schema, opts.key, "before row") };
    }
    return deleteByKafkaKey(opts.key, keyOf());
  }
  return null;
}

/**
 * The change a record makes. `value` is the decoded value, null for a tombstone; `keyOf` decodes the
 * record's Kafka key (called only for deletes that need it). Null: skip the record.
 */
export function toChange(
  opts: ChangeOptions,
  value: DecodedRecord | null,
  keyOf: () => DecodedRecord | null,
): Change | null {
  const decoded = value === null || value === EMPTY_RECORD ? null : unwrapConnect(value);
  if (decoded === null) return deleteByKafkaKey(opts.key, keyOf());
  if (opts.envelope === "debezium") return debeziumChange(opts, decoded, keyOf);
  requireKeys(opts.key, decoded.row, "value");
  return { op: "upsert", row: decoded.row, schema: decoded.schema };
}

const NEEDS_AWAIT = Symbol("key needs await");

/**
 * toChange for a Kafka record, decoding its key with `keys` (keyDecoderFor) only when a delete needs it.
 * Synchronous unless the key's registry schema has to be fetched first (then a promise).
 */
export function recordChange(
  opts: ChangeOptions,
  value: DecodedRecord | null,
  keys: Decoder,
  input: DecodeInput,
): Change | null | Promise<Change | null> {
  const keyInput: DecodeInput = { ...input, value: input.key };
  try {
    return toChange(opts, value, () => {
      if (input.key === null) return null;
      const k = keys.decodeSync?.(keyInput);
      if (k === undefined) throw NEEDS_AWAIT;
      return k;
    });
  } catch (e) {
    if (e !== NEEDS_AWAIT) throw e;
  }
  return keys.decode(keyInput).then((k) => toChange(opts, value, () => k));
}
