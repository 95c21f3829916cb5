import { describe, expect, it } from "vitest";
import { listAll, MemoryFileIO } from "../../../src/iceberg/io/index.js";
import { bytesOf, expectFloeError, fileIOContract } from "./contract.js";

let n = 0;
fileIOContract("MemoryFileIO", () => ({ io: new MemoryFileIO(), base: `memory://contract/${n++}/` }));

describe("MemoryFileIO", () => {
  it("stamps files with the injected clock and keeps the content type", async () => {
    let now = 1_000;
    const io = new MemoryFileIO({ now: () => now });
    await io.write("memory://w/a.json", bytesOf("{}"), { contentType: "application/json" });
    now = 2_000;
    await io.write("memory://w/b.json", bytesOf("[]"));
    expect((await io.stat("memory://w/a.json")).lastModifiedMs).toBe(1_000);
    expect((await listAll(io, "memory://w/")).map((f) => f.lastModifiedMs)).toEqual([1_000, 2_000]);
    expect(io.contentTypeOf("memory://w/a.json")).toBe("application/json");
    expect(io.paths()).toEqual(["memory://w/a.json", "memory://w/b.json"]);
  });

  it("rejects paths of other schemes", async () => {
    const io = new MemoryFileIO();
    await expectFloeError(io.write("s3://bucket/key", bytesOf("x")), "INVALID_ARGUMENT");
    await expectFloeError(io.read("/tmp/x"), "INVALID_ARGUMENT");
    expect(io.paths()).toEqual([]);
  });

  it("lets a later delete win over a listing in progress", async () => {
    const io = new MemoryFileIO();
    for (const k of ["a", "b", "c"]) await io.write(`memory://l/${k}`, bytesOf(k));
    const seen: string[] = [];
    for await (const f of io.list("memory://l/")) {
      seen.push(f.path);
      if (f.path.endsWith("a")) await io.delete("memory://l/b");
    }
    expect(seen).toEqual(["memory://l/a", "memory://l/c"]);
  });
});
