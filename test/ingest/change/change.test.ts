import { describe, expect, it } from "vitest";
import { FloeError } from "../../../src/errors.js";
import {
  alignDeleteKey,
  type Change,
  type ChangeOptions,
  DebeziumJsonDecoder,
  keyDecoderFor,
  recordChange,
  toChange,
} from "../../../src/ingest/change/index.js";
import { createDecoder, type DecodedRecord } from "../../../src/ingest/decode/index.js";
import { failure } from "../../support/failure.js";
import { bytes, DEBEZIUM, input, mysqlEvent, names, pgEvent, pgKey } from "./debezium-events.js";

const NONE: ChangeOptions = { key: ["id"], envelope: "none" };
const noKey = () => {
  throw new Error("the Kafka key must not be read");
};

/** The FloeError `fn` throws. */
const fails = (fn: () => unknown) => failure(Promise.resolve().then(fn));

/** A Debezium JSON value and key through the decoders and toChange, as the sink does. */
function jsonChange(value: unknown, key: unknown, opts: ChangeOptions = DEBEZIUM): Change | null {
  const decoded = value === null ? null : new DebeziumJsonDecoder().decodeSync(input(bytes(value)));
  const keys = keyDecoderFor(opts);
  const k = key === null ? null : bytes(key);
  const out = recordChange(opts, decoded, keys, input(value === null ? null : bytes(value), k));
  if (out instanceof Promise) throw new Error("a JSON key needs no await");
  return out;
}

const ANNE = {
  id: 1,
  first_name: "Anne",
  last_name: "Kretchmar",
  email: "annek@noanswer.org",
  balance: "MDk=", // 12345 -> 123.45
  updated_at: 1_559_033_904_863_123,
  signup_date: 18_000,
  last_login: "2019-05-28T09:38:24.863123+02:00",
  plan: "free",
};

