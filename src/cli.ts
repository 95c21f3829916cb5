/**
 * The `floe` command. Subcommands are added as their layers land; each has `--help`.
 * `main` takes argv and writable sinks so tests can run it in-process; bin/floe.js calls it.
 */
import { inspect, parseArgs } from "node:util";
import { describeTableText, listTablesText, queryText } from "./cli-inspect.js";
import { COMPACT_HELP, MAINTAIN_HELP, runCompaction } from "./cli-maintenance.js";
import { type Config, loadConfigFile, parseConfig } from "./config.js";
import { FloeError, isFloeError } from "./errors.js";
import { createLogger, type Logger, redact, redactText } from "./log.js";
import { createCatalog, createFileIO, runSink, serveCatalog } from "./service/index.js";

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Registers a callback for SIGTERM/SIGINT (the bin wires process signals; tests may not). */
  onSignal?: (stop: () => void) => void;
}

const VERSION = "0.1.0";

const HELP = `floe ${VERSION}: Kafka topics -> Apache Iceberg tables

Usage: floe <command> [options]

Commands:
  run            run the sink service (Kafka -> Iceberg), with --config FILE or the embedded defaults
  catalog serve  serve the configured catalog over the Iceberg REST API (DuckDB, Spark, PyIceberg attach)
  compact        rewrite small files into larger ones (one-shot job; --table, --dry-run)
  maintain       expire snapshots, remove orphans, merge manifests, clean metadata (one-shot job)
  tables         list the catalog's tables with snapshots, records, files and size
  describe NS.T  schema, partition spec, snapshots, file counts and sizes, committed offsets
  query "SQL"    run DuckDB SQL over the catalog's tables (each table is a view "ns"."table")
  config         validate a config file and print the effective settings (secrets redacted)
  version        print the version

Options:
  -c, --config FILE   YAML or JSON config; \${VAR} and \${VAR:-default} are read from the environment
                      (default: none, i.e. embedded defaults: local Kafka, ./warehouse, embedded catalog)
  -h, --help          show help for floe or for a command
  --debug             on failure, also print the error's stack trace (or set FLOE_DEBUG=1)
`;

const RUN_HELP = `Usage: floe run [--config FILE]

Runs the sink: consumes the configured topics and commits them to Iceberg tables exactly once.
Without --config it runs on the embedded defaults: Kafka at 127.0.0.1:9092, warehouse file://./warehouse,
the embedded catalog (table pointers kept in the warehouse itself); the config must list its tables.
HTTP: /healthz, /readyz and /metrics on http.host:http.port (default 127.0.0.1:9464; set http.host to
0.0.0.0 for a scraper on another host or in a container). SIGTERM/SIGINT commit what is buffered
and exit 0; a record with onError: fail stops the sink with exit code 1.
`;

const SERVE_HELP = `Usage: floe catalog serve [--config FILE] [--host HOST] [--port PORT] [--prefix P] [--vend-credentials] [--allow-foreign-paths]

Serves the configured catalog (default: the embedded catalog over the warehouse) over the Iceberg REST
API. Options (defaults): --host 127.0.0.1, --port 8181, --prefix none. A bearer token is required when
FLOE_CATALOG_TOKEN is set (read from the environment, never from the command line; 16-4096 visible
ASCII characters, an empty value is an error). Without a token the server binds to loopback only and
answers only requests whose Host and Origin are loopback addresses (no browser page can reach it); a
non-loopback --host needs a token. Request bodies must be JSON (Content-Type: application/json).
With --vend-credentials the warehouse's S3 keys are handed to clients in each table's config: use a token.
Commits naming statistics files or manifest lists outside the table's data/ and metadata/ directories get
400 unless --allow-foreign-paths is given (maintenance never deletes such files either way).
`;

async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Config> {
  return file === undefined ? parseConfig({}, "embedded defaults") : loadConfigFile(file, env);
}

function makeLogger(level: Config["log"]["level"], io: CliIO): Logger {
  return createLogger({ level, write: io.err });
}

/**
 * The one line a failed command prints: the message and the error code, secrets in URLs redacted, no
 * stack trace (with `debug`, the stack and causes follow).
 */
export function errorText(command: string, e: unknown, debug: boolean): string {
  let line: string;
  if (isFloeError(e)) {
    line = `${e.message} (${e.code})`;
  } else {
    const parts: string[] = [];
    let cur: unknown = e;
    for (let i = 0; i < 4 && cur !== undefined && cur !== null; i++) {
      const msg = cur instanceof Error ? cur.message : String(cur);
      if (msg !== "" && !parts.some((p) => p.includes(msg))) parts.push(msg);
      cur = cur instanceof Error ? cur.cause : undefined;
    }
    const err = e as { code?: unknown; name?: unknown };
    const code = typeof err.code === "string" ? err.code : typeof err.name === "string" ? err.name : "Error";
    line = `${parts.join(": ").replace(/\s*\n\s*/g, " ") || "unknown error"} (${code})`;
    if (!debug) line += "; --debug or FLOE_DEBUG=1 prints the stack trace";
  }
  const details = debug ? `${inspect(e, { depth: 6 })}\n` : "";
  return redactText(`floe ${command}: ${line}\n${details}`);
}

