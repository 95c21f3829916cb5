// Regenerates the configuration reference in README.md from the zod schemas: `npm run docs`.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { configReference } from "../src/config-reference.js";

const README = resolve(import.meta.dirname, "..", "README.md");
const BEGIN = "<!-- config-reference:begin -->";
const END = "<!-- config-reference:end -->";
const text = readFileSync(README, "utf8");
const i = text.indexOf(BEGIN);
const j = text.indexOf(END);
if (i < 0 || j < i) throw new Error(`README.md needs ${BEGIN} ... ${END} markers`);
writeFileSync(README, `${text.slice(0, i + BEGIN.length)}\n${configReference()}\n${text.slice(j)}`);
process.stdout.write("README.md configuration reference updated\n");
