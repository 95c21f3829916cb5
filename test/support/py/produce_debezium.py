"""Produces Debezium change events for a `customers` table as the Debezium connector emits them, from a
seeded random history of inserts, updates and deletes, and prints the table the events leave.

    produce_debezium.py SPEC.json

SPEC: {
  "topic": str, "encoding": "json-schema" | "json" | "avro",
  "connector": "postgresql" (default) | "mysql", "prefix": topic prefix (default "dbserver1"),
  "seed": int, "keys": key space (ids 1..keys), "events": changes in the whole history,
  "from": first change to produce (default 0), "to": end of the slice (default events),
  "partitions": the topic's partitions (a key always goes to partition id % partitions),
  "snapshot": changes at the start emitted as snapshot reads (op r; default 0),
  "produce": false to only print the expected table
}

Encodings, as Kafka Connect's converters write them:
- json-schema: JsonConverter with schemas.enable=true: {"schema": <Connect schema>, "payload": <event>}
  (key too); a tombstone is a null value.
- json: JsonConverter with schemas.enable=false: the event itself; key {"id": n}.
- avro: AvroConverter through the Schema Registry (subjects <topic>-key and <topic>-value): the
  `<prefix>.<db/schema>.customers.Envelope` record with the connector's `Source` struct.

Columns: id int32 (primary key), name, email, plan (strings), balance numeric(10,2)
(org.apache.kafka.connect.data.Decimal: base64 two's complement in JSON, Avro decimal), updated_at
timestamp (io.debezium.time.MicroTimestamp, int64 micros), signup_date date (io.debezium.time.Date,
int32 days); all but id nullable. A delete is an op "d" event (before: the full row for half of them,
REPLICA IDENTITY FULL, else only the key, REPLICA IDENTITY DEFAULT; after null) followed by a tombstone
(null value, same key). Updates carry before and after; a deleted key may be inserted again later.

Prints {"produced": records, "changes": {"c","r","u","d"}, "tombstones", "reinserts", "expected": [rows]}
where `expected` is the table after change `to` (last state per key, deleted keys absent), sorted by id,
with balance as its decimal text, updated_at as epoch micros and signup_date as epoch days.
"""
import base64
import decimal
import json
import random
import sys

PLANS = ["free", "pro", "team", "enterprise"]
BASE_TS_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def history(seed, keys, events, snapshot):
    """The change history: [(op, id, before, after)]; deterministic from the seed."""
    rnd = random.Random(seed)
    live = {}
    deleted = set()
    out = []
    for n in range(events):
        if n < min(snapshot, keys):  # the initial snapshot reads ids 1..snapshot once each
            live[n + 1] = new_row(rnd, n + 1, n)
            out.append(("r", n + 1, None, live[n + 1]))
            continue
        cid = rnd.randint(1, keys)
        row = live.get(cid)
        if row is None:
            new = new_row(rnd, cid, n)
            out.append(("c", cid, None, new, cid in deleted))
            live[cid] = new
        elif rnd.random() < 0.2:
            out.append(("d", cid, row, None))
            del live[cid]
            deleted.add(cid)
        else:
            new = dict(row)
            new["plan"] = rnd.choice(PLANS)
            new["balance"] = rnd.randint(-100_000, 10_000_000)
            new["updated_at"] = (BASE_TS_MS + n * 1000) * 1000 + rnd.randint(0, 999)
            if rnd.random() < 0.2:
                new["email"] = None if rnd.random() < 0.5 else f"c{cid}.{n}@example.org"
            out.append(("u", cid, row, new))
            live[cid] = new
    return out


def new_row(rnd, cid, n):
    return {
        "id": cid,
        "name": f"customer {cid}",
        "email": f"c{cid}@example.org" if rnd.random() < 0.9 else None,
        "plan": rnd.choice(PLANS),
        "balance": rnd.randint(-100_000, 10_000_000),  # unscaled cents
        "updated_at": (BASE_TS_MS + n * 1000) * 1000 + rnd.randint(0, 999),
        "signup_date": 19_000 + rnd.randint(0, 2000),
    }


