import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestCatalog } from "../../../src/catalog/index.js";
import { main } from "../../../src/cli.js";
import { PythonSession } from "../../support/python-session.js";
import { stackEnv, uniqueName } from "../../support/stack.js";

// Tables PyIceberg, pyarrow (through PyIceberg's add_files), DuckDB 1.4.4 and Spark 4.0 wrote through
// the stack's Iceberg REST reference server are compacted by `floe compact`, and DuckDB, PyIceberg
// and Spark read the same rows before and after. One Python process (one Spark session) serves the
// whole file: test/support/py/foreign_tables.py.

type Rows = Record<string, unknown>[] | { error: string };
type Read = { tables: Record<string, Record<"pyiceberg" | "duckdb" | "spark", Rows>> };
type Physical = { tables: Record<string, Record<string, string[]>> };

const READERS = ["pyiceberg", "duckdb", "spark"] as const;
const ROWS: Record<string, number> = {
  py_events: 24, // PyIceberg: 3 appends, partitioned by region and day(ts); nested, decimals, binary
  pa_added: 10, // pyarrow files (dictionary, large types, ms timestamps, int16, no field ids) via add_files
  duck_events: 30, // DuckDB: 3 INSERTs
  spark_events: 27, // Spark: 3 INSERTs, partitioned, then a merge-on-read DELETE of 3 rows
  spark_v1: 10, // Spark: format v1, partitioned, 2 INSERTs
  spark_migrated: 12, // plain Spark Parquet (INT96, no field ids) registered with a name mapping
};
const TABLES = Object.keys(ROWS);

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const env = { FLOE_DUCKDB_EXTENSION_DIR: stackEnv().FLOE_DUCKDB_EXTENSION_DIR };
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

