import { describe, expect, it } from "vitest";
import type { FileInfo, FileIO } from "../../../src/iceberg/io/index.js";
import { deleteFiles, MemoryFileIO, readFileRange, schemeOf } from "../../../src/iceberg/io/index.js";
import { bytesOf, expectFloeError } from "./contract.js";

/** A FileIO without the optional methods, to exercise the helpers' fallbacks. */
function minimal(inner: MemoryFileIO): FileIO & { deletes: string[] } {
  const deletes: string[] = [];
  return {
    deletes,
    read: (p) => inner.read(p),
    write: (p, b, o) => inner.write(p, b, o),
    exists: (p) => inner.exists(p),
    stat: (p): Promise<FileInfo> => inner.stat(p),
    delete: (p) => {
      deletes.push(p);
      return inner.delete(p);
    },
    list: (p) => inner.list(p),
  };
}

describe("schemeOf", () => {
  it("reads the scheme in lower case and treats absolute paths as file", () => {
    expect(schemeOf("s3://b/k")).toBe("s3");
    expect(schemeOf("S3A://b/k")).toBe("s3a");
    expect(schemeOf("file:///tmp/x")).toBe("file");
    expect(schemeOf("/tmp/x")).toBe("file");
    expect(schemeOf("memory://x")).toBe("memory");
  });

  it("rejects relative paths", () => {
    expect(() => schemeOf("relative/path")).toThrow(/not a file location/);
  });
});

describe("helpers over a FileIO without optional methods", () => {
  it("readFileRange falls back to read and slice", async () => {
    const inner = new MemoryFileIO();
    const io = minimal(inner);
    await io.write("memory://h/f", bytesOf("0123456789"));
    expect(new TextDecoder().decode(await readFileRange(io, "memory://h/f", 2, 3))).toBe("234");
    expect(new TextDecoder().decode(await readFileRange(io, "memory://h/f", 8, 30))).toBe("89");
    expect((await readFileRange(io, "memory://h/f", 20, 3)).length).toBe(0);
    await expectFloeError(readFileRange(io, "memory://h/f", 0, 1.5), "INVALID_ARGUMENT");
  });

  it("deleteFiles falls back to one delete per path", async () => {
    const inner = new MemoryFileIO();
    const io = minimal(inner);
    await io.write("memory://h/a", bytesOf("a"));
    await io.write("memory://h/b", bytesOf("b"));
    await deleteFiles(io, ["memory://h/a", "memory://h/b", "memory://h/c"]);
    expect(io.deletes).toEqual(["memory://h/a", "memory://h/b", "memory://h/c"]);
    expect(inner.paths()).toEqual([]);
  });
});