def final_table(changes):
    live = {}
    for ch in changes:
        op, cid, after = ch[0], ch[1], ch[3]
        if op == "d":
            live.pop(cid, None)
        else:
            live[cid] = after
    return [expected_row(live[k]) for k in sorted(live)]


def decimal_text(unscaled):
    return str(decimal.Decimal(unscaled).scaleb(-2))


def expected_row(r):
    return dict(r, balance=decimal_text(r["balance"]))


# --- Connect schemas (JsonConverter form) --------------------------------------------------------

def f(type_, field, optional=True, **extra):
    return {"type": type_, "optional": optional, **extra, "field": field}


COLUMNS = [
    f("int32", "id", False, default=0),
    f("string", "name"),
    f("string", "email"),
    f("string", "plan"),
    f("bytes", "balance", name="org.apache.kafka.connect.data.Decimal", version=1,
      parameters={"scale": "2", "connect.decimal.precision": "10"}),
    f("int64", "updated_at", name="io.debezium.time.MicroTimestamp", version=1),
    f("int32", "signup_date", name="io.debezium.time.Date", version=1),
]

SNAPSHOT_ENUM = {"name": "io.debezium.data.Enum", "version": 1,
                 "parameters": {"allowed": "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},
                 "default": "false"}


def source_fields(connector):
    common = [f("string", "version", False), f("string", "connector", False), f("string", "name", False),
              f("int64", "ts_ms", False), f("string", "snapshot", **SNAPSHOT_ENUM), f("string", "db", False),
              f("string", "sequence"), f("int64", "ts_us"), f("int64", "ts_ns")]
    if connector == "postgresql":
        return common + [f("string", "schema", False), f("string", "table", False), f("int64", "txId"),
                         f("int64", "lsn"), f("int64", "xmin")]
    return common + [f("string", "table"), f("int64", "server_id", False), f("string", "gtid"),
                     f("string", "file", False), f("int64", "pos", False), f("int32", "row", False),
                     f("int64", "thread"), f("string", "query")]


def names(spec):
    prefix = spec.get("prefix", "dbserver1")
    connector = spec.get("connector", "postgresql")
    space = "public" if connector == "postgresql" else "inventory"
    return prefix, connector, f"{prefix}.{space}.customers"


def connect_value_schema(spec):
    _, connector, ns = names(spec)
    value = {"type": "struct", "fields": COLUMNS, "optional": True, "name": f"{ns}.Value"}
    source_name = "io.debezium.connector.postgresql.Source" if connector == "postgresql" \
        else "io.debezium.connector.mysql.Source"
    return {
        "type": "struct",
        "fields": [
            dict(value, field="before"),
            dict(value, field="after"),
            {"type": "struct", "fields": source_fields(connector), "optional": False, "name": source_name,
             "field": "source"},
            {"type": "struct", "fields": [f("string", "id", False), f("int64", "total_order", False),
                                          f("int64", "data_collection_order", False)],
             "optional": True, "name": "event.block", "version": 1, "field": "transaction"},
            f("string", "op", False), f("int64", "ts_ms"), f("int64", "ts_us"), f("int64", "ts_ns"),
        ],
        "optional": False,
        "name": f"{ns}.Envelope",
        "version": 2,
    }


def connect_key_schema(spec):
    _, _, ns = names(spec)
    return {"type": "struct", "fields": [f("int32", "id", False, default=0)], "optional": False,
            "name": f"{ns}.Key"}


# --- Avro schemas (AvroConverter form) ------------------------------------------------------------

def avro_type(field):
    t = {"int32": "int", "int64": "long", "string": "string", "bytes": "bytes"}[field["type"]]
    if "name" not in field:
        return t
    out = {"type": t, "connect.version": field.get("version", 1), "connect.name": field["name"]}
    if "parameters" in field:
        out["connect.parameters"] = field["parameters"]
    if field["name"] == "org.apache.kafka.connect.data.Decimal":
        out.update(logicalType="decimal", precision=10, scale=2)
    if "default" in field:
        out["connect.default"] = field["default"]
    return out


def avro_fields(fields):
    out = []
    for fl in fields:
        t = avro_type(fl)
        if fl["optional"]:
            if "default" in fl:
                out.append({"name": fl["field"], "type": [t, "null"], "default": fl["default"]})
            else:
                out.append({"name": fl["field"], "type": ["null", t], "default": None})
        else:
            out.append({"name": fl["field"], "type": t})
    return out


def avro_value_schema(spec):
    _, connector, ns = names(spec)
    source_ns = f"io.debezium.connector.{connector}"
    value = {"type": "record", "name": "Value", "fields": avro_fields(COLUMNS), "connect.name": f"{ns}.Value"}
    opt_long = lambda n: {"name": n, "type": ["null", "long"], "default": None}  # noqa: E731
    return {
        "type": "record", "name": "Envelope", "namespace": ns,
        "fields": [
            {"name": "before", "type": ["null", value], "default": None},
            {"name": "after", "type": ["null", "Value"], "default": None},
            {"name": "source", "type": {"type": "record", "name": "Source", "namespace": source_ns,
                                        "fields": avro_fields(source_fields(connector)),
                                        "connect.name": f"{source_ns}.Source"}},
            {"name": "transaction", "type": ["null", {
                "type": "record", "name": "block", "namespace": "event",
                "fields": [{"name": "id", "type": "string"}, {"name": "total_order", "type": "long"},
                           {"name": "data_collection_order", "type": "long"}],
                "connect.version": 1, "connect.name": "event.block"}], "default": None},
            {"name": "op", "type": "string"},
            opt_long("ts_ms"), opt_long("ts_us"), opt_long("ts_ns"),
        ],
        "connect.version": 2,
        "connect.name": f"{ns}.Envelope",
    }


def avro_key_schema(spec):
    _, _, ns = names(spec)
    return {"type": "record", "name": "Key", "namespace": ns,
            "fields": [{"name": "id", "type": {"type": "int", "connect.default": 0}, "default": 0}],
            "connect.name": f"{ns}.Key"}


# --- events -----------------------------------------------------------------------------------------

def source(spec, n, op, last_snapshot):
    prefix, connector, _ = names(spec)
    ts_ms = BASE_TS_MS + n * 1000
    snapshot = "false" if op != "r" else ("last" if last_snapshot else "true")
    s = {"version": "2.7.3.Final", "connector": connector, "name": prefix, "ts_ms": ts_ms,
         "snapshot": snapshot, "db": "postgres" if connector == "postgresql" else "inventory",
         "sequence": None, "ts_us": ts_ms * 1000, "ts_ns": ts_ms * 1_000_000}
    if connector == "postgresql":
        lsn = 24_000_000 + n * 120
        s.update(sequence=json.dumps([str(lsn - 120), str(lsn)]), schema="public", table="customers",
                 txId=700 + n, lsn=lsn, xmin=None)
    else:
        s.update(table="customers", server_id=223344, gtid=None, file="mysql-bin.000003",
                 pos=154 + n * 300, row=0, thread=7, query=None)
    return s


def json_row(row, encoding):
    """A row in JsonConverter's JSON: the decimal as base64 of its unscaled two's complement bytes."""
    if row is None:
        return None
    out = dict(row)
    if out.get("balance") is not None:
        v = out["balance"]
        out["balance"] = base64.b64encode(v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)).decode()
    return out


