"""Shared helpers for the verifier scripts: stack endpoints, catalogs, a Spark session, JSON output."""
import json
import os
import sys


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"missing environment variable {name} (run through test/support/python.ts)")
    return value


def s3_properties():
    return {
        "s3.endpoint": env("FLOE_S3_ENDPOINT"),
        "s3.access-key-id": env("FLOE_S3_ACCESS_KEY_ID"),
        "s3.secret-access-key": env("FLOE_S3_SECRET_ACCESS_KEY"),
        "s3.region": env("FLOE_S3_REGION"),
        "s3.path-style-access": "true",
    }


def rest_catalog():
    from pyiceberg.catalog import load_catalog

    return load_catalog("rest", type="rest", uri=env("FLOE_REST_URI"), **s3_properties())


def spark_session(app="floe-verifier", local_warehouse=None):
    """A local Spark with the Iceberg runtime and AWS bundle jars: catalog `rest` is the stack's REST
    server; with `local_warehouse` (a file:// URI) catalog `local` is a Hadoop catalog over it."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["TZ"] = "UTC"
    builder = (
        SparkSession.builder.master("local[1]")
        .appName(app)
        .config("spark.jars", env("FLOE_SPARK_JARS"))
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.catalog.rest", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.rest.type", "rest")
        .config("spark.sql.catalog.rest.uri", env("FLOE_REST_URI"))
        .config("spark.sql.catalog.rest.io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
        .config("spark.sql.catalog.rest.s3.endpoint", env("FLOE_S3_ENDPOINT"))
        .config("spark.sql.catalog.rest.s3.path-style-access", "true")
        .config("spark.sql.catalog.rest.s3.access-key-id", env("FLOE_S3_ACCESS_KEY_ID"))
        .config("spark.sql.catalog.rest.s3.secret-access-key", env("FLOE_S3_SECRET_ACCESS_KEY"))
        .config("spark.sql.catalog.rest.client.region", env("FLOE_S3_REGION"))
    )
    if local_warehouse:
        builder = (
            builder.config("spark.sql.catalog.local", "org.apache.iceberg.spark.SparkCatalog")
            .config("spark.sql.catalog.local.type", "hadoop")
            .config("spark.sql.catalog.local.warehouse", local_warehouse)
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def emit(value):
    """Prints the result as the last stdout line, as JSON (the Node side parses that line)."""
    print(json.dumps(value, default=str))


def canon(v):
    """JSON-comparable form of a value read by PyIceberg/pyarrow or Spark (see test/support/canon.ts)."""
    import datetime
    import decimal
    import math
    import uuid

    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return str(delta // datetime.timedelta(microseconds=1))
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, datetime.time):
        return str(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if hasattr(v, "asDict"):
        return {k: canon(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return str(v)


def canon_map(v):
    """Maps arrive as dicts (Spark) or lists of (key, value) tuples (pyarrow): [[k, v], ...]."""
    if v is None:
        return None
    items = v.items() if isinstance(v, dict) else v
    return [[canon(k), canon(x)] for k, x in items]
