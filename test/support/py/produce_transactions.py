"""Produces JSON records in Kafka transactions with librdkafka (confluent-kafka), committing and
aborting them alternately, so a read_committed consumer sees gaps and transaction markers.

    produce_transactions.py SPEC.json

SPEC: {"topic", "partitions", "transactions", "per_transaction", "first_id", "abort": "odd"|"none",
"transactional_id"}. Record values are {"id": n, "txn": t}; record n goes to partition n % partitions.
Prints {"committed": [ids...], "aborted": [ids...]} last.
"""
import json
import sys

from common import env


def main():
    from confluent_kafka import Producer

    with open(sys.argv[1]) as f:
        spec = json.load(f)
    producer = Producer(
        {
            "bootstrap.servers": env("FLOE_KAFKA_BROKERS"),
            "transactional.id": spec["transactional_id"],
            "enable.idempotence": True,
            "compression.type": spec.get("compression", "none"),
        }
    )
    producer.init_transactions(30)
    committed, aborted = [], []
    n = spec.get("first_id", 0)
    for t in range(spec["transactions"]):
        producer.begin_transaction()
        ids = []
        for _ in range(spec["per_transaction"]):
            value = json.dumps({"id": n, "txn": t}, separators=(",", ":"))
            producer.produce(spec["topic"], value=value, key=f"k{n}", partition=n % spec["partitions"])
            ids.append(n)
            n += 1
        producer.flush(30)
        if spec.get("abort", "odd") == "odd" and t % 2 == 1:
            producer.abort_transaction(30)
            aborted.extend(ids)
        else:
            producer.commit_transaction(30)
            committed.extend(ids)
    print(json.dumps({"committed": committed, "aborted": aborted}))


if __name__ == "__main__":
    main()
