/**
 * The sink's per-record CPU on its main thread, step by step and without Kafka: the benchmark's JSON
 * events (bench/support/sink-events.ts, declared schema) are decoded as the sink decodes them, buffered in
 * a TableBuffer with the metadata columns, and a flush's Arrow table is built and serialized for the
 * encoder thread. Each step is timed on its own over the same records (best of several rounds), in
 * microseconds of process CPU per record (the machine is shared: CPU time, not wall time); "all" runs decode + buffer together as the sink does, GC included.
 *
 * With --inferred the decoder infers each record's schema, as a route without a declared schema does
 * (the table is then the first record's schema plus the metadata columns). --flat (implies --inferred)
 * uses the peer harness's record instead (../shared/peers: 12 flat fields, one shape, `amount` a whole
 * number in one record of 100, so that record infers long).
 *
 * Run: npx vite-node bench/sink-hot-path.ts [records=200000] [rounds=5] [--inferred | --flat]
 */
import { tableToIPC } from "apache-arrow";
import { parseSchema, type Schema, type StructType } from "../src/iceberg/spec/index.js";
import { buildTable, type ColumnSource } from "../src/iceberg/write/index.js";
import { writeFieldsFromSchema } from "../src/iceberg/write/schema-mapping.js";
import { metadataStruct, type RecordInput, TableBuffer, tableBatch } from "../src/ingest/buffer/index.js";
import { type DecodedRecord, JsonDecoder, parseJsonText } from "../src/ingest/decode/index.js";
import { buildRoutes } from "../src/ingest/route.js";
import { EVENT_STRUCT, EventSource, eventJson } from "./support/sink-events.js";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const FLAT = process.argv.includes("--flat");
const INFERRED = FLAT || process.argv.includes("--inferred");
const N = Number(args[0] ?? 200_000);
const ROUNDS = Number(args[1] ?? 5);

const [route] = buildRoutes([
  {
    topics: ["events"],
    table: "db.events",
    format: "json",
    partitionBy: [],
    metadataColumns: true,
    onError: "dlq",
    evolve: true,
    maxColumns: 1000,
    properties: {},
    mode: "append",
    envelope: "none",
    keyIndexCheckpointSeconds: 60,
    keyIndexMemoryMB: 256,
  },
]);
if (route === undefined) throw new Error("no route");

const source = new EventSource(7, () => 1_765_000_000_000);
const inputs: RecordInput[] = [];
for (let i = 0; i < N; i++) {
  const e = source.next();
  inputs.push({
    topic: "events",
    partition: i % 4,
    offset: BigInt(i >> 2),
    timestampMs: 1_765_000_000_000 + i,
    key: Buffer.from(`u${e.user_id}`),
    headers: null,
    value: FLAT ? flatJson(i) : eventJson(e),
  });
}

/** The peer harness's record (ikc/produce.py), deterministic for i. */
function flatJson(i: number): Buffer {
  const amount = i % 100 === 0 ? `${(i % 5000) + 1}.0` : `${(i % 5000) + 0.25}`;
  const rec = `{"id":${i},"user_id":${(i * 7919) % 10_000_000},"visitor_id":"${(i * 2654435761).toString(16).padStart(24, "0")}","event_type":"${["view", "click", "cart", "buy"][i % 4]}","country":"${["US", "DE", "FR", "JP", "BR"][i % 5]}","device":"${["ios", "android", "web"][i % 3]}","url":"/p/${i % 50}?item=${i % 100_000}","amount":${amount},"score":0.${String((i * 31) % 1_000_000).padStart(6, "0")},"is_mobile":${i % 5 < 3},"is_new_user":${i % 7 === 0},"event_ts":"2026-01-01T00:00:00.${String(i % 1_000_000).padStart(6, "0")}Z"}`;
  return Buffer.from(rec);
}
// As the sink decodes an append route's JSON (values for the column buffer, no row object).
const decoder = new JsonDecoder(INFERRED ? undefined : EVENT_STRUCT, true);
const decoded = inputs.map((r) => decoder.decodeSync(r));
const schema = decoded[0]?.schema as StructType;
// The table as the sink creates it: the record's fields, then the metadata columns (fresh ids).
const meta = metadataStruct(100);
const fieldsOfTable = INFERRED ? schema.fields : EVENT_STRUCT.fields;
const table: Schema = {
  ...parseSchema({ type: "struct", fields: [...fieldsOfTable, ...meta.fields] }),
};

function time(name: string, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    fn();
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / N);
  }
  console.log(`${name.padEnd(34)} ${best.toFixed(3).padStart(7)} us/record`);
  return best;
}

let sink: unknown;
const results: Record<string, number> = {};
results.parse = time("decode: UTF-8 + JSON.parse", () => {
  for (const r of inputs) sink = parseJsonText(r.value as Uint8Array);
});
const parsed = inputs.map((r) => parseJsonText(r.value as Uint8Array));
results.conform = time("decode: schema + conform", () => {
  for (const p of parsed) sink = decoder.decodeValue(p);
});
results.decode = time("decode (UTF-8, JSON.parse, conform)", () => {
  for (const r of inputs) sink = decoder.decodeSync(r);
});
results.add = time("buffer add (decoded rows)", () => {
  const buf = new TableBuffer({ namespace: ["db"], name: "events" }, route, table);
  for (let i = 0; i < N; i++) {
    const d = decoded[i] as DecodedRecord;
    buf.addDecoded(d, inputs[i] as RecordInput);
  }
  sink = buf;
});
results.all = time("decode + add (as the sink)", () => {
  const buf = new TableBuffer({ namespace: ["db"], name: "events" }, route, table);
  for (const r of inputs) {
    buf.addDecoded(decoder.decodeSync(r), r);
  }
  sink = buf;
});
const full = new TableBuffer({ namespace: ["db"], name: "events" }, route, table);
for (const r of inputs) {
  full.addDecoded(decoder.decodeSync(r), r);
}
const fields = writeFieldsFromSchema(table);
results.arrow = time("flush: conform + Arrow build", () => {
  const batch = tableBatch(full);
  batch.conform(table, new Map());
  const cols = batch.columns();
  const columns = Object.fromEntries(
    fields.map((f) => {
      const c = cols.get(f.name);
      return [f.name, Array.isArray(c) ? c : (c?.input(f, batch.rows) ?? [])];
    }),
  );
  sink = buildTable({ fields, columns });
});
const arrowTable = buildTable({
  fields,
  columns: Object.fromEntries(
    fields.map((f) => [f.name, (tableBatch(full).columns().get(f.name) as ColumnSource).input(f, N)]),
  ),
});
results.ipc = time("flush: Arrow IPC for the encoder", () => {
  sink = tableToIPC(arrowTable, "stream");
});
void sink;
console.log(
  JSON.stringify({
    records: N,
    inferred: INFERRED,
    flat: FLAT,
    schema: schema.fields.length,
    usPerRecord: results,
  }),
);