describe("tables other engines wrote", () => {
  const ns = uniqueName("foreign");
  let py: PythonSession;
  let written: { duckdb: { insert_into_partitioned: string } };
  let physical: Physical;
  let before: Read;
  let after: Read;
  let config: string;
  const compacted: Record<string, Awaited<ReturnType<typeof cli>>> = {};
  const snapshotsBefore: Record<string, number> = {};
  let catalog: RestCatalog;

  beforeAll(async () => {
    const env = stackEnv();
    catalog = new RestCatalog({ uri: env.FLOE_REST_URI });
    py = new PythonSession("foreign_tables.py");
    written = await py.request({ cmd: "write", namespace: ns });
    physical = await py.request({ cmd: "physical", namespace: ns, tables: TABLES });
    before = await py.request({ cmd: "read", namespace: ns, tables: TABLES });
    const dir = await mkdtemp(join(tmpdir(), "floe-foreign-"));
    config = join(dir, "floe.yaml");
    await writeFile(
      config,
      [
        "warehouse:",
        `  location: ${env.FLOE_REST_WAREHOUSE}`,
        "  storage:",
        `    region: ${env.FLOE_S3_REGION}`,
        `    endpoint: ${env.FLOE_S3_ENDPOINT}`,
        `    accessKeyId: ${env.FLOE_S3_ACCESS_KEY_ID}`,
        `    secretAccessKey: ${env.FLOE_S3_SECRET_ACCESS_KEY}`,
        "catalog:",
        "  type: rest",
        `  uri: ${env.FLOE_REST_URI}`,
        "",
      ].join("\n"),
    );
    for (const t of TABLES) {
      snapshotsBefore[t] = (await catalog.loadTable({ namespace: [ns], name: t })).metadata.snapshots.length;
      compacted[t] = await cli("compact", "--config", config, "--table", `${ns}.${t}`);
    }
    after = await py.request({ cmd: "read", namespace: ns, tables: TABLES });
  }, 900_000);
  afterAll(async () => {
    await py?.close();
  });

  it("the engines wrote the physical variants this is about", () => {
    const p = physical.tables;
    // PyIceberg: large_string / large_binary / large_list in the Arrow schema; decimals by precision
    // as INT32, INT64 and minimal FIXED_LEN_BYTE_ARRAY.
    expect(p.py_events?.region).toEqual(["BYTE_ARRAY String / arrow large_string"]);
    expect(p.py_events?.payload).toEqual(["BYTE_ARRAY / arrow large_binary"]);
    expect(p.py_events?.["tags.list.element"]?.[0]).toMatch(/arrow large_list<element: large_string>/);
    expect(p.py_events?.amount?.[0]).toMatch(/^INT32 Decimal\(precision=9, scale=2\)/);
    expect(p.py_events?.amount18?.[0]).toMatch(/^INT64 Decimal\(precision=18, scale=3\)/);
    expect(p.py_events?.big?.[0]).toMatch(/^FIXED_LEN_BYTE_ARRAY Decimal\(precision=30, scale=5\)\(13\)/);
    // pyarrow: dictionary-encoded strings, millisecond timestamps, int16, no field ids.
    expect(p.pa_added?.cat?.[0]).toMatch(/arrow dictionary<values=string, indices=int32/);
    expect(p.pa_added?.ts?.[0]).toMatch(/timeUnit=milliseconds.*arrow timestamp\[ms, tz=UTC\]/);
    expect(p.pa_added?.small?.[0]).toMatch(/INT32 Int\(bitWidth=16.*arrow int16/);
    expect(p.pa_added?.["(field ids)"]).toEqual(["none"]);
    // DuckDB: decimal(30,5) as a 16-byte FIXED_LEN_BYTE_ARRAY, no Arrow schema.
    expect(p.duck_events?.big).toEqual(["FIXED_LEN_BYTE_ARRAY Decimal(precision=30, scale=5)(16)"]);
    // Spark's Iceberg writer: INT64 microseconds even with outputTimestampType=INT96.
    expect(p.spark_v1?.ts?.[0]).toMatch(/^INT64 Timestamp\(isAdjustedToUTC=true, timeUnit=microseconds/);
    // Plain Spark Parquet of a migrated table: INT96, INT(8)/INT(16), no field ids.
    expect(p.spark_migrated?.ts).toEqual(["INT96"]);
    expect(p.spark_migrated?.tiny?.[0]).toMatch(/^INT32 Int\(bitWidth=8/);
    expect(p.spark_migrated?.["(field ids)"]).toEqual(["none"]);
  });

  it("DuckDB 1.4.4 creates and fills a table through the REST catalog, but cannot insert into a partitioned one", () => {
    const duck = before.tables.duck_events?.duckdb;
    expect(Array.isArray(duck) ? duck.length : duck).toBe(30);
    expect(written.duckdb.insert_into_partitioned).toMatch(
      /INSERT into a partitioned table is not supported/,
    );
  });

  it("before compaction the readers agree, but for Spark on pyarrow's millisecond timestamps", () => {
    for (const t of TABLES) {
      const truth = before.tables[t]?.pyiceberg;
      expect({ t, rows: Array.isArray(truth) ? truth.length : truth }).toEqual({ t, rows: ROWS[t] });
      expect({ t, r: "duckdb", rows: before.tables[t]?.duckdb }).toEqual({ t, r: "duckdb", rows: truth });
      if (t === "pa_added") continue;
      expect({ t, r: "spark", rows: before.tables[t]?.spark }).toEqual({ t, r: "spark", rows: truth });
    }
    // Iceberg 1.10's vectorized Spark reader takes dictionary-encoded TIMESTAMP(MILLIS) values for
    // microseconds (apache/iceberg#17135): Spark reads pyarrow's file 1000 times too early. Every other
    // column it reads right.
    const truth = before.tables.pa_added?.pyiceberg as Record<string, unknown>[];
    const spark = before.tables.pa_added?.spark as Record<string, unknown>[];
    expect(spark.map((r) => ({ ...r, ts: String(BigInt(r.ts as string) * 1000n) }))).toEqual(truth);
  });

  it("floe compact rewrites each table into fewer files with a replace snapshot", async () => {
    for (const t of TABLES) {
      const c = compacted[t];
      expect({ t, code: c?.code, out: c?.out }).toMatchObject({ t, code: 0 });
      const m = c?.out.match(/: ok, files (\d+) -> (\d+)/);
      expect({ t, match: m !== null && m !== undefined }).toEqual({ t, match: true });
      expect(Number(m?.[2])).toBeLessThan(Number(m?.[1]));
      const md = (await catalog.loadTable({ namespace: [ns], name: t })).metadata;
      expect(md.snapshots.length).toBeGreaterThan(snapshotsBefore[t] ?? 0);
      const head = md.snapshots.find((s) => s["snapshot-id"] === md["current-snapshot-id"]);
      expect(head?.summary.operation).toBe("replace");
      expect(head?.summary["total-records"]).toBe(t === "duck_events" ? undefined : String(ROWS[t]));
      if (t === "spark_v1") expect(md["format-version"]).toBe(1);
    }
  });

  it("after compaction DuckDB, PyIceberg and Spark read the rows and values that were there before", () => {
    for (const t of TABLES) {
      const truth = before.tables[t]?.pyiceberg;
      for (const r of READERS) {
        expect({ t, r, rows: after.tables[t]?.[r] }).toEqual({ t, r, rows: truth });
      }
    }
  });

  it("floe describe and floe query read the compacted tables", async () => {
    for (const t of TABLES) {
      const d = await cli("describe", `${ns}.${t}`, "--config", config);
      expect(d.code).toBe(0);
      // DuckDB writes snapshot summaries without totals, so the replace snapshot has none either.
      expect(d.out).toContain(
        t === "duck_events"
          ? "records, size: unknown (the current snapshot's summary has no totals)"
          : `records: ${ROWS[t]}`,
      );
      const q = await cli("query", `SELECT count(*) AS n FROM "${ns}"."${t}"`, "--config", config);
      expect({ t, code: q.code, err: q.err.slice(0, 300) }).toEqual({ t, code: 0, err: "" });
      expect(q.out).toMatch(new RegExp(`\\b${ROWS[t]}\\b`));
    }
  });
});
