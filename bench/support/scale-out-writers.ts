/**
 * Scale-out writers for bench/scale-out.ts: N concurrent writers appending small batches to ONE table.
 *
 * - `independent`: each writer commits its own batches as the sink does (Table.newAppend().commit with
 *   its offsets merged into the group's from the freshest base, restaged on every conflict by
 *   commitWithRetry), on its own Catalog instance as a separate process would.
 * - `coalesced` (the remedy): the writers write their data files and hand them to one committer per
 *   table, which commits everything queued as one snapshot as soon as its previous commit is done.
 *
 * Pacing: `intervalMs` 0 commits back to back (the catalog's ceiling); otherwise each writer commits
 * once per interval from a random phase, as processes started at different times would.
 *
 * `reloadAfterBackoff`: the commit loop reloads the table right after a conflict and then waits out
 * the backoff, so the base it restages on is as old as the wait. This variant moves the wait before
 * the reload (as Iceberg's Java SnapshotProducer does: wait, refresh, apply, commit): the writer's
 * catalog client sleeps the same jittered backoff (retryDelayMs, the table's policy) at the start of
 * each reload, and the loop's own sleep is skipped.
 */
import type { Catalog, TableIdentifier } from "../../src/catalog/index.js";
import { Table } from "../../src/catalog/index.js";
import { isFloeError } from "../../src/errors.js";
import type { FileIO } from "../../src/iceberg/io/index.js";
import { type DataFile, makeSchema, type Schema } from "../../src/iceberg/spec/index.js";
import { retryDelayMs, retryPolicyFor } from "../../src/iceberg/table/index.js";
import { committedOffsets, formatOffsets, type OffsetMap, offsetsKey } from "../../src/ingest/index.js";

export const TOPIC = "scale";

export function scaleSchema(): Schema {
  return makeSchema([
    { id: 1, name: "writer", required: true, type: "int" },
    { id: 2, name: "offset", required: true, type: "long" },
    { id: 3, name: "payload", required: false, type: "string" },
  ]);
}

export interface WriterRunOptions {
  mode: "independent" | "coalesced";
  /** A fresh Catalog (one per writer, as separate processes have). */
  catalog: () => Catalog;
  io: FileIO;
  table: TableIdentifier;
  writers: number;
  seconds: number;
  /** 0: back to back; else one commit (or hand-off) per writer per interval. */
  intervalMs: number;
  rowsMin: number;
  rowsMax: number;
  /** Attempts per commit: the table's commit.retry.num-retries + 1, as the sink commits. */
  maxAttempts: number;
  group: string;
  reloadAfterBackoff?: boolean;
}

export interface WriterRunResult {
  elapsedSec: number;
  /** Snapshots committed to the table. */
  commits: number;
  /** Writer batches that reached the table (= commits when independent). */
  batches: number;
  rows: number;
  /** Catalog commit requests (attempts), committed or not. */
  attempts: number;
  /** Conflict retries of each committed snapshot. */
  conflicts: number[];
  /** Commits that used up their attempts (every attempt a conflict); retried as the next batch. */
  exhausted: number;
  /** Independent: commit() call to committed, retries included. Coalesced: hand-off to committed. */
  latencyMs: number[];
  /** Offsets the table holds for each writer vs the rows each writer got committed. */
  offsetsMatch: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function rowsFor(writer: number, from: bigint, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    writer,
    offset: from + BigInt(i),
    payload: `w${writer}-${from + BigInt(i)}`,
  }));
}

function offsetsWith(base: OffsetMap, ours: ReadonlyMap<number, bigint>): string {
  const merged: OffsetMap = new Map([...base].map(([t, p]) => [t, new Map(p)]));
  const parts = merged.get(TOPIC) ?? new Map<number, bigint>();
  for (const [p, o] of ours) parts.set(p, o);
  merged.set(TOPIC, parts);
  return formatOffsets(merged);
}

/** Waits for this writer's next turn; returns the turn after it. */
async function pace(next: number, intervalMs: number): Promise<number> {
  if (intervalMs === 0) return next;
  await sleep(next - performance.now());
  return Math.max(next + intervalMs, performance.now());
}

