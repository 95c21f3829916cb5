"""Smoke: import pyiceberg, create a table in the REST catalog on S3, append rows, scan them back."""
import sys

import pyarrow as pa
import pyiceberg
from common import emit, rest_catalog

namespace, table_name = sys.argv[1], sys.argv[2]
catalog = rest_catalog()
catalog.create_namespace(namespace)
rows = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": pa.array(["a", "b", None], pa.string())})
table = catalog.create_table(f"{namespace}.{table_name}", schema=rows.schema)
table.append(rows)
scanned = catalog.load_table(f"{namespace}.{table_name}").scan().to_arrow().sort_by("id")
emit({
    "version": pyiceberg.__version__,
    "rows": scanned.to_pylist(),
    "metadata_location": table.metadata_location,
})
