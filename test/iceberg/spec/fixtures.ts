// Table metadata documents in the shapes other implementations write, for the spec tests.

/** v1, as old Java versions wrote it: single `schema` and `partition-spec`, no field ids on partitions. */
export const V1_METADATA = `{
  "format-version" : 1,
  "table-uuid" : "d20125c8-7284-442c-9aea-15fee620737c",
  "location" : "s3://bucket/test/location",
  "last-updated-ms" : 1602638573874,
  "last-column-id" : 3,
  "schema" : {
    "type" : "struct",
    "fields" : [ {
      "id" : 1, "name" : "x", "required" : true, "type" : "long"
    }, {
      "id" : 2, "name" : "y", "required" : true, "type" : "long", "doc" : "comment"
    }, {
      "id" : 3, "name" : "z", "required" : true, "type" : "long"
    } ]
  },
  "partition-spec" : [ {
    "name" : "x", "transform" : "identity", "source-id" : 1
  } ],
  "properties" : { },
  "current-snapshot-id" : -1,
  "snapshots" : [ ]
}`;

/** v2, Java style, with two snapshots whose ids need more than 53 bits. */
export const V2_METADATA = `{
  "format-version": 2,
  "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
  "location": "s3://bucket/test/location",
  "last-sequence-number": 34,
  "last-updated-ms": 1602638573590,
  "last-column-id": 3,
  "current-schema-id": 1,
  "schemas": [
    {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "x", "required": true, "type": "long"}]},
    {
      "type": "struct",
      "schema-id": 1,
      "identifier-field-ids": [1, 2],
      "fields": [
        {"id": 1, "name": "x", "required": true, "type": "long"},
        {"id": 2, "name": "y", "required": true, "type": "long", "doc": "comment"},
        {"id": 3, "name": "z", "required": true, "type": "long"}
      ]
    }
  ],
  "default-spec-id": 0,
  "partition-specs": [
    {"spec-id": 0, "fields": [{"name": "x", "transform": "identity", "source-id": 1, "field-id": 1000}]}
  ],
  "last-partition-id": 1000,
  "default-sort-order-id": 3,
  "sort-orders": [
    {
      "order-id": 3,
      "fields": [
        {"transform": "identity", "source-id": 2, "direction": "asc", "null-order": "nulls-first"},
        {"transform": "bucket[4]", "source-id": 3, "direction": "desc", "null-order": "nulls-last"}
      ]
    }
  ],
  "properties": {"commit.retry.num-retries": "4"},
  "current-snapshot-id": 3055729675574597004,
  "snapshots": [
    {
      "snapshot-id": 3051729675574597004,
      "timestamp-ms": 1515100955770,
      "sequence-number": 0,
      "summary": {"operation": "append"},
      "manifest-list": "s3://a/b/1.avro"
    },
    {
      "snapshot-id": 3055729675574597004,
      "parent-snapshot-id": 3051729675574597004,
      "timestamp-ms": 1555100955770,
      "sequence-number": 1,
      "summary": {"operation": "append"},
      "manifest-list": "s3://a/b/2.avro",
      "schema-id": 1
    }
  ],
  "snapshot-log": [
    {"snapshot-id": 3051729675574597004, "timestamp-ms": 1515100955770},
    {"snapshot-id": 3055729675574597004, "timestamp-ms": 1555100955770}
  ],
  "metadata-log": [{"metadata-file": "s3://bucket/.../v1.json", "timestamp-ms": 1515100}],
  "statistics": [
    {
      "snapshot-id": 3055729675574597004,
      "statistics-path": "s3://a/b/stats.puffin",
      "file-size-in-bytes": 413,
      "file-footer-size-in-bytes": 42,
      "blob-metadata": [{"type": "ndv", "snapshot-id": 3055729675574597004, "sequence-number": 1, "fields": [1]}]
    }
  ],
  "some-future-field": {"ignored": true}
}`;

/** v3, PyIceberg style: refs present, null current snapshot written as null, next-row-id. */
export const V3_METADATA = `{
  "format-version": 3,
  "table-uuid": "2f3c1f4e-6c0b-4f0a-9a53-7f1a3d9b8e21",
  "location": "file:///tmp/warehouse/db/t",
  "last-sequence-number": 0,
  "last-updated-ms": 1700000000000,
  "last-column-id": 2,
  "current-schema-id": 0,
  "schemas": [{"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "required": false, "type": "long"},
    {"id": 2, "name": "ts", "required": false, "type": "timestamptz_ns"}
  ]}],
  "default-spec-id": 0,
  "partition-specs": [{"spec-id": 0, "fields": []}],
  "last-partition-id": 999,
  "default-sort-order-id": 0,
  "sort-orders": [{"order-id": 0, "fields": []}],
  "properties": {},
  "current-snapshot-id": null,
  "refs": {},
  "snapshots": [],
  "snapshot-log": [],
  "metadata-log": [],
  "next-row-id": 0
}`;