describe("Debezium JSON with schema (Postgres, JsonConverter schemas.enable=true)", () => {
  it("create: the after row typed by the Connect schema, local ids 1..n", () => {
    const change = jsonChange(pgEvent("c", null, ANNE), pgKey(1));
    expect(change?.op).toBe("upsert");
    if (change?.op !== "upsert") return;
    expect(change.row).toEqual({
      id: 1,
      first_name: "Anne",
      last_name: "Kretchmar",
      email: "annek@noanswer.org",
      balance: 12345n,
      updated_at: 1_559_033_904_863_123n,
      signup_date: 18_000,
      last_login: 1_559_029_104_863_123n,
      plan: "free",
    });
    expect(names(change.schema)).toEqual([
      '1:id:"int"',
      '2:first_name:"string"',
      '3:last_name:"string"',
      '4:email:"string"',
      '5:balance:"decimal(10, 2)"',
      '6:updated_at:"timestamp"',
      '7:signup_date:"date"',
      '8:last_login:"timestamptz"',
      '9:plan:"string"',
    ]);
    expect(change.schema.fields.map((f) => f.required)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("gives records of one Connect schema the same schema object", () => {
    const a = jsonChange(pgEvent("c", null, ANNE), pgKey(1));
    const b = jsonChange(pgEvent("u", ANNE, { ...ANNE, plan: "pro" }), pgKey(1));
    expect(a?.schema).toBe(b?.schema);
    expect(b?.op === "upsert" && b.row.plan).toBe("pro");
  });

  it("snapshot read (r) upserts like a create", () => {
    const change = jsonChange(pgEvent("r", null, ANNE), pgKey(1));
    expect(change?.op).toBe("upsert");
  });

  it("delete: keyed by before (REPLICA IDENTITY DEFAULT: only the key columns set)", () => {
    const change = jsonChange(pgEvent("d", { id: 1 }, null), pgKey(1));
    expect(change).toMatchObject({ op: "delete", key: { id: 1 } });
    expect(names((change as Change).schema)).toEqual(['1:id:"int"']);
  });

  it("delete with before null: keyed by the Kafka key", () => {
    const change = jsonChange(pgEvent("d", null, null), pgKey(42));
    expect(change).toMatchObject({ op: "delete", key: { id: 42 } });
    expect(names((change as Change).schema)).toEqual(['1:id:"int"']);
  });

  it("tombstone after a delete: a delete by the Kafka key (Connect key with schema)", () => {
    expect(jsonChange(null, pgKey(42))).toMatchObject({ op: "delete", key: { id: 42 } });
  });

  it('{"schema": null, "payload": null} is a tombstone', () => {
    expect(jsonChange({ schema: null, payload: null }, pgKey(5))).toMatchObject({
      op: "delete",
      key: { id: 5 },
    });
  });

  it("truncate, message and events without op are skipped", () => {
    expect(jsonChange(pgEvent("t", null, null), null)).toBeNull();
    expect(jsonChange(pgEvent("m", null, null), null)).toBeNull();
    expect(jsonChange({ schema: { type: "string", optional: false }, payload: "DDL" }, null)).toBeNull();
  });

  it("a create whose after lacks the key is KEY_INVALID naming the field", async () => {
    const e = await fails(() => jsonChange(pgEvent("c", null, { ...ANNE, id: null }), pgKey(1)));
    expect(e).toBeInstanceOf(FloeError);
    expect((e as FloeError).code).toBe("KEY_INVALID");
    expect((e as FloeError).context.field).toBe("id");
  });

  it("the same event read by the plain json decoder (row {schema, payload}) gives the same change", async () => {
    const plain = createDecoder({ format: "json" });
    const event = pgEvent("u", { id: 1 }, { ...ANNE, balance: null, last_login: null });
    // The plain decoder infers the schema part too; without mixed-type defaults that works.
    const schemaWithoutDefaults = JSON.parse(
      JSON.stringify(event.schema).replace(/"default":(0|"[a-z]+"),/g, ""),
    );
    const decoded = await plain.decode(input(bytes({ ...event, schema: schemaWithoutDefaults })));
    const change = toChange(DEBEZIUM, decoded, noKey);
    expect(change).toMatchObject({ op: "upsert", row: { id: 1, plan: "free", balance: null } });
    expect(change?.schema.fields.find((f) => f.name === "updated_at")?.type).toBe("timestamp");
  });
});

describe("Debezium JSON without schema (MySQL, schemas.enable=false)", () => {
  const row = { id: 1004, first_name: "Anne", last_name: "Kretchmar", email: "annek@noanswer.org" };

  it("create and update: after as an inferred row", () => {
    const c = jsonChange(mysqlEvent("c", null, row), { id: 1004 });
    expect(c).toMatchObject({ op: "upsert", row: { id: 1004n, email: "annek@noanswer.org" } });
    expect(names((c as Change).schema)).toEqual([
      '1:id:"long"',
      '2:first_name:"string"',
      '3:last_name:"string"',
      '4:email:"string"',
    ]);
    const u = jsonChange(mysqlEvent("u", row, { ...row, email: "anne@example.org" }), { id: 1004 });
    expect(u).toMatchObject({ op: "upsert", row: { email: "anne@example.org" } });
    expect(u?.schema).toBe(c?.schema);
  });

  it("delete by before, and by a bare scalar key when before is null", () => {
    expect(jsonChange(mysqlEvent("d", row, null), { id: 1004 })).toMatchObject({
      op: "delete",
      key: { id: 1004n },
    });
    expect(jsonChange(mysqlEvent("d", null, null), 1005)).toMatchObject({ op: "delete", key: { id: 1005n } });
  });

  it("a delete with no before and no Kafka key is KEY_INVALID", async () => {
    const e = await fails(() => jsonChange(mysqlEvent("d", null, null), null));
    expect((e as FloeError).code).toBe("KEY_INVALID");
  });
});

describe("envelope none", () => {
  const decode = (v: unknown): DecodedRecord =>
    createDecoder({ format: "json" }).decodeSync?.(input(bytes(v))) as DecodedRecord;

  it("a value with its key is the row to keep", () => {
    const change = toChange(NONE, decode({ id: 3, plan: "pro" }), noKey);
    expect(change).toMatchObject({ op: "upsert", row: { id: 3n, plan: "pro" } });
  });

  it("a value without a key field, or with it null, is KEY_INVALID naming it", async () => {
    for (const v of [{ plan: "pro" }, { id: null, plan: "pro" }]) {
      const e = await fails(() => toChange(NONE, decode(v), noKey));
      expect((e as FloeError).code).toBe("KEY_INVALID");
      expect((e as FloeError).context.field).toBe("id");
    }
  });

  it("a composite key needs every field", async () => {
    const opts: ChangeOptions = { key: ["tenant", "id"], envelope: "none" };
    expect(toChange(opts, decode({ tenant: "a", id: 1, x: 2 }), noKey)?.op).toBe("upsert");
    const e = await fails(() => toChange(opts, decode({ id: 1, x: 2 }), noKey));
    expect((e as FloeError).context.field).toBe("tenant");
  });

  it("tombstones: JSON object key, bare JSON scalar, plain string key (StringSerializer)", () => {
    expect(jsonChange(null, { id: 9, extra: true }, NONE)).toMatchObject({ op: "delete", key: { id: 9n } });
    expect(jsonChange(null, 9, NONE)).toMatchObject({ op: "delete", key: { id: 9n } });
    expect(jsonChange(null, '"c-9"', NONE)).toMatchObject({ op: "delete", key: { id: "c-9" } });
    expect(jsonChange(null, "c-9", NONE)).toMatchObject({ op: "delete", key: { id: "c-9" } });
    const del = jsonChange(null, { id: 9, extra: true }, NONE) as Change;
    expect(names(del.schema)).toEqual(['1:id:"long"']);
  });

  it("a composite key from a Kafka key object; a scalar key for it is KEY_INVALID", async () => {
    const opts: ChangeOptions = { key: ["tenant", "id"], envelope: "none" };
    expect(jsonChange(null, { id: 1, tenant: "a" }, opts)).toMatchObject({
      op: "delete",
      key: { tenant: "a", id: 1n },
    });
    const e = await fails(() => jsonChange(null, 7, opts));
    expect((e as FloeError).code).toBe("KEY_INVALID");
  });

  it("a tombstone without a key, or with a null key field, is KEY_INVALID", async () => {
    for (const key of [null, { id: null }, "null"]) {
      const e = await fails(() => jsonChange(null, key, NONE));
      expect((e as FloeError).code).toBe("KEY_INVALID");
    }
  });
});

describe("CDC columns", () => {
  const opts: ChangeOptions = { ...DEBEZIUM, cdcColumns: true };

  it("Postgres: op, source ts_ms, lsn; appended to the after schema", () => {
    const change = jsonChange(pgEvent("u", null, ANNE, 46523128, 1559033904863), pgKey(1), opts);
    expect(change).toMatchObject({
      op: "upsert",
      row: { id: 1, _cdc_op: "u", _cdc_ts_ms: 1559033904863n, _cdc_pos: "46523128" },
    });
    expect(names((change as Change).schema).slice(-3)).toEqual([
      '10:_cdc_op:"string"',
      '11:_cdc_ts_ms:"long"',
      '12:_cdc_pos:"string"',
    ]);
    const again = jsonChange(pgEvent("c", null, ANNE, 46523200), pgKey(1), opts);
    expect(again?.schema).toBe(change?.schema);
  });

  it("MySQL: binlog file:pos:row", () => {
    const row = { id: 1, plan: "free" };
    const change = jsonChange(mysqlEvent("c", null, row, 1234, 2), { id: 1 }, opts);
    expect(change).toMatchObject({ row: { _cdc_op: "c", _cdc_pos: "mysql-bin.000003:1234:2" } });
  });

  it("deletes carry no CDC columns", () => {
    expect(jsonChange(pgEvent("d", { id: 1 }, null), pgKey(1), opts)).toEqual({
      op: "delete",
      key: { id: 1 },
      schema: expect.anything(),
    });
  });
});

describe("alignDeleteKey: Kafka key types to the table's key column types", () => {
  const del = (key: unknown, opts: ChangeOptions = NONE) => jsonChange(null, key, opts) as Change;

  it("a StringSerializer key that reads as a JSON number keys a string column", () => {
    const change = alignDeleteKey(del("12345"), (c) => (c === "id" ? "string" : undefined));
    expect(change).toMatchObject({ op: "delete", key: { id: "12345" } });
    expect(names(change.schema)).toEqual(['1:id:"string"']);
    expect(alignDeleteKey(del("678"), () => "string").schema).toBe(change.schema);
  });

  it("integer text keys an int or long column; other values and unknown columns are left alone", () => {
    expect(alignDeleteKey(del('"7"'), () => "long")).toMatchObject({ key: { id: 7n } });
    expect(alignDeleteKey(del({ id: "7" }), () => "int")).toMatchObject({ key: { id: 7 } });
    const asIs = del("abc");
    expect(alignDeleteKey(asIs, () => "long")).toBe(asIs);
    expect(alignDeleteKey(asIs, () => undefined)).toBe(asIs);
    const same = del(5);
    expect(alignDeleteKey(same, () => "long")).toBe(same);
    const upsert = toChange(
      NONE,
      createDecoder({ format: "json" }).decodeSync?.(input(bytes({ id: 1 }))) ?? null,
      noKey,
    );
    expect(alignDeleteKey(upsert as Change, () => "string")).toBe(upsert);
  });

  it("a composite key converts each column", () => {
    const opts: ChangeOptions = { key: ["tenant", "id"], envelope: "none" };
    const change = alignDeleteKey(del({ tenant: 3, id: "9" }, opts), (c) =>
      c === "tenant" ? "string" : "long",
    );
    expect(change).toMatchObject({ key: { tenant: "3", id: 9n } });
    expect(names(change.schema)).toEqual(['1:tenant:"string"', '2:id:"long"']);
  });
});
