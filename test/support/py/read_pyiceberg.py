"""Reads a table with PyIceberg (StaticTable from a metadata file) and prints canonical rows and types.

usage: read_pyiceberg.py METADATA_LOCATION [SNAPSHOT_ID] [ROW_FILTER]
"""
import sys

from common import canon, canon_map, emit, s3_properties
from pyiceberg.table import StaticTable
from pyiceberg.types import MapType


def static_table(location):
    return StaticTable.from_metadata(location, properties=s3_properties())


def scan_rows(table, snapshot_id=None, row_filter=None):
    """The scan of `table` (at `snapshot_id`, else its current snapshot), its Arrow result and canonical rows."""
    scan = table.scan(snapshot_id=snapshot_id, **({"row_filter": row_filter} if row_filter else {}))
    arrow = scan.to_arrow()
    maps = {f.name for f in table.schema().fields if isinstance(f.field_type, MapType)}
    rows = [{k: (canon_map(v) if k in maps else canon(v)) for k, v in row.items()} for row in arrow.to_pylist()]
    return scan, arrow, rows


if __name__ == "__main__":
    location = sys.argv[1]
    snapshot_id = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
    row_filter = sys.argv[3] if len(sys.argv) > 3 else None
    table = static_table(location)
    scan, arrow, rows = scan_rows(table, snapshot_id, row_filter)
    emit({
        "rows": rows,
        "arrow_types": {f.name: str(f.type) for f in arrow.schema},
        "iceberg_types": {f.name: str(f.field_type) for f in table.schema().fields},
        "files": len(list(scan.plan_files())),
    })
