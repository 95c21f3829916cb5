"""Registers an existing metadata file as a table in the stack's REST catalog (so Spark can read it).

usage: register_rest.py NAMESPACE TABLE METADATA_LOCATION
"""
import sys

from common import emit, rest_catalog

namespace, name, location = sys.argv[1], sys.argv[2], sys.argv[3]
catalog = rest_catalog()
catalog.create_namespace_if_not_exists(namespace)
table = catalog.register_table(f"{namespace}.{name}", location)
emit({"metadata_location": table.metadata_location})
