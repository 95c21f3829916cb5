import { beforeEach, describe, expect, it } from "vitest";
import { type ErrorCode, FloeError } from "../../../src/errors.js";
import { type FileIO, listAll, openWriteStream, readFileRange } from "../../../src/iceberg/io/index.js";

/**
 * The behaviour every FileIO implementation must share, run against memory, local and (in the
 * integration suite) S3. `setup` returns the implementation and a fresh, empty base location that
 * ends with "/".
 */
export interface ContractTarget {
  io: FileIO;
  base: string;
}

export interface ContractOptions {
  /** Rounds of the 8-writer ifNoneMatch race (more rounds, more chances to catch a lost race). */
  raceRounds?: number;
}

export async function expectFloeError(promise: Promise<unknown>, code: ErrorCode): Promise<FloeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FloeError);
  expect((error as FloeError).code).toBe(code);
  return error as FloeError;
}

export function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Deterministic, non-repeating-looking bytes so misplaced ranges or parts cannot compare equal. */
export function patternBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function fileIOContract(
  name: string,
  setup: () => ContractTarget | Promise<ContractTarget>,
  options: ContractOptions = {},
): void {
  describe(`${name}: FileIO contract`, () => {
    let io: FileIO;
    let base: string;

    beforeEach(async () => {
      ({ io, base } = await setup());
    });

    it("writes and reads back the same bytes, including an empty file", async () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await io.write(`${base}a/bytes.bin`, all);
      await io.write(`${base}a/empty.bin`, new Uint8Array(0));
      expect(await io.read(`${base}a/bytes.bin`)).toEqual(all);
      expect((await io.read(`${base}a/empty.bin`)).length).toBe(0);
      expect(await io.exists(`${base}a/empty.bin`)).toBe(true);
    });

    it("does not alias the caller's buffer", async () => {
      const data = bytesOf("original");
      await io.write(`${base}alias.txt`, data);
      data.fill(0);
      const read = await io.read(`${base}alias.txt`);
      expect(new TextDecoder().decode(read)).toBe("original");
      read.fill(1);
      expect(new TextDecoder().decode(await io.read(`${base}alias.txt`))).toBe("original");
    });

    it("answers NOT_FOUND with the path in context for a missing file", async () => {
      const path = `${base}missing/file.avro`;
      const err = await expectFloeError(io.read(path), "NOT_FOUND");
      expect(err.context.path).toBe(path);
      expect(err.retryable).toBe(false);
      await expectFloeError(io.stat(path), "NOT_FOUND");
      await expectFloeError(io.readRange?.(path, 0, 4) ?? io.read(path), "NOT_FOUND");
      expect(await io.exists(path)).toBe(false);
    });

    it("stats size and a current modification time", async () => {
      const before = Date.now();
      await io.write(`${base}s.bin`, new Uint8Array(1234));
      const info = await io.stat(`${base}s.bin`);
      expect(info.path).toBe(`${base}s.bin`);
      expect(info.size).toBe(1234);
      // Stores keep second precision; allow for that and a little clock skew.
      expect(info.lastModifiedMs).toBeGreaterThanOrEqual(before - 2_000);
      expect(info.lastModifiedMs).toBeLessThanOrEqual(Date.now() + 2_000);
    });

    it("replaces a file on a plain write", async () => {
      await io.write(`${base}r.txt`, bytesOf("first version"));
      await io.write(`${base}r.txt`, bytesOf("second"));
      expect(new TextDecoder().decode(await io.read(`${base}r.txt`))).toBe("second");
      expect((await io.stat(`${base}r.txt`)).size).toBe(6);
    });

    it("creates with ifNoneMatch once; a second create fails and keeps the first bytes", async () => {
      const path = `${base}metadata/v1.metadata.json`;
      await io.write(path, bytesOf("winner"), { ifNoneMatch: true });
      const err = await expectFloeError(
        io.write(path, bytesOf("loser"), { ifNoneMatch: true }),
        "PRECONDITION_FAILED",
      );
      expect(err.context.path).toBe(path);
      expect(err.retryable).toBe(false);
      expect(new TextDecoder().decode(await io.read(path))).toBe("winner");
    });

    it("lets exactly one of 8 concurrent ifNoneMatch writers win", async () => {
      for (let round = 0; round < (options.raceRounds ?? 5); round++) {
        const path = `${base}race/${round}.json`;
        const bodies = Array.from({ length: 8 }, (_, i) => patternBytes(64 * 1024 + i, round * 8 + i));
        const results = await Promise.allSettled(
          bodies.map((body) => io.write(path, body, { ifNoneMatch: true })),
        );
        const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
        expect(winners, `round ${round}`).toHaveLength(1);
        for (const r of results) {
          if (r.status === "rejected") {
            expect(r.reason).toBeInstanceOf(FloeError);
            expect((r.reason as FloeError).code).toBe("PRECONDITION_FAILED");
          }
        }
        expect(await io.read(path)).toEqual(bodies[winners[0]!]);
      }
      expect((await listAll(io, `${base}race/`)).length).toBe(options.raceRounds ?? 5);
    });

    it("writes a file in pieces: nothing visible before close, the pieces in order after", async () => {
      const path = `${base}stream/a.parquet`;
      const pieces = [
        patternBytes(3 * 1024 * 1024 + 17, 1),
        patternBytes(1, 2),
        patternBytes(4 * 1024 * 1024, 3),
      ];
      const stream = await openWriteStream(io, path, { ifNoneMatch: true });
      for (const p of pieces) await stream.write(p.slice());
      expect(await io.exists(path)).toBe(false);
      await stream.close();
      const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of pieces) {
        all.set(p, at);
        at += p.length;
      }
      const back = await io.read(path);
      expect(back.length).toBe(all.length);
      // toEqual on megabytes compares element by element: far too slow.
      expect(Buffer.compare(back, all)).toBe(0);
      expect((await listAll(io, `${base}stream/`)).map((f) => f.path)).toEqual([path]);
    });

    it("a streamed ifNoneMatch close loses to a file created meanwhile; abort leaves nothing", async () => {
      const path = `${base}stream/b.parquet`;
      const stream = await openWriteStream(io, path, { ifNoneMatch: true });
      await stream.write(patternBytes(1024, 4));
      await io.write(path, bytesOf("rival"), { ifNoneMatch: true });
      const err = await expectFloeError(stream.close(), "PRECONDITION_FAILED");
      expect(err.context.path).toBe(path);
      expect(new TextDecoder().decode(await io.read(path))).toBe("rival");
      const dropped = await openWriteStream(io, `${base}stream/c.parquet`);
      await dropped.write(patternBytes(2048, 5));
      await dropped.abort();
      expect((await listAll(io, `${base}stream/`)).map((f) => f.path)).toEqual([path]);
    });

    it("reads byte ranges, cut short at the end of the file", async () => {
      const data = patternBytes(1000, 7);
      const path = `${base}range.bin`;
      await io.write(path, data);
      expect(await readFileRange(io, path, 0, 10)).toEqual(data.slice(0, 10));
      expect(await readFileRange(io, path, 500, 123)).toEqual(data.slice(500, 623));
      expect(await readFileRange(io, path, 990, 100)).toEqual(data.slice(990));
      expect((await readFileRange(io, path, 1000, 10)).length).toBe(0);
      expect((await readFileRange(io, path, 5000, 10)).length).toBe(0);
      expect((await readFileRange(io, path, 3, 0)).length).toBe(0);
      await expectFloeError(readFileRange(io, path, -1, 4), "INVALID_ARGUMENT");
    });

    it("deletes idempotently, one at a time or many", async () => {
      await io.write(`${base}d/1`, bytesOf("1"));
      await io.write(`${base}d/2`, bytesOf("2"));
      await io.write(`${base}d/3`, bytesOf("3"));
      await io.delete(`${base}d/1`);
      await io.delete(`${base}d/1`);
      expect(await io.exists(`${base}d/1`)).toBe(false);
      await io.deleteMany?.([`${base}d/2`, `${base}d/nope`, `${base}d/2`]);
      if (!io.deleteMany) await io.delete(`${base}d/2`);
      expect((await listAll(io, `${base}d/`)).map((f) => f.path)).toEqual([`${base}d/3`]);
    });

    it("lists by plain string prefix, recursively, with sizes", async () => {
      const files = {
        "t/data/a.parquet": 1,
        "t/data/part=1/b.parquet": 22,
        "t/data/part=1/deep/c.parquet": 333,
        "t/data-old/x.parquet": 4,
        "t/metadata/v1.json": 5,
      };
      for (const [rel, size] of Object.entries(files)) await io.write(base + rel, new Uint8Array(size));
      const sorted = async (prefix: string) =>
        (await listAll(io, prefix)).map((f) => [f.path.slice(base.length), f.size]).sort();
      expect(await sorted(`${base}t/data/`)).toEqual([
        ["t/data/a.parquet", 1],
        ["t/data/part=1/b.parquet", 22],
        ["t/data/part=1/deep/c.parquet", 333],
      ]);
      expect((await sorted(`${base}t/data`)).map(([p]) => p)).toEqual([
        "t/data-old/x.parquet",
        "t/data/a.parquet",
        "t/data/part=1/b.parquet",
        "t/data/part=1/deep/c.parquet",
      ]);
      expect((await sorted(`${base}t/data/part=1/b`)).map(([p]) => p)).toEqual(["t/data/part=1/b.parquet"]);
      expect(await sorted(`${base}t/`)).toHaveLength(5);
      expect(await sorted(`${base}nothing-here/`)).toEqual([]);
      for (const info of await listAll(io, `${base}t/`)) expect(info.lastModifiedMs).toBeGreaterThan(0);
    });
  });
}
