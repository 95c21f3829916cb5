"""Reads every record of a topic with librdkafka (confluent-kafka).

    consume_librdkafka.py TOPIC EXPECTED_COUNT

Prints {"records": [{"partition", "offset", "key", "value"}]} (key and value as UTF-8 text) last.
"""
import json
import sys
import time
import uuid

from common import env


def main():
    from confluent_kafka import Consumer

    topic, expected = sys.argv[1], int(sys.argv[2])
    consumer = Consumer(
        {
            "bootstrap.servers": env("FLOE_KAFKA_BROKERS"),
            "group.id": f"floe-rdkafka-reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out = []
    deadline = time.monotonic() + 60
    try:
        while len(out) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                sys.exit(f"librdkafka: {msg.error()}")
            out.append(
                {
                    "partition": msg.partition(),
                    "offset": msg.offset(),
                    "key": None if msg.key() is None else msg.key().decode("utf-8"),
                    "value": None if msg.value() is None else msg.value().decode("utf-8"),
                }
            )
    finally:
        consumer.close()
    print(json.dumps({"records": out}))


if __name__ == "__main__":
    main()
