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


def spark_session(app="floe-verifier"):
    """A local Spark with the Iceberg runtime and AWS bundle jars; catalog `rest` is the stack's REST server."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
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
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def emit(value):
    """Prints the result as the last stdout line, as JSON (the Node side parses that line)."""
    print(json.dumps(value, default=str))
