/**
 * `floe tables`, `floe describe ns.t` and `floe query "SQL"`: look at what the catalog holds. Query runs
 * DuckDB over every table of the catalog (one view per table on its current metadata file).
 */
import { join } from "node:path";
import {
  type Catalog,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  parseIdentifier,
} from "./catalog/index.js";
import type { Config } from "./config.js";
import { FloeError } from "./errors.js";
import {
  ancestorsOf,
  currentSchema,
  defaultSortOrder,
  defaultSpec,
  describeType,
  type IcebergType,
  isListType,
  isMapType,
  isStructType,
} from "./iceberg/spec/index.js";
import { OFFSETS_PREFIX, parseOffsets } from "./ingest/index.js";

async function allNamespaces(catalog: Catalog, parent: Namespace = []): Promise<Namespace[]> {
  const out: Namespace[] = [];
  for (const ns of await catalog.listNamespaces(parent)) {
    out.push(ns);
    if (ns.length < 8) out.push(...(await allNamespaces(catalog, ns).catch(() => [])));
  }
  return out;
}

async function allTables(catalog: Catalog): Promise<LoadedTable[]> {
  const out: LoadedTable[] = [];
  for (const ns of await allNamespaces(catalog)) {
    for (const id of await catalog.listTables(ns)) out.push(await catalog.loadTable(id));
  }
  return out;
}

