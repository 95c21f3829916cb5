"""Produces records with librdkafka (confluent-kafka) in a given compression codec.

    produce_librdkafka.py SPEC.json

SPEC: {"topic", "compression", "records": [{"key", "value", "headers": {name: value}, "partition"}]}
or, instead of "records", "generate": {"count", "partitions", "seed"} for benchmark-sized topics of
~280-byte JSON events (record i -> partition i % partitions, value {"id": i, ...}).
Optional "config": extra librdkafka settings. Prints {"produced": n, "seconds": s} last.
"""
import json
import random
import sys
import time

from common import env


def generated(spec):
    g = spec["generate"]
    rnd = random.Random(g.get("seed", 1))
    regions = ["eu-west-1", "us-east-1", "ap-south-1", "eu-central-1"]
    parts = g.get("partitions", 1)
    for i in range(g["count"]):
        value = {
            "id": i,
            "event_id": f"{rnd.getrandbits(64):016x}-{i}",
            "device_id": f"dev-{rnd.randrange(10000)}",
            "region": regions[i % 4],
            "event_time": f"2026-12-0{1 + i % 9}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}Z",
            "temperature": round(rnd.uniform(-10, 40), 2),
            "humidity": round(rnd.uniform(0, 100), 1),
            "battery": rnd.randrange(100),
            "status": "ok" if rnd.random() < 0.9 else "degraded",
            "firmware": f"v{rnd.randrange(1, 4)}.{rnd.randrange(10)}.{rnd.randrange(20)}",
            "note": f"reading from sensor {rnd.randrange(1000000)}",
        }
        yield {"key": f"dev-{i % 1000}", "value": json.dumps(value, separators=(",", ":")), "partition": i % parts}


def main():
    from confluent_kafka import Producer

    with open(sys.argv[1]) as f:
        spec = json.load(f)
    config = {
        "bootstrap.servers": env("FLOE_KAFKA_BROKERS"),
        "compression.type": spec["compression"],
        "enable.idempotence": True,
        "linger.ms": 50,
        "batch.size": 1000000,
        "queue.buffering.max.kbytes": 262144,
    }
    config.update(spec.get("config", {}))
    producer = Producer(config)
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    records = spec["records"] if "records" in spec else generated(spec)
    start = time.monotonic()
    n = 0
    for r in records:
        kwargs = {"value": None if r.get("value") is None else r["value"].encode("utf-8"), "on_delivery": delivered}
        if r.get("key") is not None:
            kwargs["key"] = r["key"].encode("utf-8")
        if r.get("headers"):
            kwargs["headers"] = [(k, v.encode("utf-8")) for k, v in r["headers"].items()]
        if r.get("partition") is not None:
            kwargs["partition"] = r["partition"]
        while True:
            try:
                producer.produce(spec["topic"], **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
        n += 1
        if n % 10000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    seconds = time.monotonic() - start
    if remaining or errors:
        sys.exit(f"librdkafka: {remaining} records undelivered, errors: {errors[:5]}")
    print(json.dumps({"produced": n, "seconds": seconds}))


if __name__ == "__main__":
    main()
