/**
 * Pure application of TableUpdates to table metadata: what a catalog does on commit, after
 * checkRequirements has passed. New tables are built in new-table.ts.
 */

import { FloeError } from "../../errors.js";
import {
  highestPartitionFieldId,
  PARTITION_DATA_ID_START,
  type PartitionSpec,
  specsEquivalent,
} from "./partition.js";
import { allFields, highestFieldId, type Schema, sameSchema, validateSchema } from "./schema.js";
import { MAIN_BRANCH, type SnapshotRef } from "./snapshot.js";
import { type SortOrder, sortOrdersEquivalent, UNSORTED_ORDER_ID, unsortedOrder } from "./sort-order.js";
import { type FormatVersion, MAX_FORMAT_VERSION, type TableMetadata } from "./table-metadata.js";
import { canTransform, transformFromString } from "./transforms.js";
import { LAST_ADDED_ID, type TableUpdate, type UpdateOf } from "./updates.js";
import { metadataProblems, schemaChangeProblem } from "./validate-metadata.js";

function bad(update: TableUpdate, message: string): FloeError {
  return new FloeError("INVALID_ARGUMENT", `cannot apply ${update.action}: ${message}`, {
    context: { action: update.action },
  });
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function maxId<T>(items: readonly T[], id: (t: T) => number, floor: number): number {
  return items.reduce((m, t) => Math.max(m, id(t)), floor);
}

/** Checks that each field's source exists in some schema and that its transform applies to it. */
function checkSources(
  update: TableUpdate,
  md: TableMetadata,
  fields: readonly { "source-id": number; transform: string }[],
): void {
  for (const f of fields) {
    const t = transformFromString(f.transform);
    const entry = md.schemas.flatMap((s) => allFields(s)).find((e) => e.field.id === f["source-id"]);
    if (entry === undefined) throw bad(update, `source field ${f["source-id"]} is not in any schema`);
    if (t.type !== "unknown" && !canTransform(t, entry.field.type)) {
      throw bad(update, `transform ${f.transform} cannot apply to ${entry.name}`);
    }
  }
}

function applyOne(md: TableMetadata, u: TableUpdate, state: BuildState): TableMetadata {
  switch (u.action) {
    case "assign-uuid":
      if (md["table-uuid"] !== undefined && md["table-uuid"].toLowerCase() !== u.uuid.toLowerCase()) {
        throw bad(u, `the table already has uuid ${md["table-uuid"]}`);
      }
      return { ...md, "table-uuid": u.uuid };
    case "upgrade-format-version":
      return upgradeFormatVersion(md, u, state);
    case "add-schema":
      return addSchema(md, u, state);
    case "set-current-schema": {
      const id = u["schema-id"] === LAST_ADDED_ID ? state.lastAddedSchemaId : u["schema-id"];
      if (id === undefined) throw bad(u, "no schema was added in this commit");
      if (!md.schemas.some((s) => s["schema-id"] === id)) throw bad(u, `unknown schema ${id}`);
      return { ...md, "current-schema-id": id };
    }
    case "add-spec":
      return addSpec(md, u, state);
    case "set-default-spec": {
      const id = u["spec-id"] === LAST_ADDED_ID ? state.lastAddedSpecId : u["spec-id"];
      if (id === undefined) throw bad(u, "no partition spec was added in this commit");
      if (!md["partition-specs"].some((s) => s["spec-id"] === id))
        throw bad(u, `unknown partition spec ${id}`);
      return { ...md, "default-spec-id": id };
    }
    case "add-sort-order":
      return addSortOrder(md, u, state);
    case "set-default-sort-order": {
      const id = u["sort-order-id"] === LAST_ADDED_ID ? state.lastAddedSortOrderId : u["sort-order-id"];
      if (id === undefined) throw bad(u, "no sort order was added in this commit");
      if (!md["sort-orders"].some((o) => o["order-id"] === id)) throw bad(u, `unknown sort order ${id}`);
      return { ...md, "default-sort-order-id": id };
    }
    case "add-snapshot":
      return addSnapshot(md, u, state);
    case "set-snapshot-ref":
      return setSnapshotRef(md, u, state);
    case "remove-snapshots":
      return removeSnapshots(md, new Set(u["snapshot-ids"]));
    case "remove-snapshot-ref": {
      if (md.refs[u["ref-name"]] === undefined) return md;
      const refs = { ...md.refs };
      delete refs[u["ref-name"]];
      return u["ref-name"] === MAIN_BRANCH ? { ...md, refs, "current-snapshot-id": null } : { ...md, refs };
    }
    case "set-location":
      return { ...md, location: u.location };
    case "set-properties":
      return { ...md, properties: { ...md.properties, ...u.updates } };
    case "remove-properties": {
      const properties = { ...md.properties };
      for (const key of u.removals) delete properties[key];
      return { ...md, properties };
    }
    case "set-statistics": {
      const id = u.statistics["snapshot-id"];
      if (u["snapshot-id"] !== undefined && u["snapshot-id"] !== id) {
        throw bad(u, `snapshot-id ${u["snapshot-id"]} does not match the statistics file's ${id}`);
      }
      if (!md.snapshots.some((s) => s["snapshot-id"] === id)) throw bad(u, `snapshot ${id} does not exist`);
      const statistics = [...md.statistics.filter((s) => s["snapshot-id"] !== id), u.statistics];
      return { ...md, statistics };
    }
    case "remove-statistics":
      return { ...md, statistics: md.statistics.filter((s) => s["snapshot-id"] !== u["snapshot-id"]) };
  }
}

interface BuildState {
  lastAddedSchemaId?: number;
  lastAddedSpecId?: number;
  lastAddedSortOrderId?: number;
  /** Snapshots added in this commit: id -> timestamp-ms. */
  added: Map<bigint, number>;
  nowMs: number;
  /** Applying a create commit: the format version may still be chosen freely. */
  creating: boolean;
}

function upgradeFormatVersion(
  md: TableMetadata,
  u: UpdateOf<"upgrade-format-version">,
  state: BuildState,
): TableMetadata {
  const v = u["format-version"];
  if (v > MAX_FORMAT_VERSION) {
    throw new FloeError(
      "UNSUPPORTED",
      `format version ${v} is newer than supported (${MAX_FORMAT_VERSION})`,
      {
        context: { formatVersion: v },
      },
    );
  }
  if (v < 1) throw bad(u, `invalid format version ${v}`);
  const free = state.creating && md.snapshots.length === 0;
  if (v < md["format-version"] && !free)
    throw bad(u, `cannot downgrade from v${md["format-version"]} to v${v}`);
  if (v === md["format-version"]) return md;
  const out: TableMetadata = { ...md, "format-version": v as FormatVersion };
  if (v >= 3 && out["next-row-id"] === undefined) out["next-row-id"] = 0n;
  return out;
}

function addSchema(md: TableMetadata, u: UpdateOf<"add-schema">, state: BuildState): TableMetadata {
  validateSchema(u.schema);
  const given = u["last-column-id"];
  if (given !== undefined && given < md["last-column-id"]) {
    throw bad(u, `last-column-id ${given} is below the table's ${md["last-column-id"]}`);
  }
  const lastColumnId = Math.max(md["last-column-id"], given ?? 0, highestFieldId(u.schema));
  const existing = md.schemas.find((s) => sameSchema(s, u.schema));
  if (existing !== undefined) {
    state.lastAddedSchemaId = existing["schema-id"];
    return { ...md, "last-column-id": lastColumnId };
  }
  const problem = schemaChangeProblem(md, u.schema);
  if (problem !== undefined) throw bad(u, problem);
  const id =
    md.schemas.length === 0 ? u.schema["schema-id"] : maxId(md.schemas, (s) => s["schema-id"], -1) + 1;
  state.lastAddedSchemaId = id;
  const schema: Schema = { ...u.schema, "schema-id": id };
  return { ...md, schemas: [...md.schemas, schema], "last-column-id": lastColumnId };
}

function addSpec(md: TableMetadata, u: UpdateOf<"add-spec">, state: BuildState): TableMetadata {
  checkSources(u, md, u.spec.fields);
  const ids = new Set<number>();
  for (const f of u.spec.fields) {
    if (ids.has(f["field-id"])) throw bad(u, `duplicate partition field id ${f["field-id"]}`);
    ids.add(f["field-id"]);
  }
  const lastPartitionId = Math.max(md["last-partition-id"], highestPartitionFieldId(u.spec));
  const existing = md["partition-specs"].find((s) => specsEquivalent(s, u.spec));
  if (existing !== undefined) {
    state.lastAddedSpecId = existing["spec-id"];
    return { ...md, "last-partition-id": lastPartitionId };
  }
  const specs = md["partition-specs"];
  const id = specs.length === 0 ? u.spec["spec-id"] : maxId(specs, (s) => s["spec-id"], -1) + 1;
  state.lastAddedSpecId = id;
  const spec: PartitionSpec = { ...u.spec, "spec-id": id };
  return { ...md, "partition-specs": [...specs, spec], "last-partition-id": lastPartitionId };
}

function addSortOrder(md: TableMetadata, u: UpdateOf<"add-sort-order">, state: BuildState): TableMetadata {
  checkSources(u, md, u["sort-order"].fields);
  const orders = md["sort-orders"];
  const existing = orders.find((o) => sortOrdersEquivalent(o, u["sort-order"]));
  if (existing !== undefined) {
    state.lastAddedSortOrderId = existing["order-id"];
    return md;
  }
  const isUnsorted = u["sort-order"].fields.length === 0;
  const id = isUnsorted ? UNSORTED_ORDER_ID : maxId(orders, (o) => o["order-id"], UNSORTED_ORDER_ID) + 1;
  state.lastAddedSortOrderId = id;
  const order: SortOrder = { ...u["sort-order"], "order-id": id };
  return { ...md, "sort-orders": [...orders, order] };
}

function addSnapshot(md: TableMetadata, u: UpdateOf<"add-snapshot">, state: BuildState): TableMetadata {
  const s = u.snapshot;
  const id = s["snapshot-id"];
  if (md.snapshots.some((x) => x["snapshot-id"] === id)) throw bad(u, `snapshot ${id} already exists`);
  const v = md["format-version"];
  const seq = s["sequence-number"];
  if (v >= 2 && seq <= md["last-sequence-number"] && s["parent-snapshot-id"] !== undefined) {
    throw new FloeError(
      "COMMIT_CONFLICT",
      `snapshot ${id} has sequence number ${seq}, not above the table's last sequence number ${md["last-sequence-number"]}`,
      { context: { action: u.action, snapshotId: id } },
    );
  }
  const out: TableMetadata = {
    ...md,
    snapshots: [...md.snapshots, s],
    "last-sequence-number": maxBigint(seq, md["last-sequence-number"]),
  };
  if (v >= 3) {
    const first = s["first-row-id"];
    const next = md["next-row-id"] ?? 0n;
    if (first === undefined || s["added-rows"] === undefined) {
      throw bad(u, "v3 snapshots need first-row-id and added-rows");
    }
    if (first < next) {
      throw new FloeError(
        "COMMIT_CONFLICT",
        `snapshot ${id} first-row-id ${first} is behind next-row-id ${next}`,
        {
          context: { action: u.action, snapshotId: id },
        },
      );
    }
    out["next-row-id"] = first + s["added-rows"];
  }
  state.added.set(id, s["timestamp-ms"]);
  return out;
}

function setSnapshotRef(
  md: TableMetadata,
  u: UpdateOf<"set-snapshot-ref">,
  state: BuildState,
): TableMetadata {
  const name = u["ref-name"];
  const id = u["snapshot-id"];
  if (!md.snapshots.some((s) => s["snapshot-id"] === id)) throw bad(u, `snapshot ${id} does not exist`);
  if (name === MAIN_BRANCH && u.type !== "branch") throw bad(u, "main must be a branch");
  const ref: SnapshotRef = { "snapshot-id": id, type: u.type };
  if (u["min-snapshots-to-keep"] !== undefined) ref["min-snapshots-to-keep"] = u["min-snapshots-to-keep"];
  if (u["max-snapshot-age-ms"] !== undefined) ref["max-snapshot-age-ms"] = u["max-snapshot-age-ms"];
  if (u["max-ref-age-ms"] !== undefined) ref["max-ref-age-ms"] = u["max-ref-age-ms"];
  const old = md.refs[name];
  if (
    old !== undefined &&
    old["snapshot-id"] === id &&
    old.type === ref.type &&
    old["min-snapshots-to-keep"] === ref["min-snapshots-to-keep"] &&
    old["max-snapshot-age-ms"] === ref["max-snapshot-age-ms"] &&
    old["max-ref-age-ms"] === ref["max-ref-age-ms"]
  ) {
    return md;
  }
  const out: TableMetadata = { ...md, refs: { ...md.refs, [name]: ref } };
  if (name === MAIN_BRANCH && md["current-snapshot-id"] !== id) {
    out["current-snapshot-id"] = id;
    const ts = state.added.get(id) ?? state.nowMs;
    out["snapshot-log"] = [...md["snapshot-log"], { "timestamp-ms": ts, "snapshot-id": id }];
  }
  return out;
}

function removeSnapshots(md: TableMetadata, ids: ReadonlySet<bigint>): TableMetadata {
  if (ids.size === 0) return md;
  const snapshots = md.snapshots.filter((s) => !ids.has(s["snapshot-id"]));
  const live = new Set(snapshots.map((s) => s["snapshot-id"]));
  const refs = Object.fromEntries(Object.entries(md.refs).filter(([, r]) => live.has(r["snapshot-id"])));
  // An entry for a removed snapshot drops the history before it, so the log never skips a change.
  const log: TableMetadata["snapshot-log"] = [];
  for (const e of md["snapshot-log"]) {
    if (live.has(e["snapshot-id"])) log.push(e);
    else log.length = 0;
  }
  const current = md["current-snapshot-id"];
  return {
    ...md,
    snapshots,
    refs,
    "snapshot-log": log,
    "current-snapshot-id": current !== null && live.has(current) ? current : null,
    statistics: md.statistics.filter((s) => live.has(s["snapshot-id"])),
    "partition-statistics": md["partition-statistics"].filter((s) => live.has(s["snapshot-id"])),
  };
}

/** Metadata for a table that does not exist yet, for applying a create commit (assert-create). */
function emptyMetadata(nowMs: number): TableMetadata {
  return {
    "format-version": 2,
    location: "",
    "last-sequence-number": 0n,
    "last-updated-ms": nowMs,
    "last-column-id": 0,
    schemas: [],
    "current-schema-id": -1,
    "partition-specs": [],
    "default-spec-id": -1,
    "last-partition-id": PARTITION_DATA_ID_START - 1,
    properties: {},
    "current-snapshot-id": null,
    snapshots: [],
    "snapshot-log": [],
    "metadata-log": [],
    "sort-orders": [],
    "default-sort-order-id": -1,
    refs: {},
    statistics: [],
    "partition-statistics": [],
  };
}

/**
 * Applies updates in order and returns the new metadata (the input is not modified). `base` undefined
 * starts from an empty table, as a create commit does. `last-updated-ms` becomes the timestamp of the
 * last added snapshot, or `nowMs`. The snapshot log gains an entry whenever the main branch moves.
 * Invalid updates throw INVALID_ARGUMENT naming the action; updates that lost a race (stale sequence or
 * row ids) throw COMMIT_CONFLICT.
 */
export function applyUpdates(
  base: TableMetadata | undefined,
  updates: readonly TableUpdate[],
  options: { nowMs: number },
): TableMetadata {
  if (base !== undefined && updates.length === 0) return base;
  const state: BuildState = { added: new Map(), nowMs: options.nowMs, creating: base === undefined };
  let md = base ?? emptyMetadata(options.nowMs);
  for (const u of updates) md = applyOne(md, u, state);
  let lastAddedTs: number | undefined;
  for (const ts of state.added.values()) lastAddedTs = ts;
  md = { ...md, "last-updated-ms": lastAddedTs ?? options.nowMs };
  if (base === undefined) {
    const missing = [
      md["table-uuid"] === undefined ? "assign-uuid" : undefined,
      md.location === "" ? "set-location" : undefined,
      md.schemas.length === 0 || md["current-schema-id"] < 0 ? "add-schema/set-current-schema" : undefined,
    ].filter((m) => m !== undefined);
    if (missing.length > 0) {
      throw new FloeError("INVALID_ARGUMENT", `creating a table needs ${missing.join(", ")}`);
    }
    if (md["partition-specs"].length === 0) md = { ...md, "partition-specs": [{ "spec-id": 0, fields: [] }] };
    if (md["default-spec-id"] < 0) md = { ...md, "default-spec-id": 0 };
    if (md["sort-orders"].length === 0) md = { ...md, "sort-orders": [unsortedOrder()] };
    if (md["default-sort-order-id"] < 0) md = { ...md, "default-sort-order-id": UNSORTED_ORDER_ID };
  }
  // Nothing a reader would refuse gets in; what the table already had (written by an older Floe or
  // another tool) does not block its commits.
  const had = new Set(base === undefined ? [] : metadataProblems(base));
  const added = metadataProblems(md).filter((p) => !had.has(p));
  if (added.length > 0) {
    throw new FloeError(
      "INVALID_ARGUMENT",
      `the updates would leave invalid table metadata: ${added.slice(0, 3).join("; ")}`,
      { context: { problem: added[0] } },
    );
  }
  return md;
}
