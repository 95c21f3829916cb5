/**
 * The sink benchmarks' record: a 12-column clickstream event, as JSON (~250 bytes) and as its Avro
 * equivalent in the Schema Registry wire format. Same columns and types as the write-path benchmark
 * (bench/support/events.ts), with a page path instead of a full URL and absent values left out of the
 * JSON, so a message is about 250 bytes. Deterministic for a seed.
 */
import avsc from "avsc";
import { wireHeader } from "../../src/ingest/decode/index.js";

/** The declared Iceberg schema of the JSON route (struct JSON; the Avro schema maps to the same types). */
export const EVENT_STRUCT = {
  type: "struct",
  fields: [
    { id: 1, name: "event_id", required: true, type: "uuid" },
    { id: 2, name: "ts", required: true, type: "timestamptz" },
    { id: 3, name: "user_id", required: true, type: "long" },
    { id: 4, name: "session", required: false, type: "string" },
    { id: 5, name: "event_type", required: true, type: "string" },
    { id: 6, name: "page", required: false, type: "string" },
    { id: 7, name: "country", required: false, type: "string" },
    {
      id: 8,
      name: "device",
      required: false,
      type: {
        type: "struct",
        fields: [
          { id: 13, name: "os", required: true, type: "string" },
          { id: 14, name: "browser", required: false, type: "string" },
        ],
      },
    },
    { id: 9, name: "amount", required: false, type: "decimal(12, 2)" },
    { id: 10, name: "duration_ms", required: false, type: "int" },
    { id: 11, name: "is_mobile", required: false, type: "boolean" },
    {
      id: 12,
      name: "labels",
      required: false,
      type: { type: "list", "element-id": 15, element: "string", "element-required": true },
    },
  ],
} as const;

const opt = (type: unknown) => ["null", type];
export const AVRO_EVENT_SCHEMA = {
  type: "record",
  name: "Event",
  namespace: "bench.floe",
  fields: [
    { name: "event_id", type: { type: "string", logicalType: "uuid" } },
    { name: "ts", type: { type: "long", logicalType: "timestamp-millis" } },
    { name: "user_id", type: "long" },
    { name: "session", type: opt("string"), default: null },
    { name: "event_type", type: "string" },
    { name: "page", type: opt("string"), default: null },
    { name: "country", type: opt("string"), default: null },
    {
      name: "device",
      type: opt({
        type: "record",
        name: "Device",
        fields: [
          { name: "os", type: "string" },
          { name: "browser", type: opt("string"), default: null },
        ],
      }),
      default: null,
    },
    {
      name: "amount",
      type: opt({ type: "bytes", logicalType: "decimal", precision: 12, scale: 2 }),
      default: null,
    },
    { name: "duration_ms", type: opt("int"), default: null },
    { name: "is_mobile", type: opt("boolean"), default: null },
    { name: "labels", type: opt({ type: "array", items: "string" }), default: null },
  ],
};

export interface Event {
  event_id: string;
  ts: number;
  user_id: number;
  session?: string;
  event_type: string;
  page?: string;
  country?: string;
  device?: { os: string; browser?: string };
  /** Cents (the JSON value is amount / 100). */
  amountCents?: number;
  duration_ms?: number;
  is_mobile?: boolean;
  labels?: string[];
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
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
  ["iPadOS", true],
];
const BROWSERS = "Chrome Safari Firefox Edge Samsung Opera".split(" ");
const LABELS = Array.from({ length: 20 }, (_, i) =>
  i % 3 === 0 ? `ab:v${i}` : i % 3 === 1 ? `promo_${i}` : `seg_${i}`,
);
const HEX = "0123456789abcdef";
const B36 = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Events one after another; `ts` is `now()` (epoch millis) unless `fixedTsMs` is set. */
export class EventSource {
  private readonly rand: () => number;
  private i = 0;
  private session = "";

  constructor(
    seed = 42,
    private readonly now: () => number = Date.now,
  ) {
    this.rand = prng(seed);
  }

  private pick<T>(xs: readonly T[], skew = 1): T {
    return xs[Math.floor(this.rand() ** skew * xs.length)] as T;
  }

  private chars(alphabet: string, k: number): string {
    let s = "";
    for (let j = 0; j < k; j++) s += alphabet[Math.floor(this.rand() * alphabet.length)];
    return s;
  }

  next(): Event {
    const r = this.rand;
    if (this.i++ % 20 === 0) this.session = `s_${this.chars(B36, 12)}`;
    let x = r();
    let type = "signup";
    for (const [t, p] of EVENT_TYPES) {
      if (x < p) {
        type = t;
        break;
      }
      x -= p;
    }
    const h = (k: number) => this.chars(HEX, k);
    const e: Event = {
      event_id: `${h(8)}-${h(4)}-4${h(3)}-${"89ab"[Math.floor(r() * 4)]}${h(3)}-${h(12)}`,
      ts: this.now(),
      user_id: 1 + Math.floor(r() ** 3 * 5_000_000),
      event_type: type,
    };
    if (r() >= 0.02) e.session = this.session;
    if (r() >= 0.03) e.page = `/${this.pick(CATEGORIES)}/${this.pick(WORDS)}-${1 + Math.floor(r() * 5000)}`;
    if (r() >= 0.01) e.country = this.pick(COUNTRIES, 2);
    if (r() >= 0.03) {
      const os = this.pick(OS, 1.5);
      e.device = { os: os[0] };
      if (r() >= 0.05) e.device.browser = this.pick(BROWSERS, 1.5);
      e.is_mobile = os[1];
    }
    if (type === "purchase" || type === "add_to_cart") e.amountCents = 100 + Math.floor(r() * 199_900);
    if (r() >= 0.1) e.duration_ms = Math.floor(r() ** 3 * 60_000);
    if (r() >= 0.2) e.labels = Array.from({ length: Math.floor(r() * 4) }, () => this.pick(LABELS, 1.3));
    return e;
  }
}

/** The JSON message: absent values are left out; amount as a number with 2 decimals. */
export function eventJson(e: Event): Buffer {
  const { amountCents, ...rest } = e;
  const o: Record<string, unknown> = rest;
  if (amountCents !== undefined) o.amount = amountCents / 100;
  return Buffer.from(JSON.stringify(o));
}

/** Big-endian two's complement, minimal length: the Avro decimal's bytes. */
function decimalBytes(unscaled: number): Buffer {
  let v = BigInt(unscaled);
  const out: number[] = [];
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!((v === 0n && (out[0] as number) < 0x80) || (v === -1n && (out[0] as number) >= 0x80)));
  return Buffer.from(out);
}

/** Encodes events as Avro in the Schema Registry wire format (logical types raw, as producers send them). */
export function avroEncoder(schemaId: number): (e: Event) => Buffer {
  const type = avsc.Type.forSchema(AVRO_EVENT_SCHEMA as never);
  const header = Buffer.from(wireHeader(schemaId));
  return (e) =>
    Buffer.concat([
      header,
      type.toBuffer({
        event_id: e.event_id,
        ts: e.ts,
        user_id: e.user_id,
        session: e.session ?? null,
        event_type: e.event_type,
        page: e.page ?? null,
        country: e.country ?? null,
        device: e.device ? { os: e.device.os, browser: e.device.browser ?? null } : null,
        amount: e.amountCents === undefined ? null : decimalBytes(e.amountCents),
        duration_ms: e.duration_ms ?? null,
        is_mobile: e.is_mobile ?? null,
        labels: e.labels ?? null,
      }),
    ]);
}
