import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  normalizePath,
  orphanPrefixes,
  selectOldMetadataFiles,
  selectOrphans,
} from "../../src/compaction/index.js";
import type { FileInfo } from "../../src/iceberg/io/index.js";
import { makeSchema, newTableMetadata, type TableMetadata } from "../../src/iceberg/spec/index.js";

const NOW = 1_800_000_000_000;
const LOC = "s3://bucket/wh/db/t";
const info = (path: string, ageDays: number, size = 10): FileInfo => ({
  path,
  size,
  lastModifiedMs: NOW - ageDays * DAY_MS,
});

describe("orphan selection", () => {
  const cutoff = NOW - 3 * DAY_MS;
  const referenced = new Set(
    [
      `${LOC}/data/live.parquet`,
      `${LOC}/metadata/snap-1.avro`,
      `${LOC}/metadata/m1.avro`,
      `${LOC}/metadata/v7.metadata.json`,
    ].map(normalizePath),
  );

  it("never selects a referenced file or one younger than the grace period", () => {
    const listing = [
      info(`${LOC}/data/live.parquet`, 30),
      info(`${LOC}/metadata/snap-1.avro`, 30),
      info(`${LOC}/metadata/m1.avro`, 30),
      info(`${LOC}/data/old-orphan.parquet`, 4),
      info(`${LOC}/data/young-orphan.parquet`, 2.9),
      info(`${LOC}/data/exactly-at-cutoff.parquet`, 3),
      info(`${LOC}/metadata/abandoned-m0.avro`, 10),
    ];
    const sel = selectOrphans(listing, referenced, cutoff, 7);
    expect(sel.orphans.map((f) => f.path)).toEqual([
      `${LOC}/data/old-orphan.parquet`,
      `${LOC}/metadata/abandoned-m0.avro`,
    ]);
    expect(sel.referenced).toBe(3);
    expect(sel.tooYoung).toBe(2);
    expect(sel.listed).toBe(7);
  });

  it("matches paths spelled with another scheme or authority form", () => {
    const local = new Set([
      normalizePath("file:/tmp/wh/db/t/data/a.parquet"),
      normalizePath("s3a://b/k/x.parquet"),
    ]);
    const listing = [info("file:///tmp/wh/db/t/data/a.parquet", 9), info("s3://b/k/x.parquet", 9)];
    expect(selectOrphans(listing, local, cutoff, 1).orphans).toEqual([]);
    expect(normalizePath("/tmp/x")).toBe("file:///tmp/x");
    expect(normalizePath("file://localhost/tmp/x")).toBe("file:///tmp/x");
    expect(normalizePath("file:///tmp/x")).toBe("file:///tmp/x");
    expect(normalizePath("s3n://b/x")).toBe("s3://b/x");
    expect(normalizePath("gs://b/x")).toBe("gs://b/x");
  });

  it("deletes metadata files last, oldest first, never a newer one than current, never the version hint", () => {
    const listing = [
      info(`${LOC}/metadata/v3.metadata.json`, 9),
      info(`${LOC}/metadata/v1.metadata.json`, 9),
      info(`${LOC}/metadata/v2.metadata.json`, 9),
      info(`${LOC}/metadata/v8.metadata.json`, 9),
      info(`${LOC}/metadata/v7.metadata.json`, 9),
      info(`${LOC}/metadata/version-hint.text`, 9),
      info(`${LOC}/data/x.parquet`, 9),
    ];
    const sel = selectOrphans(listing, referenced, cutoff, 7);
    expect(sel.orphans.map((f) => f.path.slice(LOC.length))).toEqual([
      "/data/x.parquet",
      "/metadata/v1.metadata.json",
      "/metadata/v2.metadata.json",
      "/metadata/v3.metadata.json",
    ]);
    // An unknown current version: no metadata file is touched.
    expect(selectOrphans(listing, referenced, cutoff, -1).orphans.map((f) => f.path)).toEqual([
      `${LOC}/data/x.parquet`,
    ]);
  });

  it("lists data and metadata under the location only, never custom (possibly shared) write paths", () => {
    const md = metadata({ "write.data.path": "s3://other/data" });
    expect(orphanPrefixes(md)).toEqual([`${LOC}/data/`, `${LOC}/metadata/`]);
  });
});

function metadata(properties: Record<string, string> = {}, log: string[] = []): TableMetadata {
  const md = newTableMetadata({
    location: LOC,
    uuid: "9a3f5b8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    schema: makeSchema([{ id: 1, name: "id", required: true, type: "long" }]),
    properties,
    nowMs: NOW,
  });
  return {
    ...md,
    "metadata-log": log.map((f, i) => ({ "metadata-file": f, "timestamp-ms": NOW - 1000 + i })),
  };
}

describe("old metadata file selection", () => {
  const v = (n: number) => `${LOC}/metadata/v${n}.metadata.json`;
  const listing = Array.from({ length: 12 }, (_, i) => v(i + 1)).concat([
    `${LOC}/metadata/version-hint.text`,
    `${LOC}/metadata/m.avro`,
  ]);

  it("keeps the current file and the newest previous-versions-max log entries, deletes older ones oldest first", () => {
    const md = metadata({}, [v(6), v(7), v(8), v(9), v(10), v(11)]);
    expect(selectOldMetadataFiles(listing, md, v(12), 100)).toEqual([v(1), v(2), v(3), v(4), v(5)]);
    expect(selectOldMetadataFiles(listing, md, v(12), 2)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map(v));
    expect(selectOldMetadataFiles(listing, md, v(12), 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(v));
  });

  it("handles the 00003-uuid naming and never touches files newer than the current one", () => {
    const name = (n: number, id: string) =>
      `${LOC}/metadata/${String(n).padStart(5, "0")}-${id}.metadata.json`;
    const files = [name(1, "a"), name(2, "b"), name(2, "c"), name(3, "d"), name(4, "e"), name(5, "f")];
    const md = metadata({}, [name(3, "d")]);
    expect(selectOldMetadataFiles(files, md, name(4, "e"), 100)).toEqual([
      name(1, "a"),
      name(2, "b"),
      name(2, "c"),
    ]);
  });
});
