"""Points real REST clients (PyIceberg's RestCatalog, Spark's Iceberg REST catalog) at a catalog URI and
prints what they saw, for the tests of Floe's own REST catalog server.

usage: rest_server_clients.py MODE URI WAREHOUSE TOKEN [ARGS...]
  TOKEN is '-' for none. S3 settings are NOT passed to the clients: they must come from the server
  (table `config`), which is what the tests check.

  pyiceberg-read NS TABLE         list namespaces/tables, load and scan NS.TABLE
  pyiceberg-write NS TABLE        create NS.TABLE (id long, name string) and append 3 rows
  pyiceberg-drop NS TABLE         drop the table, then the namespace
  spark-read SQL [SQL...]         run each query with catalog `floe`, rows as canonical JSON
"""
import os
import sys

from common import canon, emit, env


def catalog_properties(uri, warehouse, token):
    props = {"uri": uri, "warehouse": warehouse}
    if token != "-":
        props["token"] = token
    return props


def pyiceberg_catalog(uri, warehouse, token):
    from pyiceberg.catalog.rest import RestCatalog

    return RestCatalog("floe", **catalog_properties(uri, warehouse, token))


def rows_of(arrow):
    return [{k: canon(v) for k, v in row.items()} for row in arrow.to_pylist()]


def pyiceberg_read(uri, warehouse, token, ns, name):
    cat = pyiceberg_catalog(uri, warehouse, token)
    table = cat.load_table((ns, name))
    arrow = table.scan().to_arrow().sort_by("id")
    snap = table.current_snapshot()
    return {
        "namespaces": [list(n) for n in cat.list_namespaces()],
        "tables": [list(t) for t in cat.list_tables(ns)],
        "exists": cat.table_exists((ns, name)),
        "metadata_location": table.metadata_location,
        "snapshot_id": str(snap.snapshot_id) if snap else None,
        "format_version": table.format_version,
        "rows": rows_of(arrow),
    }


def pyiceberg_write(uri, warehouse, token, ns, name):
    import pyarrow as pa
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField, StringType

    cat = pyiceberg_catalog(uri, warehouse, token)
    cat.create_namespace_if_not_exists(ns)
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "name", StringType(), required=False),
    )
    table = cat.create_table((ns, name), schema=schema)
    data = pa.Table.from_pylist(
        [{"id": 1, "name": "one"}, {"id": 2, "name": "two"}, {"id": 3, "name": None}],
        schema=pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())]),
    )
    table.append(data)
    table = cat.load_table((ns, name))
    return {
        "metadata_location": table.metadata_location,
        "snapshot_id": str(table.current_snapshot().snapshot_id),
        "rows": rows_of(table.scan().to_arrow().sort_by("id")),
    }


def pyiceberg_drop(uri, warehouse, token, ns, name):
    from pyiceberg.exceptions import NoSuchTableError

    cat = pyiceberg_catalog(uri, warehouse, token)
    cat.drop_table((ns, name))
    try:
        cat.load_table((ns, name))
        missing = False
    except NoSuchTableError:
        missing = True
    cat.drop_namespace(ns)
    return {"missing_after_drop": missing, "namespaces": [list(n) for n in cat.list_namespaces()]}


def spark_read(uri, warehouse, token, queries):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ["TZ"] = "UTC"
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("floe-rest-server")
        .config("spark.jars", env("FLOE_SPARK_JARS"))
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.catalog.floe", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.floe.type", "rest")
        .config("spark.sql.catalog.floe.uri", uri)
        .config("spark.sql.catalog.floe.warehouse", warehouse)
    )
    if token != "-":
        builder = builder.config("spark.sql.catalog.floe.token", token)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    results = []
    for sql in queries:
        rows = spark.sql(sql).collect()
        results.append([{k: canon(v) for k, v in r.asDict(recursive=False).items()} for r in rows])
    out = {"spark": spark.version, "results": results}
    spark.stop()
    return out


def main():
    mode, uri, warehouse, token, *args = sys.argv[1:]
    if mode == "pyiceberg-read":
        emit(pyiceberg_read(uri, warehouse, token, *args))
    elif mode == "pyiceberg-write":
        emit(pyiceberg_write(uri, warehouse, token, *args))
    elif mode == "pyiceberg-drop":
        emit(pyiceberg_drop(uri, warehouse, token, *args))
    elif mode == "spark-read":
        emit(spark_read(uri, warehouse, token, args))
    else:
        sys.exit(f"unknown mode {mode}")


main()
