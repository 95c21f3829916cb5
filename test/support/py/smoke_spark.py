"""Smoke: Spark (pyspark + Iceberg runtime) reads a table through the REST catalog."""
import sys

from common import emit, spark_session

namespace, table_name = sys.argv[1], sys.argv[2]
spark = spark_session("floe-smoke")
rows = spark.sql(f"SELECT id, name FROM rest.{namespace}.{table_name} ORDER BY id").collect()
emit({"spark": spark.version, "rows": [r.asDict() for r in rows]})
spark.stop()
