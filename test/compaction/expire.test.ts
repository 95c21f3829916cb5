import { describe, expect, it } from "vitest";
import { DAY_MS, selectExpiredSnapshots } from "../../src/compaction/index.js";
import {
  makeSchema,
  newTableMetadata,
  type Snapshot,
  type SnapshotRef,
  type TableMetadata,
} from "../../src/iceberg/spec/index.js";

const NOW = 1_800_000_000_000;

interface Spec {
  id: number;
  ageDays: number;
  parent?: number;
  summary?: Record<string, string>;
}

/** Metadata with the given snapshots (ids as numbers) and refs; main points at `main`. */
function table(
  snaps: Spec[],
  main: number,
  refs: Record<string, SnapshotRef> = {},
  properties: Record<string, string> = {},
): TableMetadata {
  const md = newTableMetadata({
    location: "memory://wh/db/t",
    uuid: "9a3f5b8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    schema: makeSchema([{ id: 1, name: "id", required: true, type: "long" }]),
    properties,
    nowMs: NOW - 100 * DAY_MS,
  });
  const snapshots: Snapshot[] = snaps.map((s, i) => ({
    "snapshot-id": BigInt(s.id),
    "sequence-number": BigInt(i + 1),
    "timestamp-ms": NOW - s.ageDays * DAY_MS,
    "manifest-list": `memory://wh/db/t/metadata/snap-${s.id}.avro`,
    summary: { operation: "append", ...(s.summary ?? {}) },
    ...(s.parent === undefined ? {} : { "parent-snapshot-id": BigInt(s.parent) }),
  }));
  return {
    ...md,
    snapshots,
    "current-snapshot-id": BigInt(main),
    refs: { main: { "snapshot-id": BigInt(main), type: "branch" }, ...refs },
  };
}

/** A linear history 1..n, snapshot i being (n - i) days old. */
function linear(n: number, summaries: Record<number, Record<string, string>> = {}): Spec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    ageDays: n - (i + 1),
    ...(i === 0 ? {} : { parent: i }),
    ...(summaries[i + 1] ? { summary: summaries[i + 1] } : {}),
  }));
}

const ids = (xs: bigint[]) => xs.map(Number).sort((a, b) => a - b);

describe("snapshot expiry selection", () => {
  it("keeps the newest N and everything younger than the max age", () => {
    // 20 snapshots, 19..0 days old; keep 3, max age 5 days -> keep 15..20 (0..5 days old).
    const md = table(linear(20), 20);
    const sel = selectExpiredSnapshots(md, NOW, { retainLast: 3, maxSnapshotAgeMs: 5 * DAY_MS });
    expect(ids(sel.retain)).toEqual([15, 16, 17, 18, 19, 20]);
    expect(ids(sel.expire)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    // Keep 10: the count wins over the age.
    const more = selectExpiredSnapshots(md, NOW, { retainLast: 10, maxSnapshotAgeMs: 5 * DAY_MS });
    expect(ids(more.retain)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
  });

  it("defaults to 100 snapshots and 5 days, and reads table properties and main's ref settings", () => {
    const md = table(linear(150), 150);
    const sel = selectExpiredSnapshots(md, NOW);
    expect(sel.retainLast).toBe(100);
    expect(sel.maxSnapshotAgeMs).toBe(5 * DAY_MS);
    expect(sel.retain).toHaveLength(100);
    const props = table(
      linear(150),
      150,
      {},
      {
        "history.expire.min-snapshots-to-keep": "2",
        "history.expire.max-snapshot-age-ms": String(DAY_MS),
      },
    );
    expect(ids(selectExpiredSnapshots(props, NOW).retain)).toEqual([149, 150]);
    const refLevel = {
      ...props,
      refs: { main: { "snapshot-id": 150n, type: "branch" as const, "min-snapshots-to-keep": 4 } },
    };
    expect(ids(selectExpiredSnapshots(refLevel, NOW).retain)).toEqual([147, 148, 149, 150]);
  });

  it("never expires the newest snapshot carrying each offsets key, nor the chain from main's head to it", () => {
    // Offsets of group a on 3 and 8, of group b on 5; 9..12 are compaction replaces without offsets.
    const summaries = {
      3: { "floe.offsets.a": '{"t":{"0":"30"}}' },
      5: { "floe.offsets.b": '{"t":{"0":"50"}}' },
      8: { "floe.offsets.a": '{"t":{"0":"80"}}' },
    };
    const md = table(linear(12, summaries), 12);
    const sel = selectExpiredSnapshots(md, NOW, { retainLast: 1, maxSnapshotAgeMs: 0 });
    // b's newest carrier is 5: everything from 12 down to 5 stays; a's older carrier 3 may go.
    expect(ids(sel.retain)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ids(sel.keptForOffsets)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(ids(sel.expire)).toEqual([1, 2, 3, 4]);
    // A custom prefix: the floe keys are then ordinary summary entries.
    const other = selectExpiredSnapshots(md, NOW, {
      retainLast: 1,
      maxSnapshotAgeMs: 0,
      offsetsPrefix: "x.",
    });
    expect(ids(other.retain)).toEqual([12]);
  });

  it("keeps the newest offsets carrier even off main's history", () => {
    // 1 <- 2 <- 3 (main), and a rolled-back 4 (child of 2) holding the newest offsets of group z.
    const md = table(
      [
        { id: 1, ageDays: 30 },
        { id: 2, ageDays: 20, parent: 1 },
        { id: 3, ageDays: 10, parent: 2 },
        { id: 4, ageDays: 15, parent: 2, summary: { "floe.offsets.z": "{}" } },
      ],
      3,
    );
    const sel = selectExpiredSnapshots(md, NOW, { retainLast: 1, maxSnapshotAgeMs: DAY_MS });
    expect(ids(sel.retain)).toEqual([3, 4]);
    expect(ids(sel.expire)).toEqual([1, 2]);
  });

  it("keeps tagged snapshots and the history of other branches", () => {
    const snaps: Spec[] = [...linear(6), { id: 7, ageDays: 9, parent: 2 }, { id: 8, ageDays: 8, parent: 7 }];
    const md = table(snaps, 6, {
      audit: { "snapshot-id": 3n, type: "tag" },
      dev: { "snapshot-id": 8n, type: "branch" },
    });
    const sel = selectExpiredSnapshots(md, NOW, { retainLast: 1, maxSnapshotAgeMs: 0 });
    expect(ids(sel.retain)).toEqual([1, 2, 3, 6, 7, 8]);
    expect(ids(sel.expire)).toEqual([4, 5]);
  });

  it("expires nothing on a young table", () => {
    const md = table(
      linear(5).map((s) => ({ ...s, ageDays: 0 })),
      5,
    );
    expect(selectExpiredSnapshots(md, NOW, { retainLast: 1 }).expire).toEqual([]);
  });
});
