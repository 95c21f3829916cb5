import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { stackEnv, uniqueName } from "../../support/stack.js";

describe("stack: S3-compatible store", () => {
  const env = stackEnv();
  const s3 = new S3Client({
    endpoint: env.FLOE_S3_ENDPOINT,
    region: env.FLOE_S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.FLOE_S3_ACCESS_KEY_ID, secretAccessKey: env.FLOE_S3_SECRET_ACCESS_KEY },
  });
  afterAll(() => s3.destroy());
  const Bucket = env.FLOE_S3_BUCKET;

  it("puts and gets an object", async () => {
    const Key = `${uniqueName("smoke")}/hello.txt`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: "hello, floe" }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("hello, floe");
  });

  it("honours If-None-Match: * (the first create wins, the second gets 412)", async () => {
    const Key = `${uniqueName("smoke")}/v1.metadata.json`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: "first", IfNoneMatch: "*" }));
    const second = await s3
      .send(new PutObjectCommand({ Bucket, Key, Body: "second", IfNoneMatch: "*" }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(second).toBeInstanceOf(S3ServiceException);
    expect((second as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe("first");
  });
});
