/**
 * The table actions: each rebuilds its change on the base it is given and knows how to tell, from
 * reloaded metadata, whether that change landed.
 *
 * - snapshotAction: append, overwrite, replace, delete, row delta (iceberg/snapshot SnapshotProducer)
 * - manifestRewriteAction: merge manifests (iceberg/snapshot ManifestMerger)
 * - updateSchemaAction: add a schema computed from the current one and make it current
 * - updatePropertiesAction: set and remove table properties
 * - expireSnapshotsAction: remove snapshots chosen from the current metadata
 * - upgradeFormatVersionAction: raise the table's format version
 */
import type { ManifestMerger, SnapshotProducer } from "../snapshot/index.js";
import {
  currentSchema,
  MAIN_BRANCH,
  type Schema,
  stringifyJson,
  type TableMetadata,
  type TableRequirement,
} from "../spec/index.js";
import type { StagedChange, TableAction } from "./port.js";

function uuidRequirement(md: TableMetadata): TableRequirement[] {
  const uuid = md["table-uuid"];
  return uuid === undefined ? [] : [{ type: "assert-table-uuid", uuid }];
}

/** A snapshot of added/removed files; `summaryFor` adds summary properties computed per base. */
export function snapshotAction(
  producer: SnapshotProducer,
  summaryFor?: (base: TableMetadata) => Readonly<Record<string, string>>,
): TableAction {
  return {
    kind: producer.operation,
    stage: (base) => producer.stage(base, summaryFor?.(base)),
    landed: (md) => producer.landed(md),
    unreferencedFiles: (md) => producer.unreferencedFiles(md),
  };
}

/** Merges manifests per the merger's plan; `onStaged` sees each attempt's counts. */
export function manifestRewriteAction(
  merger: ManifestMerger,
  onStaged?: (counts: NonNullable<Awaited<ReturnType<ManifestMerger["stage"]>>>["counts"]) => void,
): TableAction {
  return {
    kind: "rewrite-manifests",
    stage: async (base) => {
      const staged = await merger.stage(base);
      if (staged) onStaged?.(staged.counts);
      return staged;
    },
    landed: (md) => merger.landed(md),
    unreferencedFiles: (md) => merger.unreferencedFiles(md),
  };
}

/** The new current schema (any schema id: it is assigned) and the table's new last column id. */
export interface SchemaChange {
  schema: Schema;
  lastColumnId: number;
}

/**
 * Adds the schema `evolve` computes from the current one and makes it current; `evolve` is called on
 * every attempt with the freshest metadata and returns null when the schema needs no change.
 */
export function updateSchemaAction(evolve: (base: TableMetadata) => SchemaChange | null): TableAction {
  let fields: string | undefined;
  return {
    kind: "update-schema",
    stage: async (base): Promise<StagedChange | null> => {
      const change = evolve(base);
      if (change === null) return null;
      fields = stringifyJson(change.schema.fields);
      const schemaId = Math.max(...base.schemas.map((s) => s["schema-id"])) + 1;
      return {
        requirements: [
          ...uuidRequirement(base),
          { type: "assert-current-schema-id", "current-schema-id": base["current-schema-id"] },
          { type: "assert-last-assigned-field-id", "last-assigned-field-id": base["last-column-id"] },
        ],
        updates: [
          {
            action: "add-schema",
            schema: { ...change.schema, "schema-id": schemaId },
            "last-column-id": change.lastColumnId,
          },
          { action: "set-current-schema", "schema-id": -1 },
        ],
      };
    },
    landed: (md) => fields !== undefined && stringifyJson(currentSchema(md).fields) === fields,
  };
}

/** Sets and removes table properties (no commit when they already read so). */
export function updatePropertiesAction(
  set: Readonly<Record<string, string>>,
  remove: readonly string[] = [],
): TableAction {
  const landed = (md: TableMetadata) =>
    Object.entries(set).every(([k, v]) => md.properties[k] === v) &&
    remove.every((k) => md.properties[k] === undefined);
  return {
    kind: "update-properties",
    stage: async (base) => {
      if (landed(base)) return null;
      const updates: StagedChange["updates"] = [
        ...(Object.keys(set).length > 0 ? [{ action: "set-properties" as const, updates: { ...set } }] : []),
        ...(remove.length > 0 ? [{ action: "remove-properties" as const, removals: [...remove] }] : []),
      ];
      return { requirements: uuidRequirement(base), updates };
    },
    landed,
  };
}

/**
 * Removes the snapshots `select` picks from the current metadata (recomputed per attempt), guarded by
 * main's head so a concurrent commit makes it choose again.
 */
export function expireSnapshotsAction(select: (base: TableMetadata) => readonly bigint[]): TableAction {
  let chosen: readonly bigint[] = [];
  return {
    kind: "expire-snapshots",
    stage: async (base) => {
      chosen = select(base);
      if (chosen.length === 0) return null;
      return {
        requirements: [
          ...uuidRequirement(base),
          {
            type: "assert-ref-snapshot-id",
            ref: MAIN_BRANCH,
            "snapshot-id": base.refs[MAIN_BRANCH]?.["snapshot-id"] ?? null,
          },
        ],
        updates: [{ action: "remove-snapshots", "snapshot-ids": [...chosen] }],
      };
    },
    landed: (md) => chosen.every((id) => !md.snapshots.some((s) => s["snapshot-id"] === id)),
  };
}

/** Raises the table's format version to `version` (no commit when it is there already). */
export function upgradeFormatVersionAction(version: number): TableAction {
  const landed = (md: TableMetadata) => md["format-version"] >= version;
  return {
    kind: "upgrade-format-version",
    stage: async (base) =>
      landed(base)
        ? null
        : {
            requirements: uuidRequirement(base),
            updates: [{ action: "upgrade-format-version", "format-version": version }],
          },
    landed,
  };
}
