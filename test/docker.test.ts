import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig, substituteEnv } from "../src/config.js";

// No Docker engine runs here: check what can be checked without one. The compose file is also
// validated with `docker-compose config` by hand (see README); the image's entrypoint is run with Node.
const ROOT = resolve(import.meta.dirname, "..");
const run = promisify(execFile);

describe("docker deployment files", () => {
  it("compose wires Kafka, S3, the sink, the catalog endpoint and the compaction job", () => {
    const compose = parse(readFileSync(resolve(ROOT, "docker/compose.yaml"), "utf8")) as {
      services: Record<
        string,
        { image?: string; build?: unknown; command?: string[]; entrypoint?: string[] }
      >;
    };
    expect(Object.keys(compose.services).sort()).toEqual(["catalog", "compaction", "floe", "kafka", "s3"]);
    expect(compose.services.floe?.command).toEqual(["run", "--config", "/etc/floe/floe.yaml"]);
    expect(compose.services.catalog?.command?.slice(0, 2)).toEqual(["catalog", "serve"]);
    expect(compose.services.compaction?.entrypoint?.join(" ")).toContain("/app/bin/floe compact");
  });

  it("the compose config is a valid Floe config", () => {
    const doc = parse(readFileSync(resolve(ROOT, "docker/floe.yaml"), "utf8"));
    const config = parseConfig(substituteEnv(doc, { S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" }));
    expect(config.warehouse.location).toBe("s3://warehouse/floe");
    expect(config.tables[0]?.table).toBe("analytics.events");
  });

  it("the image runs as a non-root user with the floe entrypoint", () => {
    const dockerfile = readFileSync(resolve(ROOT, "docker/Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/bin\/floe"\]$/m);
  });

  it("the entrypoint (bin/floe over the dist/ npm test builds) answers --help and validates the compose config", async () => {
    const help = await run(resolve(ROOT, "bin/floe"), ["--help"]);
    expect(help.stdout).toContain("catalog serve");
    const checked = await run(
      resolve(ROOT, "bin/floe"),
      ["config", "--config", resolve(ROOT, "docker/floe.yaml")],
      {
        env: { ...process.env, S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "secret-value" },
      },
    );
    expect(JSON.parse(checked.stdout).warehouse.storage.secretAccessKey).toBe("[redacted]");
  });

  it("bin/floe starts Node with malloc settings that return freed memory, keeping the caller's own", async () => {
    // A preload that prints what the launched process sees, then exits before the CLI runs.
    const probe = resolve(ROOT, "test/support/print-malloc-env.cjs");
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probe}` };
    delete env.MALLOC_ARENA_MAX;
    delete env.MALLOC_MMAP_THRESHOLD_;
    const defaults = await run(resolve(ROOT, "bin/floe"), ["--help"], { env });
    expect(JSON.parse(defaults.stdout)).toEqual({ arenas: "2", mmapThreshold: "131072" });
    const own = await run(resolve(ROOT, "bin/floe"), ["--help"], { env: { ...env, MALLOC_ARENA_MAX: "8" } });
    expect(JSON.parse(own.stdout)).toEqual({ arenas: "8", mmapThreshold: "131072" });
  });
});
