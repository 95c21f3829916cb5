import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorText, main } from "../src/cli.js";
import { FloeError } from "../src/errors.js";

async function cliEnv(env: NodeJS.ProcessEnv, ...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

const cli = (...argv: string[]) => cliEnv({}, ...argv);

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

  it("maintain accepts --orphan-grace-hours 0 (no writer running) and refuses a negative one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(file, `warehouse:\n  location: "file://${join(dir, "wh")}"\n`);
    const ok = await cli("maintain", "--config", file, "--orphan-grace-hours", "0");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain("maintenance ok: 0 table(s)");
    const bad = await cli("maintain", "--config", file, "--orphan-grace-hours=-1");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--orphan-grace-hours must be a non-negative number, got '-1'");
  });

  it("exits 1 with the offending key on an invalid config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(file, "http:\n  port: -1\n");
    const r = await cli("run", "-c", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("http.port");
  });

  it("redacts credentials in URL-shaped values, whatever their key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(
      file,
      [
        "catalog:",
        "  type: rest",
        "  uri: https://cat-user:cat-pass@catalog.example.com/api",
        "schemaRegistry:",
        "  url: https://sr-user:sr-pass@registry.example.com",
        "warehouse:",
        "  location: s3://lake/wh",
        "  storage:",
        "    endpoint: http://s3-key:s3-secret@127.0.0.1:9000",
        "",
      ].join("\n"),
    );
    const r = await cli("config", "--config", file);
    expect(r.code).toBe(0);
    for (const secret of ["cat-pass", "cat-user", "sr-pass", "sr-user", "s3-secret", "s3-key"]) {
      expect(r.out).not.toContain(secret);
    }
    expect(JSON.parse(r.out).catalog.uri).toBe("https://[redacted]@catalog.example.com/api");
  });

  it("refuses an empty FLOE_CATALOG_TOKEN instead of serving without auth", async () => {
    for (const token of ["", "  "]) {
      const r = await cliEnv({ FLOE_CATALOG_TOKEN: token }, "catalog", "serve", "--port", "0");
      expect(r.code).toBe(1);
      expect(r.err).toContain("FLOE_CATALOG_TOKEN is set but empty");
      expect(r.out).not.toContain("serving");
    }
  }, 10_000);

  it("prints one line with the code and message on failure, the stack only with --debug", () => {
    const cause = new Error("Connection error: connect ECONNREFUSED 127.0.0.1:1");
    cause.stack = `${cause.message}\n    at Socket.onError (/app/node_modules/kafkajs/src/network/connection.js:210:23)`;
    const e = new Error("Connection error: connect ECONNREFUSED 127.0.0.1:1", { cause });
    e.name = "KafkaJSNonRetriableError";
    e.stack = `KafkaJSNonRetriableError\n  Caused by: ${cause.stack}`;
    const text = errorText("run", e, false);
    expect(text).toMatch(
      /^floe run: Connection error: connect ECONNREFUSED 127\.0\.0\.1:1 \(KafkaJSNonRetriableError\)/,
    );
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    expect(text).not.toContain("node_modules");
    expect(errorText("run", e, true)).toContain("node_modules/kafkajs");

    const floe = new FloeError("NOT_FOUND", "table shop.nope does not exist");
    expect(errorText("describe", floe, false)).toBe(
      "floe describe: table shop.nope does not exist (NOT_FOUND)\n",
    );
    const withUrl = new Error("request to https://u:pw-secret@cat.example.com/v1 failed");
    expect(errorText("tables", withUrl, false)).not.toContain("pw-secret");
  });

  it("accepts --debug and FLOE_DEBUG=1 on any command", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-cli-"));
    const file = join(dir, "floe.yaml");
    await writeFile(file, "http:\n  port: -1\n");
    const plain = await cli("config", "-c", file);
    expect(plain.err).not.toMatch(/\n\s+at /);
    const debug = await cli("config", "-c", file, "--debug");
    expect(debug.code).toBe(1);
    expect(debug.err).toMatch(/\n\s+at /);
    const env = await cliEnv({ FLOE_DEBUG: "1" }, "config", "-c", file);
    expect(env.err).toMatch(/\n\s+at /);
  });
});
