/**
 * Debezium change events as the connectors emit them (layout from Debezium's connector documentation):
 * a Postgres `customers` table through JsonConverter with schemas (Connect schema + payload), a MySQL
 * table through JsonConverter without schemas, and the AvroConverter's `<prefix>.<schema>.<table>.Envelope`
 * record with the connector's `Source` struct and the `event.block` transaction struct.
 */

import type { StructType } from "../../../src/iceberg/spec/index.js";
import type { ChangeOptions } from "../../../src/ingest/change/index.js";

const field = (type: string, name: string, optional: boolean, extra: Record<string, unknown> = {}) => ({
  type,
  optional,
  ...extra,
  field: name,
});

/** Columns of public.customers: id serial PK, names, email, balance numeric(10,2), timestamps, plan. */
export const PG_COLUMNS = [
  field("int32", "id", false, { default: 0 }),
  field("string", "first_name", false),
  field("string", "last_name", false),
  field("string", "email", false),
  field("bytes", "balance", true, {
    name: "org.apache.kafka.connect.data.Decimal",
    version: 1,
    parameters: { scale: "2", "connect.decimal.precision": "10" },
  }),
  field("int64", "updated_at", true, { name: "io.debezium.time.MicroTimestamp", version: 1 }),
  field("int32", "signup_date", true, { name: "io.debezium.time.Date", version: 1 }),
  field("string", "last_login", true, { name: "io.debezium.time.ZonedTimestamp", version: 1 }),
  field("string", "plan", true, { default: "free" }),
];

const PG_SOURCE = {
  type: "struct",
  fields: [
    field("string", "version", false),
    field("string", "connector", false),
    field("string", "name", false),
    field("int64", "ts_ms", false),
    field("string", "snapshot", true, {
      name: "io.debezium.data.Enum",
      version: 1,
      parameters: { allowed: "true,last,false,incremental" },
      default: "false",
    }),
    field("string", "db", false),
    field("string", "sequence", true),
    field("int64", "ts_us", true),
    field("int64", "ts_ns", true),
    field("string", "schema", false),
    field("string", "table", false),
    field("int64", "txId", true),
    field("int64", "lsn", true),
    field("int64", "xmin", true),
  ],
  optional: false,
  name: "io.debezium.connector.postgresql.Source",
  field: "source",
};

const TRANSACTION = {
  type: "struct",
  fields: [
    field("string", "id", false),
    field("int64", "total_order", false),
    field("int64", "data_collection_order", false),
  ],
  optional: true,
  name: "event.block",
  version: 1,
  field: "transaction",
};

const VALUE_NAME = "PostgreSQL_server.public.customers.Value";

export const PG_ENVELOPE_SCHEMA = {
  type: "struct",
  fields: [
    { type: "struct", fields: PG_COLUMNS, optional: true, name: VALUE_NAME, field: "before" },
    { type: "struct", fields: PG_COLUMNS, optional: true, name: VALUE_NAME, field: "after" },
    PG_SOURCE,
    TRANSACTION,
    field("string", "op", false),
    field("int64", "ts_ms", true),
    field("int64", "ts_us", true),
    field("int64", "ts_ns", true),
  ],
  optional: false,
  name: "PostgreSQL_server.public.customers.Envelope",
  version: 2,
};

export const PG_KEY_SCHEMA = {
  type: "struct",
  fields: [field("int32", "id", false, { default: 0 })],
  optional: false,
  name: "PostgreSQL_server.public.customers.Key",
};

export function pgSource(lsn: number, tsMs: number, snapshot = "false") {
  return {
    version: "2.7.3.Final",
    connector: "postgresql",
    name: "PostgreSQL_server",
    ts_ms: tsMs,
    snapshot,
    db: "postgres",
    sequence: `["${lsn - 8}","${lsn}"]`,
    ts_us: tsMs * 1000,
    ts_ns: tsMs * 1_000_000,
    schema: "public",
    table: "customers",
    txId: 556,
    lsn,
    xmin: null,
  };
}

