/**
 * Parquet encoding on a worker thread, so that the thread that builds Arrow tables (the sink's, which
 * also consumes Kafka) goes on while parquet-wasm compresses and encodes. A file is fed batch by batch
 * as Arrow IPC streams (transferred, not copied) and its bytes come back as row groups fill, so memory
 * follows the row group, not the file (see parquet-worker-source.ts for the protocol).
 * One worker, started on first use, not keeping the process alive while idle; if it dies, pending
 * work fails with the reason and the next call starts a new one.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { FloeError } from "../../errors.js";
import type { ParquetJob } from "./arrow-parquet.js";
import { WORKER_SOURCE } from "./parquet-worker-source.js";

interface StreamHandler {
  message(m: StreamMessage): void;
  fail(e: Error): void;
}

interface StreamMessage {
  sid: number;
  op: "taken" | "chunk" | "done" | "error";
  id?: number;
  chunk?: Uint8Array;
  tail?: Uint8Array;
  error?: string;
}

let worker: Worker | undefined;
const streams = new Map<number, StreamHandler>();
let nextId = 1;

const busy = () => streams.size > 0;

function failAll(reason: string): void {
  worker = undefined;
  const open = [...streams.values()];
  streams.clear();
  for (const s of open) s.fail(new FloeError("INTERNAL", `the Parquet encoder thread stopped: ${reason}`));
}

function start(): Worker {
  const parquetWasm = createRequire(import.meta.url).resolve("parquet-wasm");
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm } });
  w.on("message", (m: StreamMessage) => {
    streams.get(m.sid)?.message(m);
    if (!busy()) w.unref();
  });
  w.on("error", (e) => failAll(e.message));
  w.on("exit", (code) => {
    if (worker === w) failAll(`exit code ${code}`);
  });
  w.unref();
  return w;
}

function acquire(): Worker {
  worker ??= start();
  worker.ref();
  return worker;
}

/** An IPC buffer that can be transferred without detaching memory the caller still uses. */
function transferable(ipc: Uint8Array): Uint8Array {
  const own = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength;
  return own ? ipc : ipc.slice();
}

/** Writer settings of a stream: a ParquetJob without its data. */
export type ParquetStreamSettings = Omit<ParquetJob, "ipc" | "rows">;

/** Where a stream's bytes go, in order; the stream waits for each call before the next. */
export type ChunkSink = (chunk: Uint8Array) => Promise<void>;

export interface ParquetStreamResult {
  /** Bytes the sink received. */
  bytes: number;
  /** The file's last bytes: at least the footer and its length and magic. */
  tail: Uint8Array;
}

/**
 * One Parquet file encoded on the encoder thread from successive Arrow IPC batches (all with the same
 * schema). `append` resolves once the encoder has written the batch, so a caller that awaits it holds
 * at most one batch in flight; bytes reach the sink as row groups complete; `finish` writes the
 * footer and resolves after the sink has every byte. Any failure (encoder or sink) rejects the
 * pending and later calls with the same error.
 */
export class ParquetStream {
  readonly #sid = nextId++;
  readonly #taken = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  #failure: Error | undefined;
  #writes: Promise<void> = Promise.resolve();
  #bytes = 0;
  #done: { resolve: (r: ParquetStreamResult) => void; reject: (e: Error) => void } | undefined;
  #opened = false;
  #finished = false;

  constructor(
    private readonly settings: ParquetStreamSettings,
    private readonly sink: ChunkSink,
  ) {}

  /** Bytes handed to the sink so far (row groups already encoded). */
  get bytesOut(): number {
    return this.#bytes;
  }

  /** Queues one Arrow IPC stream (transferred); resolves when the encoder has taken it. */
  append(ipc: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#finished) return Promise.reject(new FloeError("INTERNAL", "append after finish"));
    const w = acquire();
    const id = nextId++;
    const sent = transferable(ipc);
    const taken = new Promise<void>((resolve, reject) => this.#taken.set(id, { resolve, reject }));
    if (!this.#opened) {
      this.#opened = true;
      streams.set(this.#sid, { message: (m) => this.#message(m), fail: (e) => this.#fail(e) });
      w.postMessage({ op: "open", sid: this.#sid, id, settings: this.settings, ipc: sent }, [
        sent.buffer as ArrayBuffer,
      ]);
    } else {
      w.postMessage({ op: "append", sid: this.#sid, id, ipc: sent }, [sent.buffer as ArrayBuffer]);
    }
    return taken;
  }

  /** Ends the input: the footer is written and every byte delivered to the sink. */
  finish(): Promise<ParquetStreamResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#opened) return Promise.reject(new FloeError("INVALID_ARGUMENT", "no batches to write"));
    this.#finished = true;
    const done = new Promise<ParquetStreamResult>((resolve, reject) => {
      this.#done = { resolve, reject };
    });
    worker?.postMessage({ op: "close", sid: this.#sid });
    return done;
  }

  /** Stops encoding and drops the file's remaining bytes (the sink is not told). */
  abort(): void {
    this.#fail(new FloeError("INTERNAL", "the Parquet stream was aborted"));
  }

  #message(m: StreamMessage): void {
    if (m.op === "taken" && m.id !== undefined) {
      const t = this.#taken.get(m.id);
      this.#taken.delete(m.id);
      t?.resolve();
    } else if (m.op === "chunk" && m.chunk !== undefined) {
      const chunk = m.chunk;
      this.#writes = this.#writes.then(async () => {
        if (this.#failure) return;
        await this.sink(chunk);
        this.#bytes += chunk.byteLength;
      });
      this.#writes.catch((e: unknown) => this.#fail(asError(e)));
    } else if (m.op === "done") {
      streams.delete(this.#sid);
      const tail = m.tail ?? new Uint8Array(0);
      this.#writes.then(
        () => {
          if (!this.#failure) this.#done?.resolve({ bytes: this.#bytes, tail });
        },
        () => {},
      );
    } else if (m.op === "error") {
      this.#fail(new FloeError("INTERNAL", `parquet-wasm failed to write: ${m.error ?? "unknown error"}`));
    }
  }

  #fail(e: Error): void {
    if (this.#failure) return;
    this.#failure = e;
    // The encoder may still be working on this file (e.g. the sink failed): stop it.
    if (streams.delete(this.#sid)) worker?.postMessage({ op: "abort", sid: this.#sid });
    for (const t of this.#taken.values()) t.reject(e);
    this.#taken.clear();
    this.#done?.reject(e);
    if (!busy()) worker?.unref();
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
