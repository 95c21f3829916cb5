/**
 * Optional bearer-token auth for the REST catalog server: one static token, compared in constant time
 * (both sides hashed to SHA-256 first, so neither the length nor a common prefix leaks through timing).
 * The token is never logged and never echoed back.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { FloeError } from "../../errors.js";
import { RestError } from "./errors.js";

const REALM = 'Bearer realm="floe"';

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Validates a configured token: 16-4096 visible ASCII characters (RFC 6750 token68 plus a few). */
export function checkToken(token: string): string {
  if (!/^[\x21-\x7e]{16,4096}$/.test(token)) {
    throw new FloeError(
      "CONFIG_INVALID",
      "the REST catalog server token must be 16 to 4096 visible ASCII characters (no spaces)",
    );
  }
  return token;
}

/** Returns a check for the Authorization header; throws RestError 401 unless it carries `token`. */
export function bearerAuth(token: string): (authorization: string | undefined) => void {
  const expected = digest(checkToken(token));
  return (authorization) => {
    const m = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (m?.[1] === undefined) {
      throw new RestError(401, "NotAuthorizedException", "a bearer token is required", {
        "WWW-Authenticate": REALM,
      });
    }
    if (!timingSafeEqual(digest(m[1]), expected)) {
      throw new RestError(401, "NotAuthorizedException", "the bearer token is not valid", {
        "WWW-Authenticate": `${REALM}, error="invalid_token"`,
      });
    }
  };
}

/** True for loopback host names: localhost (and *.localhost), 127.0.0.0/8, ::1 (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v4);
}

/** The host name of a Host header (`name`, `name:port`, `[v6]:port`); undefined when malformed. */
function hostName(header: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(:\d{1,5})?$/.exec(header.trim());
  return m?.[1];
}

function forbidden(message: string): RestError {
  return new RestError(403, "ForbiddenException", message);
}

/**
 * Without a token the server answers only requests a loopback client made on purpose: the Host
 * header must name a loopback address (no DNS rebinding) and an Origin, when a browser sends one, must
 * be a loopback origin (no page on another site can post to the catalog). Throws RestError 403.
 */
export function checkLoopbackRequest(headers: {
  host?: string | undefined;
  origin?: string | undefined;
}): void {
  const host = headers.host;
  if (host !== undefined) {
    const name = hostName(host);
    if (name === undefined || !isLoopbackHost(name)) {
      throw forbidden(
        "this catalog server has no token and serves loopback clients only: the Host header must be localhost or a loopback address",
      );
    }
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let name: string | undefined;
    try {
      const u = new URL(origin);
      name = u.protocol === "http:" || u.protocol === "https:" ? u.hostname : undefined;
    } catch {
      name = undefined;
    }
    if (name === undefined || !isLoopbackHost(name)) {
      throw forbidden(
        "this catalog server has no token and serves loopback clients only: requests from another origin are refused",
      );
    }
  }
}
