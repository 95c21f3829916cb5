import { inspect } from "node:util";
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FloeError } from "../../../../src/errors.js";
import { listAll, S3FileIO, type S3FileIOOptions } from "../../../../src/iceberg/io/index.js";
import { createS3Client } from "../../../../src/iceberg/io/s3.js";
import { MIB } from "../../../../src/iceberg/io/s3-multipart.js";
import { type LogFields, silentLogger } from "../../../../src/log.js";
import { bytesOf, expectFloeError, fileIOContract, patternBytes } from "../../../iceberg/io/contract.js";
import { stackEnv, uniqueName } from "../../../support/stack.js";

function connection(): S3FileIOOptions {
  const env = stackEnv();
  return {
    endpoint: env.FLOE_S3_ENDPOINT,
    region: env.FLOE_S3_REGION,
    pathStyle: true,
    credentials: { accessKeyId: env.FLOE_S3_ACCESS_KEY_ID, secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY },
  };
}

/** An S3FileIO that records its debug logs, so tests can see pages and parts. */
function recordingIO(options: Partial<S3FileIOOptions> = {}) {
  const debug: Array<[string, LogFields]> = [];
  const io = new S3FileIO({
    ...connection(),
    logger: { ...silentLogger, debug: (m, f) => debug.push([m, f ?? {}]) },
    ...options,
  });
  return { io, debug };
}

const opened: S3FileIO[] = [];
let shared: S3FileIO | undefined;
let raw: S3Client;
let bucket: string;
let root: string;

beforeAll(() => {
  bucket = stackEnv().FLOE_S3_BUCKET;
  root = `s3://${bucket}/${uniqueName("floe-io")}/`;
  raw = createS3Client(connection());
});

afterAll(async () => {
  const io = new S3FileIO(connection());
  await io.deleteMany((await listAll(io, root)).map((f) => f.path));
  for (const o of [io, ...opened, ...(shared ? [shared] : [])]) o.close();
  raw.destroy();
});

function track<T extends { io: S3FileIO }>(made: T): T {
  opened.push(made.io);
  return made;
}

let contractRun = 0;
fileIOContract(
  "S3FileIO on the local S3 server",
  () => {
    shared ??= new S3FileIO(connection());
    return { io: shared, base: `${root}contract-${contractRun++}/` };
  },
  { raceRounds: 10 },
);

async function pendingUploads(prefix: string): Promise<number> {
  const key = prefix.slice(`s3://${bucket}/`.length);
  const out = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  return out.Uploads?.length ?? 0;
}

describe("S3FileIO multipart uploads against the local S3 server", () => {
  it("round-trips a ~40 MiB multipart upload byte for byte, with ranges across part boundaries", async () => {
    const { io, debug } = track(recordingIO());
    const data = patternBytes(40 * MIB + 12_345, 40);
    const path = `${root}mpu/big.parquet`;
    await io.write(path, data);
    const done = debug.find(([m]) => m === "s3 multipart upload completed");
    expect(done?.[1]).toMatchObject({ path, parts: 6, bytes: data.length });
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: bucket, Key: path.slice(`s3://${bucket}/`.length) }),
    );
    expect(head.ContentLength).toBe(data.length);
    expect(head.ETag).toMatch(/-6"?$/);
    expect(Buffer.from(await io.read(path)).equals(data)).toBe(true);
    const boundary = 8 * MIB;
    expect(await io.readRange(path, boundary - 10, 20)).toEqual(data.slice(boundary - 10, boundary + 10));
    expect(await io.readRange(path, data.length - 8, 100)).toEqual(data.slice(data.length - 8));
    expect(await pendingUploads(`${root}mpu/`)).toBe(0);
  });

  it("refuses a multipart ifNoneMatch write over an existing object and leaves no upload behind", async () => {
    const { io } = track(recordingIO({ multipartThresholdBytes: 5 * MIB, partSizeBytes: 5 * MIB }));
    const path = `${root}mpu-exists/v1.bin`;
    await io.write(path, bytesOf("first"), { ifNoneMatch: true });
    await expectFloeError(
      io.write(path, patternBytes(6 * MIB, 1), { ifNoneMatch: true }),
      "PRECONDITION_FAILED",
    );
    expect(new TextDecoder().decode(await io.read(path))).toBe("first");
    expect(await pendingUploads(`${root}mpu-exists/`)).toBe(0);
  });

  it("lets exactly one of 3 concurrent multipart ifNoneMatch writers win (conditional CompleteMultipartUpload)", async () => {
    const { io } = track(recordingIO({ multipartThresholdBytes: 5 * MIB, partSizeBytes: 5 * MIB }));
    const path = `${root}mpu-race/v1.bin`;
    const bodies = [1, 2, 3].map((seed) => patternBytes(6 * MIB, 100 + seed));
    const results = await Promise.allSettled(bodies.map((b) => io.write(path, b, { ifNoneMatch: true })));
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect((r.reason as FloeError).code).toBe("PRECONDITION_FAILED");
    }
    expect(Buffer.from(await io.read(path)).equals(bodies[winners[0]!]!)).toBe(true);
    expect(await pendingUploads(`${root}mpu-race/`)).toBe(0);
  });
});

