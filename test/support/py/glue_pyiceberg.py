"""PyIceberg's GlueCatalog against the stack's moto, for Glue interop with Floe.

usage:
  glue_pyiceberg.py scan DB TABLE
      loads DB.TABLE through Glue and prints its rows (canonical), snapshots and Glue-visible state
  glue_pyiceberg.py create_append DB TABLE
      creates DB.TABLE (id long required, name string, amount decimal(10,2), ts timestamptz,
      tags list<string>) and appends two rows
  glue_pyiceberg.py append DB TABLE ID NAME
      appends one row (id, name; other columns null) to that table
"""
import sys

from common import canon, canon_map, emit, env, s3_properties
from pyiceberg.catalog import load_catalog
from pyiceberg.types import MapType


def glue_catalog():
    return load_catalog(
        "glue",
        **{
            "type": "glue",
            "glue.endpoint": env("FLOE_GLUE_ENDPOINT"),
            "glue.region": env("FLOE_GLUE_REGION"),
            "glue.access-key-id": "testing",
            "glue.secret-access-key": "testing",
            **s3_properties(),
        },
    )


def arrow_schema():
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("amount", pa.decimal128(10, 2)),
            pa.field("ts", pa.timestamp("us", tz="UTC")),
            pa.field("tags", pa.list_(pa.string())),
        ]
    )


def scan(catalog, db, name):
    table = catalog.load_table((db, name))
    arrow = table.scan().to_arrow()
    maps = {f.name for f in table.schema().fields if isinstance(f.field_type, MapType)}
    rows = [{k: (canon_map(v) if k in maps else canon(v)) for k, v in row.items()} for row in arrow.to_pylist()]
    emit(
        {
            "rows": rows,
            "metadata_location": table.metadata_location,
            "location": table.metadata.location,
            "snapshots": [
                {"id": str(s.snapshot_id), "operation": str(s.summary.operation.value) if s.summary else None}
                for s in table.metadata.snapshots
            ],
            "iceberg_types": {f.name: str(f.field_type) for f in table.schema().fields},
            "tables": [".".join(t) for t in catalog.list_tables(db)],
        }
    )


def create_append(catalog, db, name):
    import datetime
    import decimal

    import pyarrow as pa

    table = catalog.create_table((db, name), schema=arrow_schema())
    data = pa.Table.from_pylist(
        [
            {
                "id": 1,
                "name": "py-one",
                "amount": decimal.Decimal("12.34"),
                "ts": datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc),
                "tags": ["a", "b"],
            },
            {"id": 2, "name": None, "amount": None, "ts": None, "tags": []},
        ],
        schema=arrow_schema(),
    )
    table.append(data)
    emit({"metadata_location": table.metadata_location, "location": table.metadata.location})


def append(catalog, db, name, row_id, row_name):
    import pyarrow as pa

    table = catalog.load_table((db, name))
    data = pa.Table.from_pylist(
        [{"id": int(row_id), "name": row_name, "amount": None, "ts": None, "tags": None}], schema=arrow_schema()
    )
    table.append(data)
    emit({"metadata_location": table.metadata_location})


def main():
    mode, db, name, *rest = sys.argv[1:]
    catalog = glue_catalog()
    if mode == "scan":
        scan(catalog, db, name)
    elif mode == "create_append":
        create_append(catalog, db, name)
    elif mode == "append":
        append(catalog, db, name, *rest)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
