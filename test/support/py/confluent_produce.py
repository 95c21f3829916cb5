"""Produces records with confluent-kafka's own serializers (AvroSerializer, JSONSerializer,
ProtobufSerializer) against the stack's Schema Registry, as a Python producer would.

usage: confluent_produce.py RUN_ID COUNT AVRO_TOPIC JSON_TOPIC PROTO_TOPIC LINE_TOPIC

Every value is a function of the record number i (0..COUNT-1, partition i % 2); the Node side
(test/integration/ingest/confluent-serializers.test.ts) computes the same values to check the table.

The Protobuf classes are built at run time from FileDescriptorProtos (no protoc here): a file
`floe_it/<run>/money.proto` (package floe.shared: Money, enum Channel) imported by
`floe_it/<run>/orders.proto` (package floe.orders: Header, Order with a nested Line, a nested enum,
maps, a oneof, repeated fields and well-known types). The serializer registers both files as base64
descriptors, the money file as a schema reference under the subject named by its file name.
"""
import datetime
import decimal
import sys
import uuid

from common import emit, env
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import duration_pb2, struct_pb2, timestamp_pb2, wrappers_pb2  # noqa: F401 (into the pool)

run, count = sys.argv[1], int(sys.argv[2])
avro_topic, json_topic, proto_topic, line_topic = sys.argv[3:7]

AVRO_SCHEMA = """{
  "type": "record", "name": "Payment", "namespace": "floe.it",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "name", "type": "string"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B", "C"]}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "long"}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "addr", "type": ["null", {"type": "record", "name": "Addr",
      "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "int"}]}], "default": null},
    {"name": "ratio", "type": "float"},
    {"name": "ok", "type": "boolean"},
    {"name": "raw", "type": "bytes"}
  ]
}"""

JSON_SCHEMA = """{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Reading",
  "type": "object",
  "properties": {
    "id": {"type": "integer"},
    "sensor": {"type": "string"},
    "value": {"type": "number"},
    "ok": {"type": "boolean"},
    "at": {"type": "string", "format": "date-time"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "loc": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "required": ["lat", "lon"]},
    "note": {"type": ["string", "null"]}
  },
  "required": ["id", "sensor", "value", "ok", "at", "tags"]
}"""

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
JSON_BASE = datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)


def avro_value(i):
    return {
        "id": i,
        "name": f"p{i}",
        "amount": decimal.Decimal(i * 101 - 5000).scaleb(-2),
        "at": EPOCH + datetime.timedelta(milliseconds=1_700_000_000_000 + i * 1001),
        "day": datetime.date(1970, 1, 1) + datetime.timedelta(days=19000 + i),
        "uid": str(uuid.UUID(int=i * 7919 + 1)),
        "kind": "ABC"[i % 3],
        "tags": [f"t{j}" for j in range(i % 3)],
        "attrs": {"a": i, "b": -i} if i % 2 else {},
        "note": None if i % 4 == 0 else f"n{i}",
        "addr": None if i % 5 == 0 else {"city": f"c{i % 7}", "zip": 10000 + i},
        "ratio": i / 8,
        "ok": i % 2 == 0,
        "raw": bytes([i % 256, (i * 3) % 256]),
    }


def json_value(i):
    v = {
        "id": i,
        "sensor": f"s{i % 10}",
        "value": i * 0.25,
        "ok": i % 3 == 0,
        "at": (JSON_BASE + datetime.timedelta(seconds=i)).isoformat(),
        "tags": [f"g{j}" for j in range(i % 4)],
        "note": None if i % 3 == 0 else f"r{i}",
    }
    if i % 2 == 0:
        v["loc"] = {"lat": i / 10, "lon": -i / 10}
    return v


# --- Protobuf: FileDescriptorProtos as protoc would emit them ---------------------------------------

F = descriptor_pb2.FieldDescriptorProto
OPTIONAL, REPEATED = F.LABEL_OPTIONAL, F.LABEL_REPEATED


