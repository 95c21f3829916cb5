"""Loads table metadata files with PyIceberg the way a reader does and reports, per file, what failed.

usage: load_metadata.py METADATA_LOCATION...

For each file: StaticTable.from_metadata, every schema's name index and Arrow schema, the default
spec's partition type and the default sort order bound to the current schema, every snapshot's
schema, and a scan of the current snapshot to Arrow (the column names and types it reads).
"""
import sys

from common import emit, s3_properties
from pyiceberg.table import StaticTable

out = []
for location in sys.argv[1:]:
    try:
        table = StaticTable.from_metadata(location, properties=s3_properties())
        md = table.metadata
        for schema in md.schemas:
            schema._name_to_id  # noqa: B018 - builds the name index, which refuses duplicate names
            schema.as_arrow()
        current = table.schema()
        table.spec().partition_type(current)
        order = table.sort_order()
        for field in order.fields:
            current.find_field(field.source_id)
        for snap in md.snapshots:
            if snap.schema_id is not None:
                md.schema_by_id(snap.schema_id)
        arrow = table.scan().to_arrow()
        out.append({"location": location, "ok": True, "columns": [f.name for f in arrow.schema]})
    except Exception as e:  # noqa: BLE001 - every failure is reported for its file
        out.append({"location": location, "ok": False, "error": f"{type(e).__name__}: {e}"[:2000]})
emit(out)
