/**
 * The upsert benchmarks' change stream: over a key space of `keys` keys, each change deletes a live key
 * (`deletes` of them, as a tombstone), replaces a live key's row (`updates`), or inserts the next unused
 * key (the rest; updates once the key space is used up). Live keys are picked uniformly, so updates and
 * deletes hit rows anywhere in the table. An upsert's value is the sink benchmarks' event with `user_id`
 * set to the key and `session` to `c<change number>`, so a reader can tell that every live row is its
 * key's last version. The model (live keys, sum of their last change numbers) comes with the stream.
 */
import type { Message } from "kafkajs";
import { type Event, EventSource, eventJson, prng } from "./sink-events.js";

export interface ChangeMix {
  keys: number;
  /** Fractions of the changes. */
  updates: number;
  deletes: number;
}

/** What a correct table holds after the changes so far. */
export interface ChangeModel {
  liveKeys: number;
  /** Sum over live keys of the change number of their last upsert. */
  lastChangeSum: number;
  inserts: number;
  updates: number;
  deletes: number;
}

export class ChangeStream {
  readonly #rand: () => number;
  readonly #events: EventSource;
  readonly #live: number[] = [];
  /** Position of a key in #live, -1 when not live. */
  readonly #at: Int32Array;
  /** Change number of a live key's last upsert. */
  readonly #last: Float64Array;
  #next = 0;
  #n = 0;
  readonly model: ChangeModel = { liveKeys: 0, lastChangeSum: 0, inserts: 0, updates: 0, deletes: 0 };

  constructor(
    readonly mix: ChangeMix,
    readonly partitions: number,
    seed = 42,
  ) {
    this.#rand = prng(seed ^ 0x5eed);
    this.#events = new EventSource(seed);
    this.#at = new Int32Array(mix.keys).fill(-1);
    this.#last = new Float64Array(mix.keys);
  }

  /** The next change as a Kafka message: keyed by the key, in the key's partition (key % partitions). */
  next(): Message {
    const n = this.#n++;
    const r = this.#rand();
    const live = this.#live;
    const m = this.model;
    let key: number;
    if (live.length > 0 && (r < this.mix.deletes + this.mix.updates || this.#next >= this.mix.keys)) {
      const j = Math.floor(this.#rand() * live.length);
      key = live[j] as number;
      m.lastChangeSum -= this.#last[key] as number;
      if (r < this.mix.deletes) {
        const moved = live.pop() as number;
        if (j < live.length) {
          live[j] = moved;
          this.#at[moved] = j;
        }
        this.#at[key] = -1;
        m.deletes++;
        m.liveKeys--;
        return { key: String(key), value: null, partition: key % this.partitions };
      }
      m.updates++;
    } else {
      key = this.#next++;
      this.#at[key] = live.length;
      live.push(key);
      m.inserts++;
      m.liveKeys++;
    }
    this.#last[key] = n;
    m.lastChangeSum += n;
    const e: Event = { ...this.#events.next(), user_id: key, session: `c${n}` };
    return { key: String(key), value: eventJson(e), partition: key % this.partitions };
  }
}

/**
 * DuckDB check of an upsert table made from a ChangeStream: rows, distinct keys and the sum of the
 * rows' change numbers (equal to the model's live keys, live keys and lastChangeSum when right).
 */
export const UPSERT_CHECK_SQL = (metadataLocation: string) =>
  `SELECT count(*) AS n, count(DISTINCT user_id) AS keys,
     coalesce(sum(CAST(substr(session, 2) AS BIGINT)), 0) AS last_change_sum
   FROM iceberg_scan('${metadataLocation}')`;
