import { describe, expect, it } from "vitest";
import {
  fileOwnership,
  isOwnedFile,
  locationProblem,
  locationWithin,
  splitOwned,
} from "../../src/catalog/ownership.js";

const S3 = "s3://b/t";

describe("file ownership", () => {
  it("owns data files at any depth and flat metadata files", () => {
    expect(isOwnedFile(S3, "s3://b/t/data/x.parquet")).toBe(true);
    expect(isOwnedFile(S3, "s3://b/t/data/day=2024-01-01/bucket=3/x.parquet")).toBe(true);
    expect(isOwnedFile(S3, "s3://b/t/metadata/snap-1.avro")).toBe(true);
    expect(isOwnedFile(S3, "s3://b/t/metadata/v3.metadata.json")).toBe(true);
    expect(isOwnedFile(S3, "s3a://b/t/metadata/m0.avro")).toBe(true);
    expect(isOwnedFile("s3n://b/t", "s3://b/t/data/x.parquet")).toBe(true);
  });

  it("compares by segment, not by string prefix", () => {
    expect(fileOwnership(S3, "s3://b/t2/data/x.parquet")).toEqual({
      owned: false,
      reason: "not under the table location s3://b/t",
    });
    expect(isOwnedFile(S3, "s3://b/tdata/x.parquet")).toBe(false);
    expect(isOwnedFile(S3, "s3://b2/t/data/x.parquet")).toBe(false);
    expect(isOwnedFile(S3, "gs://b/t/data/x.parquet")).toBe(false);
    expect(isOwnedFile(S3, "s3://b/t")).toBe(false);
    expect(isOwnedFile(S3, "s3://b/t/")).toBe(false);
  });

  it("ignores trailing slashes on the location", () => {
    expect(isOwnedFile("s3://b/t/", "s3://b/t/data/x.parquet")).toBe(true);
    expect(isOwnedFile("s3://b/t///", "s3://b/t/metadata/v1.metadata.json")).toBe(true);
    expect(isOwnedFile("file:///w/t/", "/w/t/data/x.parquet")).toBe(true);
  });

  it("refuses dot segments, raw or percent-encoded, and hidden separators", () => {
    expect(fileOwnership(S3, "s3://b/t/data/../../t2/data/x.parquet")).toMatchObject({
      owned: false,
      reason: expect.stringContaining("'..'"),
    });
    expect(isOwnedFile(S3, "s3://b/t/data/./x.parquet")).toBe(false);
    expect(fileOwnership(S3, "s3://b/t/data/%2e%2e/%2E%2E/t2/x.parquet")).toMatchObject({
      owned: false,
      reason: expect.stringContaining("percent-encoded"),
    });
    expect(isOwnedFile(S3, "s3://b/t/data/a%2F..%2F..%2Fx.parquet")).toBe(false);
    expect(isOwnedFile(S3, "s3://b/t/data/a%5Cx.parquet")).toBe(false);
    expect(isOwnedFile(S3, "s3://b/t/data/a\\..\\x.parquet")).toBe(false);
    expect(isOwnedFile(S3, "s3://b/t/data/a\u0000.parquet")).toBe(false);
    // Percent signs that hide nothing are ordinary characters.
    expect(isOwnedFile(S3, "s3://b/t/data/k=100%25/x.parquet")).toBe(true);
    expect(isOwnedFile(S3, "s3://b/t/data/k=50%/x.parquet")).toBe(true);
    // A location with dot segments owns nothing.
    expect(isOwnedFile("s3://b/t/../u", "s3://b/t/../u/data/x.parquet")).toBe(false);
  });

  it("reads file:// URIs and plain absolute paths as the same place", () => {
    for (const loc of ["file:///w/db/t", "file:/w/db/t", "file://localhost/w/db/t", "/w/db/t"]) {
      for (const p of [
        "file:///w/db/t/data/x.parquet",
        "file:/w/db/t/data/x.parquet",
        "file://localhost/w/db/t/data/x.parquet",
        "/w/db/t/data/x.parquet",
      ]) {
        expect(isOwnedFile(loc, p), `${loc} ${p}`).toBe(true);
      }
    }
    expect(fileOwnership("file:///w/db/t", "file:///elsewhere/x.puffin")).toMatchObject({ owned: false });
    expect(fileOwnership("file:///w/db/t", "file://otherhost/w/db/t/data/x.parquet")).toEqual({
      owned: false,
      reason: "a file URI with a remote host",
    });
    expect(fileOwnership("file:///w/db/t", "w/db/t/data/x.parquet")).toEqual({
      owned: false,
      reason: "a relative path",
    });
    expect(isOwnedFile("file:///w/db/t", "s3://w/db/t/data/x.parquet")).toBe(false);
  });

  it("keeps what another table or namespace nested in the location owns", () => {
    // Table db.events.inner and namespace db.events.data of an old embedded warehouse.
    const loc = "file:///w/db/events";
    expect(isOwnedFile(loc, "file:///w/db/events/inner/metadata/snap-1.avro")).toBe(false);
    expect(isOwnedFile(loc, "file:///w/db/events/inner/data/x.parquet")).toBe(false);
    expect(fileOwnership(loc, "file:///w/db/events/data/.floe-namespace.json")).toEqual({
      owned: false,
      reason: "a namespace marker",
    });
    expect(isOwnedFile(loc, "file:///w/db/events/.floe-namespace.json")).toBe(false);
    // Tables named `metadata` and `data` nested in db.events.
    expect(isOwnedFile(loc, "file:///w/db/events/metadata/metadata/v1.metadata.json")).toBe(false);
    expect(isOwnedFile(loc, "file:///w/db/events/metadata/v2.metadata.json/metadata/v1.metadata.json")).toBe(
      false,
    );
    expect(isOwnedFile(loc, "file:///w/db/events/data/metadata/snap-1.avro")).toBe(false);
    expect(isOwnedFile(loc, "file:///w/db/events/data/data/x.parquet")).toBe(false);
    expect(isOwnedFile(loc, "file:///w/db/events/x.parquet")).toBe(false);
  });

  it("owns flat files in the current metadata file's directory", () => {
    const t = { location: "s3://b/custom/t", metadataLocation: "s3://b/wh/db/t/metadata/v3.metadata.json" };
    expect(isOwnedFile(t, "s3://b/wh/db/t/metadata/v1.metadata.json")).toBe(true);
    expect(isOwnedFile(t, "s3://b/wh/db/t/metadata/x/v1.metadata.json")).toBe(false);
    expect(isOwnedFile(t, "s3://b/custom/t/data/x.parquet")).toBe(true);
    expect(isOwnedFile(t, "s3://b/wh/db/u/metadata/v1.metadata.json")).toBe(false);
  });

  it("splits a list into own and foreign files with reasons", () => {
    const { owned, foreign } = splitOwned(S3, ["s3://b/t/data/a.parquet", "s3://b/u/data/b.parquet"]);
    expect(owned).toEqual(["s3://b/t/data/a.parquet"]);
    expect(foreign).toEqual([
      { path: "s3://b/u/data/b.parquet", reason: "not under the table location s3://b/t" },
    ]);
  });

  it("compares locations segment-wise", () => {
    expect(locationWithin("s3://b/wh", "s3://b/wh/db/t")).toBe(true);
    expect(locationWithin("s3://b/wh/", "s3a://b/wh")).toBe(true);
    expect(locationWithin("s3://b/wh", "s3://b/wh2/t")).toBe(false);
    expect(locationWithin("file:///w", "/w/x")).toBe(true);
    expect(locationWithin("memory://wh", "memory://wh/other")).toBe(true);
    expect(locationWithin("s3://b/", "s3://b/t")).toBe(true);
    expect(isOwnedFile("s3://b", "s3://b/data/x.parquet")).toBe(true);
    expect(isOwnedFile("s3://b", "s3://c/data/x.parquet")).toBe(false);
    expect(locationProblem("s3://b/wh/../x")).toContain("'..'");
    expect(locationProblem("wh/x")).toBe("a relative path");
    expect(locationProblem("s3://b/wh/x")).toBeUndefined();
  });
});
