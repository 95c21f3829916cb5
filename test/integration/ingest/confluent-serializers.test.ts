import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedCatalog } from "../../../src/catalog/index.js";
import { currentSchema, type Schema } from "../../../src/iceberg/spec/index.js";
import { canonRows } from "../../support/canon.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { createTopics, stackKafka } from "../../support/kafka.js";
import { runPython } from "../../support/python.js";
import { stackEnv, uniqueName } from "../../support/stack.js";
import { freshWarehouse } from "../../support/warehouse.js";
import {
  committedTotal,
  expectExactlyOnce,
  SinkProcess,
  sinkConfig,
  waitFor,
  writeConfig,
} from "./support.js";

// Records written by confluent-kafka's own serializers (Python, librdkafka), not by us: AvroSerializer,
// JSONSerializer and ProtobufSerializer register their schemas on the stack's registry (Apicurio's
// Confluent-compatible API) as they do for any user, then a `floe run` process sinks the four topics.
// The Protobuf serializer registers base64 FileDescriptorProtos, the imported file as a schema
// reference, and writes message indexes [1] (Order, the file's second message) and [1, 0] (its nested
// Line). Every row and every value is checked against what test/support/py/confluent_produce.py made.

const COUNT = 200;
const PARTITIONS = 2;

type Row = Record<string, unknown>;

