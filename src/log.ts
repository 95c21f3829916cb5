/**
 * Logging: a pino-shaped Logger interface and a default JSON-lines logger. Fields follow the
 * conventions {table, topic, partition, snapshotId, attempt}; values under secret-looking keys are
 * redacted before anything is written, so are secret-looking parts of any text (credentials in URLs,
 * secret query parameters, bearer tokens, JWTs, `password=...`), and bigints are written as decimal
 * strings.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /(secret|password|passwd|passphrase|token|credential|authorization|api[-_]?key|sasl)/i;
/** Inline private keys (a TLS `key` setting given as PEM) are secret under any name. */
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
export const REDACTED = "[redacted]";

/** Secrets recognised by their shape inside any text, with what replaces them. */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  // scheme://user:password@host and scheme://token@host: the whole userinfo.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, `$1${REDACTED}@`],
  // ?access_token=..., &X-Amz-Signature=..., &api_key=... in URLs.
  [
    /([?&;][^=&\s?#]*(?:token|secret|passw|signature|sig|credential|key|auth)[^=&\s?#]*=)[^&\s#"'<>]+/gi,
    `$1${REDACTED}`,
  ],
  // password=..., sasl.password = ..., secretAccessKey=... in connection strings and messages.
  [
    /\b([\w.-]*(?:password|passwd|passphrase|secret|token|api[-_]?key)[\w.-]*\s*=\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi,
    `$1${REDACTED}`,
  ],
  // Authorization header values.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  // JSON Web Tokens.
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** Redacts secrets that text carries by their shape (see SECRET_SHAPES); private keys redact it all. */
export function redactText(text: string): string {
  if (PRIVATE_KEY_PEM.test(text)) return REDACTED;
  let out = text;
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/**
 * Copies fields for output: redacts values under secret-looking keys (at any depth) and secret-looking
 * parts of every string, and turns errors into objects (name, message, code; never the stack).
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redactText(value.message),
      ...(code === undefined ? {} : { code }),
    };
  }
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface JsonLoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  bindings?: LogFields;
  now?: () => Date;
}

export function createLogger(options: JsonLoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const bindings = options.bindings ?? {};
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    const record = redact({ ...bindings, ...fields }) as LogFields;
    write(`${JSON.stringify({ time: now().toISOString(), level, msg: redactText(msg), ...record })}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that drops everything, for tests and library callers that bring none. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
