"""Reads every given snapshot of a table by time travel, with PyIceberg and Spark, in one process (Spark
starts once).

usage: read_snapshots.py METADATA_LOCATION SPARK_TABLE SNAPSHOT_ID...
PyIceberg reads StaticTable(METADATA_LOCATION).scan(snapshot_id=...); Spark reads
`SELECT * FROM SPARK_TABLE VERSION AS OF <id>` (catalog `local` needs FLOE_SPARK_LOCAL_WAREHOUSE, see
spark_queries.py). Prints {"snapshots": [{"id", "pyiceberg": rows, "spark": rows}, ...]} in the given order;
each reader uses the snapshot's own schema or the current one, so absent columns are left to the caller.
"""
import sys

from common import emit
from read_pyiceberg import scan_rows, static_table
from spark_queries import run_query, verifier_spark

location, spark_table, *ids = sys.argv[1:]
table = static_table(location)
spark = verifier_spark()
out = []
for sid in ids:
    _, _, py_rows = scan_rows(table, int(sid))
    spark_rows = run_query(spark, {"sql": f"SELECT * FROM {spark_table} VERSION AS OF {int(sid)}"})["rows"]
    out.append({"id": sid, "pyiceberg": py_rows, "spark": spark_rows})
emit({"snapshots": out})
spark.stop()