def avro_row(row):
    if row is None:
        return None
    out = dict(row)
    if out.get("balance") is not None:
        out["balance"] = decimal.Decimal(out["balance"]).scaleb(-2)
    return out


def delete_before(rnd, row):
    return row if rnd.random() < 0.5 else {k: (row[k] if k == "id" else None) for k in row}


def records(spec, changes, start, end):
    """Kafka records (key, value, partition) of changes[start:end]; a delete adds its tombstone."""
    encoding = spec["encoding"]
    parts = spec.get("partitions", 1)
    rnd = random.Random(spec["seed"] * 7919 + 1)
    befores = [delete_before(rnd, ch[2]) if ch[0] == "d" else ch[2] for ch in changes]
    snapshot_end = max([i for i, ch in enumerate(changes) if ch[0] == "r"], default=-1)
    vschema, kschema = connect_value_schema(spec), connect_key_schema(spec)
    for n in range(start, end):
        op, cid, _, after = changes[n][:4]
        event = {"before": befores[n], "after": after, "source": source(spec, n, op, n == snapshot_end),
                 "transaction": None, "op": op, "ts_ms": BASE_TS_MS + n * 1000 + 250,
                 "ts_us": None, "ts_ns": None}
        if encoding == "avro":
            value = dict(event, before=avro_row(event["before"]), after=avro_row(after))
            key = {"id": cid}
        else:
            value = dict(event, before=json_row(event["before"], encoding), after=json_row(after, encoding))
            key = {"id": cid}
            if encoding == "json-schema":
                value = {"schema": vschema, "payload": value}
                key = {"schema": kschema, "payload": key}
        yield key, value, cid % parts
        if op == "d":
            yield key, None, cid % parts