function uuidOf(n: number): string {
  const hex = n.toString(16).padStart(32, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function payment(i: number): Row {
  return {
    id: BigInt(i),
    name: `p${i}`,
    amount: BigInt(i * 101 - 5000),
    at: (1_700_000_000_000n + BigInt(i) * 1001n) * 1000n,
    day: 19000 + i,
    uid: uuidOf(i * 7919 + 1),
    kind: "ABC"[i % 3],
    tags: range(i % 3).map((j) => `t${j}`),
    attrs:
      i % 2
        ? new Map([
            ["a", BigInt(i)],
            ["b", BigInt(-i)],
          ])
        : new Map(),
    note: i % 4 === 0 ? null : `n${i}`,
    addr: i % 5 === 0 ? null : { city: `c${i % 7}`, zip: 10000 + i },
    ratio: i / 8,
    ok: i % 2 === 0,
    raw: Uint8Array.of(i % 256, (i * 3) % 256),
  };
}

const JSON_BASE_MICROS = BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1000n + 123_456n;

function reading(i: number): Row {
  return {
    id: BigInt(i),
    sensor: `s${i % 10}`,
    value: i * 0.25,
    ok: i % 3 === 0,
    at: JSON_BASE_MICROS + BigInt(i) * 1_000_000n,
    tags: range(i % 4).map((j) => `g${j}`),
    loc: i % 2 === 0 ? { lat: i / 10, lon: 0 - i / 10 } : null, // Python's -0 / 10 is 0.0, not -0.0
    note: i % 3 === 0 ? null : `r${i}`,
  };
}

const money = (currency: string, units: number, nanos = 0) => ({ currency, units: BigInt(units), nanos });

function order(i: number): Row {
  const odd = i % 2 === 1;
  return {
    id: BigInt(i) * 1_000_000_007n,
    customer: `c${i}`,
    total: money("EUR", i * 10, i % 1000),
    lines: range(i % 3).map((j) => ({
      sku: `s${i}-${j}`,
      qty: j + 1,
      price: money("USD", j),
      tags: range(j).map(() => "x"),
    })),
    labels: odd ? new Map([[`k${i % 4}`, `v${i}`]]) : new Map(),
    refunds: i % 3 === 0 ? new Map([[i % 5, money("EUR", -i)]]) : new Map(),
    email: odd ? null : `u${i}@x`,
    phone: odd ? `+1${i}` : null,
    status: ["NEW", "PAID", "SHIPPED"][i % 3],
    channel: ["CHANNEL_UNSPECIFIED", "WEB", "STORE"][i % 3],
    // nanos i * 1000 + 7: truncated to whole microseconds
    created_at: (1_700_000_000n + BigInt(i)) * 1_000_000n + BigInt(i),
    discount: i % 4 === 0 ? null : i % 4 === 1 ? 0n : BigInt(i * 3),
    note: odd ? `note${i}` : null,
    ttl: i % 3 ? BigInt(i) * 1_000_000n + 500n : null,
    // google.protobuf.Struct: a string column of JSON text, compared as JSON (jsonColumns)
    attrs: { i, even: i % 2 === 0, name: `x${i}`, list: [1, "a", null] },
    codes: [BigInt(i), BigInt(-i), 2n ** 40n + BigInt(i)],
    weight: odd ? i / 2 : null,
    blob: Uint8Array.of(i % 256),
    big: 2n ** 63n - 1n - BigInt(i),
  };
}

function line(i: number): Row {
  return { sku: `L${i}`, qty: i, price: money("GBP", i), tags: i % 2 ? ["a"] : [] };
}

interface TableCase {
  name: string;
  format: "avro" | "json-schema" | "protobuf";
  topic: string;
  make: (i: number) => Row;
  /** Iceberg types the table's columns must have (a sample of the interesting ones). */
  types: Record<string, unknown>;
  /** Columns holding JSON text, parsed before comparing (a Struct's key order is the producer's). */
  jsonColumns?: string[];
}

describe("sink: records from confluent-kafka's Avro, JSON Schema and Protobuf serializers", () => {
  const run = uniqueName("cf").replace(/[^A-Za-z0-9_]/g, "_");
  const cases: TableCase[] = [
    {
      name: "payments",
      format: "avro",
      topic: `${run}-avro`,
      make: payment,
      types: {
        amount: "decimal(12, 2)",
        at: "timestamptz",
        day: "date",
        uid: "uuid",
        attrs: { type: "map", key: "string", value: "long" },
        addr: { type: "struct" },
        raw: "binary",
      },
    },
    {
      name: "readings",
      format: "json-schema",
      topic: `${run}-json`,
      make: reading,
      types: { id: "long", value: "double", at: "timestamptz", loc: { type: "struct" } },
    },
    {
      name: "orders",
      format: "protobuf",
      topic: `${run}-proto`,
      make: order,
      types: {
        id: "long",
        total: { type: "struct" },
        lines: { type: "list", element: { type: "struct" } },
        labels: { type: "map", key: "string", value: "string" },
        refunds: { type: "map", key: "int", value: { type: "struct" } },
        status: "string",
        channel: "string",
        created_at: "timestamptz",
        discount: "long",
        note: "string",
        ttl: "long",
        attrs: "string",
        codes: { type: "list", element: "long" },
        weight: "double",
        blob: "binary",
        big: "long",
      },
      jsonColumns: ["attrs"],
    },
    {
      name: "lines",
      format: "protobuf",
      topic: `${run}-line`,
      make: line,
      types: { qty: "int", price: { type: "struct" }, tags: { type: "list", element: "string" } },
    },
  ];
  const group = uniqueName("g");
  let wh: { warehouse: string; catalog: EmbeddedCatalog };
  let sink: SinkProcess | undefined;
  let produced: { produced: number; money_file: string };
  const tableId = (c: TableCase) => ({ namespace: ["cf"], name: c.name });

  beforeAll(async () => {
    wh = await freshWarehouse("local");
    const admin = stackKafka().admin();
    await admin.connect();
    await createTopics(
      admin,
      cases.map((c) => ({ topic: c.topic, partitions: PARTITIONS })),
    );
    await admin.disconnect();
    produced = await runPython("confluent_produce.py", [run, String(COUNT), ...cases.map((c) => c.topic)], {
      timeoutMs: 90_000,
    });
    const env = stackEnv();
    const config = await writeConfig(
      sinkConfig({
        brokers: env.FLOE_KAFKA_BROKERS,
        group,
        warehouse: wh.warehouse,
        schemaRegistry: env.FLOE_SCHEMA_REGISTRY_URL,
        tables: cases.map((c) => ({
          topics: [c.topic],
          table: `cf.${c.name}`,
          format: c.format,
          onError: "fail",
        })),
      }),
    );
    sink = SinkProcess.start(config);
    const running = sink;
    await waitFor(
      async () => {
        if (running.child.exitCode !== null) {
          throw new Error(`the sink exited (${running.child.exitCode})\n${running.tail()}`);
        }
        for (const c of cases) {
          if ((await committedTotal(wh.catalog, tableId(c), group, c.topic)) !== BigInt(COUNT)) return false;
        }
        return true;
      },
      90_000,
      "every topic committed",
    );
    running.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  }, 180_000);

  afterAll(() => {
    sink?.kill("SIGKILL");
  });

  it("registered Protobuf schemas as base64 descriptors with a reference, as the serializer does", async () => {
    expect(produced.produced).toBe(COUNT * cases.length);
    const base = stackEnv().FLOE_SCHEMA_REGISTRY_URL;
    const res = await fetch(`${base}/subjects/${encodeURIComponent(`${run}-proto-value`)}/versions/latest`);
    const body = (await res.json()) as {
      schema: string;
      schemaType: string;
      references?: { name: string }[];
    };
    expect(body.schemaType).toBe("PROTOBUF");
    expect(body.schema).toMatch(/^[A-Za-z0-9+/]+={0,2}$/); // not .proto text
    expect(body.references?.map((r) => r.name)).toEqual([produced.money_file]);
  });

  for (const c of cases) {
    it(`${c.format} (${c.name}): every record lands once, with every value`, async () => {
      const table = await wh.catalog.loadTable(tableId(c));
      await expectExactlyOnce(table.metadataLocation, c.topic, PARTITIONS, COUNT / PARTITIONS);
      const schema: Schema = currentSchema(table.metadata);
      const expected = range(COUNT).map(c.make);
      const columns = Object.keys(expected[0] as Row);
      const userColumns = schema.fields.map((f) => f.name).filter((n) => !n.startsWith("_kafka_"));
      expect(userColumns).toEqual(columns);
      expect(Object.fromEntries(schema.fields.map((f) => [f.name, f.type]))).toMatchObject(c.types);
      const duck = await openDuckDB();
      try {
        const rows = await query(duck.conn, `SELECT * FROM iceberg_scan('${table.metadataLocation}')`);
        expect(rows).toHaveLength(COUNT);
        const plain = columns.filter((n) => !c.jsonColumns?.includes(n));
        expect(canonRows(schema, rows, plain)).toEqual(canonRows(schema, expected, plain));
        for (const name of c.jsonColumns ?? []) {
          const byId = (r: Row) => String(r.id);
          const got = Object.fromEntries(rows.map((r) => [byId(r), JSON.parse(String(r[name]))]));
          expect(got).toEqual(Object.fromEntries(expected.map((r) => [byId(r), r[name]])));
        }
      } finally {
        duck.close();
      }
    });
  }
});