/** A Postgres event value in JsonConverter's schemas.enable=true form. */
export function pgEvent(op: string, before: unknown, after: unknown, lsn = 46523128, tsMs = 1559033904863) {
  return {
    schema: PG_ENVELOPE_SCHEMA,
    payload: {
      before,
      after,
      source: pgSource(lsn, tsMs, op === "r" ? "true" : "false"),
      transaction: null,
      op,
      ts_ms: tsMs + 17,
      ts_us: (tsMs + 17) * 1000,
      ts_ns: (tsMs + 17) * 1_000_000,
    },
  };
}

export const pgKey = (id: number) => ({ schema: PG_KEY_SCHEMA, payload: { id } });

/** A MySQL event value in JsonConverter's schemas.enable=false form. */
export function mysqlEvent(op: string, before: unknown, after: unknown, pos = 484, row = 0) {
  return {
    before,
    after,
    source: {
      version: "2.7.3.Final",
      connector: "mysql",
      name: "mysql-server-1",
      ts_ms: 1465581029000,
      snapshot: "false",
      db: "inventory",
      sequence: null,
      table: "customers",
      server_id: 223344,
      gtid: null,
      file: "mysql-bin.000003",
      pos,
      row,
      thread: 7,
      query: null,
    },
    transaction: null,
    op,
    ts_ms: 1465581029523,
  };
}

const optional = (type: unknown) => ["null", type];

/** The AvroConverter's envelope for a Postgres table `<prefix>.public.<table>` with `columns`. */
export function avroEnvelope(prefix: string, table: string, columns: unknown[]) {
  const ns = `${prefix}.public.${table}`;
  return {
    type: "record",
    name: "Envelope",
    namespace: ns,
    fields: [
      {
        name: "before",
        type: optional({ type: "record", name: "Value", fields: columns, "connect.name": `${ns}.Value` }),
        default: null,
      },
      { name: "after", type: optional("Value"), default: null },
      {
        name: "source",
        type: {
          type: "record",
          name: "Source",
          namespace: "io.debezium.connector.postgresql",
          fields: [
            { name: "version", type: "string" },
            { name: "connector", type: "string" },
            { name: "name", type: "string" },
            { name: "ts_ms", type: "long" },
            {
              name: "snapshot",
              type: [
                {
                  type: "string",
                  "connect.version": 1,
                  "connect.parameters": { allowed: "true,last,false,incremental" },
                  "connect.default": "false",
                  "connect.name": "io.debezium.data.Enum",
                },
                "null",
              ],
              default: "false",
            },
            { name: "db", type: "string" },
            { name: "sequence", type: optional("string"), default: null },
            { name: "ts_us", type: optional("long"), default: null },
            { name: "ts_ns", type: optional("long"), default: null },
            { name: "schema", type: "string" },
            { name: "table", type: "string" },
            { name: "txId", type: optional("long"), default: null },
            { name: "lsn", type: optional("long"), default: null },
            { name: "xmin", type: optional("long"), default: null },
          ],
          "connect.name": "io.debezium.connector.postgresql.Source",
        },
      },
      {
        name: "transaction",
        type: optional({
          type: "record",
          name: "block",
          namespace: "event",
          fields: [
            { name: "id", type: "string" },
            { name: "total_order", type: "long" },
            { name: "data_collection_order", type: "long" },
          ],
          "connect.version": 1,
          "connect.name": "event.block",
        }),
        default: null,
      },
      { name: "op", type: "string" },
      { name: "ts_ms", type: optional("long"), default: null },
      { name: "ts_us", type: optional("long"), default: null },
      { name: "ts_ns", type: optional("long"), default: null },
    ],
    "connect.version": 2,
    "connect.name": `${ns}.Envelope`,
  };
}

// ---- helpers shared by the change tests ----------------------------------------------------------

/** UTF-8 of a string as it is, of anything else as JSON. */
export const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

/** A record of the Postgres customers topic. */
export const input = (value: Uint8Array | null, key: Uint8Array | null = null) => ({
  topic: "PostgreSQL_server.public.customers",
  partition: 0,
  offset: 7n,
  value,
  key,
});

export const DEBEZIUM: ChangeOptions = { key: ["id"], envelope: "debezium" };

/** A struct's fields as `id:name:type`. */
export const names = (s: StructType) => s.fields.map((f) => `${f.id}:${f.name}:${JSON.stringify(f.type)}`);
