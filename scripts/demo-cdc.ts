// The demo's CDC route: a `customers` table of a telco's billing database captured by Debezium (Postgres
// connector, JsonConverter without schemas): a snapshot of every customer (op r), then customers
// changing plan (op u), cancelling (op d, followed by a tombstone) and signing up, some of them again.
// Deterministic; `model` is the table the events leave, to check the demo's query against.

import { rand } from "./demo-data.js";

export const CUSTOMERS_TOPIC = "demo.customers";

// Fees are never integral: JSON carries no type, and a first 0 would make the column a long.
export const PLANS: Record<string, number> = { prepaid: 4.9, basic: 19.9, plus: 34.9, unlimited: 59.9 };
const PLAN_NAMES = Object.keys(PLANS);
const CITIES = ["Lisbon", "Porto", "Braga", "Coimbra", "Faro"];

export interface Customer {
  id: number;
  name: string;
  city: string;
  plan: string;
  monthly_fee: number;
  updated_at: number; // io.debezium.time.MicroTimestamp
}

const BASE_MS = Date.UTC(2026, 11, 1);

export interface CdcDemo {
  /** Kafka records in order: key {"id"}, value the Debezium event (null: a tombstone), partition. */
  records: { key: string; value: string | null; partition: number }[];
  model: Map<number, Customer>;
  counts: { snapshot: number; planChanges: number; cancellations: number; signups: number };
}

/** `customers` customers in the snapshot, then `changes` changes; a key always goes to one partition. */
export function customerEvents(customers: number, changes: number, partitions: number): CdcDemo {
  const next = rand(17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T;
  const model = new Map<number, Customer>();
  const records: CdcDemo["records"] = [];
  const counts = { snapshot: 0, planChanges: 0, cancellations: 0, signups: 0 };
  let lsn = 33_816_000;
  const emit = (op: string, id: number, before: Customer | null, after: Customer | null, n: number) => {
    lsn += 88;
    const tsMs = BASE_MS + n * 1000;
    const event = {
      before,
      after,
      source: {
        version: "2.7.3.Final",
        connector: "postgresql",
        name: "billing",
        ts_ms: tsMs,
        snapshot: op === "r" ? "true" : "false",
        db: "billing",
        sequence: JSON.stringify([String(lsn - 88), String(lsn)]),
        schema: "public",
        table: "customers",
        txId: 9000 + n,
        lsn,
        xmin: null,
      },
      transaction: null,
      op,
      ts_ms: tsMs + 40,
    };
    const key = JSON.stringify({ id });
    records.push({ key, value: JSON.stringify(event), partition: id % partitions });
    if (op === "d") records.push({ key, value: null, partition: id % partitions });
  };
  const customer = (id: number, n: number): Customer => {
    const plan = pick(PLAN_NAMES);
    return {
      id,
      name: `Customer ${id}`,
      city: pick(CITIES),
      plan,
      monthly_fee: PLANS[plan] ?? 0,
      updated_at: (BASE_MS + n * 1000) * 1000,
    };
  };
  for (let id = 1; id <= customers; id++) {
    const c = customer(id, id);
    model.set(id, c);
    emit("r", id, null, c, id);
    counts.snapshot++;
  }
  let maxId = customers;
  for (let n = customers + 1; n <= customers + changes; n++) {
    const r = next();
    const id =
      r < 0.12 ? (next() < 0.3 ? 1 + Math.floor(next() * maxId) : ++maxId) : 1 + Math.floor(next() * maxId);
    const old = model.get(id);
    if (old === undefined) {
      const c = customer(id, n);
      model.set(id, c);
      emit("c", id, null, c, n);
      counts.signups++;
    } else if (r > 0.9) {
      model.delete(id);
      emit("d", id, old, null, n);
      counts.cancellations++;
    } else {
      const plan = pick(PLAN_NAMES.filter((p) => p !== old.plan));
      const c = { ...old, plan, monthly_fee: PLANS[plan] ?? 0, updated_at: (BASE_MS + n * 1000) * 1000 };
      model.set(id, c);
      emit("u", id, old, c, n);
      counts.planChanges++;
    }
  }
  return { records, model, counts };
}

/** Customers and monthly revenue per plan in the model, as the demo's query reports them. */
export function planSummary(model: ReadonlyMap<number, Customer>): Record<string, unknown>[] {
  const by = new Map<string, { customers: number; revenue: number }>();
  for (const c of model.values()) {
    const s = by.get(c.plan) ?? { customers: 0, revenue: 0 };
    s.customers++;
    s.revenue += c.monthly_fee;
    by.set(c.plan, s);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([plan, s]) => ({
      plan,
      customers: s.customers,
      monthly_revenue: Math.round(s.revenue * 100) / 100,
    }));
}