export async function runWriters(o: WriterRunOptions): Promise<WriterRunResult> {
  const deadline = performance.now() + o.seconds * 1000;
  const state = {
    commits: 0,
    batches: 0,
    rows: 0,
    attempts: 0,
    exhausted: 0,
    conflicts: [] as number[],
    latencyMs: [] as number[],
  };
  const finalOffsets = new Map<number, bigint>();
  const size = () => o.rowsMin + Math.floor(Math.random() * (o.rowsMax - o.rowsMin + 1));
  const summaryFor = (ours: ReadonlyMap<number, bigint>) => (base: { metadata: Table["metadata"] }) => ({
    [offsetsKey(o.group)]: offsetsWith(committedOffsets(base.metadata, o.group), ours),
  });

  const independent = async (w: number) => {
    const plain = o.catalog();
    const loaded = await plain.loadTable(o.table);
    const policy = retryPolicyFor(loaded.metadata);
    let reloads = -1; // the commit loop's first load is not a reload
    const loadTable = async (id: TableIdentifier) => {
      if (reloads >= 0) await sleep(retryDelayMs(reloads + 1, policy, Math.random));
      reloads++;
      return plain.loadTable(id);
    };
    const catalog: Catalog = o.reloadAfterBackoff
      ? new Proxy(plain, {
          get: (target, prop) => {
            if (prop === "loadTable") return loadTable;
            const v = Reflect.get(target, prop, target);
            return typeof v === "function" ? v.bind(target) : v;
          },
        })
      : plain;
    const table = new Table(catalog, loaded, o.io);
    let offset = 0n;
    let next = performance.now() + (o.intervalMs > 0 ? Math.random() * o.intervalMs : 0);
    while (performance.now() < deadline) {
      next = await pace(next, o.intervalMs);
      if (performance.now() >= deadline) break;
      const n = size();
      const append = await table.newAppend().appendRows(rowsFor(w, offset, n));
      const t0 = performance.now();
      reloads = -1;
      try {
        const r = await append.commit({
          maxAttempts: o.maxAttempts,
          summaryFor: summaryFor(new Map([[w, offset + BigInt(n)]])),
          ...(o.reloadAfterBackoff ? { sleep: async () => undefined } : {}),
        });
        state.latencyMs.push(performance.now() - t0);
        state.conflicts.push(r.conflicts);
        state.attempts += r.attempts;
        state.commits++;
        state.batches++;
        state.rows += n;
        offset += BigInt(n);
        finalOffsets.set(w, offset);
      } catch (e) {
        if (!isFloeError(e, "COMMIT_CONFLICT")) throw e;
        state.exhausted++;
        state.attempts += o.maxAttempts;
        await Promise.all(append.dataFiles.map((f) => o.io.delete(f.file_path).catch(() => undefined)));
      }
    }
  };

  interface Handoff {
    writer: number;
    to: bigint;
    rows: number;
    files: readonly DataFile[];
    at: number;
    done: () => void;
  }
  const queue: Handoff[] = [];
  let wake: (() => void) | undefined;
  let producing = o.writers;

  const producer = async (w: number) => {
    const catalog = o.catalog();
    const table = new Table(catalog, await catalog.loadTable(o.table), o.io);
    let offset = 0n;
    let next = performance.now() + (o.intervalMs > 0 ? Math.random() * o.intervalMs : 0);
    try {
      while (performance.now() < deadline) {
        next = await pace(next, o.intervalMs);
        if (performance.now() >= deadline) break;
        const n = size();
        const append = await table.newAppend().appendRows(rowsFor(w, offset, n));
        offset += BigInt(n);
        // Like a sink, a writer moves on only once its batch is committed (its offsets are durable).
        await new Promise<void>((done) => {
          queue.push({
            writer: w,
            to: offset,
            rows: n,
            files: append.dataFiles,
            at: performance.now(),
            done,
          });
          wake?.();
        });
      }
    } finally {
      producing--;
      wake?.();
    }
  };

  const committer = async () => {
    const catalog = o.catalog();
    const table = new Table(catalog, await catalog.loadTable(o.table), o.io);
    for (;;) {
      if (queue.length === 0) {
        if (producing === 0) return;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
        continue;
      }
      const batch = queue.splice(0);
      const ours = new Map<number, bigint>();
      for (const b of batch) ours.set(b.writer, b.to);
      const r = await table
        .newAppend()
        .appendFiles(batch.flatMap((b) => b.files))
        .commit({ maxAttempts: o.maxAttempts, summaryFor: summaryFor(ours) });
      const now = performance.now();
      state.commits++;
      state.attempts += r.attempts;
      state.conflicts.push(r.conflicts);
      for (const b of batch) {
        state.latencyMs.push(now - b.at);
        state.batches++;
        state.rows += b.rows;
        finalOffsets.set(b.writer, b.to);
        b.done();
      }
    }
  };

  const t0 = performance.now();
  const writers = Array.from({ length: o.writers }, (_, w) =>
    o.mode === "independent" ? independent(w) : producer(w),
  );
  await Promise.all(o.mode === "coalesced" ? [...writers, committer()] : writers);
  const elapsedSec = (performance.now() - t0) / 1000;

  const md = (await o.catalog().loadTable(o.table)).metadata;
  const held = committedOffsets(md, o.group).get(TOPIC) ?? new Map<number, bigint>();
  const offsetsMatch =
    held.size === finalOffsets.size && [...finalOffsets].every(([w, off]) => held.get(w) === off);
  return { elapsedSec, ...state, offsetsMatch };
}