describe("S3FileIO streamed writes against the local S3 server", () => {
  it("uploads pieces as parts while they come, completes once, and answers a rival with PRECONDITION_FAILED", async () => {
    const { io, debug } = track(recordingIO({ partSizeBytes: 5 * MIB, multipartConcurrency: 2 }));
    const path = `${root}stream/one.parquet`;
    const pieces = [1, 2, 3, 4, 5].map((seed) => patternBytes(2 * MIB + seed, 200 + seed));
    const stream = await io.openWrite(path, { ifNoneMatch: true });
    for (const p of pieces) await stream.write(p);
    // Two parts' worth went up already, but nothing is visible before close.
    expect(await io.exists(path)).toBe(false);
    expect(await pendingUploads(`${root}stream/`)).toBe(1);
    await stream.close();
    const done = debug.find(([m]) => m === "s3 streamed upload completed");
    expect(done?.[1]).toMatchObject({ path, parts: 2, bytes: pieces.reduce((n, p) => n + p.length, 0) });
    expect(Buffer.compare(await io.read(path), Buffer.concat(pieces))).toBe(0);

    // A writer whose object appears while its parts go up loses at the conditional completion.
    const late = `${root}stream/late.parquet`;
    const loser = await io.openWrite(late, { ifNoneMatch: true });
    for (const p of pieces) await loser.write(p);
    await io.write(late, bytesOf("rival"), { ifNoneMatch: true });
    await expectFloeError(loser.close(), "PRECONDITION_FAILED");
    expect(new TextDecoder().decode(await io.read(late))).toBe("rival");
    // One that finds the object there before its first part does not upload at all.
    const early = await io.openWrite(path, { ifNoneMatch: true });
    await expectFloeError(
      (async () => {
        for (const p of pieces) await early.write(p);
      })(),
      "PRECONDITION_FAILED",
    );
    await early.abort();
    const dropped = await io.openWrite(`${root}stream/two.parquet`);
    for (const p of pieces) await dropped.write(p);
    await dropped.abort();
    expect(await io.exists(`${root}stream/two.parquet`)).toBe(false);
    expect(await pendingUploads(`${root}stream/`)).toBe(0);
  });
});

describe("S3FileIO listing and batch deletes against the local S3 server", () => {
  it("pages through more than 1000 keys and deletes them in batches of 1000", async () => {
    const prefix = `${root}many/`;
    const { io, debug } = track(recordingIO({ listPageSize: 250 }));
    const paths = Array.from({ length: 1010 }, (_, i) => `${prefix}k${String(i).padStart(5, "0")}`);
    for (let i = 0; i < paths.length; i += 100) {
      await Promise.all(paths.slice(i, i + 100).map((p) => io.write(p, bytesOf(p.slice(-6)))));
    }
    const listed = await listAll(io, prefix);
    expect(listed.map((f) => f.path).sort()).toEqual(paths);
    expect(listed.every((f) => f.size === 6)).toBe(true);
    expect(debug.filter(([m]) => m === "s3 list page").map(([, f]) => f.keys)).toEqual([
      250, 250, 250, 250, 10,
    ]);

    const byDefault = track(recordingIO());
    expect(await listAll(byDefault.io, prefix)).toHaveLength(1010);
    expect(byDefault.debug.filter(([m]) => m === "s3 list page").map(([, f]) => f.keys)).toEqual([1000, 10]);

    await byDefault.io.deleteMany([...paths, `${prefix}never-existed`]);
    expect(await listAll(io, prefix)).toEqual([]);
  });

  it("answers s3a:// paths in their own spelling", async () => {
    const io = new S3FileIO(connection());
    opened.push(io);
    const key = `${root.slice(`s3://${bucket}/`.length)}alias/x.avro`;
    await io.write(`s3a://${bucket}/${key}`, bytesOf("alias"));
    expect(new TextDecoder().decode(await io.read(`s3://${bucket}/${key}`))).toBe("alias");
    expect((await listAll(io, `s3a://${bucket}/${key}`)).map((f) => f.path)).toEqual([
      `s3a://${bucket}/${key}`,
    ]);
  });
});

describe("S3FileIO errors against real endpoints", () => {
  it("reports a wrong secret as UNAUTHORIZED without retrying and without the secret anywhere", async () => {
    const secret = "definitely-not-the-secret-4711";
    const io = new S3FileIO({
      ...connection(),
      credentials: { accessKeyId: stackEnv().FLOE_S3_ACCESS_KEY_ID, secretAccessKey: secret },
      retry: { attempts: 3, baseDelayMs: 2_000, maxDelayMs: 2_000 },
    });
    opened.push(io);
    const started = Date.now();
    const err = await expectFloeError(io.read(`${root}any`), "UNAUTHORIZED");
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.context).toMatchObject({ op: "read", path: `${root}any`, httpStatus: 403 });
    const everything = [
      err.message,
      JSON.stringify(err.context),
      inspect(err, { depth: 10 }),
      inspect(err.cause, { depth: 10 }),
      inspect(io, { depth: 10 }),
    ].join("\n");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(stackEnv().FLOE_S3_SECRET_ACCESS_KEY);
  });

  it("reports a missing bucket as NOT_FOUND", async () => {
    const io = new S3FileIO(connection());
    opened.push(io);
    const missing = `s3://${uniqueName("no-such-bucket").toLowerCase().replaceAll("_", "-")}/k`;
    const err = await expectFloeError(io.read(missing), "NOT_FOUND");
    expect(err.context.path).toBe(missing);
    await expectFloeError(listAll(io, missing), "NOT_FOUND");
  });

  it("retries a refused connection, then reports a retryable SERVICE_UNAVAILABLE", async () => {
    const io = new S3FileIO({
      ...connection(),
      endpoint: "http://127.0.0.1:1",
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    opened.push(io);
    const err = await expectFloeError(io.write(`${root}refused`, bytesOf("x")), "SERVICE_UNAVAILABLE");
    expect(err.retryable).toBe(true);
    expect(err.context).toMatchObject({ reason: "network", errno: "ECONNREFUSED" });
  });
});
