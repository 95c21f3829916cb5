// Deterministic demo records: telco call-detail records and IoT sensor telemetry over the last 6 hours,
// with roughly one malformed record in 400 (broken JSON or a wrong type) to show the dead-letter path.

const HOUR_MS = 3_600_000;
const START = Date.now() - 6 * HOUR_MS;

/** A small seeded xorshift PRNG. */
export function rand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4_294_967_296;
  };
}

export const cdrSchema = {
  type: "struct",
  fields: [
    { id: 1, name: "call_id", required: true, type: "string" },
    { id: 2, name: "caller", required: true, type: "string" },
    { id: 3, name: "callee", required: false, type: "string" },
    { id: 4, name: "call_start", required: true, type: "timestamptz" },
    { id: 5, name: "duration_s", required: false, type: "int" },
    { id: 6, name: "call_type", required: false, type: "string" },
    { id: 7, name: "cell_id", required: false, type: "string" },
    { id: 8, name: "bytes", required: false, type: "long" },
    { id: 9, name: "dropped", required: false, type: "boolean" },
    { id: 10, name: "charge", required: false, type: "decimal(10, 4)" },
  ],
};

export const telemetrySchema = {
  type: "struct",
  fields: [
    { id: 1, name: "sensor_id", required: true, type: "string" },
    { id: 2, name: "ts", required: true, type: "timestamptz" },
    { id: 3, name: "temperature_c", required: false, type: "double" },
    { id: 4, name: "humidity_pct", required: false, type: "double" },
    { id: 5, name: "battery_pct", required: false, type: "int" },
    {
      id: 6,
      name: "device",
      required: false,
      type: {
        type: "struct",
        fields: [
          { id: 7, name: "model", required: false, type: "string" },
          { id: 8, name: "firmware", required: false, type: "string" },
          {
            id: 9,
            name: "location",
            required: false,
            type: {
              type: "struct",
              fields: [
                { id: 10, name: "lat", required: false, type: "double" },
                { id: 11, name: "lon", required: false, type: "double" },
              ],
            },
          },
        ],
      },
    },
  ],
};

export interface DemoMessage {
  key: string;
  value: string;
  malformed: boolean;
}

const TYPES = ["voice", "voice", "voice", "sms", "data"];

export function makeCdr(i: number): DemoMessage {
  const r = rand(i * 7919 + 1);
  const caller = `+4917${String(Math.floor(r() * 1e8)).padStart(8, "0")}`;
  const type = TYPES[Math.floor(r() * TYPES.length)] ?? "voice";
  const record = {
    call_id: `cdr-${i.toString(36).padStart(7, "0")}`,
    caller,
    callee: type === "data" ? null : `+4915${String(Math.floor(r() * 1e8)).padStart(8, "0")}`,
    call_start: new Date(START + Math.floor(r() * 6 * HOUR_MS)).toISOString(),
    duration_s: type === "voice" ? Math.floor(r() * 900) : 0,
    call_type: type,
    cell_id: `cell-${Math.floor(r() * 64)}`,
    bytes: type === "data" ? Math.floor(r() * 5e8) : 0,
    dropped: r() < 0.02,
    charge: (r() * 3).toFixed(4),
  };
  if (i % 401 === 17) return { key: caller, value: JSON.stringify(record).slice(0, 40), malformed: true };
  if (i % 401 === 211)
    return { key: caller, value: JSON.stringify({ ...record, duration_s: "long" }), malformed: true };
  return { key: caller, value: JSON.stringify(record), malformed: false };
}

const MODELS = ["th-100", "th-200", "aq-5"];

export function makeReading(i: number): DemoMessage {
  const r = rand(i * 104729 + 3);
  const sensor = `sensor-${String(i % 250).padStart(3, "0")}`;
  const record = {
    sensor_id: sensor,
    ts: new Date(START + Math.floor(r() * 6 * HOUR_MS)).toISOString(),
    temperature_c: Math.round((18 + r() * 10) * 100) / 100,
    humidity_pct: Math.round(r() * 1000) / 10,
    battery_pct: Math.floor(r() * 100),
    device: {
      model: MODELS[(i % 250) % MODELS.length],
      firmware: `1.${(i % 250) % 4}.${(i % 250) % 7}`,
      location: { lat: 52.5 + (i % 250) / 1000, lon: 13.4 + (i % 250) / 1000 },
    },
  };
  if (i % 397 === 101) return { key: sensor, value: `${JSON.stringify(record)}}`, malformed: true };
  if (i % 397 === 303)
    return { key: sensor, value: JSON.stringify({ ...record, ts: "yesterday" }), malformed: true };
  return { key: sensor, value: JSON.stringify(record), malformed: false };
}
