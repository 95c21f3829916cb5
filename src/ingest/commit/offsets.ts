/**
 * Exactly-once bookkeeping. Each table commit carries, in its snapshot summary under
 * `floe.offsets.<group>`, the next offset to read for every topic partition the commit covers:
 * `{"topic": {"0": "1234"}}`. The committed position of a table is found by walking the main branch's
 * ancestry back to the newest snapshot with that key (compaction and other writers leave it out).
 */
import { FloeError } from "../../errors.js";
import { ancestorsOf, FLOE_OFFSETS_PREFIX, type TableMetadata } from "../../iceberg/spec/index.js";

export const OFFSETS_PREFIX = FLOE_OFFSETS_PREFIX;
export const offsetsKey = (group: string): string => `${OFFSETS_PREFIX}${group}`;

/** topic -> partition -> next offset to read. */
export type OffsetMap = Map<string, Map<number, bigint>>;

export function formatOffsets(offsets: OffsetMap): string {
  const obj: Record<string, Record<string, string>> = {};
  for (const [topic, parts] of [...offsets].sort(([a], [b]) => a.localeCompare(b))) {
    obj[topic] = Object.fromEntries(
      [...parts].sort(([a], [b]) => a - b).map(([p, o]) => [String(p), o.toString()]),
    );
  }
  return JSON.stringify(obj);
}

export function parseOffsets(text: string): OffsetMap {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new FloeError("INVALID_ARGUMENT", `offsets summary is not JSON: ${(e as Error).message}`);
  }
  const out: OffsetMap = new Map();
  if (obj === null || typeof obj !== "object") return out;
  for (const [topic, parts] of Object.entries(obj as Record<string, unknown>)) {
    if (parts === null || typeof parts !== "object") continue;
    const m = new Map<number, bigint>();
    for (const [p, o] of Object.entries(parts as Record<string, unknown>)) {
      if (/^\d+$/.test(p) && typeof o === "string" && /^\d+$/.test(o)) m.set(Number(p), BigInt(o));
    }
    out.set(topic, m);
  }
  return out;
}

/** The offsets this group last committed to the table (empty when it never did). */
export function committedOffsets(metadata: TableMetadata, group: string): OffsetMap {
  const key = offsetsKey(group);
  // ancestorsOf starts with the snapshot itself, newest first.
  for (const snap of ancestorsOf(metadata["current-snapshot-id"], metadata.snapshots)) {
    const text = snap.summary[key];
    if (text !== undefined) return parseOffsets(text);
  }
  return new Map();
}

export function getOffset(offsets: OffsetMap, topic: string, partition: number): bigint | undefined {
  return offsets.get(topic)?.get(partition);
}

export function setOffset(offsets: OffsetMap, topic: string, partition: number, offset: bigint): void {
  let parts = offsets.get(topic);
  if (parts === undefined) {
    parts = new Map();
    offsets.set(topic, parts);
  }
  parts.set(partition, offset);
}

/** A copy of `base` with `updates` applied on top. */
export function mergeOffsets(base: OffsetMap, updates: OffsetMap): OffsetMap {
  const out: OffsetMap = new Map([...base].map(([t, p]) => [t, new Map(p)]));
  for (const [topic, parts] of updates) for (const [p, o] of parts) setOffset(out, topic, p, o);
  return out;
}
