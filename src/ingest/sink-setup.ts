/**
 * What the sink needs before it consumes: one decoder per route, and, on each partition
 * assignment, the offset each partition's table last committed (the position to seek to).
 */
import { type Catalog, formatIdentifier } from "../catalog/index.js";
import type { Config } from "../config.js";
import { FloeError, isFloeError } from "../errors.js";
import { currentSchema, type Schema } from "../iceberg/spec/index.js";
import { tpKey } from "./buffer/index.js";
import { DebeziumJsonDecoder } from "./change/index.js";
import { committedOffsets, getOffset } from "./commit/index.js";
import {
  createDecoder,
  type DecodedRecord,
  type DecodeInput,
  type Decoder,
  SchemaRegistryClient,
} from "./decode/index.js";
import { type Route, routeFor } from "./route.js";

/** One decoder per route index; registry formats need `schemaRegistry.url`. */
export function buildDecoders(config: Config, routes: readonly Route[]): Map<number, Decoder> {
  const registry = config.schemaRegistry ? new SchemaRegistryClient(config.schemaRegistry) : undefined;
  const decoders = new Map<number, Decoder>();
  for (const route of routes) {
    const format = route.config.format;
    if (format === "avro" || format === "json-schema" || format === "protobuf") {
      if (!registry) {
        throw new FloeError(
          "CONFIG_INVALID",
          `tables.${route.index}.format ${format} needs schemaRegistry.url`,
          {
            context: { key: "schemaRegistry.url" },
          },
        );
      }
      decoders.set(route.index, createDecoder({ format, registry }));
    } else if (format === "json" && route.config.envelope === "debezium") {
      decoders.set(route.index, new DebeziumJsonDecoder());
    } else if (format === "json") {
      // Append routes whose table does not come from a field buffer the values without a row object.
      const columns = route.config.mode === "append" && route.config.tableField === undefined;
      decoders.set(route.index, createDecoder({ format, schema: route.config.schema, columns }));
    } else {
      decoders.set(route.index, createDecoder({ format }));
    }
  }
  return decoders;
}

/** For each assigned partition, the lowest offset any of its route's known tables committed. */
export async function tablePositions(
  catalog: Catalog,
  routes: readonly Route[],
  group: string,
  assignment: Record<string, number[]>,
  /** Filled with each loaded table's current schema, by formatted identifier. */
  schemas?: Map<string, Schema>,
): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const [topic, parts] of Object.entries(assignment)) {
    const route = routeFor(routes, topic);
    if (!route || route.config.tableField !== undefined) continue;
    let committed: ReturnType<typeof committedOffsets>;
    try {
      const id = route.tableFor(topic, {});
      const { metadata } = await catalog.loadTable(id);
      committed = committedOffsets(metadata, group);
      schemas?.set(formatIdentifier(id), currentSchema(metadata));
    } catch (e) {
      if (isFloeError(e, "NOT_FOUND")) continue;
      throw e;
    }
    for (const p of parts) {
      const o = getOffset(committed, topic, p);
      const k = tpKey(topic, p);
      const prev = out.get(k);
      if (o !== undefined && (prev === undefined || o < prev)) out.set(k, o);
    }
  }
  return out;
}

/** The topics and topic patterns the routes subscribe to. */
export function subscriptions(routes: readonly Route[]): (string | RegExp)[] {
  const topics: (string | RegExp)[] = [];
  for (const r of routes) {
    if (r.config.topics) topics.push(...r.config.topics);
    if (r.config.topicPattern) topics.push(new RegExp(r.config.topicPattern));
  }
  return topics;
}

/** Decodes, retrying transient failures (an unreachable schema registry) with backoff while `running`. */
export async function decodeWithRetry(
  decoder: Decoder,
  input: DecodeInput,
  running: () => boolean,
): Promise<DecodedRecord> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await decoder.decode(input);
    } catch (e) {
      if (!isFloeError(e) || !e.retryable || attempt >= 5 || !running()) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
