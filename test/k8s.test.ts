import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../src/cli.js";
import { type Config, parseConfig, substituteEnv } from "../src/config.js";
import { Registry, startHttpServer } from "../src/service/index.js";

// No cluster runs here: the manifests in docker/k8s are parsed and their wiring checked against Floe
// itself (its config parser, its CLI's argument parser, its HTTP endpoints).
const DIR = resolve(import.meta.dirname, "..", "docker", "k8s");

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
}
interface Container {
  name: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string } }[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name: string };
  data?: Record<string, string>;
  resources?: string[];
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } | Record<string, string>;
    template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
    concurrencyPolicy?: string;
    schedule?: string;
    jobTemplate?: { spec: { template: { spec: PodSpec } } };
    ports?: { port: number; targetPort: string | number }[];
  };
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(resolve(DIR, f), "utf8")).map((d) => {
    expect(d.errors, f).toEqual([]);
    return d.toJS() as Manifest;
  }),
);
const find = (kind: string, name: string): Manifest => {
  const m = manifests.find((x) => x.kind === kind && x.metadata?.name === name);
  if (m === undefined) throw new Error(`no ${kind} ${name} in docker/k8s`);
  return m;
};
const podOf = (m: Manifest): PodSpec => {
  const pod = m.kind === "CronJob" ? m.spec?.jobTemplate?.spec.template.spec : m.spec?.template?.spec;
  if (pod === undefined) throw new Error(`${m.kind} ${m.metadata?.name} has no pod template`);
  return pod;
};
const workloads = manifests.filter((m) => ["Deployment", "CronJob"].includes(m.kind));

/** Runs the container's args through the CLI's own parser: `--help` makes a valid command exit 0. */
async function cliAccepts(args: readonly string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await main([...args, "--help"], { out: () => undefined, err: (t) => (err += t), env: {} });
  return { code, err };
}

/** The ConfigMap's floe.yaml with the container's env names filled in (Secret refs as placeholders). */
function configFor(container: Container): Config {
  const text = find("ConfigMap", "floe-config").data?.["floe.yaml"] ?? "";
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? `from-${e.name}`]));
  return parseConfig(substituteEnv(parseAllDocuments(text)[0]?.toJS(), env), "floe-config/floe.yaml");
}

const MiB = (q: string): number => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (m === null) throw new Error(`memory quantity ${q} is not in Mi or Gi`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
};

