import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfig, substituteEnv } from "../src/config.js";
import { FloeError } from "../src/errors.js";

describe("config", () => {
  it("fills every section with defaults from an empty document", () => {
    const c = parseConfig({});
    expect(c.kafka.brokers).toEqual(["127.0.0.1:9092"]);
    expect(c.catalog).toEqual({ type: "embedded" });
    expect(c.warehouse.location).toBe("file://./warehouse");
    expect(c.http.port).toBe(9464);
    expect(c.commit).toEqual({
      intervalMs: 10_000,
      idleMs: 1000,
      unreadyAfterMs: 0,
      maxRecords: 500_000,
      maxBytes: 24 * 1024 * 1024,
    });
    expect(c.buffer.maxBytes).toBe(48 * 1024 * 1024);
  });

  it("names every offending key in its error", () => {
    try {
      parseConfig({
        kafka: { brokers: [] },
        warehouse: { location: "ftp://x" },
        http: { port: 70000 },
        commit: { idleMs: -1 },
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FloeError);
      const msg = (e as FloeError).message;
      expect((e as FloeError).code).toBe("CONFIG_INVALID");
      expect(msg).toContain("kafka.brokers");
      expect(msg).toContain("warehouse.location");
      expect(msg).toContain("http.port");
      expect(msg).toContain("commit.idleMs");
    }
  });

  it("rejects unknown keys and unknown catalog types", () => {
    expect(() => parseConfig({ kafka: { brokerz: ["x"] } })).toThrow(/kafka/);
    expect(() => parseConfig({ catalog: { type: "hive" } })).toThrow(/catalog/);
  });

  it("substitutes ${VAR} and ${VAR:-default}, and names a missing variable with its key", () => {
    const doc = { catalog: { type: "rest", uri: "${URI}", token: "${TOKEN:-none}" } };
    expect(substituteEnv(doc, { URI: "http://x:1" })).toEqual({
      catalog: { type: "rest", uri: "http://x:1", token: "none" },
    });
    expect(() => substituteEnv(doc, {})).toThrow(/catalog\.uri: environment variable URI is not set/);
  });

  it("loads YAML files and reports the file on errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "floe-config-"));
    const good = join(dir, "floe.yaml");
    await writeFile(good, 'kafka:\n  brokers: ["${B}"]\ncatalog:\n  type: glue\n');
    const c = await loadConfigFile(good, { B: "k:9092" });
    expect(c.kafka.brokers).toEqual(["k:9092"]);
    expect(c.catalog).toMatchObject({ type: "glue", region: "us-east-1" });
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "http:\n  port: nope\n");
    await expect(loadConfigFile(bad)).rejects.toThrow(/bad\.yaml is invalid:\n {2}http\.port/);
    await expect(loadConfigFile(join(dir, "missing.yaml"))).rejects.toThrow(/cannot read config file/);
  });
});
