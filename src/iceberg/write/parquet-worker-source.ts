/**
 * The encoder thread's program (CommonJS, evaluated by `new Worker(source, { eval: true })`), kept
 * apart from the thread's management in parquet-thread.ts. Files are written row group by row group:
 * `{ op: "open", sid, settings, ipc }` starts
 *   parquet-wasm's transformParquetStream with the first batches (it needs them for the schema);
 *   `{ op: "append", sid, id, ipc }` queues more; `{ op: "close", sid }` ends the input. The thread
 *   answers `{ sid, op: "taken", id, ipc }` once the encoder has written an append's last batch (the
 *   sender's backpressure), `{ sid, op: "chunk", chunk }` for every piece of the file as row groups
 *   fill, and `{ sid, op: "done", tail }` after the footer (`tail`: the file's last bytes, footer
 *   included), or `{ sid, op: "error", error }`.
 *
 * The Arrow input is copied into WASM memory and its JS buffer goes back to the sender, whose heap is
 * collected far more often than this thread's small one.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const pw = require(workerData.parquetWasm);
const COMPRESSION = { zstd: pw.Compression.ZSTD, snappy: pw.Compression.SNAPPY, uncompressed: pw.Compression.UNCOMPRESSED };
const STATISTICS = { none: pw.EnabledStatistics.None, chunk: pw.EnabledStatistics.Chunk, page: pw.EnabledStatistics.Page };
const text = (e) => (e && e.message ? e.message : String(e));

function properties(s) {
  let b = new pw.WriterPropertiesBuilder().setCompression(COMPRESSION[s.compression]);
  if (s.rowGroupRows !== undefined) b = b.setMaxRowGroupSize(s.rowGroupRows);
  if (s.dataPageBytes !== undefined) b = b.setDataPageSizeLimit(s.dataPageBytes);
  if (s.dictionary !== undefined) b = b.setDictionaryEnabled(s.dictionary);
  if (s.statistics !== undefined) b = b.setStatisticsEnabled(STATISTICS[s.statistics]);
  if (s.createdBy !== undefined) b = b.setCreatedBy(s.createdBy);
  if (s.keyValueMetadata !== undefined) b = b.setKeyValueMetadata(new Map(Object.entries(s.keyValueMetadata)));
  return b.build();
}

function wasmTable(ipc) {
  try {
    return pw.Table.fromIPCStream(ipc);
  } catch (e) {
    throw new Error("parquet-wasm could not read the Arrow IPC stream: " + text(e));
  }
}

function batchesOf(ipc) {
  const table = wasmTable(ipc);
  try {
    return table.recordBatches();
  } finally {
    table.free();
  }
}

const streams = new Map();

function own(chunk) {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
}

function tailOf(chunks) {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.byteLength; }
  if (n < 8) return all;
  const len = new DataView(all.buffer, n - 8, 4).getUint32(0, true);
  return all.slice(Math.max(0, n - 8 - len));
}

function fail(sid, e) {
  const s = streams.get(sid);
  if (s === undefined) return;
  streams.delete(sid);
  for (const b of s.queue) b.batch.free();
  s.queue.length = 0;
  s.closing = true;
  const w = s.wake; s.wake = undefined; if (w) w();
  parentPort.postMessage({ sid, op: "error", error: text(e) });
}

function enqueue(s, ipc, id) {
  const batches = batchesOf(ipc);
  if (batches.length === 0) {
    parentPort.postMessage({ sid: s.sid, op: "taken", id, ipc }, [ipc.buffer]);
    return;
  }
  batches.forEach((batch, i) => s.queue.push({ batch, id: i === batches.length - 1 ? id : undefined, ipc: i === batches.length - 1 ? ipc : undefined }));
  const w = s.wake; s.wake = undefined; if (w) w();
}

async function open({ sid, settings, ipc, id }) {
  const s = { sid, queue: [], wake: undefined, closing: false, after: [], last: undefined };
  streams.set(sid, s);
  try {
    enqueue(s, ipc, id);
    // The encoder pulls a batch only once it has written the one before: that is when the sender
    // hears the earlier one was taken, so at most one batch waits in WASM memory beside the open row
    // group.
    const input = new ReadableStream({
      async pull(controller) {
        const done = s.last;
        s.last = undefined;
        if (done !== undefined) parentPort.postMessage({ sid, op: "taken", id: done.id, ipc: done.ipc }, [done.ipc.buffer]);
        while (s.queue.length === 0 && !s.closing) await new Promise((r) => { s.wake = r; });
        const next = s.queue.shift();
        if (next === undefined) { controller.close(); return; }
        controller.enqueue(next.batch);
        if (next.id !== undefined) s.last = next;
      },
    }, { highWaterMark: 0 });
    const output = await pw.transformParquetStream(input, properties(settings));
    const reader = output.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!streams.has(sid)) { await reader.cancel(); return; }
      const chunk = own(value);
      if (s.closing) s.after.push(chunk.slice());
      parentPort.postMessage({ sid, op: "chunk", chunk }, [chunk.buffer]);
    }
    streams.delete(sid);
    parentPort.postMessage({ sid, op: "done", tail: tailOf(s.after) });
  } catch (e) {
    fail(sid, e);
  }
}

parentPort.on("message", (m) => {
  if (m.op === "open") return void open(m);
  const s = streams.get(m.sid);
  if (s === undefined) return;
  if (m.op === "append") {
    try { enqueue(s, m.ipc, m.id); } catch (e) { fail(m.sid, e); }
  } else if (m.op === "close") {
    s.closing = true;
    const w = s.wake; s.wake = undefined; if (w) w();
  } else if (m.op === "abort") {
    fail(m.sid, "aborted");
  }
});
`;
