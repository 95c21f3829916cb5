import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configReference } from "../src/config-reference.js";

describe("configuration reference", () => {
  const ref = configReference();

  it("lists every setting with its default", () => {
    expect(ref).toContain('| `kafka.brokers` | list of string | `["127.0.0.1:9092"]` |');
    expect(ref).toContain("| `commit.intervalMs` | integer | `10000` |");
    expect(ref).toMatch(/\| `tables\[\]\.onError` \| `fail` \\\| `skip` \\\| `dlq` \| `"dlq"` \|/);
    expect(ref).toContain("catalog (type: rest)");
  });

  it("is what README.md shows (run `npm run docs` after changing config.ts)", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "..", "README.md"), "utf8");
    const section = readme
      .split("<!-- config-reference:begin -->")[1]
      ?.split("<!-- config-reference:end -->")[0];
    expect(section?.trim()).toBe(ref.trim());
  });
});
