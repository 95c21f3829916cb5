// Micro benchmark: 1,000,000 rows x 10 mixed columns -> Arrow (hand-built) -> metrics -> Parquet (zstd,
// field ids) -> footer. Prints one JSON object and one markdown table row.
// Run: npx vite-node bench/parquet-write.ts [rows] [iterations]
import { wasmMemory } from "parquet-wasm";
import {
  buildTable,
  type ColumnInput,
  computeMetrics,
  readParquetFooter,
  type WriteField,
  writeParquet,
} from "../src/iceberg/write/index.js";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const ITERATIONS = Number(process.argv[3] ?? 3);

const FIELDS: WriteField[] = [
  { id: 1, name: "id", required: true, type: { kind: "long" } },
  { id: 2, name: "user_id", required: true, type: { kind: "int" } },
  { id: 3, name: "amount", required: false, type: { kind: "double" } },
  { id: 4, name: "event", required: true, type: { kind: "string" } },
  { id: 5, name: "ts", required: true, type: { kind: "timestamptz" } },
  { id: 6, name: "day", required: true, type: { kind: "date" } },
  { id: 7, name: "active", required: false, type: { kind: "boolean" } },
  { id: 8, name: "price", required: false, type: { kind: "decimal", precision: 18, scale: 2 } },
  { id: 9, name: "note", required: false, type: { kind: "string" } },
  { id: 10, name: "session", required: false, type: { kind: "uuid" } },
];

function columns(n: number): ColumnInput[] {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const events = ["page_view", "click", "purchase", "signup", "logout", "add_to_cart"];
  const t0 = 1_735_689_600_000_000n; // 2025-01-01T00:00:00Z
  const amountNulls = new Uint8Array(n);
  const amount = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    amount[i] = Math.round(rand() * 100_000) / 100;
    amountNulls[i] = rand() < 0.05 ? 1 : 0;
  }
  const ts = new BigInt64Array(n);
  const day = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = t0 + BigInt(i) * 1_000n;
    day[i] = 20_089 + Math.floor(i / 86_400_000);
  }
  return [
    BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
    Int32Array.from({ length: n }, () => Math.floor(rand() * 1_000_000)),
    { kind: "typed", values: amount, nulls: amountNulls },
    Array.from({ length: n }, () => events[Math.floor(rand() * events.length)]),
    ts,
    day,
    Array.from({ length: n }, () => (rand() < 0.1 ? null : rand() < 0.5)),
    Array.from({ length: n }, () => (rand() < 0.1 ? null : BigInt(Math.floor(rand() * 10_000_000)))),
    Array.from({ length: n }, (_, i) =>
      rand() < 0.1 ? null : `note ${i} ${Math.floor(rand() * 1e9).toString(36)}`,
    ),
    Array.from({ length: n }, () => {
      if (rand() < 0.2) return null;
      const u = new Uint8Array(16);
      for (let k = 0; k < 16; k++) u[k] = Math.floor(rand() * 256);
      return u;
    }),
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cols = columns(ROWS);
const runs: {
  build: number;
  metrics: number;
  write: number;
  footer: number;
  bytes: number;
  arrowBytes: number;
}[] = [];
for (let it = 0; it < ITERATIONS; it++) {
  const t0 = performance.now();
  const table = buildTable({ fields: FIELDS, columns: cols });
  const t1 = performance.now();
  const metrics = computeMetrics(table);
  const t2 = performance.now();
  const bytes = writeParquet(table);
  const t3 = performance.now();
  const footer = readParquetFooter(bytes);
  const t4 = performance.now();
  if (
    footer.rowCount !== BigInt(ROWS) ||
    metrics.recordCount !== BigInt(ROWS) ||
    footer.columnSizes.size !== 10
  ) {
    throw new Error("benchmark output is inconsistent");
  }
  const arrowBytes = table.batches.reduce((sum, b) => sum + b.data.byteLength, 0);
  runs.push({
    build: t1 - t0,
    metrics: t2 - t1,
    write: t3 - t2,
    footer: t4 - t3,
    bytes: bytes.length,
    arrowBytes,
  });
}

const build = median(runs.map((r) => r.build));
const metricsMs = median(runs.map((r) => r.metrics));
const write = median(runs.map((r) => r.write));
const footerMs = median(runs.map((r) => r.footer));
const total = build + metricsMs + write + footerMs;
const fileBytes = runs[0]!.bytes;
const mb = fileBytes / 1e6;
const arrowMB = runs[0]!.arrowBytes / 1e6;
const fastestWrite = Math.min(...runs.map((r) => r.write));
const result = {
  bench: "parquet-write",
  rows: ROWS,
  columns: FIELDS.length,
  iterations: ITERATIONS,
  compression: "zstd",
  fileMB: Number(mb.toFixed(2)),
  arrowMB: Number(arrowMB.toFixed(1)),
  ms: {
    buildArrow: Math.round(build),
    metrics: Math.round(metricsMs),
    writeParquet: Math.round(write),
    writeParquetFastest: Math.round(fastestWrite),
    footer: Number(footerMs.toFixed(2)),
    total: Math.round(total),
  },
  rowsPerSec: {
    writeParquet: Math.round(ROWS / (write / 1000)),
    endToEnd: Math.round(ROWS / (total / 1000)),
  },
  parquetMBPerSec: {
    writeParquet: Number((mb / (write / 1000)).toFixed(1)),
    endToEnd: Number((mb / (total / 1000)).toFixed(1)),
  },
  arrowMBPerSec: { writeParquet: Number((arrowMB / (write / 1000)).toFixed(1)) },
  wasmMemoryMB: Math.round(wasmMemory().buffer.byteLength / 2 ** 20),
  node: process.version,
};
console.log(JSON.stringify(result));
console.log(
  "| bench | rows x cols | arrow MB | file MB | build ms | metrics ms | write ms | rows/s (write) | rows/s (e2e) | parquet MB/s (write) | arrow MB/s (write) | wasm MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
console.log(
  `| parquet-write | ${ROWS} x ${FIELDS.length} | ${result.arrowMB} | ${result.fileMB} | ${result.ms.buildArrow} | ${result.ms.metrics} | ${result.ms.writeParquet} | ${result.rowsPerSec.writeParquet} | ${result.rowsPerSec.endToEnd} | ${result.parquetMBPerSec.writeParquet} | ${result.arrowMBPerSec.writeParquet} | ${result.wasmMemoryMB} |`,
);
