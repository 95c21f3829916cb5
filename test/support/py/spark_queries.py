"""Runs several Spark SQL queries in one session (Spark starts once) and prints canonical results.

usage: spark_queries.py JSON  where JSON is [{"sql": "...", "metrics": true|false}, ...]
With FLOE_SPARK_LOCAL_WAREHOUSE set, catalog `local` is a Hadoop catalog over that file:// warehouse;
catalog `rest` is always the stack's REST server. With "metrics", the scan's Iceberg file counts are
reported (resultDataFiles, skippedDataFiles) from the executed plan's BatchScan node.
"""
import json
import os
import sys

from common import canon, canon_map, emit, spark_session


def verifier_spark():
    spark = spark_session("floe-verifier", local_warehouse=os.environ.get("FLOE_SPARK_LOCAL_WAREHOUSE"))
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    return spark


def scan_metrics(df):
    plan = df._jdf.queryExecution().executedPlan()
    leaves = plan.collectLeaves()
    out = {}
    for i in range(leaves.size()):
        leaf = leaves.apply(i)
        if "BatchScan" not in leaf.nodeName():
            continue
        metrics = leaf.metrics()
        for name in ["resultDataFiles", "skippedDataFiles", "totalDataManifest", "scannedDataManifests"]:
            m = metrics.get(name)
            if m.isDefined():
                out[name] = out.get(name, 0) + int(m.get().value())
    return out


def run_query(spark, q):
    """One query's canonical rows and Spark column types (and scan metrics when `q["metrics"]`)."""
    df = spark.sql(q["sql"])
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    maps = {name for name, t in types.items() if t.startswith("map<")}
    rows = [
        {k: (canon_map(v) if k in maps else canon(v)) for k, v in r.asDict(recursive=False).items()}
        for r in df.collect()
    ]
    result = {"rows": rows, "types": types}
    if q.get("metrics"):
        result["metrics"] = scan_metrics(df)
    return result


if __name__ == "__main__":
    queries = json.loads(sys.argv[1])
    spark = verifier_spark()
    results = [run_query(spark, q) for q in queries]
    emit({"spark": spark.version, "results": results})
    spark.stop()
