import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  LocalFileIO,
  listAll,
  MemoryFileIO,
  RoutingFileIO,
  resolveFileIO,
  S3FileIO,
  storageKindOf,
} from "../../../src/iceberg/io/index.js";
import { bytesOf, expectFloeError } from "./contract.js";

describe("storageKindOf / resolveFileIO", () => {
  it("picks the implementation by scheme", () => {
    expect(storageKindOf("s3://b/k")).toBe("s3");
    expect(storageKindOf("s3a://b/k")).toBe("s3");
    expect(storageKindOf("file:///tmp/w")).toBe("local");
    expect(storageKindOf("/tmp/w")).toBe("local");
    expect(storageKindOf("memory://w")).toBe("memory");
    expect(resolveFileIO("file:///tmp/w")).toBeInstanceOf(LocalFileIO);
    expect(resolveFileIO("memory://w")).toBeInstanceOf(MemoryFileIO);
    const s3 = resolveFileIO("s3://b/w", { s3: { region: "us-east-1" } });
    expect(s3).toBeInstanceOf(S3FileIO);
    (s3 as S3FileIO).close();
  });

  it("rejects unknown schemes with INVALID_ARGUMENT", () => {
    expect(() => resolveFileIO("gs://bucket/w")).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => storageKindOf("abfss://c@acct.dfs.core.windows.net/w")).toThrow(
      /no FileIO for scheme 'abfss'/,
    );
  });

  it("hands out the shared memory store", () => {
    const memory = new MemoryFileIO();
    expect(resolveFileIO("memory://x", { memory })).toBe(memory);
  });
});

describe("RoutingFileIO", () => {
  it("routes each call by the path's scheme and reuses implementations", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-route-"));
    try {
      const memory = new MemoryFileIO();
      const io = new RoutingFileIO({ memory });
      await io.write("memory://w/a", bytesOf("mem"));
      await io.write(`file://${dir}/a`, bytesOf("disk"));
      expect(memory.paths()).toEqual(["memory://w/a"]);
      expect(new TextDecoder().decode(await io.read(`file://${dir}/a`))).toBe("disk");
      expect(new TextDecoder().decode(await io.readRange("memory://w/a", 1, 5))).toBe("em");
      expect(io.forPath(`file://${dir}/x`)).toBe(io.forPath("/other"));
      await io.deleteMany(["memory://w/a", `file://${dir}/a`]);
      expect(await listAll(io, "memory://w/")).toEqual([]);
      expect(await io.exists(`file://${dir}/a`)).toBe(false);
      await expectFloeError(io.stat("memory://w/a"), "NOT_FOUND");
      await expect(io.write("ftp://x/y", bytesOf("no"))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
