"""For every live data file of a table, compares what Floe wrote in the manifest with what PyIceberg
computes itself from the same Parquet file: partition values (PyIceberg's transforms over every row)
and file metrics (PyIceberg's statistics from the Parquet footer, with the table's metrics modes).

usage: check_files.py METADATA_LOCATION...
Prints, per table, {"files": N, "mismatches": [...], "partitions": [...], "rows": [...]}.
"""
import sys

import pyarrow.parquet as pq
from common import canon, emit, s3_properties
from pyiceberg.io.pyarrow import (
    compute_statistics_plan,
    data_file_statistics_from_parquet_metadata,
    parquet_path_to_id_mapping,
)
from pyiceberg.partitioning import _to_partition_representation
from pyiceberg.table import StaticTable


def as_canon(v):
    if v is None or hasattr(v, "items"):
        return {k: canon(x) for k, x in dict(v or {}).items()}
    return canon(v)


def check_file(table, df, mismatches):
    schema, spec = table.schema(), table.spec()
    with table.io.new_input(df.file_path).open() as f:
        metadata = pq.read_metadata(f)
    with table.io.new_input(df.file_path).open() as f:
        data = pq.read_table(f)
    ours = [df.partition[i] for i in range(len(spec.fields))]
    # Partition values: PyIceberg's transform of each row's source value must equal the file's tuple.
    for i, field in enumerate(spec.fields):
        source_type = schema.find_field(field.source_id).field_type
        transform = field.transform.transform(source_type)
        column = data.column(schema.find_column_name(field.source_id)).to_pylist()
        computed = {transform(_to_partition_representation(source_type, v)) for v in column}
        if computed != {ours[i]}:
            mismatches.append({"file": df.file_path, "what": f"partition {field.name}", "ours": canon(ours[i]),
                               "pyiceberg": sorted(str(canon(v)) for v in computed)[:5]})
    # Metrics from the Parquet footer, as PyIceberg's own writer computes them.
    stats = data_file_statistics_from_parquet_metadata(
        metadata, compute_statistics_plan(schema, table.metadata.properties), parquet_path_to_id_mapping(schema)
    ).to_serialized_dict()
    for name in ["record_count", "column_sizes", "value_counts", "null_value_counts", "lower_bounds", "upper_bounds"]:
        a, b = as_canon(getattr(df, name)), as_canon(stats[name])
        if a != b:
            mismatches.append({"file": df.file_path, "what": name, "ours": a, "pyiceberg": b})
    return [canon(v) for v in ours]


def check(location):
    table = StaticTable.from_metadata(location, properties=s3_properties())
    mismatches, partitions = [], []
    for task in table.scan().plan_files():
        partitions.append(check_file(table, task.file, mismatches))
    rows = [{k: canon(v) for k, v in r.items()} for r in table.scan().to_arrow().to_pylist()]
    return {"files": len(partitions), "mismatches": mismatches, "partitions": partitions, "rows": rows}


emit([check(location) for location in sys.argv[1:]])
