/**
 * Parquet encoding on a worker thread, so that the thread that builds Arrow tables (the sink's, which
 * also consumes Kafka) goes on while parquet-wasm compresses and encodes. The job crosses as the Arrow
 * IPC stream (transferred, not copied) plus plain writer settings; the file's bytes come back the same
 * way, with the IPC stream for the sender to collect. One worker, started on first use, not keeping the
 * process alive while idle; if it dies, pending writes fail with the reason and the next write starts a
 * new one.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { FloeError } from "../../errors.js";
import type { ParquetJob } from "./arrow-parquet.js";

// CommonJS, evaluated in the worker: parquet-wasm's node build, settings as in arrow-parquet.ts.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const pw = require(workerData.parquetWasm);
const COMPRESSION = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY, uncompressed: pw.Compression.UNCOMPRESSED };
const STATISTICS = { none: pw.EnabledStatistics.None, chunk: pw.EnabledStatistics.Chunk, page: pw.EnabledStatistics.Page };
parentPort.on("message", ({ id, job }) => {
  try {
    let b = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[job.compression]);
    if (job.rowGroupRows !== undefined) b = b.setMaxRowGroupSize(job.rowGroupRows);
    if (job.dataPageBytes !== undefined) b = b.setDataPageSizeLimit(job.dataPageBytes);
    if (job.dictionary !== undefined) b = b.setDictionaryEnabled(job.dictionary);
    if (job.statistics !== undefined) b = b.setStatisticsEnabled(STATISTICS[job.statistics]);
    if (job.createdBy !== undefined) b = b.setCreatedBy(job.createdBy);
    if (job.keyValueMetadata !== undefined) b = b.setKeyValueMetadata(new Map(Object.entries(job.keyValueMetadata)));
    const props = b.build();
    let table;
    try {
      table = pw.Table.fromIPCStream(job.ipc);
    } catch (e) {
      props.free();
      throw new Error("parquet-wasm could not read the Arrow IPC stream: " + (e && e.message ? e.message : String(e)));
    }
    const bytes = pw.writeParquet(table, props);
    // The input goes back too: the sending thread collects its garbage far more often than this one,
    // whose small heap would keep a used 20 MB input alive for many jobs.
    parentPort.postMessage({ id, bytes, ipc: job.ipc }, [bytes.buffer, job.ipc.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: e && e.message ? e.message : String(e) });
  }
});
`;

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (e: Error) => void;
  rows: number;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function failAll(reason: string): void {
  worker = undefined;
  for (const p of pending.values()) {
    p.reject(
      new FloeError("INTERNAL", `the Parquet encoder thread stopped: ${reason}`, {
        context: { rows: p.rows },
      }),
    );
  }
  pending.clear();
}

function start(): Worker {
  const parquetWasm = createRequire(import.meta.url).resolve("parquet-wasm");
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm } });
  w.on("message", (m: { id: number; bytes?: Uint8Array; error?: string }) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.bytes !== undefined) p.resolve(m.bytes);
    else
      p.reject(
        new FloeError("INTERNAL", `parquet-wasm failed to write: ${m.error ?? "unknown error"}`, {
          context: { rows: p.rows },
        }),
      );
  });
  w.on("error", (e) => failAll(e.message));
  w.on("exit", (code) => {
    if (worker === w) failAll(`exit code ${code}`);
  });
  w.unref();
  return w;
}

/** Encodes a prepared job on the encoder thread; the job's IPC buffer is transferred (unusable after). */
export function encodeParquetOffThread(job: ParquetJob): Promise<Uint8Array> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, rows: job.rows });
    w.ref();
    const ipc = job.ipc;
    const own = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength;
    const sent = own ? ipc : ipc.slice();
    w.postMessage({ id, job: { ...job, ipc: sent } }, [sent.buffer as ArrayBuffer]);
  });
}
