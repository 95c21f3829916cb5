import { describe, expect, it } from "vitest";
import { stackEnv, uniqueName } from "../../support/stack.js";

describe("stack: Iceberg REST reference server", () => {
  it("serves /v1/config and creates, lists and loads a namespace", async () => {
    const base = `${stackEnv().FLOE_REST_URI}/v1`;
    const config = await fetch(`${base}/config`);
    expect(config.status).toBe(200);
    expect(await config.json()).toHaveProperty("defaults");

    const ns = uniqueName("smoke");
    const created = await fetch(`${base}/namespaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ namespace: [ns], properties: { owner: "floe" } }),
    });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ namespace: [ns] });

    const listed = (await (await fetch(`${base}/namespaces`)).json()) as { namespaces: string[][] };
    expect(listed.namespaces).toContainEqual([ns]);

    const loaded = await fetch(`${base}/namespaces/${ns}`);
    expect(loaded.status).toBe(200);
    expect(await loaded.json()).toMatchObject({ namespace: [ns], properties: { owner: "floe" } });

    const again = await fetch(`${base}/namespaces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ namespace: [ns] }),
    });
    expect(again.status).toBe(409);
  });
});
