// Provisioning from package registries only: Maven Central (Kafka, S3Proxy, Iceberg jars, the Apicurio
// Registry distribution) and PyPI
// (the verifier env). Downloads land in ~/.m2 and pip's cache; what we derive lands in the state dir.
// Each step records a stamp of its inputs, so a second run does nothing and takes well under a second.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, run, StackError } from "./proc.mjs";
import { LIB_DIR, paths, versions } from "./settings.mjs";
import { kafkaSecureTls } from "./tls.mjs";

const MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

const PREREQS = [
  { cmd: "java", hint: "a JDK or JRE 17+ (Debian: apt-get install openjdk-17-jre-headless)" },
  { cmd: "mvn", hint: "Apache Maven 3.6+ (Debian: apt-get install maven)" },
  { cmd: "python3", hint: "Python 3.9+ with venv (Debian: apt-get install python3 python3-venv)" },
  { cmd: "openssl", hint: "for the kafka-secure certificates (Debian: apt-get install openssl)" },
  { cmd: "keytool", hint: "the JDK's keytool, for the kafka-secure truststore (it comes with Java)" },
];

/** Fails with one line naming the first missing prerequisite. */
export async function checkPrerequisites() {
  for (const { cmd, hint } of PREREQS) {
    if (!(await hasCommand(cmd))) throw new StackError(`missing prerequisite: ${cmd}, ${hint}`);
  }
  const javaVersion = await run("java", ["-version"]).catch((e) => String(e.message));
  const major = /version "(\d+)/.exec(javaVersion)?.[1];
  if (major !== undefined && Number(major) < 17) {
    throw new StackError(
      `missing prerequisite: java 17+ (found Java ${major}); set JAVA_HOME or PATH to a newer JDK`,
    );
  }
}

const stampFile = (step) => join(paths.cache, `${step}.stamp`);
const hashOf = (...parts) => createHash("sha256").update(parts.join("\0")).digest("hex");

function upToDate(step, hash) {
  const file = stampFile(step);
  return existsSync(file) && readFileSync(file, "utf8").trim() === hash;
}

function stamp(step, hash) {
  mkdirSync(paths.cache, { recursive: true });
  writeFileSync(stampFile(step), `${hash}\n`);
}

/** Resolves a pom's dependencies (downloading into ~/.m2) and returns the jar paths. */
async function mavenClasspath(name, log) {
  const pom = join(LIB_DIR, "java", name, "pom.xml");
  const out = join(paths.cache, `${name}.classpath`);
  const hash = hashOf(readFileSync(pom, "utf8"));
  const read = () => readFileSync(out, "utf8").trim().split(":").filter(Boolean);
  if (upToDate(`maven-${name}`, hash) && existsSync(out) && read().every((jar) => existsSync(jar))) {
    return read();
  }
  log(`resolving ${name} jars from Maven Central`);
  mkdirSync(paths.cache, { recursive: true });
  await run("mvn", [
    "-B",
    "-q",
    "-f",
    pom,
    `${MAVEN_DEPENDENCY_PLUGIN}:build-classpath`,
    `-Dmdep.outputFile=${out}`,
    "-Dmdep.includeScope=runtime",
  ]);
  const jars = read();
  if (jars.length === 0) throw new StackError(`maven resolved no jars for ${name}`);
  stamp(`maven-${name}`, hash);
  return jars;
}

/**
 * Apicurio Registry (a Schema Registry with Confluent's API under /apis/ccompat/v7): Maven Central serves
 * its whole distribution as one zip (runner jar plus lib/), unpacked into the cache. Returns the runner jar.
 */
