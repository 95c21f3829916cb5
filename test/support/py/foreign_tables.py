"""Tables other engines write, in the stack's REST catalog, and reading them back with every engine.

A session: reads one JSON command per stdin line and answers each with one stdout line starting with
'@@ ' (JSON), so one Spark session serves a whole test file. Commands:
  {"cmd": "write", "namespace": NS}   creates the fixture tables (PyIceberg, DuckDB, Spark); answers
                                      {"tables": {...name: {"engine", "note"}}, "duckdb_write": {...}}
  {"cmd": "read", "namespace": NS, "tables": [...]}
                                      rows of each table per reader (pyiceberg, duckdb, spark), canonical
  {"cmd": "physical", "namespace": NS, "tables": [...]}
                                      the Parquet physical/logical type and the Arrow type (from the file's
                                      ARROW:schema, if any) of each column of each live data file
  {"cmd": "quit"}
"""
import datetime
import decimal
import io
import json
import os
import sys
import tempfile
import traceback

from common import canon, canon_map, env, rest_catalog, spark_session

import pyarrow as pa
import pyarrow.parquet as pq

UTC = datetime.timezone.utc
_spark = None


def spark():
    global _spark
    if _spark is None:
        _spark = spark_session("floe-foreign-tables")
        # Tables change under Spark (Floe compacts them): never serve a cached table.
        _spark.conf.set("spark.sql.catalog.rest.cache-enabled", "false")
    return _spark


def reply(value):
    sys.stdout.write("@@ " + json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- PyIceberg

def write_pyiceberg(ns, catalog):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import DayTransform, IdentityTransform
    from pyiceberg.types import (BinaryType, DateType, DecimalType, DoubleType, IntegerType, ListType, LongType,
                                 MapType, NestedField, StringType, StructType, TimestampType, TimestamptzType,
                                 BooleanType, FloatType)

    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "region", StringType(), required=False),
        NestedField(3, "amount", DecimalType(9, 2), required=False),
        NestedField(4, "amount18", DecimalType(18, 3), required=False),
        NestedField(5, "big", DecimalType(30, 5), required=False),
        NestedField(6, "ts", TimestampType(), required=False),
        NestedField(7, "tstz", TimestamptzType(), required=False),
        NestedField(8, "payload", BinaryType(), required=False),
        NestedField(9, "d", DateType(), required=False),
        NestedField(10, "ok", BooleanType(), required=False),
        NestedField(11, "f", FloatType(), required=False),
        NestedField(12, "x", DoubleType(), required=False),
        NestedField(13, "st", StructType(
            NestedField(14, "a", IntegerType(), required=False),
            NestedField(15, "b", StringType(), required=False),
        ), required=False),
        NestedField(16, "tags", ListType(17, StringType(), element_required=False), required=False),
        NestedField(18, "attrs", MapType(19, StringType(), 20, LongType(), value_required=False), required=False),
    )
    spec = PartitionSpec(
        PartitionField(2, 1000, IdentityTransform(), "region"),
        PartitionField(6, 1001, DayTransform(), "ts_day"),
    )
    t = catalog.create_table(f"{ns}.py_events", schema=schema, partition_spec=spec)
    arrow_schema = t.schema().as_arrow()
    for batch in range(3):
        rows = []
        for k in range(8):
            i = batch * 8 + k
            rows.append(dict(
                id=i,
                region=["eu", "us"][i % 2],
                amount=None if i % 5 == 0 else decimal.Decimal(i * 125) / 100,
                amount18=decimal.Decimal(-i * 1001) / 1000,
                big=decimal.Decimal("12345678901234567890.12345") * (1 if i % 2 else -1),
                ts=datetime.datetime(2024, 1, 1 + i % 2, 10, 0, 0, 123456 + i),
                tstz=None if i % 7 == 0 else datetime.datetime(2024, 1, 1, 0, 0, i, 1, tzinfo=UTC),
                payload=bytes([0, i, 255]),
                d=datetime.date(2024, 1, 2) + datetime.timedelta(days=i),
                ok=i % 3 == 0,
                f=i / 4,
                x=i / 3,
                st=None if i % 6 == 0 else {"a": i, "b": f"b{i}"},
                tags=["a", None, f"t{i}"] if i % 4 else [],
                attrs=[("k", i), ("n", None)],
            ))
        t.append(pa.Table.from_pylist(rows, schema=arrow_schema))
    return t