const bytes = (n: string | undefined) => {
  if (n === undefined) return "-";
  const v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)\n";
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? ""
      : typeof v === "object"
        ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))
        : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(cols), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join("\n")}\n`;
}

export async function listTablesText(catalog: Catalog): Promise<string> {
  const rows = (await allTables(catalog)).map((t) => {
    const snap = t.metadata.snapshots.find((s) => s["snapshot-id"] === t.metadata["current-snapshot-id"]);
    return {
      table: formatIdentifier(t.identifier),
      snapshots: t.metadata.snapshots.length,
      records: snap?.summary["total-records"] ?? "-",
      files: snap?.summary["total-data-files"] ?? "-",
      size: bytes(snap?.summary["total-files-size"]),
      updated: new Date(t.metadata["last-updated-ms"]).toISOString(),
    };
  });
  return formatTable(rows);
}

function typeText(type: IcebergType, indent: string): string[] {
  if (isStructType(type)) {
    return type.fields.flatMap((f) => {
      const head = `${indent}${f.id.toString().padStart(4)}  ${f.name}${f.required ? " (required)" : ""}: `;
      return typeof f.type === "string" ||
        (!isStructType(f.type) && !isListType(f.type) && !isMapType(f.type))
        ? [`${head}${describeType(f.type)}`]
        : [
            `${head}${describeType(f.type)}`,
            ...(isStructType(f.type) ? typeText(f.type, `${indent}      `) : []),
          ];
    });
  }
  return [];
}

export async function describeTableText(catalog: Catalog, name: string): Promise<string> {
  const t = await catalog.loadTable(parseIdentifier(name));
  const md = t.metadata;
  const out: string[] = [];
  out.push(`table      ${formatIdentifier(t.identifier)}`);
  out.push(`location   ${md.location}`);
  out.push(`metadata   ${t.metadataLocation}`);
  out.push(`format     v${md["format-version"]}, uuid ${md["table-uuid"] ?? "-"}`);
  out.push("", "schema (field id, name, type):", ...typeText(currentSchema(md), "  "));
  const spec = defaultSpec(md);
  out.push(
    "",
    `partition spec ${spec["spec-id"]}: ${spec.fields.length === 0 ? "unpartitioned" : spec.fields.map((f) => `${f.transform}(${f["source-id"]}) as ${f.name}`).join(", ")}`,
  );
  const order = defaultSortOrder(md);
  out.push(
    `sort order ${order["order-id"]}: ${order.fields.length === 0 ? "unsorted" : order.fields.map((f) => `${f.transform}(${f["source-id"]}) ${f.direction}`).join(", ")}`,
  );
  const props = Object.entries(md.properties);
  if (props.length > 0) out.push("", "properties:", ...props.map(([k, v]) => `  ${k} = ${v}`));
  const history = ancestorsOf(md["current-snapshot-id"], md.snapshots);
  const head = history[0];
  // Some writers (DuckDB 1.4) leave the totals out of snapshot summaries, and later snapshots can only
  // carry them on when the parent has them: say so rather than print zeros.
  out.push(
    "",
    head !== undefined && head.summary["total-records"] === undefined
      ? "files, records, size: unknown (the current snapshot's summary has no totals)"
      : `files: ${head?.summary["total-data-files"] ?? 0} data, ${head?.summary["total-delete-files"] ?? 0} delete; records: ${head?.summary["total-records"] ?? 0}; size: ${bytes(head?.summary["total-files-size"])}`,
  );
  out.push("", `snapshots (${md.snapshots.length}, newest first):`);
  out.push(
    formatTable(
      history.slice(0, 10).map((s) => ({
        "snapshot id": s["snapshot-id"].toString(),
        time: new Date(s["timestamp-ms"]).toISOString(),
        operation: s.summary.operation,
        "added records": s.summary["added-records"] ?? "0",
        "added files": s.summary["added-data-files"] ?? "0",
      })),
    ).trimEnd(),
  );
  const offsets: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const s of history) {
    for (const [k, v] of Object.entries(s.summary)) {
      if (!k.startsWith(OFFSETS_PREFIX) || seen.has(k)) continue;
      seen.add(k);
      for (const [topic, parts] of parseOffsets(v)) {
        for (const [p, o] of parts)
          offsets.push({
            group: k.slice(OFFSETS_PREFIX.length),
            topic,
            partition: p,
            "next offset": o.toString(),
          });
      }
    }
  }
  out.push("", "committed offsets:", offsets.length === 0 ? "  (none)" : formatTable(offsets).trimEnd());
  return `${out.join("\n")}\n`;
}

/** Runs SQL in DuckDB with one view per catalog table (`"ns"."table"`). */
export async function queryText(
  catalog: Catalog,
  config: Config,
  sql: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const extDir = env.FLOE_DUCKDB_EXTENSION_DIR;
  const db = await DuckDBInstance.create(":memory:", extDir ? { autoinstall_known_extensions: "false" } : {});
  const conn = await db.connect();
  try {
    for (const ext of ["httpfs", "avro", "iceberg"]) {
      await conn
        .run(extDir ? `LOAD '${join(extDir, `${ext}.duckdb_extension`)}'` : `LOAD ${ext}`)
        .catch((e: unknown) => {
          throw new FloeError(
            "UNSUPPORTED",
            `DuckDB's ${ext} extension is not available (${(e as Error).message}); set FLOE_DUCKDB_EXTENSION_DIR (scripts/stack env prints it)`,
          );
        });
    }
    const s = config.warehouse.storage;
    if (config.warehouse.location.startsWith("s3://")) {
      const parts = [`TYPE s3`, `REGION '${s.region}'`];
      if (s.accessKeyId && s.secretAccessKey)
        parts.push(`KEY_ID '${s.accessKeyId}'`, `SECRET '${s.secretAccessKey}'`);
      if (s.endpoint) {
        const u = new URL(s.endpoint);
        parts.push(`ENDPOINT '${u.host}'`, `USE_SSL ${u.protocol === "https:"}`, "URL_STYLE 'path'");
      }
      await conn.run(`CREATE SECRET floe_s3 (${parts.join(", ")})`);
    }
    for (const t of await allTables(catalog)) {
      const schema = t.identifier.namespace.join(".");
      await conn.run(`CREATE SCHEMA IF NOT EXISTS "${schema.replace(/"/g, '""')}"`);
      await conn.run(
        `CREATE VIEW "${schema.replace(/"/g, '""')}"."${t.identifier.name.replace(/"/g, '""')}" AS SELECT * FROM iceberg_scan('${t.metadataLocation.replace(/'/g, "''")}')`,
      );
    }
    const reader = await conn.runAndReadAll(sql);
    return formatTable(reader.getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
