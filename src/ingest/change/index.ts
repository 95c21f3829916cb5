// Changes: decoded records of upsert routes as upserts and deletes by key (envelope none, or Debezium
// change events in JSON with or without schema, Avro, JSON Schema or Protobuf), the Kafka key decoder
// for tombstones, and the optional CDC metadata columns. Pure functions: no I/O besides registry lookups.
// Part of ingest: may import what ingest may (errors, log, config, iceberg/*, catalog, upsert) and the
// sibling ingest folders through their index.ts (decode, schema).

export { CDC_COLUMNS, type CdcSource, cdcPosition, cdcSchema, withCdcColumns } from "./cdc-columns.js";
export { type Change, type ChangeOptions, recordChange, toChange } from "./change.js";
export {
  type CompiledConnectSchema,
  compileConnectSchema,
  EMPTY_RECORD,
  isConnectEnvelope,
} from "./connect.js";
export { DebeziumJsonDecoder, KeyDecoder, keyDecoderFor } from "./decoders.js";
export { alignDeleteKey } from "./key-types.js";
