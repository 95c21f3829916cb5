/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time by area (a package under node_modules, a
 * folder of src/, or V8's own (garbage collector), (idle), (program)) and by function, heaviest first.
 *
 * Run: npx vite-node bench/support/cpuprofile.ts <file.cpuprofile> [top=40]
 */
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The area a frame belongs to: a node_modules package, a src/ or bench/ folder, node:internal, or V8. */
function areaOf(url: string, fn: string): string {
  if (url === "") return fn.startsWith("(") ? fn : "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const src = url.indexOf("/src/");
  if (src >= 0) {
    const parts = url.slice(src + 1).split("/");
    return parts.slice(0, Math.min(parts.length - 1, 3)).join("/");
  }
  if (url.includes("/bench/")) return "bench";
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url;
}

function summarize(profile: Profile, top = 40) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const fns = new Map<string, { us: number; area: string }>();
  for (const [id, us] of self) {
    const f = (byId.get(id) as ProfileNode).callFrame;
    const area = areaOf(f.url, f.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|src)\//, "$1/")}:${f.lineNumber + 1}`;
    const prev = fns.get(name);
    fns.set(name, { us: (prev?.us ?? 0) + us, area });
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    totalSeconds: Math.round(total / 1e4) / 100,
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, seconds: Math.round(us / 1e4) / 100, pct: pct(us) })),
    functions: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, v]) => ({ fn, area: v.area, seconds: Math.round(v.us / 1e4) / 100, pct: pct(v.us) })),
  };
}

const [file, top] = process.argv.slice(2);
if (!file) throw new Error("usage: npx vite-node bench/support/cpuprofile.ts <file.cpuprofile> [top]");
const s = summarize(JSON.parse(await readFile(file, "utf8")) as Profile, Number(top ?? 40));
console.log(`total sampled: ${s.totalSeconds} s\n\nby area:`);
for (const a of s.areas.slice(0, 25)) console.log(`${String(a.pct).padStart(5)}%  ${a.seconds}s  ${a.area}`);
console.log("\nby function (self time):");
for (const f of s.functions) console.log(`${String(f.pct).padStart(5)}%  ${f.seconds}s  [${f.area}] ${f.fn}`);
