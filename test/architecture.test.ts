import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Holds DESIGN.md's import direction: errors, log <- iceberg/spec <- iceberg/avro, iceberg/io <-
// iceberg/write <- iceberg/snapshot <- catalog <- ingest, compaction <- service, cli.
const SRC = resolve(import.meta.dirname, "..", "src");

/** Layer of a file: its top folder, or iceberg/<sub> for the iceberg folders. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts.length === 1) return parts[0]?.replace(/\.ts$/, "") ?? "";
  if (parts[0] === "iceberg") return `iceberg/${parts[1]}`;
  return parts[0] ?? "";
}

const ALLOWED: Record<string, string[]> = {
  errors: [],
  log: [],
  config: ["errors", "log"],
  tls: ["errors", "config"],
  "iceberg/spec": ["errors", "log"],
  "iceberg/avro": ["errors", "log", "iceberg/spec"],
  "iceberg/io": ["errors", "log", "iceberg/spec"],
  "iceberg/write": ["errors", "log", "iceberg/spec", "iceberg/avro", "iceberg/io"],
  "iceberg/snapshot": ["errors", "log", "iceberg/spec", "iceberg/avro", "iceberg/io", "iceberg/write"],
  catalog: [
    "errors",
    "log",
    "config",
    "iceberg/spec",
    "iceberg/avro",
    "iceberg/io",
    "iceberg/write",
    "iceberg/snapshot",
  ],
  ingest: ["errors", "log", "config", "tls", "iceberg/*", "catalog"],
  compaction: ["errors", "log", "config", "iceberg/*", "catalog"],
  service: ["*"],
  "config-reference": ["config"],
  cli: ["*"],
  "cli-inspect": ["*"],
  "cli-maintenance": ["*"],
  index: ["*"],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => m[1] ?? "");
}

describe("architecture", () => {
  const all = files(SRC);

  it("finds the source tree", () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it("imports point one way between layers", () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf(file);
      const allowed = ALLOWED[from];
      if (allowed === undefined) {
        violations.push(`${relative(SRC, file)}: layer '${from}' has no rule in test/architecture.test.ts`);
        continue;
      }
      for (const spec of imports(file)) {
        const target = resolve(file, "..", spec).replace(/\.js$/, ".ts");
        const to = layerOf(target);
        if (to === from || allowed.includes("*")) continue;
        if (allowed.includes(to) || (to.startsWith("iceberg/") && allowed.includes("iceberg/*"))) continue;
        violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("crosses into another folder only through its index.ts", () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf(file);
      for (const spec of imports(file)) {
        const target = resolve(file, "..", spec).replace(/\.js$/, ".ts");
        const to = layerOf(target);
        const isFolder = statSync(target, { throwIfNoEntry: false }) === undefined; // a folder's layer, not a top file
        if (to !== from && isFolder && !target.endsWith("/index.ts")) {
          violations.push(`${relative(SRC, file)} imports ${spec}: go through ${to}/index.ts`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("talks to Kafka only through the source port (src/ingest/source/)", () => {
    const clients =
      /^(?:import|export)[^;]*?from\s+"(kafkajs|@platformatic\/kafka|node-rdkafka|@confluentinc\/kafka-javascript)"/ms;
    const outside = all
      .filter((f) => !relative(SRC, f).startsWith("ingest/source/"))
      .filter((f) => clients.test(readFileSync(f, "utf8")))
      .map((f) => relative(SRC, f));
    expect(outside).toEqual([]);
    // The rule can fail: the port's adapter is what it finds.
    const adapter = resolve(SRC, "ingest/source/kafkajs.ts");
    expect(/from\s+"kafkajs"/.test(readFileSync(adapter, "utf8"))).toBe(true);
  });
});
