/**
 * TLS material from settings, for Kafka connections and Schema Registry requests: each PEM setting is
 * a file path or the PEM text itself, loaded and checked once at start-up so that a wrong path, a key
 * that does not match its certificate or a wrong passphrase fails with the setting's name (never its
 * content: keys and passphrases stay out of errors). `tlsFetch` is a small `fetch` over node:https with
 * those options, since Node's built-in fetch takes no CA or client certificate.
 * May import: errors, config.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { resolve } from "node:path";
import { createSecureContext } from "node:tls";
import type { z } from "zod";
import type { TlsSection } from "./config.js";
import { FloeError } from "./errors.js";

export type TlsSettings = z.infer<typeof TlsSection>;

/** node:tls connection options (kafkajs `ssl`, https.Agent). */
export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

const isPem = (text: string) => text.includes("-----BEGIN ");

/** Inline PEM as is, else the file it names (relative to `cwd`), which must hold PEM. */
function pemOf(value: string, key: string, secret: boolean, cwd: string): string {
  if (isPem(value)) return value;
  // A key that is neither PEM nor a path may be the key material itself: never repeat it.
  const shown = secret ? "the value" : `'${value}'`;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, value), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new FloeError(
      "CONFIG_INVALID",
      `${key}: ${shown} is neither inline PEM nor a readable file (${code})`,
      {
        context: { key },
      },
    );
  }
  if (!isPem(text)) {
    throw new FloeError("CONFIG_INVALID", `${key}: the file ${shown} holds no PEM block (-----BEGIN ...)`, {
      context: { key },
    });
  }
  return text;
}

/** Why OpenSSL refused the material, in words, for the common cases. */
function explain(message: string): string {
  if (/bad decrypt|bad password|interrupted or cancelled/i.test(message)) {
    return "the client key is encrypted and the passphrase is missing or wrong";
  }
  if (/key values mismatch/i.test(message)) return "the client key does not belong to the client certificate";
  if (/no start line|bad base64|ASN1|wrong tag|PEM/i.test(message))
    return `a PEM block is malformed (${message})`;
  return message;
}

/**
 * Loads and checks TLS settings. `where` names the section in errors (`kafka.ssl`, `schemaRegistry.tls`).
 */
export function loadTls(settings: TlsSettings, where: string, cwd = process.cwd()): TlsOptions {
  const out: TlsOptions = { rejectUnauthorized: settings.rejectUnauthorized };
  if (settings.ca !== undefined) out.ca = pemOf(settings.ca, `${where}.ca`, false, cwd);
  if (settings.cert !== undefined) out.cert = pemOf(settings.cert, `${where}.cert`, false, cwd);
  if (settings.key !== undefined) out.key = pemOf(settings.key, `${where}.key`, true, cwd);
  if (settings.passphrase !== undefined) out.passphrase = settings.passphrase;
  if (settings.servername !== undefined) out.servername = settings.servername;
  try {
    const { servername: _s, rejectUnauthorized: _r, ...material } = out;
    createSecureContext(material);
  } catch (e) {
    throw new FloeError(
      "CONFIG_INVALID",
      `${where}: cannot use the TLS settings: ${explain((e as Error).message)}`,
      {
        context: { key: where },
      },
    );
  }
  return out;
}

/**
 * A `fetch` whose https requests use these TLS options (private CA, client certificate); other URLs
 * go to the global fetch. Enough for JSON GETs and POSTs: method, headers, string body, signal.
 */
export function tlsFetch(tls: TlsOptions): typeof fetch {
  const agent = new Agent({ ...tls, keepAlive: true });
  const tlsFetcher = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== "https:") return globalThis.fetch(input, init);
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    return new Promise<Response>((done, fail) => {
      const req = request(
        url,
        { method: init?.method ?? "GET", headers, agent, ...(init?.signal ? { signal: init.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", fail);
          res.on("end", () => {
            const status = res.statusCode ?? 500;
            const responseHeaders = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v])
                responseHeaders.append(k, one);
            }
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            done(
              new Response(body, { status, statusText: res.statusMessage ?? "", headers: responseHeaders }),
            );
          });
        },
      );
      req.on("error", (e) => fail(init?.signal?.aborted ? (init.signal.reason ?? e) : e));
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
  };
  return tlsFetcher as typeof fetch;
}
