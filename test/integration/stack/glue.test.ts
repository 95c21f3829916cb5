import {
  CreateDatabaseCommand,
  GetDatabaseCommand,
  GetDatabasesCommand,
  GlueClient,
} from "@aws-sdk/client-glue";
import { afterAll, describe, expect, it } from "vitest";
import { stackEnv, uniqueName } from "../../support/stack.js";

describe("stack: moto (AWS Glue)", () => {
  const env = stackEnv();
  const glue = new GlueClient({
    endpoint: env.FLOE_GLUE_ENDPOINT,
    region: env.FLOE_GLUE_REGION,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  afterAll(() => glue.destroy());

  it("creates a Glue database and reads it back", async () => {
    const Name = uniqueName("smoke");
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name, Description: "floe smoke" } }));
    const got = await glue.send(new GetDatabaseCommand({ Name }));
    expect(got.Database?.Name).toBe(Name);
    expect(got.Database?.Description).toBe("floe smoke");
    const all = await glue.send(new GetDatabasesCommand({}));
    expect(all.DatabaseList?.map((d) => d.Name)).toContain(Name);
  });
});
