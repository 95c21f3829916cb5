import { describe, expect, it } from "vitest";
import { buildSummary } from "../../../src/iceberg/snapshot/index.js";
import type { DataFile } from "../../../src/iceberg/spec/index.js";

// Snapshot summary counts as Java's SnapshotSummary writes them, for row deltas and rewrites.
function file(
  content: 0 | 1 | 2,
  path: string,
  records: number,
  size: number,
  extra: Partial<DataFile> = {},
) {
  return {
    content,
    file_path: path,
    file_format: "PARQUET",
    partition: {},
    record_count: BigInt(records),
    file_size_in_bytes: BigInt(size),
    ...extra,
  } satisfies DataFile;
}

const dv = (path: string, offset: number, records: number) =>
  file(1, path, records, 5000, {
    file_format: "PUFFIN",
    referenced_data_file: `data-${offset}.parquet`,
    content_offset: BigInt(offset),
    content_size_in_bytes: 40n,
  });

describe("snapshot summary delete counts", () => {
  const parent = {
    operation: "overwrite",
    "total-data-files": "10",
    "total-delete-files": "4",
    "total-records": "1000",
    "total-files-size": "100000",
    "total-position-deletes": "30",
    "total-equality-deletes": "2",
  };

  it("counts a row delta's data, position and equality delete files", () => {
    const s = buildSummary(
      "overwrite",
      {
        addedFiles: [
          file(0, "d1", 100, 1000),
          file(1, "p1", 7, 300),
          file(1, "p2", 3, 200),
          file(2, "e1", 1, 50),
        ],
        removedFiles: [],
      },
      parent,
      false,
    );
    expect(s).toMatchObject({
      "added-data-files": "1",
      "added-records": "100",
      "added-delete-files": "3",
      "added-position-delete-files": "2",
      "added-equality-delete-files": "1",
      "added-position-deletes": "10",
      "added-equality-deletes": "1",
      "added-files-size": "1550",
      "total-data-files": "11",
      "total-delete-files": "7",
      "total-records": "1100",
      "total-position-deletes": "40",
      "total-equality-deletes": "3",
      "total-files-size": "101550",
    });
    expect(s["removed-delete-files"]).toBeUndefined();
    expect(s["added-dvs"]).toBeUndefined();
  });

  it("counts a rewrite that drops delete files", () => {
    const s = buildSummary(
      "replace",
      {
        addedFiles: [file(0, "new", 960, 9000)],
        removedFiles: [
          file(0, "old1", 500, 5000),
          file(0, "old2", 490, 4000),
          file(1, "p1", 28, 300),
          file(2, "e1", 2, 50),
        ],
      },
      parent,
      false,
    );
    expect(s).toMatchObject({
      operation: "replace",
      "added-data-files": "1",
      "deleted-data-files": "2",
      "deleted-records": "990",
      "removed-delete-files": "2",
      "removed-position-delete-files": "1",
      "removed-equality-delete-files": "1",
      "removed-position-deletes": "28",
      "removed-equality-deletes": "2",
      "total-data-files": "9",
      "total-delete-files": "2",
      "total-records": "970",
      "total-position-deletes": "2",
      "total-equality-deletes": "0",
    });
  });

  it("counts deletion vectors as dvs, their cardinality as position deletes and their blob as size", () => {
    const s = buildSummary(
      "overwrite",
      { addedFiles: [dv("a.puffin", 4, 3), dv("a.puffin", 44, 2)], removedFiles: [dv("old.puffin", 4, 5)] },
      parent,
      false,
    );
    expect(s).toMatchObject({
      "added-delete-files": "2",
      "added-dvs": "2",
      "added-position-deletes": "5",
      "added-files-size": "80",
      "removed-delete-files": "1",
      "removed-dvs": "1",
      "removed-position-deletes": "5",
      "removed-files-size": "40",
      "total-delete-files": "5",
      "total-position-deletes": "30",
    });
    expect(s["added-position-delete-files"]).toBeUndefined();
    expect(s["removed-position-delete-files"]).toBeUndefined();
  });

  it("starts totals at the first snapshot and leaves out totals the parent lacks", () => {
    const first = buildSummary(
      "append",
      { addedFiles: [file(0, "d", 5, 10)], removedFiles: [] },
      undefined,
      true,
    );
    expect(first).toMatchObject({
      "total-delete-files": "0",
      "total-position-deletes": "0",
      "total-records": "5",
    });
    const partial = buildSummary(
      "overwrite",
      { addedFiles: [file(1, "p", 1, 10)], removedFiles: [] },
      { operation: "append", "total-records": "5" },
      false,
    );
    expect(partial["total-records"]).toBe("5");
    expect(partial["total-delete-files"]).toBeUndefined();
  });
});
