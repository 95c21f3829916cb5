/**
 * The `tables[]` section of Floe's configuration: a route from topics to a table, with its record format,
 * partitioning, metadata columns, error handling, schema evolution and upsert settings. Composed into the
 * root schema by config.ts, which re-exports it.
 */
import { z } from "zod";

export const TableRoute = z
  .object({
    topics: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Topics consumed for this route: names, or one regex with `topicPattern`."),
    topicPattern: z.string().min(1).optional().describe("A regex of topics to consume (instead of topics)"),
    table: z
      .string()
      .min(3)
      .describe(
        "Target table `ns.table`; `{topic}` and `{field}` are replaced (topic name / value of `tableField`).",
      ),
    tableField: z
      .string()
      .optional()
      .describe("Route each record by this top-level field of its value into `table` (with `{field}`)."),
    format: z
      .enum(["json", "avro", "json-schema", "protobuf", "string", "bytes"])
      .default("json")
      .describe("Record value format; avro, json-schema and protobuf use the Schema Registry wire format"),
    schema: z
      .unknown()
      .optional()
      .describe("For json: a declared Iceberg schema (struct JSON); otherwise inferred from the data."),
    partitionBy: z
      .array(z.string())
      .default([])
      .describe('Partition spec for auto-created tables, e.g. ["day(event_time)", "bucket(16, device_id)"].'),
    metadataColumns: z
      .boolean()
      .default(true)
      .describe(
        "Add _kafka_topic, _kafka_partition, _kafka_offset, _kafka_timestamp, _kafka_key, _kafka_headers.",
      ),
    onError: z
      .enum(["fail", "skip", "dlq"])
      .default("dlq")
      .describe("What to do with a record that cannot be decoded or written."),
    dlqTopic: z.string().min(1).optional().describe("Dead-letter topic for this route (default: dlq.topic)."),
    evolve: z
      .boolean()
      .default(true)
      .describe("New fields become new columns; allowed widenings are applied."),
    maxColumns: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe(
        "Most columns a table may reach by evolution, counting nested fields, list elements and map keys/values (metadata columns too). A record that would add columns past it is a record error (dead letter, skip or fail).",
      ),
    properties: z
      .record(z.string(), z.string())
      .default({})
      .describe("Table properties for auto-created tables"),
    mode: z
      .enum(["append", "upsert"])
      .default("append")
      .describe(
        "append: every record becomes a row. upsert: one row per key; a newer record replaces its key's row and a tombstone (or Debezium delete) removes it, written with position deletes every engine reads.",
      ),
    key: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "upsert: the row key, top-level fields of the value (a key lives in one Kafka partition; keys seen on two partitions are counted).",
      ),
    envelope: z
      .enum(["none", "debezium"])
      .default("none")
      .describe(
        "debezium: values are Debezium change events (op c/r/u insert or replace the row from `after`, d deletes the row keyed by `before`); needs mode upsert.",
      ),
    keyIndexCheckpointSeconds: z
      .number()
      .int()
      .min(1)
      .default(60)
      .describe(
        "upsert: how often the key index is saved beside the table (with the next commit, and with the last commit at stop), so a restart reads it and only the files committed since, instead of rescanning the table.",
      ),
    keyIndexMemoryMB: z
      .number()
      .positive()
      .default(256)
      .describe(
        "upsert: memory the key index's sorted run may take (16 bytes a key: 256 MB is about 16M keys). Past it the run lives in a file under keyIndexSpillDir (the index keeps 0.03 bytes a key of it in memory) and a lookup reads one 4 KiB block of it: slower, see the README's upsert figures.",
      ),
    keyIndexSpillDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "upsert: local directory for key index runs past keyIndexMemoryMB (default: the OS temp directory). One subdirectory per process and table, removed at stop; it must be writable, with room for 16 bytes a key, and on disk rather than a memory-backed tmpfs.",
      ),
  })
  .strict()
  .refine((r) => (r.topics === undefined) !== (r.topicPattern === undefined), {
    message: "set exactly one of topics or topicPattern",
  })
  .refine((r) => r.mode !== "upsert" || r.key !== undefined, {
    message: "mode upsert needs key: the top-level value fields that identify a row",
    path: ["key"],
  })
  .refine((r) => r.envelope !== "debezium" || r.mode === "upsert", {
    message: "envelope debezium needs mode upsert (and key)",
    path: ["mode"],
  })
  .refine((r) => r.mode !== "upsert" || r.tableField === undefined, {
    message: "mode upsert cannot route by tableField: a key must stay in one table",
    path: ["tableField"],
  })
  .refine((r) => r.mode !== "upsert" || (r.format !== "string" && r.format !== "bytes"), {
    message: "mode upsert needs a format with fields (json, avro, json-schema or protobuf)",
    path: ["format"],
  });

export type TableRouteConfig = z.infer<typeof TableRoute>;
