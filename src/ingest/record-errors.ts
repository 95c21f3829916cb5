/**
 * What happens to a record that cannot become a row, per its route's `onError`: `fail` stops its
 * partition and the sink before the record's offset is committed; `dlq` sends the original record with
 * the reason to the dead-letter topic; `skip` drops it. Both of the latter count the offset as handled
 * for the route's table and count the record by reason.
 */
import type { TableIdentifier } from "../catalog/index.js";
import type { Config } from "../config.js";
import { FloeError } from "../errors.js";
import type { Logger } from "../log.js";
import { type Headers, type RecordFailure, type RecordInput, tpKey } from "./buffer/index.js";
import type { DeadLetterQueue, ErrorStage } from "./dlq.js";
import type { KafkaMeta } from "./kafka-meta.js";
import type { Route } from "./route.js";
import type { SinkMetricsLike } from "./sink-metrics.js";
import type { SourceHeaders } from "./source/index.js";

export interface RecordErrorDeps {
  config: Config;
  dlq: DeadLetterQueue;
  metrics: SinkMetricsLike;
  logger: Logger;
  /** onError: fail: stops consuming the partition (`topic\u0000partition`) and then the sink. */
  halt(partitionKey: string, error: FloeError): void;
  /** Counts an offset as handled for a table without a row. */
  cover(route: Route, table: TableIdentifier, meta: KafkaMeta): void;
}

export class RecordErrors {
  constructor(private readonly deps: RecordErrorDeps) {}

  /** Applies the route's onError; false when the partition must stop here (fail mode). */
  handle(
    route: Route,
    rec: { meta: KafkaMeta; value: Uint8Array | null },
    stage: ErrorStage,
    error: FloeError,
    cover = true,
  ): boolean {
    const { meta } = rec;
    const mode = route.config.onError;
    const reason = error.code;
    if (mode === "fail") {
      this.deps.halt(
        tpKey(meta.topic, meta.partition),
        new FloeError(
          error.code,
          `record ${meta.topic}/${meta.partition}@${meta.offset} failed at ${stage}: ${error.message}`,
          {
            cause: error,
            context: { topic: meta.topic, partition: meta.partition, offset: meta.offset },
          },
        ),
      );
      return false;
    }
    // The offset counts as handled for the route's table, so a commit moves past it.
    const table = cover ? tableForError(route, meta.topic) : undefined;
    if (table) this.deps.cover(route, table, meta);
    if (mode === "dlq") {
      this.deps.dlq.send(route.config.dlqTopic ?? this.deps.config.dlq.topic, {
        meta,
        value: rec.value,
        stage,
        reason,
        message: error.message,
      });
      this.deps.metrics.dlq.inc({ topic: meta.topic, reason });
    } else {
      this.deps.metrics.skipped.inc({ topic: meta.topic, reason });
    }
    this.deps.logger.warn(`record ${mode === "dlq" ? "dead-lettered" : "skipped"}`, {
      topic: meta.topic,
      partition: meta.partition,
      offset: meta.offset,
      stage,
      reason,
      error: error.message,
    });
    return true;
  }

  /** A record that failed at commit (schema or conversion): fail throws, dlq and skip handle it here. */
  commitFailure(route: Route, f: RecordFailure): void {
    if (route.config.onError === "fail") {
      // Thrown out of the commit: requestFlush's handler records it as the fatal error and stops.
      const { topic, partition, offset } = f.record.meta;
      throw new FloeError(
        f.error.code,
        `record ${topic}/${partition}@${offset} failed at ${f.stage}: ${f.error.message}`,
        { cause: f.error, context: { topic, partition, offset } },
      );
    }
    // The record's offset is already in the batch being committed: no need to cover it again.
    this.handle(route, { meta: f.record.meta, value: f.record.value }, f.stage, f.error, false);
  }
}

/** The route's only table, when it does not depend on the record's content. */
function tableForError(route: Route, topic: string): TableIdentifier | undefined {
  if (route.config.tableField !== undefined) return undefined;
  return route.tableFor(topic, {});
}

/** A record's headers as (name, bytes) pairs; null when it has none. */
export function headersOf(h: SourceHeaders | undefined): Headers | null {
  let out: [string, Uint8Array | null][] | null = null;
  for (const name in h) {
    if (!Object.hasOwn(h, name)) continue;
    const hv = h[name];
    out ??= [];
    for (const v of Array.isArray(hv) ? hv : [hv]) {
      out.push([name, v === undefined ? null : typeof v === "string" ? Buffer.from(v) : v]);
    }
  }
  return out;
}

export function metaOf(rec: RecordInput): KafkaMeta {
  return {
    topic: rec.topic,
    partition: rec.partition,
    offset: rec.offset,
    timestampMs: BigInt(rec.timestampMs),
    key: rec.key,
    headers: rec.headers ?? [],
  };
}
