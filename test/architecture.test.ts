import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Holds DESIGN.md's import direction: errors, log <- iceberg/spec <- iceberg/avro, iceberg/io <-
// iceberg/write <- iceberg/snapshot <- iceberg/table <- catalog <- ingest, compaction <- service, cli.
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
  config: ["errors", "log", "config-table"],
  "config-table": [],
  tls: ["errors", "config"],
  "iceberg/spec": ["errors", "log"],
  "iceberg/avro": ["errors", "log", "iceberg/spec"],
  "iceberg/io": ["errors", "log", "iceberg/spec"],
  "iceberg/write": ["errors", "log", "iceberg/spec", "iceberg/avro", "iceberg/io"],
  "iceberg/snapshot": ["errors", "log", "iceberg/spec", "iceberg/avro", "iceberg/io", "iceberg/write"],
  "iceberg/table": [
    "errors",
    "log",
    "iceberg/spec",
    "iceberg/avro",
    "iceberg/io",
    "iceberg/write",
    "iceberg/snapshot",
  ],
  // The catalog reads manifests (purge) but writes tables only through iceberg/table.
  catalog: ["errors", "log", "config", "iceberg/spec", "iceberg/io", "iceberg/snapshot", "iceberg/table"],
  ingest: ["errors", "log", "config", "tls", "iceberg/*", "catalog", "upsert"],
  compaction: ["errors", "log", "config", "iceberg/*", "catalog"],
  upsert: ["errors", "log", "config", "iceberg/*", "catalog", "compaction"],
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

const target = (file: string, spec: string) => resolve(file, "..", spec).replace(/\.js$/, ".ts");

/**
 * Imports that reach into another folder other than through its index.ts. A file may use its own
 * folder's files and its parent folders' (a subfolder is part of them); top-level files are modules of
 * their own.
 */
function indexViolations(root: string, tree: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of tree) {
    const fromDir = dirname(relative(root, file));
    for (const spec of imports(file)) {
      const to = target(file, spec);
      const toDir = dirname(relative(root, to));
      if (toDir === "." || toDir === fromDir || `${fromDir}/`.startsWith(`${toDir}/`)) continue;
      if (!to.endsWith("/index.ts"))
        out.push(`${relative(root, file)} imports ${spec}: go through ${toDir}/index.ts`);
    }
  }
  return out.sort();
}

/** Import cycles, each as the files around it (starting from its smallest name). */
function importCycles(root: string, tree: readonly string[]): string[] {
  const graph = new Map(tree.map((f) => [f, imports(f).map((s) => target(f, s))]));
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found = new Set<string>();
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (!graph.has(m)) continue;
      if (state.get(m) === "open") {
        const ring = stack.slice(stack.indexOf(m)).map((f) => relative(root, f));
        const start = ring.indexOf([...ring].sort()[0] ?? "");
        const rotated = [...ring.slice(start), ...ring.slice(0, start)];
        found.add([...rotated, rotated[0]].join(" -> "));
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return [...found].sort();
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
    expect(indexViolations(SRC, all)).toEqual([]);
  });

  it("has no import cycles (type-only imports included)", () => {
    expect(importCycles(SRC, all)).toEqual([]);
  });

  it("the two rules above fail on a tree that breaks them", () => {
    const root = mkdtempSync(join(tmpdir(), "floe-arch-"));
    try {
      const put = (path: string, text: string) => {
        mkdirSync(join(root, path, ".."), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      put("catalog/index.ts", 'export { Table } from "./table.js";\n');
      put("catalog/table.ts", "export class Table {}\n");
      put("ingest/good.ts", 'import { Table } from "../catalog/index.js";\n');
      put("ingest/bad.ts", 'import { Table } from "../catalog/table.js";\n');
      put("ingest/source/kafka.ts", 'import { x } from "../good.js";\n'); // a subfolder uses its parent
      put("ingest/sink.ts", 'import { k } from "./source/kafka.js";\n'); // ...but not the reverse
      put("io/s3.ts", 'import { up } from "./multipart.js";\nexport const sdk = 1;\n');
      put("io/multipart.ts", 'import type { sdk } from "./s3.js";\nexport const up = 1;\n');
      const tree = files(root);
      expect(indexViolations(root, tree)).toEqual([
        "ingest/bad.ts imports ../catalog/table.js: go through catalog/index.ts",
        "ingest/sink.ts imports ./source/kafka.js: go through ingest/source/index.ts",
      ]);
      expect(importCycles(root, tree)).toEqual(["io/multipart.ts -> io/s3.ts -> io/multipart.ts"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("changes tables only through the transaction API (iceberg/table)", () => {
    // The TableOps binding and the REST server's pass-through of its clients' commits.
    const allowed = ["catalog/table.ts", "catalog/rest-server/operations.ts"];
    const callers = all
      .filter((f) => /\.commitTable\(/.test(readFileSync(f, "utf8")))
      .map((f) => relative(SRC, f));
    expect(callers.filter((f) => !allowed.includes(f))).toEqual([]);
    // The rule can fail: the binding is what it finds.
    expect(callers).toContain("catalog/table.ts");
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
