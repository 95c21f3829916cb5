"""Encodes Schema Registry framed records with implementations other than Floe's: Avro datums with
pyiceberg's BinaryEncoder, JSON with Python's json module. Prints one JSON line: a list of cases, each
{"format", "schema", "hex", "expected"}; integers in "expected" are strings so that they stay exact."""

import io
import json
import struct
import sys
import uuid
from decimal import Decimal

from pyiceberg.avro.encoder import BinaryEncoder

AVRO_SCHEMA = {
    "type": "record",
    "name": "Payment",
    "namespace": "py.interop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "small", "type": "int"},
        {"name": "note", "type": ["null", "string"]},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 3}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "parts", "type": {"type": "array", "items": "long"}},
        {"name": "labels", "type": {"type": "map", "values": "string"}},
        {"name": "ratio", "type": "double"},
    ],
}


def header(schema_id: int) -> bytes:
    return b"\x00" + struct.pack(">i", schema_id)


def decimal_bytes(d: Decimal, scale: int) -> bytes:
    unscaled = int(d.scaleb(scale))
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return unscaled.to_bytes(length, "big", signed=True)


def avro_case(schema_id: int, rec: dict) -> dict:
    out = io.BytesIO()
    enc = BinaryEncoder(out)
    enc.write_int(rec["id"])
    enc.write_int(rec["small"])
    if rec["note"] is None:
        enc.write_int(0)
    else:
        enc.write_int(1)
        enc.write_utf8(rec["note"])
    enc.write_bytes(decimal_bytes(rec["amount"], 3))
    enc.write_int(rec["at"])
    enc.write_int(rec["day"])
    enc.write_utf8(str(rec["ref"]))
    # arrays and maps: one block with a count (when not empty), then the end marker 0
    if rec["parts"]:
        enc.write_int(len(rec["parts"]))
        for p in rec["parts"]:
            enc.write_int(p)
    enc.write_int(0)
    if rec["labels"]:
        enc.write_int(len(rec["labels"]))
        for k, v in rec["labels"].items():
            enc.write_utf8(k)
            enc.write_utf8(v)
    enc.write_int(0)
    enc.write_double(rec["ratio"])
    expected = {
        "id": str(rec["id"]),
        "small": rec["small"],
        "note": rec["note"],
        "amount": str(int(rec["amount"].scaleb(3))),
        "at": str(rec["at"]),
        "day": rec["day"],
        "ref": str(rec["ref"]),
        "parts": [str(p) for p in rec["parts"]],
        "labels": rec["labels"],
        "ratio": rec["ratio"],
    }
    return {"format": "avro", "schema": AVRO_SCHEMA, "schemaId": schema_id,
            "hex": (header(schema_id) + out.getvalue()).hex(), "expected": expected}


def main() -> None:
    cases = [
        avro_case(11, {
            "id": 2**63 - 1, "small": -(2**31), "note": "zß水🙂", "amount": Decimal("-12345678901234567.891"),
            "at": 1_700_000_000_123_456, "day": -1, "ref": uuid.UUID("3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
            "parts": [-(2**63), 0, 2**53 + 1], "labels": {"k": "v", "": "empty"}, "ratio": -0.0,
        }),
        avro_case(11, {
            "id": -1, "small": 2**31 - 1, "note": None, "amount": Decimal("0.001"), "at": -1, "day": 20000,
            "ref": uuid.UUID(int=0), "parts": [], "labels": {}, "ratio": 1e300,
        }),
    ]
    doc = {"id": 2**63 - 1, "neg": -(2**60) - 7, "text": "zß水🙂\n\"q\"", "nested": {"list": [1, 2**55]}}
    cases.append({"format": "json", "schema": None, "schemaId": None,
                  "hex": json.dumps(doc, ensure_ascii=False).encode("utf-8").hex(),
                  "expected": {"id": str(2**63 - 1), "neg": str(-(2**60) - 7), "text": doc["text"],
                               "nested": {"list": ["1", str(2**55)]}}})
    sys.stdout.write(json.dumps(cases) + "\n")


main()
