"""Reads a table with Spark + the Iceberg runtime and prints canonical rows and Spark types.

usage: read_spark.py TABLE COLUMNS [WHERE] [SNAPSHOT_ID]
TABLE is `rest.ns.t` (the stack's REST catalog) or `local.ns.t` with FLOE_SPARK_LOCAL_WAREHOUSE set
(a Hadoop catalog over a file:// warehouse, the embedded catalog's layout).
"""
import os
import sys

from common import canon, canon_map, emit, spark_session

table, columns = sys.argv[1], sys.argv[2]
where = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
snapshot_id = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
spark = spark_session("floe-verifier", local_warehouse=os.environ.get("FLOE_SPARK_LOCAL_WAREHOUSE"))
sql = f"SELECT {columns} FROM {table}"
if snapshot_id:
    sql += f" VERSION AS OF {snapshot_id}"
if where:
    sql += f" WHERE {where}"
df = spark.sql(sql)
types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
maps = {name for name, t in types.items() if t.startswith("map<")}
rows = [{k: (canon_map(v) if k in maps else canon(v)) for k, v in r.asDict(recursive=False).items()} for r in df.collect()]
plan = df._jdf.queryExecution().executedPlan().toString() if where else ""
emit({"rows": rows, "types": types, "plan": plan})
spark.stop()
