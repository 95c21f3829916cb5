/**
 * A realistic 12-column clickstream event schema and deterministic data for the write-path benchmark.
 *
 * The data exists in the three shapes the write path sees:
 * - JSON messages (what a JSON Kafka topic carries): one UTF-8 buffer plus message offsets;
 * - decoded rows (what a JSON decoder yields after converting to Floe's value forms, see
 *   src/iceberg/spec/values.ts): plain objects, `ts` / `user_id` bigint, `amount` an unscaled bigint,
 *   `event_id` the canonical uuid string, `device` a nested object, `labels` a string array;
 * - typed columns: the fastest input `buildTable` accepts per type (typed arrays for numbers, columnar
 *   struct/list forms). Strings, booleans, decimals and uuids have no bulk input form in arrow-table.ts,
 *   so there they stay per-value arrays (uuids as 16-byte views into one buffer).
 */

import { makeSchema, type NestedField, type Schema } from "../../src/iceberg/spec/index.js";
import type {
  ListColumn,
  Row,
  StructColumn,
  TypedColumn,
  WriteField,
} from "../../src/iceberg/write/index.js";

/** Column, Iceberg type and what the generator puts there (documented in the results). */
export const EVENT_COLUMNS: readonly { name: string; type: string; data: string }[] = [
  { name: "event_id", type: "uuid (required)", data: "random v4 uuid; JSON: canonical string" },
  { name: "ts", type: "timestamptz (required)", data: "2025-01-01 + ~1.2 ms/event; JSON: epoch millis" },
  { name: "user_id", type: "long (required)", data: "1..5M, skewed (few heavy users)" },
  { name: "session", type: "string", data: "'s_' + 16 base36 chars, ~20 events per session" },
  { name: "event_type", type: "string (required)", data: "8 values, page_view 55% .. signup 1%" },
  { name: "page", type: "string", data: "https://shop.example.com/<cat>/<slug>-<id>[?utm..], 3% null" },
  { name: "country", type: "string", data: "ISO-2 code, 24 values, skewed, 1% null" },
  { name: "device", type: "struct<os string req, browser string>", data: "7 OS x 6 browsers, 3% null" },
  { name: "amount", type: "decimal(12,2)", data: "only on add_to_cart/purchase (~8%), 1.00..2000.00" },
  { name: "duration_ms", type: "int", data: "0..60000 skewed, 10% null" },
  { name: "is_mobile", type: "boolean", data: "from device.os; null with device" },
  { name: "labels", type: "list<string>", data: "0..3 of 20 labels, 20% null" },
];

/** The table schema (field ids 1..12 top level, 13..16 nested). */
export function eventSchema(): Schema {
  const f = (id: number, name: string, type: NestedField["type"], required = false): NestedField => ({
    id,
    name,
    required,
    type,
  });
  return makeSchema([
    f(1, "event_id", "uuid", true),
    f(2, "ts", "timestamptz", true),
    f(3, "user_id", "long", true),
    f(4, "session", "string"),
    f(5, "event_type", "string", true),
    f(6, "page", "string"),
    f(7, "country", "string"),
    f(8, "device", {
      type: "struct",
      fields: [f(13, "os", "string", true), f(14, "browser", "string")],
    }),
    f(9, "amount", "decimal(12, 2)"),
    f(10, "duration_ms", "int"),
    f(11, "is_mobile", "boolean"),
    f(12, "labels", { type: "list", "element-id": 15, element: "string", "element-required": false }),
  ]);
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENT_TYPES: readonly [string, number][] = [
  ["page_view", 0.55],
  ["click", 0.2],
  ["scroll", 0.1],
  ["add_to_cart", 0.06],
  ["search", 0.04],
  ["purchase", 0.02],
  ["login", 0.02],
  ["signup", 0.01],
];
const COUNTRIES = "US DE GB FR IN BR JP CA NL ES IT PL SE AU MX KR TR CH BE AT NO DK FI IE".split(" ");
const CATEGORIES = "shoes shirts electronics books garden toys kitchen sports beauty music".split(" ");
const WORDS = "red blue classic ultra mini pro light smart eco deluxe soft quick prime wild urban".split(" ");
const OS: readonly [string, boolean][] = [
  ["Android", true],
  ["iOS", true],
  ["Windows", false],
  ["macOS", false],
  ["Linux", false],
  ["ChromeOS", false],
  ["iPadOS", true],
];
const BROWSERS = "Chrome Safari Firefox Edge Samsung Opera".split(" ");
const LABELS = Array.from({ length: 20 }, (_, i) =>
  i % 4 === 0
    ? `ab:checkout_v${i}`
    : i % 4 === 1
      ? `promo:spring_${i}`
      : i % 4 === 2
        ? `segment_${i}`
        : "returning",
);
const T0_MS = 1_735_689_600_000; // 2025-01-01T00:00:00Z

export interface EventMessages {
  /** All messages' UTF-8 JSON back to back. */
  readonly bytes: Buffer;
  /** n + 1 offsets into `bytes`. */
  readonly offsets: Uint32Array;
  readonly count: number;
}

/** `n` JSON messages, the same for the same n and seed. */
export function generateMessages(n: number, seed = 42): EventMessages {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[], skew = 1): T => xs[Math.floor(rand() ** skew * xs.length)]!;
  const hex = (k: number) => {
    let s = "";
    for (let i = 0; i < k; i++) s += "0123456789abcdef"[Math.floor(rand() * 16)];
    return s;
  };
  const sessions = Math.max(1, Math.floor(n / 20));
  const sessionIds = Array.from({ length: Math.min(sessions, 100_000) }, () => {
    let s = "s_";
    for (let i = 0; i < 16; i++) s += "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(rand() * 36)];
    return s;
  });
  const parts: string[] = [];
  const offsets = new Uint32Array(n + 1);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    let r = rand();
    let type = EVENT_TYPES[EVENT_TYPES.length - 1]![0];
    for (const [t, p] of EVENT_TYPES) {
      if (r < p) {
        type = t;
        break;
      }
      r -= p;
    }
    const variant = "89ab"[Math.floor(rand() * 4)];
    const eventId = `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
    const productId = 1 + Math.floor(rand() ** 2 * 5000);
    let page: string | null =
      `https://shop.example.com/${pick(CATEGORIES)}/${pick(WORDS)}-${pick(WORDS)}-${productId}`;
    if (rand() < 0.3)
      page += `?utm_source=${pick(["google", "newsletter", "facebook", "tiktok"])}&utm_campaign=c${Math.floor(rand() * 40)}`;
    if (rand() < 0.03) page = null;
    const os = pick(OS, 1.5);
    const device = rand() < 0.03 ? null : { os: os[0], browser: rand() < 0.05 ? null : pick(BROWSERS, 1.5) };
    const labels =
      rand() < 0.2 ? null : Array.from({ length: Math.floor(rand() * 4) }, () => pick(LABELS, 1.3));
    const record = {
      event_id: eventId,
      ts: T0_MS + Math.floor(i * 1.2) + Math.floor(rand() * 3),
      user_id: 1 + Math.floor(rand() ** 3 * 5_000_000),
      session: rand() < 0.02 ? null : sessionIds[Math.floor(i / 20) % sessionIds.length],
      event_type: type,
      page,
      country: rand() < 0.01 ? null : pick(COUNTRIES, 2),
      device,
      amount:
        type === "purchase" || type === "add_to_cart" ? (100 + Math.floor(rand() * 199_900)) / 100 : null,
      duration_ms: rand() < 0.1 ? null : Math.floor(rand() ** 3 * 60_000),
      is_mobile: device === null ? null : os[1],
      labels,
    };
    const json = JSON.stringify(record);
    parts.push(json);
    pos += Buffer.byteLength(json);
    offsets[i + 1] = pos;
  }
  return { bytes: Buffer.from(parts.join(""), "utf8"), offsets, count: n };
}

