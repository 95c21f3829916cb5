/**
 * A rewrite's read side: a planned group's input files streamed into its open output, whatever their
 * number and size, in bounded memory (bench/results/compaction-memory*.md).
 *
 * - Small files are read whole and ahead (they are latency-bound on object stores); larger ones by
 *   ranges, a row group at a time (parquet-batches.ts), so no input is ever held whole.
 * - Decoded batches are conformed to the table schema, filtered by the file's deletes (positions by
 *   running row index) and collected up to PENDING_BYTES of Arrow before each append to the output.
 * - Output files are cut by the writer's own estimate (0.35 of the Arrow bytes until a file has
 *   closed, so the first is cut early on well-compressing data). Sizing them by the inputs' ratio
 *   made them reach the target but raised peak RSS by ~55 MB (bench/results/compaction-memory-ranged-
 *   notes.md), so it is not done.
 */
import * as arrow from "apache-arrow";
import type { Table } from "../catalog/index.js";
import { FloeError } from "../errors.js";
import { nameMappingOf, type Schema } from "../iceberg/spec/index.js";
import { arrowSchema, type RollingDataFile, writeFieldsFromSchema } from "../iceberg/write/index.js";
import { applyDeletes } from "./apply-deletes.js";
import { conformToSchema } from "./arrow-read.js";
import { DeleteFileReader } from "./file-deletes.js";
import { type ByteRanges, fileRanges, parquetBatches } from "./parquet-batches.js";
import type { PlannedFile, PlannedGroup } from "./planner.js";
import type { DeleteIndex, ScannedFile } from "./scan.js";

/** Arrow bytes of decoded rows collected before they go to the open output file. */
const PENDING_BYTES = 8 * 1024 * 1024;

const PREFETCH_FILES = 8;
const PREFETCH_BYTES = 16 * 1024 * 1024;
/** Input files up to this size are read whole (and ahead); larger ones by ranges as they decode. */
const WHOLE_READ_BYTES = 8 * 1024 * 1024;
const EMPTY: Promise<Uint8Array> = Promise.resolve(new Uint8Array(0));

function arrowBytes(t: arrow.Table): number {
  let n = 0;
  for (const b of t.batches) n += b.data.byteLength;
  return n;
}

/**
 * Streams a group's input files into its output: each file is decoded a batch at a time (parquet-batches.ts), conformed and
 * filtered by its deletes, and added to the pending rows; whenever those reach `flushBytes` of Arrow
 * they are appended to the open output file, which streams row groups out and is cut at the target
 * file size. So the small files read ahead, one input row group, `flushBytes` and the encoder's open
 * row group are held in memory, whatever the size of the group or of its files.
 */
export async function streamInputs(
  table: Table,
  group: PlannedGroup,
  inputs: { files: ReadonlyMap<string, ScannedFile>; deletes: DeleteIndex },
  schema: Schema,
  output: Pick<RollingDataFile, "append">,
  onFile: (bytes: number) => void,
  flushBytes = PENDING_BYTES,
): Promise<{ rowsIn: number; deleted: number }> {
  const io = table.io;
  const target = arrowSchema(writeFieldsFromSchema(schema));
  const conform = { nameMapping: nameMappingOf(table.metadata.properties) };
  const deleteReader = new DeleteFileReader(io, schema, conform);
  let pending: arrow.RecordBatch[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    const data = new arrow.Table(target, pending);
    pending = [];
    pendingBytes = 0;
    if (data.numRows > 0) await output.append(data);
  };
  // Small files are read whole, ahead of decoding (a few files, a bounded number of bytes): they are
  // latency-bound. Large ones are read by ranges, a row group at a time, as they are decoded.
  const whole = (f: PlannedFile) => f.sizeBytes <= WHOLE_READ_BYTES;
  const reads: Promise<Uint8Array | ByteRanges>[] = [];
  let started = 0;
  let inFlight = 0;
  const readAhead = (i: number) => {
    while (started < group.files.length && started < i + PREFETCH_FILES) {
      const next = group.files[started] as PlannedFile;
      if (!whole(next)) {
        reads.push(Promise.resolve(fileRanges(io, next.path, next.sizeBytes)));
        started++;
        continue;
      }
      if (started > i && inFlight + next.sizeBytes > PREFETCH_BYTES) break;
      const p = io.read(next.path);
      p.catch(() => undefined); // awaited (and reported) when its turn comes
      reads.push(p);
      inFlight += next.sizeBytes;
      started++;
    }
  };
  let rowsIn = 0;
  let deleted = 0;
  for (const [i, f] of group.files.entries()) {
    const scanned = inputs.files.get(f.path);
    if (scanned === undefined) {
      throw new FloeError("INTERNAL", `${f.path} is not in the planned snapshot`, {
        context: { path: f.path },
      });
    }
    readAhead(i);
    const source = await (reads[i] as Promise<Uint8Array | ByteRanges>);
    reads[i] = EMPTY;
    if (whole(f)) inFlight -= f.sizeBytes;
    const attached = inputs.deletes.size === 0 ? [] : inputs.deletes.deletesFor(scanned);
    const { positions, equality } = await deleteReader.forFile(scanned, attached);
    // Decoded a batch at a time: memory follows the batch, not the input file.
    let firstRow = 0;
    for await (const raw of parquetBatches(source, f.path)) {
      let t = conformToSchema(raw, schema, f.path, conform);
      rowsIn += t.numRows;
      if (attached.length > 0) {
        const applied = applyDeletes(t, positions, equality, firstRow);
        t = applied.table;
        deleted += applied.deleted;
      }
      firstRow += raw.numRows;
      pending.push(...t.batches);
      pendingBytes += arrowBytes(t);
      if (pendingBytes >= flushBytes) await flush();
    }
    onFile(f.sizeBytes);
  }
  await flush();
  return { rowsIn, deleted };
}