describe("kubernetes manifests (docker/k8s)", () => {
  it("the kustomization lists every other manifest file", () => {
    const k = manifests.find((m) => m.kind === "Kustomization");
    expect([...(k?.resources ?? [])].sort()).toEqual(files.filter((f) => f !== "kustomization.yaml").sort());
  });

  it("has the sink, both maintenance jobs and the catalog endpoint with its Service", () => {
    expect(workloads.map((m) => `${m.kind}/${m.metadata?.name}`).sort()).toEqual([
      "CronJob/floe-compact",
      "CronJob/floe-maintain",
      "Deployment/floe-catalog",
      "Deployment/floe-sink",
    ]);
    expect(find("Service", "floe-catalog").kind).toBe("Service");
  });

  it("every container runs a real floe subcommand with options the CLI accepts", async () => {
    const commands = new Map<string, string[]>();
    for (const m of workloads) {
      const [c] = podOf(m).containers;
      expect(c?.command, `${m.metadata?.name} keeps the image's entrypoint (bin/floe)`).toBeUndefined();
      commands.set(m.metadata?.name ?? "", c?.args ?? []);
      const r = await cliAccepts(c?.args ?? []);
      expect({ name: m.metadata?.name, ...r }).toEqual({ name: m.metadata?.name, code: 0, err: "" });
    }
    expect(commands.get("floe-sink")?.slice(0, 1)).toEqual(["run"]);
    expect(commands.get("floe-compact")?.slice(0, 1)).toEqual(["compact"]);
    expect(commands.get("floe-maintain")?.slice(0, 1)).toEqual(["maintain"]);
    expect(commands.get("floe-catalog")?.slice(0, 2)).toEqual(["catalog", "serve"]);
    // The check itself can fail: an unknown option or command is refused by the same parser.
    expect((await cliAccepts(["run", "--config", "/etc/floe/floe.yaml", "--replicas", "2"])).code).toBe(2);
    expect((await cliAccepts(["compaction"])).code).toBe(2);
  });

  it("every container reads the ConfigMap's floe.yaml, which passes parseConfig with its env", () => {
    for (const m of workloads) {
      const pod = podOf(m);
      const c = pod.containers[0] as Container;
      const args = c.args ?? [];
      const file = args[args.indexOf("--config") + 1] ?? "";
      const mount = c.volumeMounts?.find((v) => file.startsWith(`${v.mountPath}/`));
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.configMap?.name, `${m.metadata?.name} mounts floe-config at ${file}`).toBe(
        "floe-config",
      );
      expect(Object.keys(find("ConfigMap", "floe-config").data ?? {})).toContain(file.split("/").pop());
      // Every ${VAR} without a default must come from the container's env (substituteEnv throws otherwise).
      const config = configFor(c);
      expect(config.warehouse.location).toMatch(/^s3:\/\//);
      for (const e of c.env ?? []) {
        if (e.valueFrom) expect(e.valueFrom.secretKeyRef?.name).toMatch(/^floe-(s3|catalog)$/);
      }
    }
    expect(() => configFor({ name: "no-env" })).toThrow(/S3_ACCESS_KEY_ID is not set/);
  });

  it("the sink's probes hit /healthz and /readyz on the port and host its config serves them on", async () => {
    const sink = find("Deployment", "floe-sink");
    const c = podOf(sink).containers[0] as Container;
    const config = configFor(c);
    expect(config.http.host).toBe("0.0.0.0");
    const port = (p: string | number | undefined) =>
      typeof p === "number" ? p : c.ports?.find((x) => x.name === p)?.containerPort;
    expect(c.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(c.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(port(c.livenessProbe?.httpGet?.port)).toBe(config.http.port);
    expect(port(c.readinessProbe?.httpGet?.port)).toBe(config.http.port);
    // The paths are the service's: its HTTP server answers them (and 404s anything else).
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      health: { ready: () => ({ ready: true }) },
    });
    try {
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        expect((await fetch(`${server.url}${probe?.httpGet?.path}`)).status).toBe(200);
      }
      expect((await fetch(`${server.url}/health`)).status).toBe(404);
    } finally {
      await server.close();
    }
    // SIGTERM commits and leaves the group within bin/floe's 45 s before the kubelet kills the pod.
    expect(podOf(sink).terminationGracePeriodSeconds).toBeGreaterThan(45);
  });

  it("sets requests and limits on every container; the sink's memory limit covers its measured peak", () => {
    for (const m of workloads) {
      const r = (podOf(m).containers[0] as Container).resources;
      expect(Object.keys(r?.requests ?? {}).sort(), m.metadata?.name).toEqual(["cpu", "memory"]);
      expect(Object.keys(r?.limits ?? {}).sort(), m.metadata?.name).toEqual(["cpu", "memory"]);
      expect(MiB(r?.limits?.memory ?? "")).toBeGreaterThanOrEqual(MiB(r?.requests?.memory ?? ""));
    }
    const sink = (podOf(find("Deployment", "floe-sink")).containers[0] as Container).resources;
    // bench/results/sink-memory*.md: peak RSS up to ~495 MB (472 MiB) on defaults; keep 30% headroom.
    expect(MiB(sink?.limits?.memory ?? "")).toBeGreaterThanOrEqual(Math.ceil(472 * 1.3));
  });

  it("the CronJobs never overlap and their pods do not restart in place", () => {
    for (const name of ["floe-compact", "floe-maintain"]) {
      const job = find("CronJob", name);
      expect(job.spec?.concurrencyPolicy, name).toBe("Forbid");
      expect(job.spec?.schedule?.split(" ")).toHaveLength(5);
      expect(podOf(job).restartPolicy).toBe("Never");
    }
  });

  it("the catalog Service reaches the port `floe catalog serve` listens on, off loopback, with a token", () => {
    const deployment = find("Deployment", "floe-catalog");
    const c = podOf(deployment).containers[0] as Container;
    const args = c.args ?? [];
    const listen = Number(args[args.indexOf("--port") + 1]);
    expect(args[args.indexOf("--host") + 1]).toBe("0.0.0.0");
    const named = c.ports?.find((p) => p.containerPort === listen);
    const service = find("Service", "floe-catalog");
    const target = service.spec?.ports?.[0]?.targetPort;
    expect(target === listen || target === named?.name).toBe(true);
    expect(c.readinessProbe?.tcpSocket?.port).toBe(named?.name);
    // A non-loopback host needs FLOE_CATALOG_TOKEN (the server refuses to start without one).
    expect(c.env?.find((e) => e.name === "FLOE_CATALOG_TOKEN")?.valueFrom?.secretKeyRef?.name).toBe(
      "floe-catalog",
    );
    const labels = deployment.spec?.template?.metadata?.labels ?? {};
    const selector = (service.spec?.selector ?? {}) as Record<string, string>;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(true);
  });
});
