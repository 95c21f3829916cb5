/**
 * The configuration reference, generated from the zod schemas in config.ts (so the README cannot
 * drift from the code): one markdown row per setting with its type, default and description.
 */
import { z } from "zod";
import { ConfigSchema } from "./config.js";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  format?: string;
  additionalProperties?: JsonSchema | boolean;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(" \\| ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "values"}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object")
    return "map of string";
  if (s.format === "uri") return "url";
  if (Array.isArray(s.type)) return s.type.join(" \\| ");
  return s.type ?? "any";
}

function defaultOf(s: JsonSchema): string {
  if (s.default === undefined) return "";
  if (typeof s.default === "object" && s.default !== null && !Array.isArray(s.default)) return "";
  return `\`${JSON.stringify(s.default)}\``;
}

function rows(s: JsonSchema, path: string, out: string[][]): void {
  const variants = s.oneOf ?? s.anyOf;
  if (variants && !s.properties) {
    for (const v of variants) {
      const tag = Object.entries(v.properties ?? {}).find(([, p]) => p.const !== undefined);
      rows(v, tag ? `${path} (${tag[0]}: ${String(tag[1].const)})` : path, out);
    }
    return;
  }
  if (s.type === "object" && s.properties) {
    for (const [k, child] of Object.entries(s.properties)) {
      const p = path ? `${path}.${k}` : k;
      const isSection =
        (child.type === "object" && child.properties) ||
        child.oneOf !== undefined ||
        child.anyOf !== undefined;
      if (isSection) {
        // A setting that is either a plain value or an object (kafka.ssl: true | {ca, ...}) shows both.
        const plain = (child.anyOf ?? child.oneOf ?? []).filter(
          (v) => v.type !== undefined && v.type !== "object",
        );
        const type = plain.length > 0 ? [...plain.map(typeOf), "object"].join(" \\| ") : "";
        out.push([`**${p}**`, type, plain.length > 0 ? defaultOf(child) : "", child.description ?? ""]);
        rows(child, p, out);
      } else if (child.type === "array" && child.items?.type === "object") {
        out.push([`**${p}[]**`, "list", "`[]`", child.description ?? ""]);
        rows(child.items, `${p}[]`, out);
      } else {
        out.push([`\`${p}\``, typeOf(child), defaultOf(child), child.description ?? ""]);
      }
    }
  }
}

export function configReference(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: string[][] = [];
  rows(schema, "", out);
  const esc = (t: string) => t.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    "| setting | type | default | description |",
    "|---|---|---|---|",
    ...out.map((r) => `| ${r.map((c, i) => (i === 1 ? c : esc(c))).join(" | ")} |`),
  ].join("\n");
}