/**
 * What a JSON decoder yields: JSON.parse per message, then Floe's value forms for the columns whose JSON
 * form differs (timestamptz micros, long and unscaled decimal as bigint).
 */
export function decodeMessages(m: EventMessages, from = 0, to = m.count): Row[] {
  const rows = new Array<Row>(to - from);
  for (let i = from; i < to; i++) {
    const o = JSON.parse(m.bytes.toString("utf8", m.offsets[i]!, m.offsets[i + 1]!)) as Record<
      string,
      unknown
    >;
    o.ts = BigInt(o.ts as number) * 1000n;
    o.user_id = BigInt(o.user_id as number);
    if (typeof o.amount === "number") o.amount = BigInt(Math.round(o.amount * 100));
    rows[i - from] = o;
  }
  return rows;
}

type Typed = readonly unknown[] | BigInt64Array | TypedColumn | StructColumn | ListColumn;

/**
 * The same rows as typed columns (not timed: a columnar decoder would write these directly), aligned
 * with `fields`.
 */
export function typedColumns(rows: readonly Row[], fields: readonly WriteField[]): Typed[] {
  const n = rows.length;
  const uuidBytes = new Uint8Array(n * 16);
  const uuids = new Array<Uint8Array>(n);
  const ts = new BigInt64Array(n);
  const users = new BigInt64Array(n);
  const duration = new Int32Array(n);
  const durationNulls = new Uint8Array(n);
  const deviceNulls = new Uint8Array(n);
  const os = new Array<string | null>(n);
  const browser = new Array<string | null>(n);
  const listNulls = new Uint8Array(n);
  const listOffsets = new Int32Array(n + 1);
  const elements: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const hex = (r.event_id as string).replaceAll("-", "");
    for (let k = 0; k < 16; k++) uuidBytes[i * 16 + k] = Number.parseInt(hex.slice(2 * k, 2 * k + 2), 16);
    uuids[i] = uuidBytes.subarray(i * 16, i * 16 + 16);
    ts[i] = r.ts as bigint;
    users[i] = r.user_id as bigint;
    if (r.duration_ms === null) durationNulls[i] = 1;
    else duration[i] = r.duration_ms as number;
    const d = r.device as { os: string; browser: string | null } | null;
    if (d === null) deviceNulls[i] = 1;
    os[i] = d?.os ?? null;
    browser[i] = d?.browser ?? null;
    const labels = r.labels as string[] | null;
    if (labels === null) listNulls[i] = 1;
    else elements.push(...labels);
    listOffsets[i + 1] = elements.length;
  }
  const column = (name: string) => rows.map((r) => r[name] ?? null);
  const byName: Record<string, Typed> = {
    event_id: uuids,
    ts,
    user_id: users,
    session: column("session"),
    event_type: column("event_type"),
    page: column("page"),
    country: column("country"),
    device: { kind: "struct", length: n, children: { os, browser }, nulls: deviceNulls },
    amount: column("amount"),
    duration_ms: { kind: "typed", values: duration, nulls: durationNulls },
    is_mobile: column("is_mobile"),
    labels: { kind: "list", offsets: listOffsets, elements, nulls: listNulls },
  };
  return fields.map((f) => byName[f.name]!);
}
