/**
 * When the sink flushes besides the clock, and when it stops consuming: a buffer that reaches a size
 * limit is flushed into its table's open files (the clock commits them); while the buffers and the
 * batch being flushed pass `buffer.maxBytes`, the batch handler waits for flushes, heartbeating, so
 * kafkajs fetches nothing more, and consumption resumes the moment a flush frees memory.
 */
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { CommitClock } from "./commit/index.js";
import type { SinkBuffers } from "./sink-buffers.js";
import type { SinkMetricsLike } from "./sink-metrics.js";

export class Backpressure {
  constructor(
    private readonly deps: {
      config: Config;
      buffers: SinkBuffers;
      clock: CommitClock;
      metrics: SinkMetricsLike;
      logger: Logger;
      /** Queues a flush that writes the buffers into the open files without committing. */
      flush: () => Promise<void>;
    },
  ) {}

  /** Over `buffer.maxBytes`: the batch handler must wait for room. */
  full(): boolean {
    return this.deps.buffers.total > this.deps.config.buffer.maxBytes;
  }

  /** After a batch: flushes when a buffer reached `commit.maxRecords` / `commit.maxBytes`. */
  afterBatch(): void {
    const { config, metrics, buffers, clock } = this.deps;
    metrics.bufferBytes.set({}, buffers.total);
    if (buffers.reached(config.commit.maxRecords, config.commit.maxBytes)) {
      clock.drainCommit();
      void this.deps.flush();
    }
  }

  /** Waits until there is room again; false when the batch must stop. */
  async waitForRoom(heartbeat: () => Promise<void>, live: () => boolean): Promise<boolean> {
    const { metrics, logger, buffers, clock } = this.deps;
    if (!this.full()) return true;
    metrics.paused.set({}, 1);
    logger.info("buffer full, waiting for a flush before consuming more", {
      bufferedBytes: buffers.buffered,
      flushingBytes: buffers.flushing,
    });
    try {
      while (this.full()) {
        if (!live()) return false;
        clock.drainCommit();
        await Promise.race([this.deps.flush(), new Promise((r) => setTimeout(r, 1000))]);
        // Records are waiting for room: not the end of a drain, so no idle commit meanwhile.
        clock.sawRecords();
        await heartbeat();
      }
      return live();
    } finally {
      metrics.paused.set({}, 0);
    }
  }
}
