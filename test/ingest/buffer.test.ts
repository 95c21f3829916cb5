import { describe, expect, it } from "vitest";
import { TableBuffer } from "../../src/ingest/buffer.js";
import { buildRoutes } from "../../src/ingest/route.js";

describe("table buffer", () => {
  it("drops a revoked partition's records and ranges in place, even for 300k records", () => {
    const [route] = buildRoutes([
      {
        topics: ["t"],
        table: "db.t",
        format: "json",
        partitionBy: [],
        metadataColumns: true,
        onError: "dlq",
        evolve: true,
        properties: {},
      },
    ]);
    if (!route) throw new Error("no route");
    const buf = new TableBuffer({ namespace: ["db"], name: "t" }, route);
    for (let i = 0; i < 300_000; i++) {
      buf.add({
        row: {},
        schema: { type: "struct", fields: [] },
        meta: { topic: "t", partition: i % 2, offset: BigInt(i), timestampMs: 0n, key: null, headers: [] },
        value: null,
        bytes: 10,
      });
    }
    buf.dropPartitions((_t, p) => p === 0);
    expect(buf.records).toHaveLength(150_000);
    expect(buf.records.every((r) => r.meta.partition === 0)).toBe(true);
    expect(buf.bytes).toBe(1_500_000);
    expect([...buf.ranges.keys()]).toEqual(["t\u00000"]);
  });
});