def main():
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    changes = history(spec["seed"], spec["keys"], spec["events"], spec.get("snapshot", 0))
    start, end = spec.get("from", 0), spec.get("to", len(changes))
    counts = {"c": 0, "r": 0, "u": 0, "d": 0}
    for ch in changes[start:end]:
        counts[ch[0]] += 1
    reinserts = sum(1 for ch in changes[start:end] if ch[0] == "c" and ch[4])
    produced = 0
    tombstones = 0
    if spec.get("produce", True):
        from common import env
        from confluent_kafka import Producer
        from confluent_kafka.serialization import MessageField, SerializationContext

        topic, encoding = spec["topic"], spec["encoding"]
        if encoding == "avro":
            from confluent_kafka.schema_registry import SchemaRegistryClient
            from confluent_kafka.schema_registry.avro import AvroSerializer

            registry = SchemaRegistryClient({"url": env("FLOE_SCHEMA_REGISTRY_URL")})
            value_ser = AvroSerializer(registry, json.dumps(avro_value_schema(spec)))
            key_ser = AvroSerializer(registry, json.dumps(avro_key_schema(spec)))
            ser_key = lambda k: key_ser(k, SerializationContext(topic, MessageField.KEY))  # noqa: E731
            ser_value = lambda v: value_ser(v, SerializationContext(topic, MessageField.VALUE))  # noqa: E731
        else:
            dump = lambda v: json.dumps(v, separators=(",", ":")).encode()  # noqa: E731
            ser_key, ser_value = dump, dump
        producer = Producer({"bootstrap.servers": env("FLOE_KAFKA_BROKERS"), "enable.idempotence": True,
                             "linger.ms": 20})
        failures = []
        for key, value, partition in records(spec, changes, start, end):
            producer.produce(topic, key=ser_key(key), value=None if value is None else ser_value(value),
                             partition=partition, on_delivery=lambda err, _m: err and failures.append(str(err)))
            producer.poll(0)
            produced += 1
            tombstones += value is None
        left = producer.flush(60)
        if left or failures:
            sys.exit(f"{left} records not delivered; errors: {failures[:5]}")
    print(json.dumps({"produced": produced, "changes": counts, "tombstones": tombstones, "reinserts": reinserts,
                      "expected": final_table(changes[:end])}))


if __name__ == "__main__":
    main()
