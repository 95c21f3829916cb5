import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { LocalFileIO, listAll, localPathOf } from "../../../src/iceberg/io/index.js";
import type { LogFields } from "../../../src/log.js";
import { silentLogger } from "../../../src/log.js";
import { bytesOf, expectFloeError, fileIOContract, patternBytes } from "./contract.js";

const roots: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), "floe-local-io-"));
  roots.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of roots) await fsp.rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Every entry under `dir`, recursively, relative to it. */
async function tree(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

fileIOContract("LocalFileIO", async () => ({ io: new LocalFileIO(), base: `file://${await freshDir()}/` }), {
  raceRounds: 20,
});
fileIOContract("LocalFileIO without fsync", async () => ({
  io: new LocalFileIO({ fsync: false }),
  base: `${await freshDir()}/`,
}));

describe("localPathOf", () => {
  it("accepts file:///, file:/, file://localhost/ and bare absolute paths literally", () => {
    expect(localPathOf("file:///tmp/w/a b%20c")).toBe("/tmp/w/a b%20c");
    expect(localPathOf("file:/tmp/w/x")).toBe("/tmp/w/x");
    expect(localPathOf("file://localhost/tmp/w/x")).toBe("/tmp/w/x");
    expect(localPathOf("/tmp/w/x")).toBe("/tmp/w/x");
  });

  it("rejects relative paths, remote hosts, dot segments and other schemes", () => {
    for (const bad of [
      "file://host/tmp/x",
      "tmp/x",
      "file:tmp/x",
      "/tmp/../etc/passwd",
      "/tmp/./x",
      "s3://b/k",
    ]) {
      expect(() => localPathOf(bad), bad).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});

describe("LocalFileIO", () => {
  it("creates parent directories and leaves no temp files behind, even after a race", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    await io.write(`file://${dir}/a/b/c/file.txt`, bytesOf("deep"));
    await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        io.write(`file://${dir}/a/race`, bytesOf(`w${i}`), { ifNoneMatch: true }),
      ),
    );
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => io.write(`file://${dir}/a/plain`, bytesOf(`p${i}`))),
    );
    expect(await tree(dir)).toEqual(["a/b/c/file.txt", "a/plain", "a/race"]);
    expect(new TextDecoder().decode(await io.read(`file://${dir}/a/plain`))).toMatch(/^p[0-7]$/);
  });

  it("does not list temp files a crashed writer left behind", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    await io.write(`file://${dir}/t/real.parquet`, bytesOf("x"));
    await fsp.writeFile(join(dir, "t", ".real2.parquet.0123abcd.floe-tmp"), "partial");
    await fsp.writeFile(join(dir, "t", ".hidden-but-real"), "y");
    const listed = (await listAll(io, `file://${dir}/t/`)).map((f) =>
      f.path.slice(`file://${dir}/t/`.length),
    );
    expect(listed.sort()).toEqual([".hidden-but-real", "real.parquet"]);
  });

  it("lists in the spelling of the prefix", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    await io.write(`file://${dir}/s/x.avro`, bytesOf("x"));
    expect((await listAll(io, `file:${dir}/s/`)).map((f) => f.path)).toEqual([`file:${dir}/s/x.avro`]);
    expect((await listAll(io, `${dir}/s/`)).map((f) => f.path)).toEqual([`${dir}/s/x.avro`]);
    expect((await listAll(io, `file://localhost${dir}/s/`)).map((f) => f.path)).toEqual([
      `file://localhost${dir}/s/x.avro`,
    ]);
  });

  it("treats a directory as no file, and a file in the way of a write as an IO error", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    await io.write(`file://${dir}/d/inner/f`, bytesOf("f"));
    expect(await io.exists(`file://${dir}/d/inner`)).toBe(false);
    await expectFloeError(io.read(`file://${dir}/d/inner`), "NOT_FOUND");
    await expectFloeError(io.stat(`file://${dir}/d/inner`), "NOT_FOUND");
    await expectFloeError(io.readRange(`file://${dir}/d/inner`, 0, 1), "NOT_FOUND");
    const err = await expectFloeError(io.write(`file://${dir}/d/inner/f/child`, bytesOf("c")), "IO_ERROR");
    expect(["EEXIST", "ENOTDIR"]).toContain(err.context.errno);
    expect(await io.exists(`file://${dir}/d/missing/deeper`)).toBe(false);
  });

  it("reads a range from a large file without reading the rest", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    const data = patternBytes(3 * 1024 * 1024, 3);
    await io.write(`file://${dir}/big.bin`, data);
    const tail = await io.readRange(
      `file://${dir}/big.bin`,
      data.length - 8,
      Number.MAX_SAFE_INTEGER - data.length,
    );
    expect(tail).toEqual(data.slice(data.length - 8));
  });

  it("returns plain Uint8Arrays that own their buffer", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    await io.write(`file://${dir}/small`, bytesOf("abc"));
    const read = await io.read(`file://${dir}/small`);
    expect(Object.getPrototypeOf(read)).toBe(Uint8Array.prototype);
    expect(read.buffer.byteLength).toBe(3);
  });

  it("falls back to an exclusive copy where hard links are unsupported, still with one winner", async () => {
    const dir = await freshDir();
    const warnings: LogFields[] = [];
    const io = new LocalFileIO({ logger: { ...silentLogger, warn: (_m, f) => warnings.push(f ?? {}) } });
    const link = vi
      .spyOn(fsp, "link")
      .mockRejectedValue(Object.assign(new Error("operation not permitted"), { code: "EPERM" }));
    const path = `file://${dir}/nolink/v1.json`;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => io.write(path, patternBytes(100_000, i), { ifNoneMatch: true })),
    );
    expect(link).toHaveBeenCalled();
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(await io.read(path)).toEqual(patternBytes(100_000, winners[0]!));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ path, errno: "EPERM" });
    await expectFloeError(io.write(path, bytesOf("again"), { ifNoneMatch: true }), "PRECONDITION_FAILED");
  });

  it("reports an unexpected link failure as an IO error and cleans up its temp file", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    vi.spyOn(fsp, "link").mockRejectedValue(Object.assign(new Error("no space"), { code: "ENOSPC" }));
    const err = await expectFloeError(
      io.write(`file://${dir}/full/f`, bytesOf("x"), { ifNoneMatch: true }),
      "IO_ERROR",
    );
    expect(err.context).toMatchObject({ op: "write", errno: "ENOSPC" });
    expect(await tree(dir)).toEqual([]);
  });

  it("reports a full or read-only disk as a retryable IO error naming the directory", async () => {
    const dir = await freshDir();
    const io = new LocalFileIO();
    for (const [errno, what] of [
      ["ENOSPC", "no space left on device"],
      ["EDQUOT", "disk quota exceeded"],
      ["EROFS", "read-only file system"],
    ] as const) {
      const spy = vi.spyOn(fsp, "open").mockRejectedValue(Object.assign(new Error(what), { code: errno }));
      const err = await expectFloeError(io.write(`file://${dir}/t/f`, bytesOf("x")), "IO_ERROR");
      spy.mockRestore();
      expect(err.retryable).toBe(true);
      expect(err.message).toBe(`write: ${what} (${errno}) under ${dir}/t`);
      expect(err.context).toMatchObject({ op: "write", errno, path: `file://${dir}/t/f` });
    }
  });
});
