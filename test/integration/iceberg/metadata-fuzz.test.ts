import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TableIdentifier } from "../../../src/catalog/index.js";
import { isFloeError } from "../../../src/errors.js";
import { encodeManifestList } from "../../../src/iceberg/avro/index.js";
import type { TableUpdate } from "../../../src/iceberg/spec/index.js";
import { randomUpdates, seeded, startTable } from "../../iceberg/spec/update-fuzz.js";
import { openDuckDB, query } from "../../support/duckdb.js";
import { runPython } from "../../support/python.js";
import { freshWarehouse } from "../../support/warehouse.js";

// Issue 13, finding 5: random update sequences committed through the embedded catalog never produce
// metadata that PyIceberg or DuckDB refuse to load. A handful of tables, each with ~40 random update
// batches (the catalog refuses the invalid ones); a few metadata versions of each are loaded by both
// readers: every schema, the default spec and sort order, and a scan of the current snapshot (whose
// manifest list is an empty one written here).

const SEEDS = [7, 21, 42, 1234];
const STEPS = 40;

describe("metadata fuzz: accepted random updates load in PyIceberg and DuckDB", () => {
  it("loads every sampled metadata version", async () => {
    const wh = await freshWarehouse("local");
    await wh.catalog.createNamespace(["fuzz"]);
    const start = startTable();
    const sampled: string[] = [];
    let accepted = 0;
    let refused = 0;
    for (const seed of SEEDS) {
      const id: TableIdentifier = { namespace: ["fuzz"], name: `t${seed}` };
      let table = await wh.catalog.createTable(["fuzz"], {
        name: id.name,
        schema: start.schemas[0] ?? expect.unreachable(),
      });
      const r = seeded(seed);
      for (let step = 1; step <= STEPS; step++) {
        const md = table.metadata;
        const updates: TableUpdate[] = randomUpdates(r, md, step);
        for (const u of updates) {
          if (u.action !== "add-snapshot" || u.snapshot["manifest-list"] === undefined) continue;
          const bytes = encodeManifestList({
            manifests: [],
            snapshotId: u.snapshot["snapshot-id"],
            parentSnapshotId: u.snapshot["parent-snapshot-id"] ?? null,
            sequenceNumber: u.snapshot["sequence-number"],
            formatVersion: 2,
          });
          await wh.io.write(u.snapshot["manifest-list"], bytes);
        }
        try {
          table = await wh.catalog.commitTable(id, [], updates);
          accepted++;
        } catch (e) {
          if (!isFloeError(e) || !["INVALID_ARGUMENT", "COMMIT_CONFLICT"].includes(e.code)) throw e;
          refused++;
        }
        if (step % 20 === 0 || step === STEPS) sampled.push(table.metadataLocation);
      }
    }
    expect(accepted).toBeGreaterThan(SEEDS.length * 10);
    expect(refused).toBeGreaterThan(0);
    const unique = [...new Set(sampled)];

    const py = await runPython<{ location: string; ok: boolean; error?: string }[]>(
      "load_metadata.py",
      unique,
    );
    expect(py.filter((x) => !x.ok)).toEqual([]);
    expect(py).toHaveLength(unique.length);

    const duck = await openDuckDB();
    try {
      const failures: string[] = [];
      for (const location of unique) {
        try {
          const path = fileURLToPath(location);
          const rows = await query(duck.conn, `SELECT count(*) AS n FROM iceberg_scan('${path}')`);
          expect(rows[0]?.n).toBe(0n);
          await query(duck.conn, `DESCRIBE SELECT * FROM iceberg_scan('${path}')`);
          await query(duck.conn, `SELECT count(*) FROM iceberg_snapshots('${path}')`);
        } catch (e) {
          failures.push(`${location}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      duck.close();
    }
  }, 120_000);
});
