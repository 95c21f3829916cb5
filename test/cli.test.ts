import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";

async function cli(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe("floe CLI", () => {
  it("prints help listing its commands", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(0);
    for (const cmd of ["run", "config", "version"]) expect(r.out).toMatch(new RegExp(`^  ${cmd} `, "m"));
  });

  it("rejects unknown commands and options with exit code 2", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    const r = await cli("run", "--nope");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--nope");
  });

  it("validates a config file and prints it with secrets redacted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(file, "catalog:\n  type: rest\n  uri: http://127.0.0.1:8181\n  token: s3cr3t\n");
    const r = await cli("config", "--config", file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).catalog).toMatchObject({ type: "rest", token: "[redacted]" });
    expect(r.out).not.toContain("s3cr3t");
  });

  it("exits 1 with the offending key on an invalid config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(file, "http:\n  port: -1\n");
    const r = await cli("run", "-c", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("http.port");
  });
});