function signals(io: CliIO): { onStopSignal?: (stop: () => void) => void } {
  return io.onSignal ? { onStopSignal: io.onSignal } : {};
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    io.out(HELP);
    return 0;
  }
  if (command === "version" || command === "--version" || command === "-v") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  let values: {
    config?: string;
    help?: boolean;
    debug?: boolean;
    host?: string;
    port?: string;
    prefix?: string;
    "vend-credentials"?: boolean;
    "allow-foreign-paths"?: boolean;
    table?: string;
    "dry-run"?: boolean;
    "target-file-size"?: string;
    "keep-snapshots"?: string;
    "max-snapshot-age-hours"?: string;
    "orphan-grace-hours"?: string;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: {
        config: { type: "string", short: "c" },
        help: { type: "boolean", short: "h" },
        debug: { type: "boolean" },
        host: { type: "string" },
        port: { type: "string" },
        prefix: { type: "string" },
        "vend-credentials": { type: "boolean" },
        "allow-foreign-paths": { type: "boolean" },
        table: { type: "string" },
        "dry-run": { type: "boolean" },
        "target-file-size": { type: "string" },
        "keep-snapshots": { type: "string" },
        "max-snapshot-age-hours": { type: "string" },
        "orphan-grace-hours": { type: "string" },
      },
      allowPositionals: ["catalog", "describe", "query"].includes(command),
      strict: true,
    }));
  } catch (e) {
    io.err(`floe ${command}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    switch (command) {
      case "config": {
        if (values.help) {
          io.out("Usage: floe config [--config FILE]\n\nValidates the config and prints it as JSON.\n");
          return 0;
        }
        const config = await loadConfig(values.config, io.env);
        io.out(`${JSON.stringify(redact(config), null, 2)}\n`);
        return 0;
      }
      case "run": {
        if (values.help) {
          io.out(RUN_HELP);
          return 0;
        }
        const config = await loadConfig(values.config, io.env);
        return await runSink(config, { logger: makeLogger(config.log.level, io), ...signals(io) });
      }
      case "catalog": {
        if (positionals[0] !== "serve" || values.help) {
          io.out(SERVE_HELP);
          return values.help ? 0 : 2;
        }
        const config = await loadConfig(values.config, io.env);
        const port = values.port === undefined ? 8181 : Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          io.err(`floe catalog serve: --port must be 0-65535, got '${values.port}'\n`);
          return 2;
        }
        const token = io.env.FLOE_CATALOG_TOKEN;
        if (token !== undefined && token.trim() === "") {
          throw new FloeError(
            "CONFIG_INVALID",
            "FLOE_CATALOG_TOKEN is set but empty: set it to a token of 16-4096 visible ASCII characters, or unset it to serve without auth on loopback only",
          );
        }
        return await serveCatalog(config, {
          logger: makeLogger(config.log.level, io),
          host: values.host ?? "127.0.0.1",
          port,
          ...(token === undefined ? {} : { token }),
          ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
          vendCredentials: values["vend-credentials"] === true,
          allowForeignPaths: values["allow-foreign-paths"] === true,
          onListening: (url) => io.out(`floe catalog serving the ${config.catalog.type} catalog at ${url}\n`),
          ...signals(io),
        });
      }
      case "compact":
      case "maintain": {
        if (values.help) {
          io.out(command === "compact" ? COMPACT_HELP : MAINTAIN_HELP);
          return 0;
        }
        const config = await loadConfig(values.config, io.env);
        return await runCompaction(command, config, values, makeLogger(config.log.level, io), io.out);
      }
      case "tables":
      case "describe":
      case "query": {
        if (values.help || (command !== "tables" && positionals[0] === undefined)) {
          io.out(
            `Usage: floe ${command}${command === "describe" ? " NS.TABLE" : command === "query" ? ' "SQL"' : ""} [--config FILE]\n`,
          );
          return values.help ? 0 : 2;
        }
        const config = await loadConfig(values.config, io.env);
        const logger = makeLogger("error", io);
        const catalog = createCatalog(config, createFileIO(config, logger), logger);
        if (command === "tables") io.out(await listTablesText(catalog));
        else if (command === "describe") io.out(await describeTableText(catalog, positionals[0] ?? ""));
        else
          io.out(
            await queryText(catalog, config, positionals[0] ?? "", io.env, (m) =>
              io.err(`floe query: ${m}\n`),
            ),
          );
        return 0;
      }
      default:
        io.err(`floe: unknown command '${command}'\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    const debug = values.debug === true || ["1", "true"].includes(io.env.FLOE_DEBUG ?? "");
    io.err(errorText(command, e, debug));
    return 1;
  }
}
