/**
 * Upsert routes in the sink loop: a record (its decoded value, or none for a tombstone) becomes a change
 * (change/): the row to keep for its key, or a delete keyed by the value's `before` or the Kafka key.
 * Changes are buffered like rows, with their kind (a delete buffers only its key); the commit keeps the
 * last change per key (commit/upsert-commit.ts).
 */
import type { Config } from "../config.js";
import { CHANGE_DELETE, CHANGE_UPSERT, type RecordInput, type TableBuffer } from "./buffer/index.js";
import {
  alignDeleteKey,
  type Change,
  type ChangeOptions,
  keyDecoderFor,
  recordChange,
} from "./change/index.js";
import { type DecodedRecord, type Decoder, SchemaRegistryClient } from "./decode/index.js";
import type { Route } from "./route.js";
import { checkNesting, checkRecordNames } from "./schema/index.js";

export class SinkChanges {
  readonly #keys = new Map<number, Decoder>();
  readonly #options = new Map<number, ChangeOptions>();

  constructor(config: Config, routes: readonly Route[]) {
    const upserts = routes.filter((r) => r.config.mode === "upsert");
    if (upserts.length === 0) return;
    const registry = config.schemaRegistry ? new SchemaRegistryClient(config.schemaRegistry) : undefined;
    for (const route of upserts) {
      this.#keys.set(route.index, keyDecoderFor(route.config, registry));
      this.#options.set(route.index, {
        key: route.config.key ?? [],
        envelope: route.config.envelope,
        // Debezium's source position and event time go with the Kafka metadata columns.
        cdcColumns: route.config.envelope === "debezium" && route.config.metadataColumns,
      });
    }
  }

  /**
   * Buffers the change a record of an upsert route makes; returns the bytes it takes, or null when the
   * record makes none (a Debezium truncate or message event). Throws KEY_INVALID and the decoders'
   * errors, which the record's error path takes.
   */
  buffer(
    buf: TableBuffer,
    route: Route,
    decoded: DecodedRecord | null,
    rec: RecordInput,
  ): number | null | Promise<number | null> {
    const keys = this.#keys.get(route.index);
    const opts = this.#options.get(route.index);
    if (keys === undefined || opts === undefined)
      throw new Error(`route ${route.index} is not an upsert route`);
    const change = recordChange(opts, decoded, keys, rec);
    if (change instanceof Promise) return change.then((c) => add(buf, route, c, rec));
    return add(buf, route, change, rec);
  }
}

function add(buf: TableBuffer, route: Route, found: Change | null, rec: RecordInput): number | null {
  if (found === null) return null;
  // A key read from a Kafka key ("42" is a JSON number) takes the table's key column types.
  const fields = buf.tableSchema?.fields;
  const change = alignDeleteKey(found, (c) => fields?.find((f) => f.name === c)?.type);
  checkNesting(change.schema);
  checkRecordNames(change.schema, route.config.metadataColumns);
  return change.op === "upsert"
    ? buf.add(change.row, change.schema, rec, CHANGE_UPSERT)
    : buf.add(change.key, change.schema, rec, CHANGE_DELETE);
}

/** Formats whose decoders cannot make a row of a null or empty value (string and bytes keep them). */
export function skipsEmptyValues(route: Route): boolean {
  const f = route.config.format;
  return f !== "string" && f !== "bytes";
}
