"""Independent read-back for the fault scenarios (test/integration/faults): reads a table with PyIceberg
and reports what a reader sees, plus every file the table's snapshots reference and whether it exists.

usage: fault_readback.py METADATA_LOCATION TOPIC
Prints {"rows", "distinct", "duplicates", "partitions": {p: [count, min, max]}, "snapshots",
"referenced": [paths], "missing": [paths]}; (topic, partition, offset) is the record's identity.
"""
import sys

import pyarrow.compute as pc
from common import emit, s3_properties
from pyiceberg.table import StaticTable

location, topic = sys.argv[1], sys.argv[2]
table = StaticTable.from_metadata(location, properties=s3_properties())
io = table.io

# Rows of the current snapshot: the scan reads every data file, so a missing one fails here.
arrow = table.scan(
    row_filter=f"_kafka_topic == '{topic}'",
    selected_fields=("_kafka_topic", "_kafka_partition", "_kafka_offset"),
).to_arrow()
keys = pc.binary_join_element_wise(
    pc.cast(arrow["_kafka_partition"], "string"), pc.cast(arrow["_kafka_offset"], "string"), ":"
)
distinct = len(pc.unique(keys))
partitions = {}
if arrow.num_rows:
    grouped = arrow.group_by("_kafka_partition").aggregate(
        [("_kafka_offset", "count"), ("_kafka_offset", "min"), ("_kafka_offset", "max")]
    )
    for row in grouped.to_pylist():
        partitions[str(row["_kafka_partition"])] = [
            row["_kafka_offset_count"],
            row["_kafka_offset_min"],
            row["_kafka_offset_max"],
        ]

# Every file any snapshot references: manifest lists, manifests, data and delete files.
referenced = set()
for snapshot in table.metadata.snapshots:
    referenced.add(snapshot.manifest_list)
    for manifest in snapshot.manifests(io):
        referenced.add(manifest.manifest_path)
        for entry in manifest.fetch_manifest_entry(io, discard_deleted=False):
            referenced.add(entry.data_file.file_path)
missing = sorted(p for p in referenced if not io.new_input(p).exists())

emit({
    "rows": arrow.num_rows,
    "distinct": distinct,
    "duplicates": arrow.num_rows - distinct,
    "partitions": partitions,
    "snapshots": len(table.metadata.snapshots),
    "referenced": sorted(referenced),
    "missing": missing,
})