async function apicurioRegistry(log) {
  const version = versions.apicurio;
  const dir = join(paths.cache, `apicurio-registry-${version}`);
  const jar = join(dir, `apicurio-registry-app-${version}-runner.jar`);
  if (upToDate("apicurio", version) && existsSync(jar)) return jar;
  log(`fetching Apicurio Registry ${version} from Maven Central`);
  rmSync(dir, { recursive: true, force: true });
  // Without a project the plugin writes its "already unpacked" markers under the working directory:
  // a scratch one, removed afterwards.
  const scratch = join(paths.cache, "mvn-unpack");
  mkdirSync(scratch, { recursive: true });
  try {
    await run(
      "mvn",
      [
        "-B",
        "-q",
        `${MAVEN_DEPENDENCY_PLUGIN}:unpack`,
        `-Dartifact=io.apicurio:apicurio-registry-app:${version}:zip:all`,
        `-DoutputDirectory=${dir}`,
      ],
      { cwd: scratch },
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!existsSync(jar)) throw new StackError(`the Apicurio Registry download has no ${jar}`);
  stamp("apicurio", version);
  return jar;
}

const venvPython = () => join(paths.venv, "bin", "python");

/** Creates the verifier venv and installs the pinned requirements. */
async function pythonEnv(log) {
  const requirements = join(LIB_DIR, "python", "requirements.txt");
  const pyVersion = await run("python3", ["--version"]);
  const hash = hashOf(readFileSync(requirements, "utf8"), pyVersion);
  if (upToDate("python", hash) && existsSync(venvPython())) return;
  log("creating the Python verifier env (pyiceberg, duckdb + extensions, pyspark, moto) from PyPI");
  if (!existsSync(venvPython())) {
    await run("python3", ["-m", "venv", paths.venv]).catch((e) => {
      throw new StackError(`python3 -m venv failed (Debian: apt-get install python3-venv): ${e.message}`);
    });
  }
  await run(venvPython(), [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--progress-bar",
    "off",
    "-q",
    "-r",
    requirements,
  ]);
  await run(venvPython(), ["-c", "import pyiceberg, duckdb, pyspark, moto, confluent_kafka"]);
  stamp("python", hash);
}

/** The directory holding DuckDB's iceberg/httpfs/avro extension files from the PyPI wheels. */
export function duckdbExtensionDir() {
  const libDir = join(paths.venv, "lib");
  const py = existsSync(libDir) ? readdirSync(libDir).find((d) => d.startsWith("python3")) : undefined;
  if (py === undefined) return undefined;
  return join(libDir, py, "site-packages", "duckdb_ext", "extensions", `v${versions.duckdb}`, "linux_amd64");
}

/** Everything the services and tests need, provisioned once and then reused. */
export async function provision(log) {
  await checkPrerequisites();
  mkdirSync(paths.cache, { recursive: true });
  // Maven runs first (it is quick once cached); pip's long install then runs alone.
  const kafka = await mavenClasspath("kafka", log);
  const s3proxy = await mavenClasspath("s3proxy", log);
  const iceberg = await mavenClasspath("iceberg", log);
  const registryJar = await apicurioRegistry(log);
  const tls = await kafkaSecureTls(log);
  await pythonEnv(log);
  const find = (needle) => {
    const jar = iceberg.find((j) => j.includes(needle));
    if (jar === undefined) throw new StackError(`no ${needle} jar among the resolved Iceberg jars`);
    return jar;
  };
  const extensionDir = duckdbExtensionDir();
  for (const ext of ["iceberg", "httpfs", "avro"]) {
    const file = join(extensionDir ?? "", `${ext}.duckdb_extension`);
    if (!existsSync(file)) throw new StackError(`DuckDB ${ext} extension missing at ${file}`);
  }
  return {
    kafkaClasspath: kafka.join(":"),
    kafkaSecureTls: tls,
    s3proxyClasspath: s3proxy.join(":"),
    restServerJar: find(`iceberg-open-api-${versions.iceberg}.jar`),
    sparkJars: [find("iceberg-spark-runtime"), find("iceberg-aws-bundle")],
    registryJar,
    python: venvPython(),
    duckdbExtensionDir: extensionDir,
  };
}