def write_pyarrow_add_files(ns, catalog):
    """Files written by plain pyarrow (pandas-style categoricals, large strings, millisecond timestamps,
    16-bit ints, no field ids) and registered with PyIceberg's add_files, which sets a name mapping."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import IntegerType, LongType, NestedField, StringType, TimestamptzType, BinaryType

    schema = Schema(
        NestedField(1, "id", LongType(), required=False),
        NestedField(2, "cat", StringType(), required=False),
        NestedField(3, "note", StringType(), required=False),
        NestedField(4, "ts", TimestamptzType(), required=False),
        NestedField(5, "small", IntegerType(), required=False),
        NestedField(6, "blob", BinaryType(), required=False),
    )
    t = catalog.create_table(f"{ns}.pa_added", schema=schema)
    paths = []
    for part in range(2):
        ids = list(range(part * 5, part * 5 + 5))
        table = pa.table({
            "id": pa.array(ids, pa.int64()),
            "cat": pa.array(["red", "green", None, "red", "blue"], pa.string()).dictionary_encode(),
            "note": pa.array([f"note {i}" if i % 3 else None for i in ids], pa.large_string()),
            "ts": pa.array([datetime.datetime(2024, 3, 1, 0, 0, i, 1000 * i, tzinfo=UTC) for i in ids],
                           pa.timestamp("ms", tz="UTC")),
            "small": pa.array([i - 3 for i in ids], pa.int16()),
            "blob": pa.array([bytes([i]) * i for i in ids], pa.large_binary()),
        })
        buf = io.BytesIO()
        pq.write_table(table, buf, coerce_timestamps="ms")
        path = f"{t.location()}/data/pyarrow-{part}.parquet"
        with t.io.new_output(path).create(overwrite=True) as f:
            f.write(buf.getvalue())
        paths.append(path)
    t.add_files(paths)
    return t


# ---------------------------------------------------------------- DuckDB

def duck_connect():
    import duckdb
    from urllib.parse import urlparse

    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    ext = env("FLOE_DUCKDB_EXTENSION_DIR")
    for e in ["httpfs", "avro", "iceberg"]:
        con.execute(f"LOAD '{ext}/{e}.duckdb_extension'")
    u = urlparse(env("FLOE_S3_ENDPOINT"))
    con.execute(
        f"CREATE SECRET s3 (TYPE s3, KEY_ID '{env('FLOE_S3_ACCESS_KEY_ID')}', "
        f"SECRET '{env('FLOE_S3_SECRET_ACCESS_KEY')}', ENDPOINT '{u.netloc}', URL_STYLE 'path', "
        f"USE_SSL false, REGION '{env('FLOE_S3_REGION')}')"
    )
    con.execute(f"ATTACH 'warehouse' AS lake (TYPE iceberg, ENDPOINT '{env('FLOE_REST_URI')}', "
                "AUTHORIZATION_TYPE 'none')")
    return con


def write_duckdb(ns):
    con = duck_connect()
    out = {}
    con.execute(
        f"CREATE TABLE lake.{ns}.duck_events (id BIGINT, region VARCHAR, amount DECIMAL(9,2), "
        "big DECIMAL(30,5), ts TIMESTAMP, tstz TIMESTAMPTZ, payload BLOB, d DATE, "
        "st STRUCT(a INTEGER, b VARCHAR), tags VARCHAR[], attrs MAP(VARCHAR, BIGINT))"
    )
    for k in range(3):
        con.execute(
            f"INSERT INTO lake.{ns}.duck_events SELECT i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, "
            "CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.25 END, 12345678901234567890.12345, "
            "TIMESTAMP '2024-01-01 10:00:00.123456' + INTERVAL (i) HOUR, TIMESTAMPTZ '2024-01-01 00:00:00+00', "
            "'\\x00\\x01'::BLOB, DATE '2024-01-02' + i::INTEGER, {'a': i::INTEGER, 'b': 'x' || i}, ['a', NULL], "
            f"MAP {{'k': i}} FROM range({k * 10}, {k * 10 + 10}) t(i)"
        )
    # DuckDB's CREATE TABLE has no PARTITIONED BY: does it insert into a partitioned table PyIceberg made?
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import LongType, NestedField, StringType

    rest_catalog().create_table(
        f"{ns}.duck_partitioned",
        schema=Schema(NestedField(1, "id", LongType(), required=False),
                      NestedField(2, "region", StringType(), required=False)),
        partition_spec=PartitionSpec(PartitionField(2, 1000, IdentityTransform(), "region")),
    )
    try:
        con.execute(f"INSERT INTO lake.{ns}.duck_partitioned VALUES (1, 'eu'), (2, 'us')")
        out["insert_into_partitioned"] = "ok"
    except Exception as e:  # reported, not fatal: the answer is what the test records
        out["insert_into_partitioned"] = str(e).split("\n")[0][:300]
    con.close()
    return out


# ---------------------------------------------------------------- Spark

def write_spark(ns):
    s = spark()
    s.sql(
        f"CREATE TABLE rest.{ns}.spark_events (id bigint, region string, amount decimal(9,2), "
        "amount18 decimal(18,3), big decimal(30,5), ts timestamp_ntz, tstz timestamp, payload binary, d date, "
        "st struct<a:int,b:string>, tags array<string>, attrs map<string,bigint>) USING iceberg "
        "PARTITIONED BY (region) TBLPROPERTIES ('format-version'='2', 'write.delete.mode'='merge-on-read')"
    )
    for k in range(3):
        s.sql(
            f"INSERT INTO rest.{ns}.spark_events SELECT id, CASE WHEN id % 2 = 0 THEN 'eu' ELSE 'us' END, "
            "CASE WHEN id % 5 = 0 THEN NULL ELSE id * 1.25 END, id * -1.001, "
            "CAST('12345678901234567890.12345' AS decimal(30,5)), "
            "TIMESTAMP_NTZ '2024-01-01 10:00:00.123456' + make_interval(0, 0, 0, 0, CAST(id AS int)), "
            "TIMESTAMP '2024-01-01 00:00:00.000001', X'00FF', DATE '2024-01-02', "
            "named_struct('a', CAST(id AS int), 'b', CONCAT('b', id)), array('a', NULL), map('k', id) "
            f"FROM range({k * 10}, {k * 10 + 10})"
        )
    # Merge-on-read: Spark writes position delete files that the rewrite must apply.
    s.sql(f"DELETE FROM rest.{ns}.spark_events WHERE id IN (3, 4, 17)")

    s.sql(
        f"CREATE TABLE rest.{ns}.spark_v1 (id bigint, region string, ts timestamp) USING iceberg "
        "PARTITIONED BY (region) TBLPROPERTIES ('format-version'='1')"
    )
    # Iceberg's Spark writer ignores outputTimestampType (it writes INT64 micros); set anyway to show it.
    s.conf.set("spark.sql.parquet.outputTimestampType", "INT96")
    for k in range(2):
        s.sql(
            f"INSERT INTO rest.{ns}.spark_v1 SELECT id, CASE WHEN id % 2 = 0 THEN 'eu' ELSE 'us' END, "
            "TIMESTAMP '2024-01-01 00:00:00.000001' + make_interval(0, 0, 0, CAST(id AS int)) "
            f"FROM range({k * 5}, {k * 5 + 5})"
        )
    write_spark_migrated(ns)


def write_spark_migrated(ns):
    """A table migrated from plain Spark Parquet: files Spark wrote without Iceberg (INT96 timestamps,
    no field ids, Spark's byte/short as INT(8)/INT(16)), registered the way Iceberg's migrate/add_files
    do (name mapping, metrics read through it). Spark's own add_files procedure cannot be used here:
    it stages manifests through a Hadoop FileSystem, and the stack has no S3 Hadoop connector."""
    s = spark()
    s.conf.set("spark.sql.parquet.outputTimestampType", "INT96")
    s.sql(
        f"CREATE TABLE rest.{ns}.spark_migrated (id bigint, region string, ts timestamp, "
        "amount decimal(9,2), small int, tiny int) USING iceberg TBLPROPERTIES ('format-version'='2')"
    )
    jvm = s._jvm
    table = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(s._jsparkSession, f"rest.{ns}.spark_migrated")
    mapping = jvm.org.apache.iceberg.mapping.MappingUtil.create(table.schema())
    table.updateProperties().set(
        "schema.name-mapping.default", jvm.org.apache.iceberg.mapping.NameMappingParser.toJson(mapping)
    ).commit()
    table.refresh()
    fio = table.io()
    append = table.newAppend()
    for part in range(2):
        local = tempfile.mkdtemp()
        s.sql(
            "SELECT id, CASE WHEN id % 2 = 0 THEN 'eu' ELSE 'us' END AS region, "
            "TIMESTAMP '2024-01-01 00:00:00.000001' + make_interval(0, 0, 0, CAST(id AS int)) AS ts, "
            "CAST(id * 1.5 AS decimal(9,2)) AS amount, CAST(id - 3 AS smallint) AS small, "
            f"CAST(id AS tinyint) AS tiny FROM range({part * 6}, {part * 6 + 6})"
        ).coalesce(1).write.parquet(f"file://{local}/out")
        name = [f for f in os.listdir(f"{local}/out") if f.endswith(".parquet")][0]
        with open(f"{local}/out/{name}", "rb") as f:
            data = f.read()
        path = f"{table.location()}/data/migrated-{part}.parquet"
        out = fio.newOutputFile(path).createOrOverwrite()
        out.write(bytearray(data))
        out.close()
        input_file = fio.newInputFile(path)
        metrics = jvm.org.apache.iceberg.parquet.ParquetUtil.fileMetrics(
            input_file, jvm.org.apache.iceberg.MetricsConfig.forTable(table), mapping
        )
        data_file = (
            jvm.org.apache.iceberg.DataFiles.builder(table.spec())
            .withPath(path)
            .withFormat("parquet")
            .withFileSizeInBytes(len(data))
            .withMetrics(metrics)
            .build()
        )
        append = append.appendFile(data_file)
    append.commit()


# ---------------------------------------------------------------- reading

def rows_pyiceberg(catalog, ident):
    from pyiceberg.types import MapType

    t = catalog.load_table(ident)
    maps = {f.name for f in t.schema().fields if isinstance(f.field_type, MapType)}
    data = t.scan().to_arrow().to_pylist()
    return [{k: (map_pairs(v) if k in maps else canon(v)) for k, v in r.items()} for r in data]


def rows_duckdb(con, ident):
    # Through Arrow: DuckDB's own Python conversion of TIMESTAMPTZ needs pytz, which the env lacks.
    table = con.execute(f"SELECT * FROM lake.{ident}").fetch_arrow_table()
    maps = {f.name for f in table.schema if pa.types.is_map(f.type)}
    return [{k: (map_pairs(v) if k in maps else canon(v)) for k, v in r.items()} for r in table.to_pylist()]


def rows_spark(ident):
    df = spark().sql(f"SELECT * FROM rest.{ident}")
    maps = {f.name for f in df.schema.fields if f.dataType.simpleString().startswith("map<")}
    return [{k: (map_pairs(v) if k in maps else canon(v)) for k, v in r.asDict(recursive=False).items()}
            for r in df.collect()]


def map_pairs(v):
    """Map entries in a reader-independent order (Spark's dicts and pyarrow's pairs differ)."""
    pairs = canon_map(v)
    return None if pairs is None else sorted(pairs, key=json.dumps)


def key(row):
    return json.dumps(row, sort_keys=True)


def read(ns, tables):
    catalog = rest_catalog()
    con = duck_connect()
    out = {}
    for name in tables:
        ident = f"{ns}.{name}"
        res = {}
        for reader, fn in (("pyiceberg", lambda: rows_pyiceberg(catalog, ident)),
                           ("duckdb", lambda: rows_duckdb(con, ident)),
                           ("spark", lambda: rows_spark(ident))):
            try:
                res[reader] = sorted(fn(), key=key)
            except Exception as e:
                res[reader] = {"error": str(e).split("\n")[0][:500]}
        out[name] = res
    con.close()
    return out


def physical(ns, tables):
    catalog = rest_catalog()
    out = {}
    for name in tables:
        t = catalog.load_table(f"{ns}.{name}")
        cols = {}
        for task in t.scan().plan_files():
            with t.io.new_input(task.file.file_path).open() as f:
                pf = pq.ParquetFile(f)
                arrow_hint = pf.metadata.metadata and b"ARROW:schema" in pf.metadata.metadata
                arrow_types = {fld.name: str(fld.type) for fld in pf.schema_arrow} if arrow_hint else {}
                for i in range(len(pf.schema)):
                    c = pf.schema.column(i)
                    top = c.path.split(".")[0]
                    desc = c.physical_type
                    if c.logical_type.type != "NONE":
                        desc += f" {c.logical_type}"
                    if c.physical_type == "FIXED_LEN_BYTE_ARRAY":
                        desc += f"({c.length})"
                    entry = cols.setdefault(c.path, set())
                    entry.add(desc + (f" / arrow {arrow_types[top]}" if top in arrow_types else ""))
                if not pf.schema_arrow.field(0).metadata or b"PARQUET:field_id" not in pf.schema_arrow.field(0).metadata:
                    cols.setdefault("(field ids)", set()).add("none")
        out[name] = {k: sorted(v) for k, v in cols.items()}
    return out


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            cmd = req["cmd"]
            if cmd == "quit":
                reply({"ok": True})
                break
            ns = req["namespace"]
            if cmd == "write":
                catalog = rest_catalog()
                catalog.create_namespace(ns)
                write_pyiceberg(ns, catalog)
                write_pyarrow_add_files(ns, catalog)
                duck = write_duckdb(ns)
                write_spark(ns)
                reply({"ok": True, "duckdb": duck,
                       "versions": {"spark": spark().version}})
            elif cmd == "read":
                reply({"ok": True, "tables": read(ns, req["tables"])})
            elif cmd == "physical":
                reply({"ok": True, "tables": physical(ns, req["tables"])})
            else:
                reply({"ok": False, "error": f"unknown command {cmd}"})
        except Exception as e:
            reply({"ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()[-3000:]})
    if _spark is not None:
        _spark.stop()


if __name__ == "__main__":
    main()
