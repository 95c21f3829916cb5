/**
 * `floe tables`, `floe describe ns.t` and `floe query "SQL"`: look at what the catalog holds. Query runs
 * DuckDB over the catalog's tables it names (one view per table on its current metadata file).
 */
import { join } from "node:path";
import type { DuckDBConnection, DuckDBResultReader } from "@duckdb/node-api";
import {
  type Catalog,
  formatIdentifier,
  type LoadedTable,
  type Namespace,
  parseIdentifier,
  type TableIdentifier,
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

/** A table reference in a query's parse tree (DuckDB's `json_serialize_sql`). */
interface TableRef {
  catalog: string;
  schema: string;
  name: string;
}

/** Catalog listings: SHOW [ALL] TABLES, information_schema / pg_catalog, duckdb_tables() and friends. */
function listsCatalog(o: Record<string, unknown>): boolean {
  if (o.type === "SHOW_REF") return o.query === null;
  if (o.type === "BASE_TABLE") return ["information_schema", "pg_catalog"].includes(String(o.schema_name));
  if (o.type === "TABLE_FUNCTION") {
    const fn = o.function as { function_name?: unknown } | undefined;
    return String(fn?.function_name ?? "").startsWith("duckdb_");
  }
  return false;
}

/**
 * The tables a query names; undefined when it needs them all (a statement DuckDB cannot serialize to
 * a parse tree, or one that lists the catalog, like SHOW ALL TABLES).
 */
async function referencedTables(conn: DuckDBConnection, sql: string): Promise<TableRef[] | undefined> {
  const reader = await conn.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR) AS tree", [sql]);
  const tree = JSON.parse(String(reader.getRowObjectsJS()[0]?.tree ?? "{}")) as { error?: boolean };
  if (tree.error !== false) return undefined;
  const refs: TableRef[] = [];
  let all = false;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (listsCatalog(o)) all = true;
      if (o.type === "BASE_TABLE" && typeof o.table_name === "string") {
        refs.push({
          catalog: String(o.catalog_name ?? ""),
          schema: String(o.schema_name ?? ""),
          name: o.table_name,
        });
      }
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(tree);
  return all ? undefined : refs;
}

async function allIdentifiers(catalog: Catalog): Promise<TableIdentifier[]> {
  const out: TableIdentifier[] = [];
  for (const ns of await allNamespaces(catalog)) out.push(...(await catalog.listTables(ns)));
  return out;
}

const quoteIdent = (text: string) => `"${text.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;
const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs SQL in DuckDB over the catalog's tables, each a view `"ns"."table"`. Views are made only for the
 * tables the query names (so one table DuckDB cannot read fails only the queries that name it, with its
 * name in the error); for statements DuckDB cannot parse into a tree (PRAGMA, EXPLAIN, ...) and for
 * catalog listings (SHOW ALL TABLES, information_schema) every table gets a view and the ones that
 * fail are skipped and reported through `warn`.
 */
export async function queryText(
  catalog: Catalog,
  config: Config,
  sql: string,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void = () => {},
): Promise<string> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const extDir = env.FLOE_DUCKDB_EXTENSION_DIR;
  const db = await DuckDBInstance.create(":memory:", extDir ? { autoinstall_known_extensions: "false" } : {});
  const conn = await db.connect();
  try {
    for (const ext of ["httpfs", "avro", "iceberg"]) {
      await conn
        .run(extDir ? `LOAD ${quoteText(join(extDir, `${ext}.duckdb_extension`))}` : `LOAD ${ext}`)
        .catch((e: unknown) => {
          throw new FloeError(
            "UNSUPPORTED",
            `DuckDB's ${ext} extension is not available (${messageOf(e)}); set FLOE_DUCKDB_EXTENSION_DIR (scripts/stack env prints it)`,
          );
        });
    }
    const s = config.warehouse.storage;
    if (config.warehouse.location.startsWith("s3://")) {
      const parts = [`TYPE s3`, `REGION ${quoteText(s.region)}`];
      if (s.accessKeyId && s.secretAccessKey)
        parts.push(`KEY_ID ${quoteText(s.accessKeyId)}`, `SECRET ${quoteText(s.secretAccessKey)}`);
      if (s.endpoint) {
        const u = new URL(s.endpoint);
        parts.push(`ENDPOINT ${quoteText(u.host)}`, `USE_SSL ${u.protocol === "https:"}`, "URL_STYLE 'path'");
      }
      await conn.run(`CREATE SECRET floe_s3 (${parts.join(", ")})`).catch((e: unknown) => {
        // DuckDB may echo the statement, secret included: keep its message out.
        throw new FloeError("CONFIG_INVALID", "DuckDB refused the warehouse's S3 settings", { cause: e });
      });
    }
    const ids = await allIdentifiers(catalog);
    const refs = await referencedTables(conn, sql);
    const named =
      refs === undefined
        ? ids
        : ids.filter((id) => {
            const schema = id.namespace.join(".").toLowerCase();
            const name = id.name.toLowerCase();
            return refs.some(
              (r) =>
                (r.catalog === "" || r.catalog.toLowerCase() === "memory") &&
                r.schema.toLowerCase() === schema &&
                r.name.toLowerCase() === name,
            );
          });
    const views: LoadedTable[] = [];
    for (const id of named) {
      try {
        const t = await catalog.loadTable(id);
        const schema = quoteIdent(id.namespace.join("."));
        await conn.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await conn.run(
          `CREATE VIEW ${schema}.${quoteIdent(id.name)} AS SELECT * FROM iceberg_scan(${quoteText(t.metadataLocation)})`,
        );
        views.push(t);
      } catch (e) {
        // DuckDB's first line says what failed; the rest quotes our CREATE VIEW statement.
        const message = `table ${formatIdentifier(id)} cannot be read: ${messageOf(e).split("\n")[0]}`;
        if (refs !== undefined) {
          throw new FloeError("IO_ERROR", message, { cause: e, context: { table: formatIdentifier(id) } });
        }
        warn(`skipped ${message}`);
      }
    }
    let reader: DuckDBResultReader;
    try {
      reader = await conn.runAndReadAll(sql);
    } catch (e) {
      const message = messageOf(e);
      const culprit = views.find((t) => message.includes(t.metadata.location));
      if (culprit !== undefined) {
        const table = formatIdentifier(culprit.identifier);
        throw new FloeError("IO_ERROR", `table ${table} cannot be read: ${message}`, {
          cause: e,
          context: { table },
        });
      }
      throw new FloeError("INVALID_ARGUMENT", `query failed: ${message}`, { cause: e });
    }
    return formatTable(reader.getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