def field(name, number, ftype, label=OPTIONAL, type_name=None, oneof=None, proto3_optional=False):
    f = F(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    if proto3_optional:
        f.proto3_optional = True
    return f


def map_entry(name, key, value):
    m = descriptor_pb2.DescriptorProto(name=name, field=[key, value])
    m.options.map_entry = True
    return m


money_file = descriptor_pb2.FileDescriptorProto(name=f"floe_it/{run}/money.proto", package="floe.shared",
                                                syntax="proto3")
money_file.message_type.add(name="Money", field=[
    field("currency", 1, F.TYPE_STRING), field("units", 2, F.TYPE_INT64), field("nanos", 3, F.TYPE_INT32)])
channel = money_file.enum_type.add(name="Channel")
for n, name in enumerate(["CHANNEL_UNSPECIFIED", "WEB", "STORE"]):
    channel.value.add(name=name, number=n)

orders_file = descriptor_pb2.FileDescriptorProto(
    name=f"floe_it/{run}/orders.proto", package="floe.orders", syntax="proto3",
    dependency=[money_file.name, "google/protobuf/timestamp.proto", "google/protobuf/wrappers.proto",
                "google/protobuf/duration.proto", "google/protobuf/struct.proto"])
orders_file.message_type.add(name="Header", field=[field("source", 1, F.TYPE_STRING)])
order = orders_file.message_type.add(name="Order", field=[
    field("id", 1, F.TYPE_INT64),
    field("customer", 2, F.TYPE_STRING),
    field("total", 3, F.TYPE_MESSAGE, type_name=".floe.shared.Money"),
    field("lines", 4, F.TYPE_MESSAGE, REPEATED, ".floe.orders.Order.Line"),
    field("labels", 5, F.TYPE_MESSAGE, REPEATED, ".floe.orders.Order.LabelsEntry"),
    field("refunds", 6, F.TYPE_MESSAGE, REPEATED, ".floe.orders.Order.RefundsEntry"),
    field("email", 7, F.TYPE_STRING, oneof=0),
    field("phone", 8, F.TYPE_STRING, oneof=0),
    field("status", 9, F.TYPE_ENUM, type_name=".floe.orders.Order.Status"),
    field("channel", 10, F.TYPE_ENUM, type_name=".floe.shared.Channel"),
    field("created_at", 11, F.TYPE_MESSAGE, type_name=".google.protobuf.Timestamp"),
    field("discount", 12, F.TYPE_MESSAGE, type_name=".google.protobuf.Int64Value"),
    field("note", 13, F.TYPE_MESSAGE, type_name=".google.protobuf.StringValue"),
    field("ttl", 14, F.TYPE_MESSAGE, type_name=".google.protobuf.Duration"),
    field("attrs", 15, F.TYPE_MESSAGE, type_name=".google.protobuf.Struct"),
    field("codes", 16, F.TYPE_INT64, REPEATED),
    field("weight", 17, F.TYPE_DOUBLE, oneof=1, proto3_optional=True),
    field("blob", 18, F.TYPE_BYTES),
    field("big", 19, F.TYPE_UINT64),
])
order.nested_type.add(name="Line", field=[
    field("sku", 1, F.TYPE_STRING),
    field("qty", 2, F.TYPE_INT32),
    field("price", 3, F.TYPE_MESSAGE, type_name=".floe.shared.Money"),
    field("tags", 4, F.TYPE_STRING, REPEATED),
])
order.nested_type.append(map_entry("LabelsEntry", field("key", 1, F.TYPE_STRING), field("value", 2, F.TYPE_STRING)))
order.nested_type.append(map_entry("RefundsEntry", field("key", 1, F.TYPE_INT32),
                                   field("value", 2, F.TYPE_MESSAGE, type_name=".floe.shared.Money")))
status = order.enum_type.add(name="Status")
for n, name in enumerate(["NEW", "PAID", "SHIPPED"]):
    status.value.add(name=name, number=n)
order.oneof_decl.add(name="contact")
order.oneof_decl.add(name="_weight")

pool = descriptor_pool.Default()
pool.Add(money_file)
pool.Add(orders_file)
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("floe.orders.Order"))
Line = message_factory.GetMessageClass(pool.FindMessageTypeByName("floe.orders.Order.Line"))
Money = message_factory.GetMessageClass(pool.FindMessageTypeByName("floe.shared.Money"))


def order_value(i):
    o = Order(
        id=i * 1_000_000_007,
        customer=f"c{i}",
        total=Money(currency="EUR", units=i * 10, nanos=i % 1000),
        lines=[Line(sku=f"s{i}-{j}", qty=j + 1, price=Money(currency="USD", units=j), tags=["x"] * j)
               for j in range(i % 3)],
        status=i % 3,
        channel=i % 3,
        created_at=timestamp_pb2.Timestamp(seconds=1_700_000_000 + i, nanos=i * 1000 + 7),
        codes=[i, -i, 2**40 + i],
        blob=bytes([i % 256]),
        big=2**63 - 1 - i,
    )
    if i % 2:
        o.labels[f"k{i % 4}"] = f"v{i}"
        o.note.value = f"note{i}"
        o.weight = i / 2
        o.phone = f"+1{i}"
    else:
        o.email = f"u{i}@x"
    if i % 3 == 0:
        o.refunds[i % 5].CopyFrom(Money(currency="EUR", units=-i))
    if i % 4 == 1:
        o.discount.value = 0
    elif i % 4 > 1:
        o.discount.value = i * 3
    if i % 3:
        o.ttl.CopyFrom(duration_pb2.Duration(seconds=i, nanos=500_000))
    o.attrs.update({"i": i, "even": i % 2 == 0, "name": f"x{i}", "list": [1, "a", None]})
    return o


def line_value(i):
    return Line(sku=f"L{i}", qty=i, price=Money(currency="GBP", units=i), tags=["a"] * (i % 2))


registry = SchemaRegistryClient({"url": env("FLOE_SCHEMA_REGISTRY_URL")})
serializers = [
    (avro_topic, AvroSerializer(registry, AVRO_SCHEMA), avro_value),
    (json_topic, JSONSerializer(JSON_SCHEMA, registry), json_value),
    (proto_topic, ProtobufSerializer(Order, registry), order_value),
    (line_topic, ProtobufSerializer(Line, registry), line_value),
]
producer = Producer({"bootstrap.servers": env("FLOE_KAFKA_BROKERS"), "enable.idempotence": True})
failures = []
for topic, serialize, make in serializers:
    for i in range(count):
        value = serialize(make(i), SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=f"k{i}".encode(), value=value, partition=i % 2,
                         on_delivery=lambda err, _msg: err and failures.append(str(err)))
        producer.poll(0)
left = producer.flush(60)
if left or failures:
    sys.exit(f"{left} records not delivered; errors: {failures[:5]}")
emit({"produced": count * len(serializers), "money_file": money_file.name})
