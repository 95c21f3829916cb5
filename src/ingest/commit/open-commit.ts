/**
 * One table's commit in the making. Each flush of the sink's buffers writes its rows into the table's
 * open data files (one per partition, row groups streamed out as they fill) and widens the offset
 * ranges the commit covers; the commit closes the files and commits them with those offsets as one
 * snapshot. So a table gets one file per partition per commit (more only past the target file size),
 * and memory follows the row group, not the commit.
 */
import type { Table } from "../../catalog/index.js";
import { deleteFiles } from "../../iceberg/io/index.js";
import type { DataFile, Schema } from "../../iceberg/spec/index.js";
import type { DataFileWriter, PartitionedAppender } from "../../iceberg/write/index.js";
import { type PartitionRange, splitTp, type TableBatch } from "../buffer/index.js";
import type { Route } from "../route.js";
import type { Covered } from "./catalog-commit.js";
import { getOffset, type OffsetMap, setOffset } from "./offsets.js";
import type { UpsertCommit } from "./upsert-commit.js";

export class OpenTableCommit {
  /** Offsets covered per `topic\u0000partition`, over every flush written into this commit. */
  readonly ranges = new Map<string, PartitionRange>();
  rows = 0;
  newestTimestampMs = 0n;
  /** The table's schema as the latest flush found (or evolved) it. */
  schema: Schema | undefined;
  #appender: PartitionedAppender | undefined;
  #schemaId = -1;
  /** Files closed early: the schema changed between flushes. */
  readonly #closed: DataFile[] = [];

  #writer: DataFileWriter | undefined;

  /** `upsert`: the table's upsert state for this commit (upsert routes). */
  constructor(
    readonly table: Table,
    readonly route: Route,
    readonly upsert?: UpsertCommit,
  ) {}

  /** Estimated bytes of the open files once closed. */
  get openBytes(): number {
    return this.#appender?.openBytes ?? 0;
  }

  /**
   * Whether the batch starts before where this commit already is in one of its partitions: its records
   * were read again (a seek), and merging would write them twice.
   */
  overlaps(batch: Covered): boolean {
    for (const [k, r] of batch.ranges) {
      const have = this.ranges.get(k);
      if (have !== undefined && r.first < have.next) return true;
    }
    return false;
  }

  /** Where to read every partition of this commit and of `batch` again from: the earliest first offset. */
  restartPoints(batch: Covered): OffsetMap {
    const out: OffsetMap = new Map();
    for (const ranges of [this.ranges, batch.ranges]) {
      for (const [k, r] of ranges) {
        const [topic, partition] = splitTp(k);
        const have = getOffset(out, topic, partition);
        if (have === undefined || r.first < have) setOffset(out, topic, partition, r.first);
      }
    }
    return out;
  }

  /** Writes a prepared flush's rows into the open files and adds its offsets to the commit. */
  async write(prepared: { readonly batch: TableBatch; readonly schema: Schema }): Promise<void> {
    const { batch, schema } = prepared;
    this.schema = schema;
    if (batch.rows > 0) {
      if (
        this.#appender === undefined ||
        this.#writer === undefined ||
        this.#schemaId !== schema["schema-id"]
      ) {
        // Rows of a newer schema go to new files; those of the older one are complete.
        if (this.#appender !== undefined) this.#closed.push(...(await this.#appender.close()));
        this.#writer = this.table.dataFileWriter();
        this.#appender = this.#writer.openAppender();
        this.#schemaId = schema["schema-id"];
      }
      if (this.upsert === undefined) {
        await this.#appender.append(batch.columns(), batch.rows);
        this.rows += batch.rows;
      } else {
        const plan = this.upsert.plan(batch, this.#writer);
        const placed = plan.rows > 0 ? await this.#appender.append(plan.columns, plan.rows) : [];
        this.upsert.placed(plan, placed, this.table.metadata["default-spec-id"]);
        this.rows += plan.rows;
      }
    }
    for (const [k, r] of batch.ranges) {
      const have = this.ranges.get(k);
      if (have === undefined) this.ranges.set(k, { first: r.first, next: r.next });
      else {
        if (r.first < have.first) have.first = r.first;
        if (r.next > have.next) have.next = r.next;
      }
    }
    if (batch.newestTimestampMs > this.newestTimestampMs) this.newestTimestampMs = batch.newestTimestampMs;
  }

  /** Closes the open files; returns every file of the commit. */
  async close(): Promise<DataFile[]> {
    const appender = this.#appender;
    this.#appender = undefined;
    const files = this.#closed.splice(0);
    if (appender !== undefined) files.push(...(await appender.close()));
    return files;
  }

  /** Drops the commit: its open files never appear, those already closed are deleted. */
  async abort(): Promise<void> {
    this.upsert?.index.discardPending();
    const appender = this.#appender;
    this.#appender = undefined;
    const closed = this.#closed.splice(0).map((f) => f.file_path);
    await appender?.abort().catch(() => undefined);
    await deleteFiles(this.table.io, closed).catch(() => undefined);
  }
}
